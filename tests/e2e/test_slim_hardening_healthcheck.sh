#!/bin/sh
# e2e: python3 -m http.server with `HEALTHCHECK CMD ["curl", "-fsS", ...]`: the
# app never runs curl, so the slimmed image of earlier versions dropped it and its healthcheck was broken. Now
# `whittle slim` with default options runs the healthcheck as a probe, keeps its files (reason
# `healthcheck`), picks a non-root user, and the slimmed image, under podman with the exact run line of
# run-flags.txt, serves the original's answers and `podman healthcheck run` reports it healthy.
set -eu
. "$(dirname "$0")/lib.sh"

e2e_slim_suite_start curl
port=$E2E_HEALTH_PORT
base=http://127.0.0.1:$port
e2e_require_port_free "$port" "the healthcheck test image"

e2e_healthcheck_image
# Its docker-archive (what `podman save` and `docker save` write) is the source: the Healthcheck lives in the
# Docker config, which skopeo's conversion to the OCI layout drops. The output is a docker-archive too, so
# that `podman load` gives podman an image whose healthcheck it runs (podman 4 reads it from Docker configs).
E2E_SLIM_SRC=$E2E_IMG_DOCKER_ARCHIVE
E2E_SLIM_DST=docker-archive:$W/slim.tar:localhost/whittle-e2e-health-slim:latest
hc=$(e2e_raw_config_field "$E2E_SLIM_SRC" 'c["config"].get("Healthcheck")')
echo "original Healthcheck: $hc"
e2e_check "the original's config holds the curl HEALTHCHECK (CMD form)" \
  python3 -c 'import json, sys; t = json.loads(sys.argv[1])["Test"]; assert t[0] == "CMD" and t[1] == "curl", t' "$hc"

answers() {
  e2e_http "$base/" "$1-index"
  e2e_http "$base/data.txt" "$1-data"
  e2e_http "$base/missing.html" "$1-missing"
}

# The original, as its image says (root, podman's defaults).
if e2e_start "$W" whittle-e2e-health-orig "curl -fsS -o /dev/null $base/" \
  "podman run --rm --name whittle-e2e-health-orig --network=host $E2E_IMG_NAME"; then
  answers orig
  orig_hc=0
  podman healthcheck run whittle-e2e-health-orig >"$W/orig-hc.out" 2>&1 || orig_hc=$?
  e2e_stop whittle-e2e-health-orig
  e2e_check "original: podman healthcheck run is healthy (exit $orig_hc: $(cat "$W/orig-hc.out"))" test "$orig_hc" = 0
  e2e_check "original serves index.html and data.txt" \
    sh -c 'test "$(cat "$1-index.status")" = 200 && test "$(cat "$1-data.status")" = 200' - "$W/orig"
  e2e_check "original answers 404 for a missing page" test "$(cat "$W/orig-missing.status")" = 404
else
  e2e_stop whittle-e2e-health-orig
  e2e_fail "the original healthcheck image does not serve under podman"
fi

e2e_hardening_slim --probe "$base/" --probe "$base/data.txt" --probe "$base/missing.html"
e2e_hardening_checks
rootfs=$W/bundle/rootfs
e2e_check "kept /usr/bin/curl (the healthcheck's program)" test -x "$rootfs/usr/bin/curl"
e2e_check "kept libcurl (curl's closure)" sh -c 'ls "$1"/usr/lib/*/libcurl.so.4* >/dev/null 2>&1' - "$rootfs"
n=$(e2e_kept_by_reason healthcheck)
e2e_check "report.json kept_by_reason healthcheck counts curl and its closure ($n paths)" test "$n" -ge 2
e2e_check "the slimmed config keeps the Healthcheck" \
  test "$(e2e_raw_config_field "$E2E_SLIM_DST" 'c["config"].get("Healthcheck")')" = "$hc"
profile=$(grep -l 'whittle/profile/v1' "$W"/art/*.json 2>/dev/null | head -n1 || true)
if [ -n "$profile" ]; then
  e2e_check "the app itself never ran curl (only the healthcheck did)" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert not any(f["path"] == "/usr/bin/curl" for f in p["files"]), "curl is among the app files"
' "$profile"
fi
for p in /usr/bin/apt /usr/bin/dpkg /usr/bin/perl /usr/share/doc /usr/bin/bash /usr/bin/dash; do
  e2e_check "removed $p" test ! -e "$rootfs$p"
done

# The slimmed image with the exact run line; added: a name (healthcheck run and stop need it),
# --network=host (to reach it on 127.0.0.1), --read-only-tmpfs=false (no podman tmpfs beyond the hints).
id=$(e2e_load "$W/slim.tar") || id=""
e2e_check "podman loads the slimmed docker-archive" test -n "$id"
if [ -n "$id" ]; then
  line=$(e2e_run_line "$W/art" "$id" --name whittle-e2e-health-slim --network=host --read-only-tmpfs=false) || line=""
  e2e_check "run-flags.txt is one podman run line" test -n "$line"
  echo "added to the run line: --name, --network=host, --read-only-tmpfs=false"
  if [ -n "$line" ] && e2e_start "$W/art" whittle-e2e-health-slim "curl -fsS -o /dev/null $base/" "$line"; then
    answers slim
    slim_hc=0
    podman healthcheck run whittle-e2e-health-slim >"$W/slim-hc.out" 2>&1 || slim_hc=$?
    users=$(e2e_container_users whittle-e2e-health-slim)
    e2e_stop whittle-e2e-health-slim
    e2e_check "slimmed: podman healthcheck run is healthy under the run line's seccomp profile (exit $slim_hc: $(cat "$W/slim-hc.out"))" \
      test "$slim_hc" = 0
    e2e_check "slimmed server: every process non-root (users: $users)" \
      sh -c 'test -n "$1" && ! printf "%s" "$1" | grep -qw root' - "$users"
    for t in index data missing; do
      e2e_check "slimmed $t: same status ($(cat "$W/slim-$t.status"))" cmp -s "$W/slim-$t.status" "$W/orig-$t.status"
      e2e_check "slimmed $t: same body" cmp -s "$W/slim-$t.body" "$W/orig-$t.body"
    done
  else
    e2e_stop whittle-e2e-health-slim
    e2e_check "slimmed server answers under podman with the exact run line of run-flags.txt" false
  fi
fi

e2e_finish
