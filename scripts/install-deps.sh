#!/bin/sh
# Installs every Debian package whittle needs to build, test, demo and benchmark.
# Idempotent: only missing packages are installed; apt-get update runs only when needed.
set -eu
BUILD="build-essential cmake pkg-config libarchive-dev libzstd-dev zlib1g-dev nlohmann-json3-dev
 libboost-filesystem-dev catch2 libssl-dev libseccomp-dev libisal-dev"
RUNTIME="podman runc skopeo umoci mmdebstrap hyperfine strace uidmap fuse-overlayfs zstd pigz python3 python3-yaml time curl
 clang-format"
want="$BUILD"
case "${1:-all}" in
  build) ;;
  all) want="$BUILD $RUNTIME" ;;
esac
missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install)" >&2
    exit 1
  fi
  echo "install-deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# podman on these machines needs runc, cgroupfs and ulimits within the hard limits.
if [ "$want" != "$BUILD" ] && [ "$(id -u)" = 0 ]; then
  conf=/etc/containers/containers.conf
  if ! grep -q 'whittle' "$conf" 2>/dev/null; then
    mkdir -p /etc/containers
    cat > "$conf" <<'CONF'
# written by whittle's scripts/install-deps.sh
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  fi
fi
