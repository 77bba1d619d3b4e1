# shellcheck shell=bash
# Sourced by tests/hostile/run_rootless.sh and tests/e2e/run_rootless.sh: the unprivileged users those
# wrappers run whittle as, the way a build engineer runs it rootless, made before a run and removed after it
# (also when the run fails: call rootless_remove_users from the EXIT trap).

# Users made so far, each as NAME or NAME:RANGE (with its subordinate range).
ROOTLESS_MADE=()

# rootless_probe WHAT: exits 77 with a WHITTLE-SKIP line unless this runs as root with the user tools
# (.ci/run, which runs as root, fails on the marker). WHAT says what needs the users.
rootless_probe() {
  if [ "$(id -u)" != 0 ]; then
    echo "WHITTLE-SKIP: $1 creates its own unprivileged test users and needs root for that"
    exit 77
  fi
  local tool
  for tool in useradd usermod userdel runuser newuidmap newgidmap; do
    if ! command -v "$tool" >/dev/null; then
      echo "WHITTLE-SKIP: $tool is missing (scripts/install-deps.sh installs uidmap; passwd and util-linux are base)"
      exit 77
    fi
  done
}

# rootless_add_user NAME HOME: a system user and group NAME whose home HOME is made, owned by it, mode 700.
rootless_add_user() {
  if ! useradd --system --no-create-home --home-dir "$2" --shell /usr/sbin/nologin --user-group "$1"; then
    echo "rootless: useradd $1 failed" >&2
    return 1
  fi
  ROOTLESS_MADE+=("$1")
  mkdir -p "$2" && chown "$1:" "$2" && chmod 700 "$2"
}

# rootless_add_range NAME: gives NAME 65536 subordinate uids and gids above every range already given out
# (and above the first million ids), and sets ROOTLESS_RANGE to it (FIRST-LAST).
rootless_add_range() {
  local start
  start=$(cat /etc/subuid /etc/subgid 2>/dev/null |
    awk -F: 'BEGIN { m = 1000000 } NF >= 3 { e = $2 + $3; if (e > m) m = e } END { printf "%d\n", m }')
  start=$(((start + 65535) / 65536 * 65536))
  ROOTLESS_RANGE="$start-$((start + 65535))"
  if ! usermod --add-subuids "$ROOTLESS_RANGE" --add-subgids "$ROOTLESS_RANGE" "$1"; then
    echo "rootless: usermod --add-subuids $ROOTLESS_RANGE $1 failed" >&2
    return 1
  fi
  local i
  for i in "${!ROOTLESS_MADE[@]}"; do
    if [ "${ROOTLESS_MADE[$i]}" = "$1" ]; then
      ROOTLESS_MADE[i]="$1:$ROOTLESS_RANGE"
    fi
  done
}

# rootless_remove_users: removes every user made above, with its subordinate range.
rootless_remove_users() {
  local u
  for u in "${ROOTLESS_MADE[@]}"; do
    case $u in
      *:*) usermod --del-subuids "${u#*:}" --del-subgids "${u#*:}" "${u%%:*}" 2>/dev/null ;;
    esac
    userdel -f "${u%%:*}" 2>/dev/null
  done
  ROOTLESS_MADE=()
}
