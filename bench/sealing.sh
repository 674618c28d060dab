#!/usr/bin/env bash
# The cost of encryption at rest (issue #3): seeds the same practice twice (sealed and plain,
# SEAL_MESSAGES messages), then runs build/bench/sealing, which drives the API handlers in
# process on both and prints the sealed/plain throughput ratio of ingestion, inbox reads and
# text search, alternating over ROUNDS rounds.
#
#   bench/sealing.sh              (about 6 minutes; run scripts/build.sh release first)
# Environment: BENCH_WORK (default /var/tmp; must be a disk), SEAL_MESSAGES (default 200000),
#   ROUNDS (3), DURATION (8 s per measurement).
# Output: bench/out/sealing-<UTC time>.txt
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_WORK=${BENCH_WORK:-/var/tmp}
SEAL_MESSAGES=${SEAL_MESSAGES:-200000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
for tool in build/bench/seed build/bench/sealing; do
  [ -x "$tool" ] || { echo "missing $tool: run scripts/build.sh release" >&2; exit 2; }
done
WORK=$(mktemp -d "$BENCH_WORK/caredesk-sealing.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p bench/out
OUT=bench/out/sealing-$(date -u +%Y%m%dT%H%M%SZ).txt
patients=$((SEAL_MESSAGES / 20))
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') x $(nproc)"
  echo "messages: $SEAL_MESSAGES  rounds: $ROUNDS  duration: ${DURATION}s"
} | tee "$OUT"
for variant in plain sealed; do
  flag=no
  [ "$variant" = sealed ] && flag=yes
  start=$(date +%s)
  build/bench/seed --data "$WORK/$variant" --messages "$SEAL_MESSAGES" --patients "$patients" \
    --seed 42 --sealed "$flag" >/dev/null 2>"$WORK/seed-$variant.log"
  echo "seeded $variant in $(($(date +%s) - start)) s; $(du -sh "$WORK/$variant" | cut -f1)" | tee -a "$OUT"
done
build/bench/sealing --plain "$WORK/plain" --sealed "$WORK/sealed" --work "$WORK" \
  --rounds "$ROUNDS" --duration "$DURATION" 2>>"$WORK/sealing.err" | tee -a "$OUT"
echo "written to $OUT"
