#!/bin/sh
# whittle trace on a real Debian python3 image: the profile names the interpreter, the app script, its data
# file and the stdlib modules it imported, and nothing the app never touched.
. "$(dirname "$0")/lib.sh"

e2e_require_root
e2e_require python3
e2e_require_whittle trace profile
e2e_workdir
e2e_python_image

cd "$E2E_WORK"
# --no-seccomp: this run checks a profile without the syscall set (recording is on by default).
"$WHITTLE" trace "$E2E_IMG_OCI" -o profile.json --timeout 120 --exit-with-app --no-seccomp >stdout.txt 2>stderr.txt \
  || { cat stderr.txt >&2; e2e_fail "whittle trace failed"; }
e2e_check "the app's stdout passes through unchanged" cmp -s stdout.txt "$E2E_PYTHON_EXPECTED"

cat >check.py <<'PY'
import json, sys
p = json.load(open("profile.json"))
files = {f["path"]: f for f in p["files"]}
special = {f["path"] for f in p.get("special", [])}
errors = []
def need(path, access=None):
    f = files.get(path)
    if f is None:
        errors.append("missing from profile: " + path)
    elif access and access not in f["access"]:
        errors.append("%s lacks access %s (has %s)" % (path, access, f["access"]))
def absent(path):
    if any(x == path or x.startswith(path + "/") for x in files):
        errors.append("recorded though never touched: " + path)

assert p["schema"] == "whittle/profile/v1"
assert p["image"]["manifest_digest"].startswith("sha256:")
run = p["runs"][0]
assert run["exit_code"] == 0, run
assert run["argv"] == ["python3", "/app/main.py"], run["argv"]
assert "syscalls" not in p
need("/usr/bin/python3.11", "exec")
need("/usr/bin/python3")
assert files["/usr/bin/python3"].get("link_target") == "python3.11", files["/usr/bin/python3"]
need("/app/main.py", "read")
need("/app/data.json", "read")
for m in ["base64.py", "collections/__init__.py", "dataclasses.py", "fractions.py", "hashlib.py",
          "json/__init__.py", "json/decoder.py", "re/__init__.py", "statistics.py", "textwrap.py",
          "encodings/__init__.py"]:
    # CPython stats the source and reads the cached bytecode Debian compiled at install time.
    need("/usr/lib/python3.11/" + m, "stat")
    d, _, base = ("/usr/lib/python3.11/" + m).rpartition("/")
    need(d + "/__pycache__/" + base[:-3] + ".cpython-311.pyc", "read")
need("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "exec")
for path in ["/usr/bin/perl", "/usr/bin/bash", "/bin/bash", "/usr/bin/dash", "/usr/lib/python3.11/email",
             "/usr/lib/python3.11/xml", "/usr/lib/python3.11/asyncio", "/usr/lib/python3.11/unittest",
             "/usr/share/doc", "/usr/share/man", "/etc/hosts", "/etc/resolv.conf"]:
    absent(path)
for s in special:
    if not (s.startswith("/proc") or s.startswith("/sys") or s.startswith("/dev") or s.startswith("/etc/host") or s == "/etc/resolv.conf"):
        errors.append("odd special path: " + s)
paths = [f["path"] for f in p["files"]]
assert paths == sorted(paths), "files not sorted"
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("profile: %d files, %d special" % (len(files), len(special)))
PY
e2e_check "the profile names the interpreter, script, data and imported modules, and nothing else" python3 check.py

# The same run by default records the syscall set; merging keeps files and drops nothing.
"$WHITTLE" trace "$E2E_IMG_OCI" -o profile2.json --timeout 120 >/dev/null 2>stderr2.txt \
  || { cat stderr2.txt >&2; e2e_fail "whittle trace failed"; }
e2e_check "the default records the syscall set" python3 -c '
import json; s = set(json.load(open("profile2.json"))["syscalls"])
assert {"execve", "openat", "read", "mmap", "exit_group"} <= s, s
assert "mount" not in s and "ptrace" not in s'
"$WHITTLE" profile merge profile.json profile2.json -o merged.json 2>/dev/null
e2e_check "profile merge unites runs and files" python3 -c '
import json; a = json.load(open("profile.json")); m = json.load(open("merged.json"))
assert len(m["runs"]) == 2 and "syscalls" not in m
assert {f["path"] for f in a["files"]} <= {f["path"] for f in m["files"]}'
e2e_finish
