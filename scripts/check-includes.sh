#!/bin/bash
# Fails when a file of one pipeline stage includes a header of a stage it may not use (ARCHITECTURE.md:
# each stage uses only the stages below it). Prints file:line and the include for each, exit 1.
# The order is CMake's: each STAGE:DEP,DEP argument is one whittle_module call and its whittle_* DEPS
# (CMakeLists.txt passes them), so the check and the link graph cannot disagree. Checked: every file
# under ROOT/src/<stage>/ and ROOT/include/whittle/<stage>/, both `<whittle/<stage>/...>` includes and
# quoted ones (resolved against the including file's directory, so `"../cli/x.hpp"` counts too).
# Usage: check-includes.sh ROOT STAGE:DEPS... (e.g. util: archive:util oci:archive,util)
set -euo pipefail
root=${1:?usage: check-includes.sh ROOT STAGE:DEPS...}
shift
root=$(cd "$root" && pwd)

declare -A deps=()
for arg in "$@"; do
  deps[${arg%%:*}]=${arg#*:}
done
[ ${#deps[@]} -gt 0 ] || { echo "check-includes: no stages given" >&2; exit 2; }

# What a stage may include: itself and its dependencies, transitively (CMake's DEPS are PUBLIC).
declare -A allowed=()
for stage in "${!deps[@]}"; do
  reach=" $stage "
  todo=${deps[$stage]//,/ }
  while [ -n "${todo// /}" ]; do
    read -r next todo <<<"$todo"
    [[ $reach == *" $next "* ]] && continue
    reach+="$next "
    todo+=" ${deps[$next]:-}"
    todo=${todo//,/ }
  done
  allowed[$stage]=$reach
done

# Sets `stage` to the stage a path under ROOT belongs to, or to nothing (src/main.cpp, system headers).
# No subshells: this runs for every include in the tree.
stage_of() {
  stage=
  case $1 in
    src/*/*) stage=${1#src/} ;;
    include/whittle/*/*) stage=${1#include/whittle/} ;;
  esac
  stage=${stage%%/*}
}

bad=0
cd "$root"
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  text=${rest#*:}
  stage_of "$file"
  from=$stage
  [ -n "$from" ] || continue
  if [ -z "${allowed[$from]:-}" ]; then
    echo "$file:$line: stage '$from' is not one of the stages CMake declares (${!deps[*]})" >&2
    bad=1
    continue
  fi
  to=
  if [[ $text =~ \#[[:space:]]*include[[:space:]]*\<whittle/([^/>]+)/ ]]; then
    to=${BASH_REMATCH[1]}
  elif [[ $text =~ \#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
    # Lexically resolved (realpath -m): the header need not exist for the include to be wrong.
    target=$(realpath -m --relative-to="$root" "$(dirname "$file")/${BASH_REMATCH[1]}")
    stage_of "$target"
    to=$stage
  fi
  if [ -n "$to" ] && [[ ${allowed[$from]} != *" $to "* ]]; then
    echo "$file:$line: stage '$from' includes stage '$to', which it may not use (it may use:${allowed[$from]% }): ${text#"${text%%[![:space:]]*}"}" >&2
    bad=1
  fi
done < <(grep -rnE --include='*.cpp' --include='*.hpp' --include='*.h' --include='*.c' \
  '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' src include 2>/dev/null | LC_ALL=C sort -t: -k1,1 -k2,2n)
exit $bad
