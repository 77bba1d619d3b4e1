#!/bin/bash
# The attacker suite (tests/hostile/test_attacks.cpp, tag [attack]) and the hostile-image corpus
# (test_corpus.cpp and test_profiles.cpp, tag [hostile]) as unprivileged users, the way a build engineer runs
# whittle rootless: one user with a subordinate id range in /etc/subuid and /etc/subgid
# (newuidmap/newgidmap map the image's ids to it), and one without (the single-id fallback). Run as root:
# it creates both users, runs copies of the binaries from a directory they can read, and removes the users,
# their ranges and the directory afterwards, also when a run fails. Cases tagged [root] need root on the
# host for their canary (a loop device, a tmpfs mount) and are left out by the Catch2 filter, as are the
# [interrupted] cases (they look for mounts and processes a killed root run leaves). The corpus runs as the
# user with a range only.
#
# Usage: run_rootless.sh WHITTLE TESTS_HOSTILE ATTACKER TRACEE PROFILES_DIR [CATCH2 ARGS...]
# Exit: 0 both runs passed; 1 a run failed; 77 skipped (not root, or a tool missing: WHITTLE-SKIP).
set -uo pipefail

if [ $# -lt 5 ]; then
  echo "usage: $0 WHITTLE TESTS_HOSTILE ATTACKER TRACEE PROFILES_DIR [CATCH2 ARGS...]" >&2
  exit 2
fi
whittle=$1
tests=$2
attacker=$3
tracee=$4
profiles=$5
shift 5
# The corpus runs as the user with a range only (the mode rootless whittle is meant for; it takes about as
# long as the attacker suite), the attacker suite as both.
catch_args=("[attack]~[root],[hostile]~[interrupted]" --durations yes)
single_args=("[attack]~[root]" --durations yes)
if [ $# -gt 0 ]; then
  catch_args=("$@")
  single_args=("$@")
fi

# shellcheck source=tests/support/rootless_users.sh
. "$(cd "$(dirname "$0")/.." && pwd)/support/rootless_users.sh"
# PROBE: creating users needs root; CI runs this as root, where .ci/run fails on the skip marker.
rootless_probe run_rootless.sh

# SETUP
root=$(mktemp -d /tmp/whittle-rootless-XXXXXX) || exit 1
ranged=whittle-sub-$$
single=whittle-one-$$
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
  rootless_remove_users
  if [ "${WHITTLE_KEEP_ROOTLESS:-0}" = 1 ]; then
    echo "run_rootless: kept $root"
  else
    rm -rf "$root"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

chmod 755 "$root"
mkdir -p "$root/bin"
cp "$whittle" "$root/bin/whittle" && cp "$tests" "$root/bin/whittle_tests_hostile" &&
  cp "$attacker" "$root/bin/attacker" && cp "$tracee" "$root/bin/tracee" && cp -r "$profiles" "$root/profiles" || exit 1
chmod -R a+rX "$root/bin" "$root/profiles"

for u in "$ranged" "$single"; do
  rootless_add_user "$u" "$root/home-$u" || exit 1
done
rootless_add_range "$ranged" || exit 1
range=$ROOTLESS_RANGE

run_as() {
  local u=$1 what=$2 home=$root/home-$1
  shift 2
  echo "== whittle_tests_hostile $1 as $u (uid $(id -u "$u"), $what)"
  (cd "$home" && runuser -u "$u" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME="$home" TMPDIR="$home" LANG=C.UTF-8 USER="$u" LOGNAME="$u" \
    WHITTLE_CI="${WHITTLE_CI:-}" ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
    WHITTLE_TEST_BINARY="$root/bin/whittle" WHITTLE_TEST_ATTACKER="$root/bin/attacker" \
    WHITTLE_TEST_TRACEE="$root/bin/tracee" \
    WHITTLE_PROFILES_DIR="$root/profiles" \
    "$root/bin/whittle_tests_hostile" "$@")
}

status=0
run_as "$ranged" "subordinate ids $range" "${catch_args[@]}" || status=1
run_as "$single" "no subordinate ids: the single-id fallback" "${single_args[@]}" || status=1
exit $status
