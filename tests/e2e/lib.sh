# Shared functions of the shell e2e suites (tests/e2e/test_*.sh), also used by bench/. Source it (POSIX sh).
# Function variables are prefixed _e_ so they never clobber a suite's own.
#
#   requirements  e2e_require TOOL..., e2e_require_root, e2e_require_whittle [COMMAND...], e2e_whittle_has CMD
#   bookkeeping   e2e_workdir ($E2E_WORK, removed at exit unless a check failed), e2e_check DESC CMD...,
#                 e2e_finish, e2e_fail MSG, e2e_skip MSG, e2e_log MSG
#   images        e2e_debian_image NAME PKGS... [--context DIR] [--dockerfile-extra LINE]... [--format docker],
#                 e2e_python_image, e2e_nginx_stock_image, e2e_redis_image, e2e_healthcheck_image, e2e_retry_job_image,
#                 e2e_nginx_image (set $E2E_IMG_* below)
#   podman        e2e_pull REF, e2e_load FILE, e2e_run IMAGE [OPTS] [-- CMD], e2e_serve IMAGE NAME [OPTS],
#                 e2e_stop NAME, e2e_image_user IMAGE, e2e_port_free PORT,
#                 e2e_require_port_free PORT WHAT, e2e_slim_suite_start [TOOL...], e2e_remove_at_exit IMAGE...
#   hardening     e2e_run_line ART IMAGE [OPT...], e2e_run_line_has ART WHAT, e2e_start DIR NAME READY LINE,
#                 e2e_http URL TAG, e2e_container_users NAME, e2e_json FILE EXPR, e2e_hardening_slim ARG...,
#                 e2e_hardening_checks, e2e_report_candidates REPORT USER, e2e_kept_by_reason REASON,
#                 e2e_raw_config_field REF EXPR
#   checks        e2e_verify_layout DIR [TAG] (independent digest/size/diff_id/tar walk), e2e_config_field REF
#                 EXPR, e2e_uncompressed_bytes OCI_DIR, e2e_image_bytes PATH, e2e_sha256 FILE
#
# Environment (set by ctest, see tests/CMakeLists.txt; sensible defaults when run by hand):
#   WHITTLE            the whittle binary (default: $WHITTLE_SRC/build/whittle)
#   WHITTLE_SRC        the repository (default: two levels above the sourcing suite's directory)
#   WHITTLE_E2E_CACHE  where built Debian images are kept between runs (default /var/cache/whittle-e2e)
#   WHITTLE_E2E_KEEP   set to 1 to keep the per-test work directory after a failure-free run too
#   WHITTLE_E2E_USER   rootless mode (set by tests/e2e/run_rootless.sh): $WHITTLE runs whittle as this
#                      unprivileged user; the work directory is theirs and images are linked into it
#
# Exit codes of a suite: 0 pass, 1 fail, 77 skipped (a prerequisite is missing; CI counts skips as failures).
#
# Images are real Debian bookworm images, built once and cached under $WHITTLE_E2E_CACHE keyed by every input
# (packages, Containerfile text, build-context files, this file's image recipe version):
#   mmdebstrap --variant=minbase --include=PKGS --format=tar bookworm rootfs.tar   (layer 1)
#   podman import rootfs.tar                                                       (base image)
#   podman build: COPY the app (layer 2), RUN rm -rf docs/changelogs (layer 3: real whiteouts), config
# and exported as an OCI layout with gzip layers, an oci-archive (gzip) and a docker-archive (uncompressed).

set -eu

# Scripts outside tests/e2e (bench/, scripts/) set WHITTLE_SRC before sourcing this file.
if [ -z "${WHITTLE_SRC:-}" ]; then
  WHITTLE_SRC=$(cd "$(dirname "$0")/../.." && pwd)
fi
E2E_LIB_DIR=$WHITTLE_SRC/tests/e2e
[ -f "$E2E_LIB_DIR/lib.sh" ] || { echo "lib.sh: WHITTLE_SRC=$WHITTLE_SRC is not the repository" >&2; exit 1; }
: "${WHITTLE:=$WHITTLE_SRC/build/whittle}"
: "${WHITTLE_E2E_CACHE:=/var/cache/whittle-e2e}"
export WHITTLE WHITTLE_SRC WHITTLE_E2E_CACHE
# Bump when the recipe below changes in a way the cache key does not see.
E2E_RECIPE_VERSION=3
# The port the nginx image listens on (inside the trace sandbox its own loopback; under podman the host's).
E2E_NGINX_PORT=18080
E2E_FAILS=0

e2e_log() {
  printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}

e2e_skip() {
  echo "SKIP: $*" >&2
  exit 77
}

e2e_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# e2e_check DESCRIPTION CMD...: runs CMD, records a failure (without exiting) when it fails.
e2e_check() {
  _e_desc=$1
  shift
  if "$@"; then
    echo "ok: $_e_desc"
  else
    echo "FAIL: $_e_desc" >&2
    E2E_FAILS=$((E2E_FAILS + 1))
  fi
}

# e2e_finish: exit 1 when any e2e_check failed, else 0.
e2e_finish() {
  if [ "$E2E_FAILS" -ne 0 ]; then
    echo "$E2E_FAILS check(s) failed; work dir kept: ${E2E_WORK:-}" >&2
    E2E_KEEP_WORK=1
    exit 1
  fi
  echo "all checks passed"
  exit 0
}

# e2e_require TOOL...: skip (exit 77) unless every tool is on PATH (or is an executable path).
e2e_require() {
  for _e_tool in "$@"; do
    if ! command -v "$_e_tool" >/dev/null 2>&1; then
      e2e_skip "missing tool: $_e_tool (run scripts/install-deps.sh)"
    fi
  done
}

# e2e_require_root: skip unless root (podman import/build, mmdebstrap and runc need it here).
e2e_require_root() {
  [ "$(id -u)" = 0 ] || e2e_skip "needs root"
}

