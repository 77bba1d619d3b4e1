#!/bin/bash
# An e2e suite (tests/e2e/test_*.sh) with whittle run by an unprivileged user, the way a build engineer
# runs it rootless: the user has a subordinate id range in /etc/subuid and /etc/subgid (newuidmap and
# newgidmap map the image's ids to it). Only whittle changes user: the suite itself, podman, skopeo, umoci
# and the image cache stay root's, so the same checks judge whittle's output. $WHITTLE becomes a wrapper
# that runs a copy of the binary as that user (runuser), and lib.sh (WHITTLE_E2E_USER) gives the suite's
# work directory to the user and links each image's OCI layout into it. Run as root: it creates the user,
# its range and a directory of its own, and removes them afterwards, also when the suite fails.
#
# Usage: run_rootless.sh SUITE    (SUITE: a name such as test_trace_python, or the script's path)
# Environment: as for the suites (WHITTLE, WHITTLE_SRC, WHITTLE_E2E_CACHE; see lib.sh).
# Exit: the suite's (0 pass, 1 fail, 77 skipped); 77 too when not root or a tool is missing (WHITTLE-SKIP).
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 SUITE" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
suite=$1
case $suite in
  */*) ;;
  *.sh) suite=$here/$suite ;;
  *) suite=$here/$suite.sh ;;
esac
[ -f "$suite" ] || { echo "run_rootless: no suite $suite" >&2; exit 2; }
: "${WHITTLE_SRC:=$(cd "$here/../.." && pwd)}"
: "${WHITTLE:=$WHITTLE_SRC/build/whittle}"
[ -x "$WHITTLE" ] || { echo "run_rootless: no whittle binary at $WHITTLE (set WHITTLE)" >&2; exit 1; }

# shellcheck source=tests/support/rootless_users.sh
. "$here/../support/rootless_users.sh"
# PROBE: creating a user needs root; CI runs this as root, where .ci/run fails on the skip marker.
rootless_probe run_rootless.sh

# SETUP: a directory every user may traverse, holding the binary, the slim rules, the user's home and
# a sticky temp directory (the suite's work directory and whittle's own are made there).
root=$(mktemp -d /tmp/whittle-e2e-rootless-XXXXXX) || exit 1
user=whittle-e2e-$$
keep=0 # set when the suite failed: its work directory (under $root) is kept for a look
# shellcheck disable=SC2317 # called through the EXIT trap
cleanup() {
  rootless_remove_users
  if [ "${WHITTLE_E2E_KEEP:-0}" = 1 ] || [ "$keep" = 1 ]; then
    echo "run_rootless: kept $root"
  else
    rm -rf "$root"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

chmod 755 "$root"
mkdir -p "$root/bin" "$root/tmp" || exit 1
chmod 1777 "$root/tmp"
cp "$WHITTLE" "$root/bin/whittle" && cp -r "$WHITTLE_SRC/profiles" "$root/profiles" || exit 1
chmod -R a+rX "$root/bin" "$root/profiles"

rootless_add_user "$user" "$root/home" || exit 1
rootless_add_range "$user" || exit 1
range=$ROOTLESS_RANGE

# The wrapper the suite calls as $WHITTLE: the rest of the suite's environment passes through. Each call
# notes the uid whittle ran as, checked below.
touch "$root/ran-as" && chown "$user:" "$root/ran-as" || exit 1
cat >"$root/bin/whittle-as-user" <<EOF
#!/bin/sh
exec runuser -u '$user' -- env HOME='$root/home' USER='$user' LOGNAME='$user' \\
  WHITTLE_PROFILES_DIR='$root/profiles' sh -c 'id -u >>"\$0" && exec "\$@"' '$root/ran-as' \\
  '$root/bin/whittle' "\$@"
EOF
chmod 755 "$root/bin/whittle-as-user"

echo "== $(basename "$suite") with whittle as $user (uid $(id -u "$user"), subordinate ids $range)"
WHITTLE=$root/bin/whittle-as-user WHITTLE_E2E_USER=$user WHITTLE_SRC=$WHITTLE_SRC TMPDIR=$root/tmp \
  sh "$suite"
status=$?
# Every whittle the suite ran was the user's (and there was at least one).
uid=$(id -u "$user")
calls=$(wc -l <"$root/ran-as")
others=$(grep -cvx "$uid" "$root/ran-as")
echo "run_rootless: whittle ran $calls time(s) as uid $uid, $others time(s) as another uid"
if [ "$status" = 0 ] && { [ "$calls" = 0 ] || [ "$others" != 0 ]; }; then
  status=1
fi
if [ "$status" != 0 ] && [ "$status" != 77 ]; then
  keep=1
fi
exit $status
