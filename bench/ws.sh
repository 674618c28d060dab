#!/usr/bin/env bash
# Issue #4's real-time target: 10,000 WebSocket connections on one node (patients' chat widgets
# and one agent console per practice), message delivery p99 <= 50 ms at 2,000 messages/s, and
# <= 20 KB of server memory per idle connection; next to the reference, wsbench's minimal Beast
# server that only moves bytes (POST /send/ID -> one frame to client ID), under the same load
# generator in the same run. In CareDesk each message is an agent's reply (POST
# .../replies, stored durably with group commit on the default SQLite store) pushed to the
# patient's widget and the agent's console; latency runs from the message's scheduled send
# time to the frame reaching the patient's socket. The two alternate and swap order each round.
#
#   bench/ws.sh [ROUNDS]     (default 2; needs scripts/build.sh release)
# Environment: CONNECTIONS (default 10000), TENANTS (default 50), RATE (default 2000),
#              DURATION (default 10 s), BENCH_WORK (default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
CONNECTIONS=${CONNECTIONS:-10000}
TENANTS=${TENANTS:-50}
RATE=${RATE:-2000}
DURATION=${DURATION:-10}
BENCH_WORK=${BENCH_WORK:-/var/tmp}
BIN=build/src/app/caredesk
for tool in "$BIN" build/bench/wsbench build/bench/seed; do
  [ -x "$tool" ] || { echo "missing $tool: run scripts/build.sh release" >&2; exit 2; }
done
ulimit -n "$(ulimit -Hn)"  # each side holds one descriptor per connection
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CONNECTIONS + 1000)) ]; then
  echo "open-file limit $(ulimit -n) is below $((CONNECTIONS + 1000))" >&2
  exit 2
fi
WORK=$(mktemp -d "$BENCH_WORK/caredesk-ws.XXXXXX")
PID=""
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

PER_TENANT=$((CONNECTIONS / TENANTS - 1))  # one console per practice, the rest patients
build/bench/seed --data "$WORK/data" --messages 0 --patients 0 --chat-tenants "$TENANTS" \
  --chats-per-tenant "$PER_TENANT" >/dev/null 2>"$WORK/seed.err" || { cat "$WORK/seed.err"; exit 1; }
cp "$WORK/data/caredesk.db" "$WORK/seeded.db"

wait_port() {  # FILE: prints the port the server announced
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on \(http:\/\/127\.0\.0\.1:\)\{0,1\}\([0-9]*\).*$/\2/p' "$1" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "server did not start" >&2; exit 1; }
  echo "$port"
}

run() {  # caredesk|reference: prints wsbench's JSON line
  local mode=$1 port
  if [ "$mode" = caredesk ]; then
    cp "$WORK/seeded.db" "$WORK/data/caredesk.db"
    rm -f "$WORK/data/caredesk.db-wal" "$WORK/data/caredesk.db-shm"
    "$BIN" serve --data "$WORK/data" --listen 127.0.0.1:0 >"$WORK/server.out" 2>/dev/null &
  else
    build/bench/wsbench reference >"$WORK/server.out" 2>/dev/null &
  fi
  PID=$!
  port=$(wait_port "$WORK/server.out")
  build/bench/wsbench load --mode "$mode" --port "$port" --plan "$WORK/data/chat-plan.txt" \
    --rate "$RATE" --duration "$DURATION" --server-pid "$PID" || true
  kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  PID=""
}

echo "# $(nproc) cores, $(uname -r); $CONNECTIONS connections ($TENANTS practices), $RATE msg/s for $DURATION s"
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="reference caredesk"; else order="caredesk reference"; fi
  for mode in $order; do
    echo "round $round $(run "$mode")"
  done
done