# e2e_require_whittle [COMMAND...]: the binary exists and lists each command in `whittle --help`.
# A command that has not landed yet is a failure, not a skip: the suite exists to test it.
e2e_require_whittle() {
  [ -x "$WHITTLE" ] || e2e_fail "no whittle binary at $WHITTLE (set WHITTLE)"
  for _e_cmd in "$@"; do
    if ! e2e_whittle_has "$_e_cmd"; then
      e2e_fail "\`whittle $_e_cmd\` is not implemented in $WHITTLE (not listed by whittle --help)"
    fi
  done
}

# e2e_whittle_has COMMAND: true when `whittle --help` lists COMMAND.
e2e_whittle_has() {
  "$WHITTLE" --help 2>/dev/null | grep -Eq "^  $1( |$)"
}

# e2e_workdir: creates $E2E_WORK, removed at exit unless a check failed or WHITTLE_E2E_KEEP=1.
e2e_workdir() {
  E2E_WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/whittle-e2e.XXXXXX")
  E2E_KEEP_WORK=${WHITTLE_E2E_KEEP:-0}
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
  e2e_rootless_workdir
}

e2e_cleanup() {
  _e_status=$?
  if [ -f "$E2E_WORK/.cleanup-containers" ]; then
    sort -u "$E2E_WORK/.cleanup-containers" | while read -r _e_c; do
      podman rm -f "$_e_c" >/dev/null 2>&1 || true
    done
  fi
  if [ -f "$E2E_WORK/.cleanup-images" ]; then
    sort -u "$E2E_WORK/.cleanup-images" | while read -r _e_img; do
      podman rmi -f "$_e_img" >/dev/null 2>&1 || true
    done
  fi
  if [ "$_e_status" -ne 0 ] && [ "$_e_status" -ne 77 ]; then
    E2E_KEEP_WORK=1
  fi
  if [ "${E2E_KEEP_WORK:-0}" = 1 ]; then
    echo "work dir kept: $E2E_WORK" >&2
  else
    rm -rf "$E2E_WORK"
  fi
}

# e2e_sha256 FILE: prints the file's hex sha256.
e2e_sha256() {
  sha256sum "$1" | cut -d' ' -f1
}

# e2e_key_of_dir DIR: a hash of every file's path, mode and content under DIR (for cache keys).
e2e_key_of_dir() {
  (cd "$1" && find . -type f -print | LC_ALL=C sort | while read -r f; do
    printf '%s %s %s\n' "$f" "$(stat -c %a "$f")" "$(e2e_sha256 "$f")"
  done) | sha256sum | cut -c1-16
}

# e2e_debian_image NAME PACKAGES... [--context DIR] [--dockerfile-extra LINE]...
# Builds (or finds in the cache) a real multi-layer Debian bookworm image and sets:
#   E2E_IMG_DIR             the cache directory of this image
#   E2E_IMG_NAME            the podman image name (present in podman's store)
#   E2E_IMG_OCI             oci:DIR:latest (OCI layout, gzip layers)
#   E2E_IMG_OCI_ARCHIVE     oci-archive:FILE:latest (gzip layers)
#   E2E_IMG_DOCKER_ARCHIVE  docker-archive:FILE (uncompressed layers, as `podman save` writes)
# and the plain paths E2E_IMG_OCI_DIR, E2E_IMG_OCI_ARCHIVE_FILE, E2E_IMG_DOCKER_ARCHIVE_FILE.
# --context DIR: files copied into the build context (COPY them with --dockerfile-extra lines).
# --dockerfile-extra LINE: a Containerfile line added after FROM (COPY, ENV, CMD, ...), in order.
# --format docker: build a Docker-format config (podman build drops HEALTHCHECK from the OCI format).
e2e_debian_image() {
  _e_name=$1
  shift
  _e_pkgs=""
  _e_context=""
  E2E_BUILD_FORMAT=""
  _e_extra_file=$(mktemp)
  while [ $# -gt 0 ]; do
    case $1 in
      --context) _e_context=$2; shift 2 ;;
      --dockerfile-extra) printf '%s\n' "$2" >>"$_e_extra_file"; shift 2 ;;
      --format) E2E_BUILD_FORMAT=$2; shift 2 ;;
      *) _e_pkgs="$_e_pkgs${_e_pkgs:+,}$1"; shift ;;
    esac
  done
  _e_ctx_key=none
  if [ -n "$_e_context" ]; then
    [ -d "$_e_context" ] || e2e_fail "no build context $_e_context"
    _e_ctx_key=$(e2e_key_of_dir "$_e_context")
  fi
  _e_key=$(printf '%s\n' "$E2E_RECIPE_VERSION" "$_e_name" "$_e_pkgs" "$_e_ctx_key" "$(cat "$_e_extra_file")" \
    ${E2E_BUILD_FORMAT:+"format $E2E_BUILD_FORMAT"} | sha256sum | cut -c1-16)
  E2E_IMG_DIR=$WHITTLE_E2E_CACHE/images/$_e_name-$_e_key
  E2E_IMG_NAME=localhost/whittle-e2e-$_e_name:$_e_key
  E2E_IMG_OCI_DIR=$E2E_IMG_DIR/oci
  E2E_IMG_OCI_ARCHIVE_FILE=$E2E_IMG_DIR/image.oci.tar
  E2E_IMG_DOCKER_ARCHIVE_FILE=$E2E_IMG_DIR/image.docker.tar
  E2E_IMG_OCI=oci:$E2E_IMG_OCI_DIR:latest
  E2E_IMG_OCI_ARCHIVE=oci-archive:$E2E_IMG_OCI_ARCHIVE_FILE:latest
  E2E_IMG_DOCKER_ARCHIVE=docker-archive:$E2E_IMG_DOCKER_ARCHIVE_FILE
  mkdir -p "$WHITTLE_E2E_CACHE/images"
  # One builder at a time per image; a second suite waits and then finds the cache filled.
  exec 9>"$WHITTLE_E2E_CACHE/images/$_e_name.lock"
  flock 9
  if [ ! -f "$E2E_IMG_DIR/done" ]; then
    e2e_build_image "$_e_name" "$_e_pkgs" "$_e_context" "$_e_extra_file" "$_e_key" || {
      flock -u 9
      rm -f "$_e_extra_file"
      e2e_fail "building the $_e_name image failed"
    }
  fi
  # The podman store may have been reset since the cache was filled.
  if ! podman image exists "$E2E_IMG_NAME"; then
    podman load -q -i "$E2E_IMG_DOCKER_ARCHIVE_FILE" >/dev/null
  fi
  flock -u 9
  rm -f "$_e_extra_file"
  e2e_rootless_image
  export E2E_IMG_DIR E2E_IMG_NAME E2E_IMG_OCI E2E_IMG_OCI_ARCHIVE E2E_IMG_DOCKER_ARCHIVE \
    E2E_IMG_OCI_DIR E2E_IMG_OCI_ARCHIVE_FILE E2E_IMG_DOCKER_ARCHIVE_FILE
}

