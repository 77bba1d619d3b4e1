"""The trace benchmark's workload (bench/trace/run.sh): import 54 stdlib modules, then stat every file under
/usr/lib/python3.11. Syscall-heavy on purpose: almost every call names a path."""
import os

MODULES = [
    "argparse", "ast", "base64", "bisect", "calendar", "collections", "configparser", "contextlib", "copy",
    "csv", "dataclasses", "datetime", "decimal", "difflib", "email", "enum", "fractions", "functools",
    "getopt", "gettext", "glob", "hashlib", "heapq", "hmac", "html", "http.client", "inspect", "ipaddress",
    "itertools", "json", "logging", "operator", "pathlib", "pickle", "pprint", "queue", "random", "re",
    "shlex", "shutil", "socket", "statistics", "string", "struct", "subprocess", "tempfile", "textwrap",
    "threading", "typing", "unittest", "urllib.parse", "uuid", "xml.etree.ElementTree", "zipfile",
]
for name in MODULES:
    __import__(name)

count = 0
for root, dirs, files in os.walk("/usr/lib/python3.11"):
    for f in files:
        os.stat(os.path.join(root, f))
        count += 1
print(f"imported {len(MODULES)} modules, stat-ed {count} files")
