#!/bin/bash
# Checks that every tracked C++ file is formatted as .clang-format says (clang-format --dry-run -Werror):
# lists the files that are not and exits 1. With --fix, formats them in place instead (`make format`),
# so the check and the fix always cover the same files.
# Usage: scripts/check-format.sh [--fix]   (CLANG_FORMAT=... picks the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null; then
  echo "check-format: $clang_format is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
mapfile -d '' files < <(git ls-files -z '*.cpp' '*.hpp')
if [ ${#files[@]} = 0 ]; then
  echo "check-format: no tracked *.cpp/*.hpp files (not a git checkout?)" >&2
  exit 1
fi
if [ "${1:-}" = --fix ]; then
  printf '%s\0' "${files[@]}" | xargs -0 "$clang_format" -i
  exit
fi
# One clang-format per batch of files; its diagnostics name file:line, of which only the files are kept.
out=$(printf '%s\0' "${files[@]}" | xargs -0 "$clang_format" --dry-run -Werror 2>&1) && rc=0 || rc=$?
if [ "$rc" = 0 ]; then
  echo "check-format: ${#files[@]} files formatted ($("$clang_format" --version))"
  exit 0
fi
bad=$(sed -nE 's/^([^:]+):[0-9]+:[0-9]+: error: .*clang-format-violations.*/\1/p' <<<"$out" | sort -u)
if [ -z "$bad" ]; then
  echo "$out" >&2 # clang-format failed for another reason (a bad .clang-format, say)
  exit 1
fi
echo "check-format: $(wc -l <<<"$bad") of ${#files[@]} files are not formatted ($("$clang_format" --version)); run \`make format\`:" >&2
sed 's/^/  /' <<<"$bad" >&2
exit 1