e2e_build_image() {
  _e_name=$1 _e_pkgs=$2 _e_context=$3 _e_extra_file=$4 _e_key=$5
  e2e_require mmdebstrap podman skopeo
  e2e_require_root
  e2e_log "building Debian image $_e_name ($_e_pkgs), cache $E2E_IMG_DIR (a few minutes, once)"
  rm -rf "$E2E_IMG_DIR"
  _e_tmp=$E2E_IMG_DIR.tmp
  rm -rf "$_e_tmp"
  mkdir -p "$_e_tmp/context" || return 1
  if [ -n "$_e_context" ]; then
    cp -a "$_e_context/." "$_e_tmp/context/" || return 1
  fi
  _e_include=""
  if [ -n "$_e_pkgs" ]; then
    _e_include="--include=$_e_pkgs"
  fi
  # Layer 1: a minbase Debian with the packages (docs, man pages, locales, shells, apt, perl-base...).
  mmdebstrap --quiet --variant=minbase $_e_include --format=tar bookworm "$_e_tmp/rootfs.tar" || return 1
  _e_base=localhost/whittle-e2e-$_e_name-base:$_e_key-$$
  podman import -q "$_e_tmp/rootfs.tar" "$_e_base" >/dev/null || return 1
  rm -f "$_e_tmp/rootfs.tar"
  {
    echo "FROM $_e_base"
    cat "$_e_extra_file"
    # Layer: a real `RUN rm` so the image carries whiteouts of lower-layer files.
    echo 'RUN rm -rf /usr/share/doc/*/changelog* /usr/share/doc/*/NEWS* /var/cache/debconf/*-old /var/log/*.log'
  } >"$_e_tmp/context/Containerfile" || return 1
  podman build -q --network=none ${E2E_BUILD_FORMAT:+--format "$E2E_BUILD_FORMAT"} -f "$_e_tmp/context/Containerfile" -t "$E2E_IMG_NAME" "$_e_tmp/context" >/dev/null \
    || return 1
  podman save -q --format oci-archive -o "$_e_tmp/raw.oci.tar" "$E2E_IMG_NAME" || return 1
  # OCI layout with gzip layers, as a registry would serve them; the archive forms from it.
  skopeo copy -q --dest-compress --dest-compress-format gzip "oci-archive:$_e_tmp/raw.oci.tar" \
    "oci:$_e_tmp/oci:latest" || return 1
  rm -f "$_e_tmp/raw.oci.tar"
  skopeo copy -q "oci:$_e_tmp/oci:latest" "oci-archive:$_e_tmp/image.oci.tar:latest" || return 1
  podman save -q --format docker-archive -o "$_e_tmp/image.docker.tar" "$E2E_IMG_NAME" || return 1
  podman rmi -f "$_e_base" >/dev/null 2>&1 || true
  cp "$_e_tmp/context/Containerfile" "$_e_tmp/Containerfile" || return 1
  rm -rf "$_e_tmp/context"
  date -u +%FT%TZ >"$_e_tmp/done" || return 1
  mv "$_e_tmp" "$E2E_IMG_DIR" || return 1
  e2e_log "built $E2E_IMG_NAME"
}

# e2e_python_image: a python3 app (imports stdlib modules, reads a data file, prints a digest) on bookworm.
# Its expected output is in $E2E_PYTHON_EXPECTED after the call.
e2e_python_image() {
  e2e_debian_image python python3 --context "$E2E_LIB_DIR/apps/python" \
    --dockerfile-extra 'COPY app/ /app/' \
    --dockerfile-extra 'WORKDIR /app' \
    --dockerfile-extra 'ENV PYTHONDONTWRITEBYTECODE=1 APP_MODE=e2e' \
    --dockerfile-extra 'CMD ["python3", "/app/main.py"]'
  E2E_PYTHON_EXPECTED=$E2E_LIB_DIR/apps/python.expected
}

# e2e_nginx_image: nginx serving a static site on port $E2E_NGINX_PORT (error log on stderr, pid in /tmp).
e2e_nginx_image() {
  e2e_debian_image nginx nginx-light --context "$E2E_LIB_DIR/apps/nginx" \
    --dockerfile-extra 'COPY nginx.conf /etc/nginx/nginx.conf' \
    --dockerfile-extra 'COPY site/ /srv/www/' \
    --dockerfile-extra "EXPOSE $E2E_NGINX_PORT/tcp" \
    --dockerfile-extra 'STOPSIGNAL SIGQUIT' \
    --dockerfile-extra 'CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]'
  E2E_NGINX_INDEX=$E2E_LIB_DIR/apps/nginx/site/index.html
}

