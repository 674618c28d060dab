#!/usr/bin/env bash
# Scans logs for the test data's patient information (tests/phi-needles.txt) and fails, naming
# the needle and the file, when any appears: no PHI in logs, errors, URLs or metric labels.
# scripts/test.sh runs it over everything the test suite printed (ctest's LastTest.log holds
# every test's stdout and stderr, server logs included). It checks itself first: a planted
# needle must be found.
#   scripts/phi-scan.sh LOG...
set -euo pipefail
cd "$(dirname "$0")/.."
needles=tests/phi-needles.txt
[ "$#" -gt 0 ] || { echo "usage: $0 LOG..." >&2; exit 2; }

scan() {  # FILE: prints "needle<TAB>count" for each needle found; exit 1 if any
  local file=$1 found=0 needle count
  while IFS= read -r needle; do
    [[ -z "$needle" || "$needle" == \#* ]] && continue
    count=$(grep -cF -- "$needle" "$file" || true)
    if [ "$count" -gt 0 ]; then
      printf '%s\t%s\n' "$needle" "$count"
      found=1
    fi
  done <"$needles"
  return "$found"
}

planted=$(mktemp)
trap 'rm -f "$planted"' EXIT
echo '{"level":"info","event":"http_request","note":"Zebulon"}' >"$planted"
if scan "$planted" >/dev/null; then
  echo "phi-scan: the self-check found nothing in a planted log; the scanner is broken" >&2
  exit 1
fi

status=0
for log in "$@"; do
  [ -s "$log" ] || { echo "phi-scan: $log is missing or empty" >&2; status=1; continue; }
  if ! hits=$(scan "$log"); then
    echo "phi-scan: patient information in $log:" >&2
    echo "$hits" | sed 's/^/  /' >&2
    status=1
  else
    echo "phi-scan: $log: clean ($(wc -l <"$log") lines, $(grep -vc '^#' "$needles") needles)"
  fi
done
exit "$status"
