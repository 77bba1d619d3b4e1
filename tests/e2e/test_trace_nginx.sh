#!/bin/sh
# whittle trace on a real Debian nginx image with an HTTP probe made by whittle itself from inside the
# sandbox's network namespace: the probe answers, the server is stopped with the image's StopSignal, and the
# profile names the server, its config, the page served and its libraries.
. "$(dirname "$0")/lib.sh"

e2e_require_root
e2e_require python3
e2e_require_whittle trace
e2e_workdir
e2e_nginx_image

cd "$E2E_WORK"
start=$(date +%s)
"$WHITTLE" trace "$E2E_IMG_OCI" -o profile.json --timeout 60 --probe "http://127.0.0.1:$E2E_NGINX_PORT/" \
  --probe-exec "cat /srv/www/index.html" >stdout.txt 2>stderr.txt || { cat stderr.txt >&2; e2e_fail "whittle trace failed"; }
took=$(($(date +%s) - start))
e2e_check "the run ended after the probes, long before the timeout (${took}s)" test "$took" -lt 40

cat >check.py <<'PY'
import hashlib, json, sys
p = json.load(open("profile.json"))
index = open(sys.argv[1], "rb").read()
files = {f["path"]: f for f in p["files"]}
run = p["runs"][0]
errors = []
probes = run["probes"]
if len(probes) != 2:
    errors.append("expected 2 probes: %s" % probes)
else:
    http, ex = probes
    if not (http["kind"] == "http" and http["ok"] and http["status"] == 200):
        errors.append("http probe failed: %s" % http)
    if http["body_sha256"] != hashlib.sha256(index).hexdigest():
        errors.append("http probe body is not the site's index.html")
    if not (ex["kind"] == "exec" and ex["ok"] and ex["status"] == 0):
        errors.append("exec probe failed: %s" % ex)
    probe_files = {f["path"] for f in ex["files"]}
    if "/usr/bin/cat" not in probe_files:
        errors.append("exec probe files lack /usr/bin/cat: %s" % sorted(probe_files))
    if "/usr/bin/cat" in files:
        errors.append("the probe's /usr/bin/cat leaked into the app's files")
for path, access in [("/usr/sbin/nginx", "exec"), ("/etc/nginx/nginx.conf", "read"), ("/srv/www/index.html", "read"),
                     ("/usr/lib/x86_64-linux-gnu/libc.so.6", "read"), ("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "exec")]:
    if access not in files.get(path, {}).get("access", []):
        errors.append("%s lacks %s" % (path, access))
for path in ["/usr/bin/perl", "/usr/bin/bash", "/usr/share/doc", "/usr/share/man", "/etc/hosts"]:
    if any(x == path or x.startswith(path + "/") for x in files):
        errors.append("recorded though never touched: " + path)
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("profile: %d files; app exit %s signal %s" % (len(files), run["exit_code"], run["signal"]))
PY
e2e_check "probes answered and the profile names nginx, its config, the page and its libraries" \
  python3 check.py "$E2E_NGINX_INDEX"
e2e_finish