# The images of the hardening suites: servers and jobs that start as root, as users ship them.
# Each listens (when it serves) on 127.0.0.1 at its own port above 1024, so the suites can run side by side.
E2E_NGINX_STOCK_PORT=18081
E2E_REDIS_PORT=16379
E2E_HEALTH_PORT=18082

# e2e_nginx_stock_image: nginx-light with Debian's stock config (`user www-data;`, logs in /var/log/nginx,
# pid /run/nginx.pid, temp dirs in /var/lib/nginx, the default site and its Debian welcome page), only the
# default site's listen port changed to $E2E_NGINX_STOCK_PORT; started as root, `nginx -g 'daemon off;'`.
e2e_nginx_stock_image() {
  e2e_debian_image nginx-stock nginx-light \
    --dockerfile-extra "RUN sed -i 's/\b80 default_server/$E2E_NGINX_STOCK_PORT default_server/' /etc/nginx/sites-available/default" \
    --dockerfile-extra "EXPOSE $E2E_NGINX_STOCK_PORT/tcp" \
    --dockerfile-extra 'CMD ["nginx", "-g", "daemon off;"]'
}

# e2e_redis_image: Debian's redis-server behind an official-image style entrypoint (apps/redis: as root,
# mkdir + chown /data, then setpriv to user redis and exec the server), port $E2E_REDIS_PORT, WORKDIR and
# VOLUME /data as the official image has them. The log goes to /data/redis.log, not stdout: verify compares
# the app's stdout byte for byte, and redis stamps each log line with the time and its pid.
e2e_redis_image() {
  e2e_debian_image redis-entrypoint redis-server --context "$E2E_LIB_DIR/apps/redis" \
    --dockerfile-extra 'COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh' \
    --dockerfile-extra 'WORKDIR /data' \
    --dockerfile-extra 'VOLUME /data' \
    --dockerfile-extra "EXPOSE $E2E_REDIS_PORT/tcp" \
    --dockerfile-extra 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --dockerfile-extra "CMD [\"redis-server\", \"--port\", \"$E2E_REDIS_PORT\", \"--logfile\", \"/data/redis.log\"]"
}

# e2e_healthcheck_image: python3 -m http.server on $E2E_HEALTH_PORT (serving apps/healthcheck/site) with a
# HEALTHCHECK that runs curl, a tool the app itself never runs (Docker format: OCI has no Healthcheck).
e2e_healthcheck_image() {
  e2e_debian_image healthcheck python3 curl --format docker --context "$E2E_LIB_DIR/apps/healthcheck" \
    --dockerfile-extra 'COPY site/ /srv/site/' \
    --dockerfile-extra 'WORKDIR /srv/site' \
    --dockerfile-extra "EXPOSE $E2E_HEALTH_PORT/tcp" \
    --dockerfile-extra "HEALTHCHECK --interval=10s --timeout=5s --retries=3 CMD [\"curl\", \"-fsS\", \"-o\", \"/dev/null\", \"http://127.0.0.1:$E2E_HEALTH_PORT/\"]" \
    --dockerfile-extra "CMD [\"python3\", \"-m\", \"http.server\", \"$E2E_HEALTH_PORT\", \"--bind\", \"127.0.0.1\"]"
}

# e2e_retry_job_image: a batch job (apps/retry-job) whose shell entrypoint waits in an `until getent hosts
# ...; do sleep 0.1; done` loop (the first try succeeds for localhost) and then does its work.
e2e_retry_job_image() {
  e2e_debian_image retry-job --context "$E2E_LIB_DIR/apps/retry-job" \
    --dockerfile-extra 'COPY entrypoint.sh /usr/local/bin/entrypoint.sh' \
    --dockerfile-extra 'COPY data/ /app/data/' \
    --dockerfile-extra 'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]'
}

# e2e_pull REF: puts an image named in skopeo's syntax (oci:, oci-archive:, docker-archive:) into podman's
# store under a fresh name (skopeo copy to containers-storage: podman pull would derive a name from the
# path), prints its image ID and removes it at exit.
e2e_pull() {
  _e_name=localhost/whittle-e2e-pulled:$$-$(date +%s%N)
  e2e_remove_at_exit "$_e_name"
  skopeo copy -q "$1" "containers-storage:$_e_name" >&2 || return 1
  podman image inspect --format '{{.Id}}' "$_e_name"
}

# e2e_remove_at_exit IMAGE...: podman images to remove when the suite ends (works from subshells too).
e2e_remove_at_exit() {
  printf '%s\n' "$@" >>"$E2E_WORK/.cleanup-images"
}

# e2e_load FILE: `podman load` of an archive; prints the loaded image's ID and removes it at exit.
e2e_load() {
  _e_out=$(podman load -q -i "$1") || return 1
  _e_ref=$(printf '%s\n' "$_e_out" | awk '/Loaded image/ {print $NF}' | tail -n1)
  [ -n "$_e_ref" ] || return 1
  _e_id=$(podman image inspect --format '{{.Id}}' "$_e_ref") || return 1
  e2e_remove_at_exit "$_e_id"
  echo "$_e_id"
}

