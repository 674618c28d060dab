#!/usr/bin/env bash
# Style and static checks: clang-format must leave every C++ file unchanged, and clang-tidy
# (checks in .clang-tidy) must find nothing in the production sources. Needs build/ for the
# compile database (scripts/build.sh release makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t cxx < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp')
if ! clang-format-14 --dry-run --Werror "${cxx[@]}"; then
  echo "lint: run clang-format-14 -i on the files above" >&2
  exit 1
fi
mapfile -t sources < <(git ls-files 'src/*.cpp' | grep -v '_test\.cpp$')
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy-14 -p build --quiet 2>&1 \
  | grep -E '^(/|error|warning)' | grep -v '^Suppressed' | tee /tmp/caredesk-tidy.log || true
if grep -qE '(warning|error):' /tmp/caredesk-tidy.log; then
  echo "lint: clang-tidy found problems" >&2
  exit 1
fi
echo "lint: clean"
