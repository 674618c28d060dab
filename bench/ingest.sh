#!/usr/bin/env bash
# Target (c) alone, repeated: inbound ingestion with group commit vs one commit per message
# ({"group_commit_max_batch": 1}), 64 connections, each run on a fresh data directory. The two
# variants alternate and swap order every round, because this machine's speed drifts by ±20%
# from one minute to the next; the median ratio is printed at the end.
#
#   bench/ingest.sh [ROUNDS]        (default 4; about 30 s per round; run bench/run.sh first,
#                                    or scripts/build.sh release, for the binaries)
# Environment: BENCH_WORK (default /var/tmp; must be a disk), DURATION (default 10 s).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-4}
DURATION=${DURATION:-10}
BENCH_WORK=${BENCH_WORK:-/var/tmp}
BIN=build/src/app/caredesk
for tool in "$BIN" build/bench/loadgen build/bench/seed; do
  [ -x "$tool" ] || { echo "missing $tool: run scripts/build.sh release" >&2; exit 2; }
done
WORK=$(mktemp -d "$BENCH_WORK/caredesk-ingest.XXXXXX")
PID=""
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
BODY='{"channel":"sms","from":"+1312555{{seq%5000}}","text":"Hi, this is message {{seq}}. I need a refill of my lisinopril and an appointment on Friday morning if possible."}'
echo '{"group_commit_max_batch": 1}' >"$WORK/naive.json"

run() {  # VARIANT: prints "req/s p99_ms"
  local variant=$1 data=$WORK/data-$1 extra=() port=""
  build/bench/seed --data "$data" --messages 0 --patients 0 >/dev/null 2>&1
  [ "$variant" = naive ] && extra=(--config "$WORK/naive.json")
  "$BIN" serve --data "$data" --listen 127.0.0.1:0 "${extra[@]}" >"$WORK/server.out" 2>/dev/null &
  PID=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*$/\1/p' "$WORK/server.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "server did not start" >&2; exit 1; }
  build/bench/loadgen --url "http://127.0.0.1:$port/api/v1/messages" --duration "$DURATION" \
    --warmup 2 --threads 1 --connections 64 --json --method POST \
    --header "Authorization: Bearer $(cat "$data/bench-token")" \
    --header "Content-Type: application/json" --body-template "$BODY" --server-pid "$PID" \
    2>/dev/null | jq -r '"\(.rps) \(.p99_ms)"'
  kill -TERM "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
  rm -rf "$data"
}

ratios=()
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then
    group=$(run group)
    naive=$(run naive)
  else
    naive=$(run naive)
    group=$(run group)
  fi
  ratio=$(awk -v g="${group% *}" -v n="${naive% *}" 'BEGIN { printf "%.2f", g / n }')
  ratios+=("$ratio")
  echo "round $round: group ${group% *} msg/s (p99 ${group#* } ms), one commit per message ${naive% *} msg/s (p99 ${naive#* } ms), ratio $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{ r[NR] = $1 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
         printf "median ratio %.2f (min %.2f, max %.2f); target >= 5\n", m, r[1], r[NR] }'