# e2e_run IMAGE [PODMAN-RUN-OPTIONS...] [-- CMD...]: `podman run --rm --network=none` (stdout to stdout).
e2e_run() {
  _e_img=$1
  shift
  _e_opts=""
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    _e_opts="$_e_opts $1"
    shift
  done
  [ $# -gt 0 ] && shift
  # shellcheck disable=SC2086
  podman run --rm --network=none $_e_opts "$_e_img" "$@"
}

# e2e_image_user IMAGE: the User of a podman image's config.
e2e_image_user() {
  podman image inspect --format '{{.Config.User}}' "$1"
}

# e2e_serve IMAGE NAME [PODMAN-RUN-OPTIONS...]: starts IMAGE detached on the host network as container NAME
# (removed at exit); waits until http://127.0.0.1:$E2E_NGINX_PORT/ answers (30 s).
e2e_serve() {
  _e_img=$1 _e_cname=$2
  shift 2
  podman rm -f "$_e_cname" >/dev/null 2>&1 || true
  printf '%s\n' "$_e_cname" >>"$E2E_WORK/.cleanup-containers"
  podman run -d --name "$_e_cname" --network=host "$@" "$_e_img" >/dev/null || return 1
  _e_i=0
  while [ $_e_i -lt 60 ]; do
    if curl -fsS -o /dev/null "http://127.0.0.1:$E2E_NGINX_PORT/" 2>/dev/null; then
      return 0
    fi
    if [ "$(podman inspect --format '{{.State.Running}}' "$_e_cname" 2>/dev/null)" != true ]; then
      podman logs "$_e_cname" >&2 || true
      return 1
    fi
    sleep 0.5
    _e_i=$((_e_i + 1))
  done
  podman logs "$_e_cname" >&2 || true
  return 1
}

# e2e_stop NAME: stops and removes a container started by e2e_serve.
e2e_stop() {
  podman rm -f "$1" >/dev/null 2>&1 || true
}

# e2e_port_free PORT: true when nothing accepts a TCP connection on 127.0.0.1:PORT (any protocol: an HTTP
# check would take a Redis or other non-HTTP listener for a free port).
e2e_port_free() {
  ! python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null
}

# e2e_require_port_free PORT WHAT: fails the suite when PORT is taken (WHAT names the image that listens there).
e2e_require_port_free() {
  e2e_port_free "$1" || e2e_fail "port $1 is in use on 127.0.0.1 ($2 listens there)"
}

# e2e_slim_suite_start [TOOL...]: the start of every suite that slims an image and runs the result: root,
# podman, skopeo, umoci, python3, zcat, tar and each TOOL, a whittle that has `slim`, and a work directory
# ($E2E_WORK, also $W), removed at exit unless WHITTLE_E2E_KEEP=1 or the suite failed.
e2e_slim_suite_start() {
  e2e_require podman skopeo umoci python3 zcat tar "$@"
  e2e_require_root
  e2e_require_whittle slim
  e2e_workdir
  W=$E2E_WORK
}

# e2e_run_line ARTIFACTS_DIR IMAGE [OPTION...]: the `podman run` line of ARTIFACTS_DIR/run-flags.txt, exactly
# as a shell reads it (shlex; comments and backslash-newlines dropped), with the IMAGE placeholder replaced
# by IMAGE and each OPTION inserted right after `run` (what a test adds to reach the app: a name, a network);
# printed as one shell-quoted line. Fails when the file holds anything but one `podman run ... IMAGE` line.
e2e_run_line() {
  python3 - "$@" <<'PY'
import shlex, sys
art, image, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(art + "/run-flags.txt").read().replace("\\\n", "")
toks = shlex.split(text, comments=True)
if toks[:2] != ["podman", "run"] or toks.count("podman") != 1 or toks.count("IMAGE") != 1 or toks[-1] != "IMAGE":
    sys.exit(f"run-flags.txt is not one `podman run ... IMAGE` line: {toks}")
print(shlex.join(toks[:2] + extra + toks[2:-1] + [image]))
PY
}

# e2e_run_line_has ARTIFACTS_DIR WHAT: true when run-flags.txt's line states WHAT: read-only (--read-only),
# cap-drop-all (--cap-drop=ALL and no --cap-add), no-new-privileges, seccomp (seccomp=seccomp.json, a file
# of the artifacts with a default action that refuses), non-root (--user whose uid is not 0 or root).
e2e_run_line_has() {
  python3 - "$1" "$2" <<'PY'
import json, os, shlex, sys
art, what = sys.argv[1], sys.argv[2]
toks = shlex.split(open(art + "/run-flags.txt").read().replace("\\\n", ""), comments=True)
opts = []  # (name, value) pairs: --x=v, --x v
i = 0
while i < len(toks):
    t = toks[i]
    if t.startswith("-") and "=" in t:
        opts.append(tuple(t.split("=", 1)))
    elif t in ("--tmpfs", "--user", "-u", "--cap-drop", "--cap-add", "--security-opt"):
        opts.append((t, toks[i + 1] if i + 1 < len(toks) else ""))
        i += 1
    elif t.startswith("-"):
        opts.append((t, ""))
    i += 1
def values(*names):
    return [v for n, v in opts if n in names]
if what == "read-only":
    ok = ("--read-only", "") in opts or values("--read-only") in (["true"],)
elif what == "cap-drop-all":
    ok = "ALL" in values("--cap-drop") and not values("--cap-add")
elif what == "no-new-privileges":
    ok = any(v.startswith("no-new-privileges") for v in values("--security-opt"))
elif what == "seccomp":
    files = [v.split("=", 1)[1] for v in values("--security-opt") if v.startswith("seccomp=")]
    ok = len(files) == 1 and os.path.isfile(os.path.join(art, files[0]))
    if ok:
        prof = json.load(open(os.path.join(art, files[0])))
        ok = prof.get("defaultAction") in ("SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS")
elif what == "non-root":
    users = values("--user", "-u")
    ok = len(users) == 1 and users[0].split(":")[0] not in ("", "0", "root")
else:
    sys.exit(f"unknown: {what}")
print(f"run-flags {what}: {'yes' if ok else 'no'} ({shlex.join(toks)})")
sys.exit(0 if ok else 1)
PY
}

# e2e_start DIR NAME READY LINE: runs the shell-quoted command LINE (a `podman run` line naming container
# NAME, attached) from DIR in the background, its output in $E2E_WORK/NAME.log; waits up to 30 s until the
# shell command READY succeeds. Fails (printing the log) when the container ends or never gets ready.
e2e_start() {
  _e_dir=$1 _e_cname=$2 _e_ready=$3 _e_line=$4
  podman rm -f "$_e_cname" >/dev/null 2>&1 || true
  printf '%s\n' "$_e_cname" >>"$E2E_WORK/.cleanup-containers"
  echo "+ (cd $_e_dir && $_e_line)" >&2
  (cd "$_e_dir" && eval "$_e_line") >"$E2E_WORK/$_e_cname.log" 2>&1 &
  _e_bg=$!
  _e_i=0
  while [ $_e_i -lt 60 ]; do
    if eval "$_e_ready" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$_e_bg" 2>/dev/null; then
      echo "container $_e_cname ended before it was ready; its output:" >&2
      sed 's/^/  | /' "$E2E_WORK/$_e_cname.log" >&2
      return 1
    fi
    sleep 0.5
    _e_i=$((_e_i + 1))
  done
  echo "container $_e_cname not ready after 30 s; its output:" >&2
  sed 's/^/  | /' "$E2E_WORK/$_e_cname.log" >&2
  return 1
}

# e2e_http URL TAG: GET URL into $E2E_WORK/TAG.status (HTTP status, 000 when no answer) and TAG.body.
e2e_http() {
  curl -sS --max-time 10 -o "$E2E_WORK/$2.body" -w '%{http_code}' "$1" >"$E2E_WORK/$2.status" 2>/dev/null \
    || echo 000 >"$E2E_WORK/$2.status"
}

# e2e_container_users NAME: the users of container NAME's processes (host view), sorted, one line.
e2e_container_users() {
  podman top "$1" user 2>/dev/null | tail -n +2 | sort -u | tr '\n' ' '
}

# e2e_json FILE EXPR: a value of the JSON document FILE, EXPR a python expression over `j`, printed as JSON.
e2e_json() {
  python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
print(json.dumps($2, sort_keys=True))" "$1"
}

# e2e_hardening_slim ARG...: `whittle slim $E2E_SLIM_SRC -o $E2E_SLIM_DST --artifacts $E2E_WORK/art ARG...`
# (the hardening suites' one slim, default options otherwise; source default $E2E_IMG_OCI, output default
# oci:$E2E_WORK/slim:latest); prints its summary and the seconds it took; exits the suite (fail) when slim
# fails, with its stderr, since nothing is left to check. A docker-archive output is also copied by skopeo
# to oci:$E2E_WORK/slim:latest for the layout checks.
e2e_hardening_slim() {
  : "${E2E_SLIM_SRC:=$E2E_IMG_OCI}" "${E2E_SLIM_DST:=oci:$E2E_WORK/slim:latest}"
  e2e_log "whittle slim $E2E_SLIM_SRC $*"
  _e_t0=$(date +%s.%N)
  _e_rc=0
  "$WHITTLE" slim "$E2E_SLIM_SRC" -o "$E2E_SLIM_DST" --artifacts "$E2E_WORK/art" "$@" \
    >"$E2E_WORK/slim.out" 2>"$E2E_WORK/slim.err" || _e_rc=$?
  E2E_SLIM_SECONDS=$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" \
    "$_e_t0" "$(date +%s.%N)")
  e2e_log "slim took $E2E_SLIM_SECONDS s, exit $_e_rc"
  cat "$E2E_WORK/slim.out"
  if [ "$_e_rc" != 0 ]; then
    sed 's/^/  slim stderr | /' "$E2E_WORK/slim.err" | tail -n 60 >&2
    e2e_fail "whittle slim (default options) exited $_e_rc on $E2E_IMG_NAME"
  fi
  case $E2E_SLIM_DST in
    docker-archive:*)
      skopeo copy -q "$E2E_SLIM_DST" "oci:$E2E_WORK/slim:latest" \
        || e2e_fail "skopeo cannot read the slimmed docker-archive $E2E_SLIM_DST"
      ;;
  esac
}

