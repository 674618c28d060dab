#!/usr/bin/env bash
# The KPI dashboard over a large event log (issue #6): build/bench/kpi writes EVENTS events of a
# year of conversations for one practice, lets the rollup job build the KPI cells (timed), then
# times GET /api/v1/reports/kpis (the API handler, in process) for QUERIES random periods and cuts
# against the same figures by a plain SQL GROUP BY over the raw events, checking both agree.
#
#   bench/kpi.sh                  (about 3 minutes at 10M events; scripts/build.sh release first)
# Environment: BENCH_WORK (default /var/tmp; must be a disk), EVENTS (10000000), QUERIES (300).
# Output: bench/out/kpi-<UTC time>.txt
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_WORK=${BENCH_WORK:-/var/tmp}
EVENTS=${EVENTS:-10000000}
QUERIES=${QUERIES:-300}
[ -x build/bench/kpi ] || { echo "missing build/bench/kpi: run scripts/build.sh release" >&2; exit 2; }
WORK=$(mktemp -d "$BENCH_WORK/caredesk-kpi.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p bench/out
OUT=bench/out/kpi-$(date -u +%Y%m%dT%H%M%SZ).txt
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') x $(nproc)"
  echo "events: $EVENTS  queries: $QUERIES"
} | tee "$OUT"
build/bench/kpi --work "$WORK/db" --events "$EVENTS" --queries "$QUERIES" 2>&1 \
  | stdbuf -oL grep -v '"level":"info"' | tee -a "$OUT"
