#!/bin/sh
# e2e: nginx with Debian's stock config (`user www-data;`, logs in
# /var/log/nginx, pid /run/nginx.pid, temp dirs in /var/lib/nginx, the default site), only the listen port
# moved above 1024, started as root. Slim used to keep root and its run line failed
# (`chown("/tmp/nginx-body", 65534) failed`). Now `whittle slim` with default options (no --user) must pick a
# non-root user that verify proved, and the slimmed image must serve the original's pages under podman with
# the exact run line of run-flags.txt (read-only root + tmpfs, no capabilities, no-new-privileges, seccomp).
set -eu
. "$(dirname "$0")/lib.sh"

e2e_slim_suite_start curl
port=$E2E_NGINX_STOCK_PORT
base=http://127.0.0.1:$port
e2e_require_port_free "$port" "the stock nginx test image"

e2e_nginx_stock_image

answers() {
  e2e_http "$base/" "$1-index"
  e2e_http "$base/missing.html" "$1-missing"
  e2e_http "$base/index.nginx-debian.html" "$1-page"
}

# The original, as its image says: root, podman's defaults. Master root, workers www-data.
orig_line="podman run --rm --name whittle-e2e-nginx-stock-orig --network=host $E2E_IMG_NAME"
if e2e_start "$W" whittle-e2e-nginx-stock-orig "curl -fsS -o /dev/null $base/" "$orig_line"; then
  answers orig
  orig_users=$(e2e_container_users whittle-e2e-nginx-stock-orig)
  e2e_stop whittle-e2e-nginx-stock-orig
  e2e_check "original: master as root, workers as www-data (users: $orig_users)" \
    sh -c 'printf "%s" "$1" | grep -qw root && printf "%s" "$1" | grep -qw www-data' - "$orig_users"
  e2e_check "original serves Debian's welcome page (status $(cat "$W/orig-index.status"))" \
    sh -c 'test "$(cat "$1.status")" = 200 && grep -q "Welcome to nginx" "$1.body"' - "$W/orig-index"
  e2e_check "original answers 404 for a missing page" test "$(cat "$W/orig-missing.status")" = 404
else
  e2e_stop whittle-e2e-nginx-stock-orig
  e2e_fail "the original stock nginx image does not serve under podman"
fi

e2e_hardening_slim --probe "$base/" --probe "$base/missing.html" --probe "$base/index.nginx-debian.html"
e2e_hardening_checks
rootfs=$W/bundle/rootfs
for p in /usr/sbin/nginx /etc/nginx/nginx.conf /etc/nginx/sites-enabled/default /etc/nginx/mime.types \
  /var/www/html/index.nginx-debian.html; do
  # sites-enabled/default is an absolute symlink: test the link itself, not what it names on this host.
  e2e_check "kept $p" sh -c 'test -e "$1" || test -L "$1"' - "$rootfs$p"
done
for p in /usr/bin/bash /usr/bin/dash /usr/bin/apt /usr/bin/dpkg /usr/bin/perl /usr/share/doc /usr/share/man; do
  e2e_check "removed $p" test ! -e "$rootfs$p"
done
e2e_check "run-flags.txt gives nginx a tmpfs where it writes (/var/log/nginx, /var/lib/nginx, /run)" \
  python3 -c '
import shlex, sys
toks = shlex.split(open(sys.argv[1]).read(), comments=True)
tmpfs = [toks[i + 1].split(":")[0] for i, t in enumerate(toks) if t == "--tmpfs"]
tmpfs += [t.split("=", 1)[1].split(":")[0] for t in toks if t.startswith("--tmpfs=")]
print("tmpfs: %s" % tmpfs)
for want in ("/var/log/nginx", "/var/lib/nginx", "/run"):
    # at the path itself, above it, or at the directories nginx writes below it
    assert any(want == p or want.startswith(p.rstrip("/") + "/") or p.startswith(want + "/") for p in tmpfs), want
' "$W/art/run-flags.txt"

# The slimmed image with the exact run line; added: a name (to stop it), --network=host (to reach it on
# 127.0.0.1), --read-only-tmpfs=false (podman's own tmpfs on /tmp, /var/tmp and /run would hide a
# writable path the hints forgot; docker and Kubernetes add none).
id=$(e2e_pull "oci:$W/slim:latest") || id=""
e2e_check "podman takes the slimmed image" test -n "$id"
if [ -n "$id" ]; then
  line=$(e2e_run_line "$W/art" "$id" --name whittle-e2e-nginx-stock-slim --network=host --read-only-tmpfs=false) \
    || line=""
  e2e_check "run-flags.txt is one podman run line" test -n "$line"
  echo "added to the run line: --name, --network=host, --read-only-tmpfs=false"
  if [ -n "$line" ] && e2e_start "$W/art" whittle-e2e-nginx-stock-slim "curl -fsS -o /dev/null $base/" "$line"; then
    answers slim
    users=$(e2e_container_users whittle-e2e-nginx-stock-slim)
    e2e_stop whittle-e2e-nginx-stock-slim
    e2e_check "slimmed nginx: every process non-root (users: $users)" \
      sh -c 'test -n "$1" && ! printf "%s" "$1" | grep -qw root' - "$users"
    for t in index missing page; do
      e2e_check "slimmed $t: same status ($(cat "$W/slim-$t.status"))" cmp -s "$W/slim-$t.status" "$W/orig-$t.status"
      e2e_check "slimmed $t: same body" cmp -s "$W/slim-$t.body" "$W/orig-$t.body"
    done
  else
    e2e_stop whittle-e2e-nginx-stock-slim
    e2e_check "slimmed nginx serves under podman with the exact run line of run-flags.txt" false
  fi
fi

e2e_finish