# e2e_hardening_checks: what every hardening suite asserts after e2e_hardening_slim, with independent tools
# (python's digest walk, umoci unpack into $E2E_WORK/bundle, skopeo inspect): the layout, a non-root User in
# the config that run-flags.txt repeats, every constraint of the run line (read-only, no capabilities,
# no-new-privileges, the seccomp profile), securitycontext.yaml saying the same, the config carried over,
# and report.json naming the candidate users tried in order (65532:65532 first) and keeping the first
# that verified.
e2e_hardening_checks() {
  _e_w=$E2E_WORK
  e2e_check "slimmed layout verified (digests, sizes, diff_ids, tar)" e2e_verify_layout "$_e_w/slim" latest
  e2e_check "umoci unpack of the slimmed image" \
    sh -c 'umoci unpack --image "$1:latest" "$2" >/dev/null' - "$_e_w/slim" "$_e_w/bundle"
  for _e_f in report.json run-flags.txt securitycontext.yaml seccomp.json; do
    e2e_check "artifact $_e_f written (syscall recording is on by default)" test -s "$_e_w/art/$_e_f"
  done
  echo "run-flags.txt:"
  sed 's/^/  | /' "$_e_w/art/run-flags.txt" 2>/dev/null || true
  for _e_what in read-only cap-drop-all no-new-privileges seccomp non-root; do
    e2e_check "run-flags.txt: $_e_what" e2e_run_line_has "$_e_w/art" "$_e_what"
  done
  _e_user=$(e2e_config_field "oci:$_e_w/slim:latest" 'c["config"].get("User", "")' | tr -d '"')
  E2E_SLIM_USER=$_e_user
  e2e_check "config User is non-root ($_e_user)" sh -c 'case ${1%%:*} in ""|0|root) exit 1;; esac' - "$_e_user"
  e2e_check "run-flags.txt runs the config's User ($_e_user)" \
    grep -Eq -- "--user[= ]'?$_e_user'?( |\$)" "$_e_w/art/run-flags.txt"
  e2e_check "securitycontext.yaml: runAsNonRoot, readOnlyRootFilesystem, no escalation, Localhost seccomp" \
    python3 -c '
import sys
t = open(sys.argv[1]).read()
for want in ("runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false",
             "type: Localhost"):
    assert want in t, want
' "$_e_w/art/securitycontext.yaml"
  # The raw config blobs (skopeo inspect --config drops what the OCI struct lacks, Healthcheck included).
  _e_keys='{k: c["config"].get(k) for k in ("Cmd", "Entrypoint", "Env", "WorkingDir", "ExposedPorts", "Volumes", "StopSignal", "Healthcheck")}'
  e2e_check "Cmd, Entrypoint, Env, WorkingDir, ExposedPorts, Volumes, StopSignal, Healthcheck carried over" \
    test "$(e2e_raw_config_field "$E2E_SLIM_DST" "$_e_keys")" = "$(e2e_raw_config_field "$E2E_SLIM_SRC" "$_e_keys")"
  e2e_check "the original's labels carried over" python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]) or {}, json.loads(sys.argv[2]) or {}
