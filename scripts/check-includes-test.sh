#!/bin/bash
# Test of check-includes.sh: on a small tree with the stage order of CMakeLists.txt, allowed includes
# pass, and each planted upward include (angle, quoted through "..", in a header, in an undeclared
# stage) fails the check naming its file and line.
# Usage: check-includes-test.sh STAGE:DEPS... (the arguments CMake gives check-includes.sh)
set -euo pipefail
check=$(cd "$(dirname "$0")" && pwd)/check-includes.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "check-includes-test: $*" >&2
  exit 1
}

base=$tmp/base
mkdir -p "$base/src/util" "$base/src/oci" "$base/src/slim" "$base/include/whittle/oci"
printf '#include <string>\n#include <whittle/util/error.hpp>\n' >"$base/src/util/a.cpp"
printf '#include "json_util.hpp"\n#include <whittle/archive/tar_reader.hpp>\n#include <whittle/util/x.hpp>\n' \
  >"$base/src/oci/b.cpp"
printf '#pragma once\n#include <whittle/util/error.hpp>\n' >"$base/include/whittle/oci/c.hpp"
printf '#include <whittle/trace/profile.hpp>\n#include <whittle/rootfs/tree.hpp>\n' >"$base/src/slim/d.cpp"
printf 'int main() {}\n' >"$base/src/main.cpp"
"$check" "$base" "$@" || fail "a tree with allowed includes only was refused"

# One violation at a time, in a fresh copy: TEXT inserted as line LINE of FILE must fail the check, and
# the report must name FILE:LINE.
plant() {
  local file=$1 line=$2 text=$3
  shift 3
  local copy=$tmp/planted out
  rm -rf "$copy" && cp -r "$base" "$copy"
  mkdir -p "$(dirname "$copy/$file")" && touch "$copy/$file"
  awk -v n="$line" -v t="$text" 'NR == n { print t } { print } END { if (NR < n) print t }' \
    "$copy/$file" >"$copy/in" && mv "$copy/in" "$copy/$file"
  [ "$(sed -n "${line}p" "$copy/$file")" = "$text" ] || fail "could not plant '$text' at $file:$line"
  if out=$("$check" "$copy" "$@" 2>&1); then
    fail "planted '$text' at $file:$line was not caught"
  fi
  grep -qF "$file:$line:" <<<"$out" || fail "the report does not name $file:$line: $out"
  echo "caught: $out"
}
plant src/util/a.cpp 2 '#include <whittle/cli/run.hpp>' "$@"
plant src/oci/b.cpp 3 '  #  include <whittle/slim/elf.hpp>' "$@"
plant include/whittle/oci/c.hpp 2 '#include "../../../src/rootfs/tree.hpp"' "$@"
plant src/oci/b.cpp 1 '#include "../trace/profile.hpp"' "$@"
plant src/util/a.cpp 1 '#include <whittle/oci/manifest.hpp>' "$@"
plant src/newstage/e.cpp 1 '#include <whittle/util/error.hpp>' "$@"
echo "check-includes-test: every planted violation was caught"
