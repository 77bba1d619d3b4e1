#!/bin/sh
# e2e: Debian's redis-server behind an official-image style entrypoint
# (apps/redis/docker-entrypoint.sh: as root, mkdir + chown /data, then `setpriv --reuid=redis --regid=redis
# --init-groups` back into the script, which execs the server; as any other user, the server directly).
# Slim used to keep root and its run line failed the way nginx's did. Now `whittle slim` with
# default options (no --user) must pick a non-root user that verify proved, and the slimmed image must answer
# a Redis client session (PING, SET, GET, INCR, SAVE into /data) exactly as the original does, under podman
# with the exact run line of run-flags.txt.
set -eu
. "$(dirname "$0")/lib.sh"

e2e_slim_suite_start
port=$E2E_REDIS_PORT
e2e_require_port_free "$port" "the redis test image"

e2e_redis_image

# resp [CMD...]: one Redis session from the host over TCP (RESP), each reply printed raw; `resp` alone is a
# PING that succeeds only on +PONG (the readiness check).
resp() {
  python3 - "$port" "$@" <<'PY'
import socket, sys
port, cmds = int(sys.argv[1]), sys.argv[2:]
s = socket.create_connection(("127.0.0.1", port), 2)
s.settimeout(5)
f = s.makefile("rb")
def reply():
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:])
        return line + (f.read(n + 2) if n >= 0 else b"")
    if line[:1] == b"*":
        return line + b"".join(reply() for _ in range(int(line[1:])))
    return line
if not cmds:
    s.sendall(b"PING\r\n")
    sys.exit(0 if reply() == b"+PONG\r\n" else 1)
for c in cmds:
    words = c.split()
    s.sendall(b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w.encode()) for w in words))
    sys.stdout.write(c + " -> " + reply().decode(errors="replace").replace("\r\n", "\\r\\n") + "\n")
PY
}
session() {
  resp PING "SET greeting hello" "GET greeting" "INCR visits" "INCR visits" "INCR visits" "DBSIZE" "SAVE" \
    "GET missing" "CONFIG GET dir" >"$W/$1.session" 2>&1 || true
  sed 's/^/  | /' "$W/$1.session"
}

# The original, as its image says: root, podman's defaults; the server ends up running as redis.
orig_line="podman run --rm --name whittle-e2e-redis-orig --network=host $E2E_IMG_NAME"
if e2e_start "$W" whittle-e2e-redis-orig resp "$orig_line"; then
  session orig
  orig_users=$(e2e_container_users whittle-e2e-redis-orig)
  e2e_stop whittle-e2e-redis-orig
  e2e_check "original: the entrypoint dropped to redis (users: $orig_users)" \
    sh -c 'printf "%s" "$1" | grep -qw redis && ! printf "%s" "$1" | grep -qw root' - "$orig_users"
  e2e_check "original: the session works (GET greeting, INCR to 3, SAVE ok)" sh -c '
grep -qx "GET greeting -> \$5\\\\r\\\\nhello\\\\r\\\\n" "$1" && grep -qx "INCR visits -> :3\\\\r\\\\n" "$1" &&
grep -qx "SAVE -> +OK\\\\r\\\\n" "$1"' - "$W/orig.session"
else
  e2e_stop whittle-e2e-redis-orig
  e2e_fail "the original redis image does not answer under podman"
fi

# Probed from inside the sandbox with the image's own client: wait for the server (a bounded loop of
# builtins and redis-cli), then write a key and SAVE (so the trace sees /data written). The probe's files
# are not kept unless asked (docs/profile.md), and verify runs the probe in the slimmed image too, so the
# client is kept with --include-exe, as a user who probes with it would.
cli="redis-cli -p $port"
probe="i=0; until $cli ping >/dev/null 2>&1; do i=\$((i+1)); [ \$i -lt 500 ] || exit 1; done; \
$cli set greeting hello >/dev/null && $cli incr visits >/dev/null && [ \"\$($cli save)\" = OK ]"
e2e_hardening_slim --probe-exec "$probe" --include-exe redis-cli
e2e_hardening_checks
rootfs=$W/bundle/rootfs
for p in /usr/bin/redis-server /usr/local/bin/docker-entrypoint.sh /usr/bin/setpriv /usr/bin/id /usr/bin/chown \
  /usr/bin/mkdir /usr/bin/redis-cli; do
  e2e_check "kept $p" test -e "$rootfs$p"
done
e2e_check "kept /data, owned by the slimmed image's user ($E2E_SLIM_USER)" \
  sh -c 'test -d "$1/data" && test "$(stat -c %u:%g "$1/data")" = "$2"' - "$rootfs" "$E2E_SLIM_USER"
for p in /usr/bin/apt /usr/bin/dpkg /usr/bin/perl /usr/share/doc /usr/bin/bash; do
  e2e_check "removed $p" test ! -e "$rootfs$p"
done
e2e_check "run-flags.txt gives the server a tmpfs at /data (where SAVE writes)" \
  grep -Eq -- "--tmpfs[= ]/data( |:|\$)" "$W/art/run-flags.txt"

# The slimmed image with the exact run line; added: a name, --network=host (the server answers 127.0.0.1
# only: protected mode), --read-only-tmpfs=false (no podman tmpfs beyond the hints).
id=$(e2e_pull "oci:$W/slim:latest") || id=""
e2e_check "podman takes the slimmed image" test -n "$id"
if [ -n "$id" ]; then
  line=$(e2e_run_line "$W/art" "$id" --name whittle-e2e-redis-slim --network=host --read-only-tmpfs=false) || line=""
  e2e_check "run-flags.txt is one podman run line" test -n "$line"
  echo "added to the run line: --name, --network=host, --read-only-tmpfs=false"
  if [ -n "$line" ] && e2e_start "$W/art" whittle-e2e-redis-slim resp "$line"; then
    session slim
    users=$(e2e_container_users whittle-e2e-redis-slim)
    e2e_stop whittle-e2e-redis-slim
    e2e_check "slimmed redis: every process non-root (users: $users)" \
      sh -c 'test -n "$1" && ! printf "%s" "$1" | grep -qw root' - "$users"
    e2e_check "slimmed redis: the same session replies, SAVE into /data included" \
      cmp -s "$W/slim.session" "$W/orig.session"
  else
    e2e_stop whittle-e2e-redis-slim
    e2e_check "slimmed redis answers under podman with the exact run line of run-flags.txt" false
  fi
fi

e2e_finish