assert all(b.get(k) == v for k, v in a.items()), (a, b)
' "$(e2e_raw_config_field "$E2E_SLIM_SRC" 'c["config"].get("Labels")')" \
    "$(e2e_raw_config_field "$E2E_SLIM_DST" 'c["config"].get("Labels")')"
  e2e_check "report.json: the user is non-root" python3 -c '
import json, sys
u = json.load(open(sys.argv[1]))["user"]
print("report user: %s" % json.dumps(u))
assert u.get("non_root") is True, u
' "$_e_w/art/report.json"
  e2e_check "report.json: candidates tried in order, 65532:65532 first, the first that verified kept" \
    e2e_report_candidates "$_e_w/art/report.json" "$_e_user"
}

# e2e_raw_config_field REF EXPR: like e2e_config_field, over the config blob exactly as stored (REF is
# oci:DIR[:TAG] or docker-archive:FILE[:...]), read without skopeo, which rewrites it into its OCI struct.
e2e_raw_config_field() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys, tarfile
ref, expr = sys.argv[1], sys.argv[2]
kind, rest = ref.split(":", 1)
if kind == "oci":
    d, _, tag = rest.partition(":")
    idx = json.load(open(os.path.join(d, "index.json")))["manifests"]
    m = [x for x in idx if not tag or x.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]
    blob = lambda dg: open(os.path.join(d, "blobs", *dg.split(":", 1)), "rb").read()
    c = json.loads(blob(json.loads(blob(m["digest"]))["config"]["digest"]))
elif kind == "docker-archive":
    with tarfile.open(rest.split(":", 1)[0]) as t:
        c = json.load(t.extractfile(json.load(t.extractfile("manifest.json"))[0]["Config"]))
else:
    sys.exit(f"e2e_raw_config_field: {ref}: only oci: and docker-archive:")
print(json.dumps(eval(expr), sort_keys=True))
PY
}

# e2e_report_candidates REPORT USER: prints the candidate users REPORT says slim tried (with each result
# and reason) and checks: at least one, the first is 65532:65532, USER is the first one that verified and
# every one before it has a reason for failing.
e2e_report_candidates() {
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
kept = sys.argv[2]
def find(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "candidates" and isinstance(v, list):
                return v
            f = find(v)
            if f is not None:
                return f
    elif isinstance(o, list):
        for v in o:
            f = find(v)
            if f is not None:
                return f
    return None
cands = find(r)
assert cands, "report.json names no candidates"
def user(c):
    return str(c.get("user", c.get("candidate", "")))
def passed(c):
    for k in ("verified", "ok", "passed"):
        if k in c:
            return bool(c[k])
    return str(c.get("result", c.get("outcome", ""))).lower() in ("ok", "verified", "pass", "passed", "kept")
for c in cands:
    print("  candidate %s: %s" % (user(c), json.dumps(c, sort_keys=True)))
assert user(cands[0]) == "65532:65532", "first candidate is %r" % user(cands[0])
first_ok = next((c for c in cands if passed(c)), None)
assert first_ok is not None, "no candidate verified"
assert user(first_ok) == kept, "kept %r, the first that verified is %r" % (kept, user(first_ok))
for c in cands[: cands.index(first_ok)]:
    why = c.get("differences") or c.get("reason") or c.get("why") or c.get("error") or c.get("note")
    assert why, "candidate %r failed without a reason" % user(c)
PY
}

# e2e_kept_by_reason REASON: the paths report.json counts under kept_by_reason REASON (0 when absent).
e2e_kept_by_reason() {
  python3 -c '
import json, sys
k = json.load(open(sys.argv[1])).get("kept_by_reason", {}).get(sys.argv[2]) or {}
print(k.get("paths", 0) if isinstance(k, dict) else len(k))' "$E2E_WORK/art/report.json" "$1"
}

# e2e_image_bytes DIR|FILE: total bytes of an image as stored (a layout directory or an archive).
e2e_image_bytes() {
  du -sb "$1" | cut -f1
}

# e2e_uncompressed_bytes OCI_DIR: the sum of the uncompressed sizes of the layers of oci:OCI_DIR.
e2e_uncompressed_bytes() {
  _e_total=0
  for _e_blob in $(skopeo inspect --raw "oci:$1" | python3 -c '
import json, sys
for l in json.load(sys.stdin)["layers"]:
    print(l["digest"].split(":")[1])'); do
    _e_f=$1/blobs/sha256/$_e_blob
    case $(head -c4 "$_e_f" | od -An -tx1 | tr -d ' ') in
      28b52ffd) _e_n=$(zstdcat "$_e_f" | wc -c) ;;
      *) _e_n=$(zcat -f "$_e_f" | wc -c) ;;
    esac
    _e_total=$((_e_total + _e_n))
  done
  echo "$_e_total"
}

# e2e_verify_layout DIR [TAG]: checks an OCI layout with independent tools only (sha256sum, zcat, zstdcat,
# tar): index -> manifest -> config, every blob's digest and size, every layer's media type, its
# decompressed stream against the config's diff_id, and that each layer is a readable tar. Prints the
# manifest digest on success (stdout); messages go to stderr.
e2e_verify_layout() {
  python3 - "$1" "${2:-}" <<'PY'
import hashlib, json, os, subprocess, sys

root, tag = sys.argv[1], sys.argv[2]

def fail(msg):
    print(f"verify {root}: {msg}", file=sys.stderr)
    sys.exit(1)

def blob(desc):
    algo, hexd = desc["digest"].split(":", 1)
    path = os.path.join(root, "blobs", algo, hexd)
    data_hash = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            data_hash.update(chunk)
            size += len(chunk)
    if algo != "sha256" or data_hash.hexdigest() != hexd:
        fail(f"blob {desc['digest']}: content digest is sha256:{data_hash.hexdigest()}")
    if size != desc["size"]:
        fail(f"blob {desc['digest']}: size {size}, descriptor says {desc['size']}")
    return path

with open(os.path.join(root, "oci-layout")) as f:
    if json.load(f).get("imageLayoutVersion") != "1.0.0":
        fail("oci-layout: imageLayoutVersion is not 1.0.0")
with open(os.path.join(root, "index.json")) as f:
    index = json.load(f)
mans = index["manifests"]
if tag:
    mans = [m for m in mans if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
if len(mans) != 1:
    fail(f"index.json: {len(mans)} manifests for tag {tag!r}")
mdesc = mans[0]
with open(blob(mdesc), "rb") as f:
    manifest = json.load(f)
with open(blob(manifest["config"]), "rb") as f:
    config = json.load(f)
diff_ids = config["rootfs"]["diff_ids"]
if len(diff_ids) != len(manifest["layers"]):
    fail(f"{len(manifest['layers'])} layers but {len(diff_ids)} diff_ids")
decoders = {
    "application/vnd.oci.image.layer.v1.tar": ["cat"],
    "application/vnd.oci.image.layer.v1.tar+gzip": ["zcat"],
    "application/vnd.oci.image.layer.v1.tar+zstd": ["zstdcat"],
    "application/vnd.docker.image.rootfs.diff.tar.gzip": ["zcat"],
}
for layer, diff_id in zip(manifest["layers"], diff_ids):
    path = blob(layer)
    dec = decoders.get(layer["mediaType"])
    if dec is None:
        fail(f"layer {layer['digest']}: media type {layer['mediaType']}")
    with open(path, "rb") as f:
        p = subprocess.Popen(dec, stdin=f, stdout=subprocess.PIPE)
        t = subprocess.Popen(["tar", "-t", "-f", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        h = hashlib.sha256()
        for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
            h.update(chunk)
            t.stdin.write(chunk)
        t.stdin.close()
        if p.wait() != 0:
            fail(f"layer {layer['digest']}: {dec[0]} failed")
        if t.wait() != 0:
            fail(f"layer {layer['digest']}: not a readable tar")
    if "sha256:" + h.hexdigest() != diff_id:
        fail(f"layer {layer['digest']}: uncompressed sha256:{h.hexdigest()} != diff_id {diff_id}")
print(mdesc["digest"])
PY
}

# e2e_config_field REF EXPR: a value of the image config of REF (skopeo syntax), EXPR a python expression
# over `c` (the config JSON), printed as JSON.
e2e_config_field() {
  skopeo inspect --config "$1" | python3 -c "
import json, sys
c = json.load(sys.stdin)
print(json.dumps($2, sort_keys=True))"
}

# Rootless mode (WHITTLE_E2E_USER, tests/e2e/run_rootless.sh): only whittle runs as the unprivileged user;
# the suite, podman, skopeo and umoci stay root. These hooks are no-ops otherwise.

# e2e_rootless_workdir: gives $E2E_WORK to the user (whittle writes its outputs there; root reads them).
e2e_rootless_workdir() {
  [ -n "${WHITTLE_E2E_USER:-}" ] || return 0
  chown "$WHITTLE_E2E_USER:" "$E2E_WORK" || e2e_fail "chown $E2E_WORK to $WHITTLE_E2E_USER"
}

# e2e_rootless_image: points E2E_IMG_OCI(_DIR) at a copy of the image's OCI layout inside $E2E_WORK (hard
# links where the filesystem allows), so the user reads it even when the cache lies below a directory it
# cannot traverse (a repository under /root). The files stay root's and read-only to the user.
e2e_rootless_image() {
  [ -n "${WHITTLE_E2E_USER:-}" ] || return 0
  [ -n "${E2E_WORK:-}" ] || e2e_fail "rootless mode: call e2e_workdir before building an image"
  _e_copy=$E2E_WORK/images/$(basename "$E2E_IMG_DIR")
  if [ ! -d "$_e_copy/oci" ]; then
    mkdir -p "$_e_copy" && chmod 755 "$E2E_WORK/images" "$_e_copy" || e2e_fail "mkdir $_e_copy"
    cp -al "$E2E_IMG_OCI_DIR" "$_e_copy/oci" 2>/dev/null || cp -a "$E2E_IMG_OCI_DIR" "$_e_copy/oci" ||
      e2e_fail "copy $E2E_IMG_OCI_DIR for $WHITTLE_E2E_USER"
  fi
  E2E_IMG_OCI_DIR=$_e_copy/oci
  E2E_IMG_OCI=oci:$E2E_IMG_OCI_DIR:latest
}
