#!/usr/bin/env bash
# Issue #5's mail target: MIME ingestion over LMTP (`caredesk serve --lmtp`) on a corpus of
# mixed real-world shapes (tests/mail/*.eml: plain text with quoted history, alternative
# text and HTML, HTML only, Latin-1 quoted-printable, an unknown charset, attachments and an
# inline image, an out-of-office reply, a bounce, a truncated multipart), each copy with its own
# Message-ID and one of 2,000 senders, against the reference measured in the same run: the
# same kind of messages posted as JSON to POST /api/v1/messages (channel email). Both on the
# default SQLite store with durable group commit, each on a fresh data directory, alternating
# and swapping order every round. Target: >= 500 mails/s.
#
#   bench/lmtp.sh [ROUNDS]      (default 3; about 30 s per round; needs scripts/build.sh
#                                release for the binaries)
# Environment: BENCH_WORK (default /var/tmp; must be a disk), DURATION (default 10 s),
#   CONNS (LMTP sessions, default 16; Postfix's default LMTP concurrency is 20).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
BENCH_WORK=${BENCH_WORK:-/var/tmp}
BIN=build/src/app/caredesk
for tool in "$BIN" build/bench/loadgen build/bench/lmtpgen build/bench/seed; do
  [ -x "$tool" ] || { echo "missing $tool: run scripts/build.sh release" >&2; exit 2; }
done
WORK=$(mktemp -d "$BENCH_WORK/caredesk-lmtp.XXXXXX")
PID=""
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
JSON_BODY='{"channel":"email","from":"patient{{seq%2000}}@example.org","text":"Hello, this is message {{seq}}. Is my lisinopril refill ready, and can I move my appointment to Friday morning?","metadata":{"subject":"Refill question","message_id":"<json-{{seq}}@example.org>"}}'

run() {  # VARIANT (lmtp|json): prints "rps p99_ms not_ok"
  local variant=$1 data=$WORK/data-$1 port="" lmtp_port
  build/bench/seed --data "$data" --messages 0 --patients 0 >/dev/null 2>&1
  "$BIN" channel add-email --tenant bench --address frontdesk@bench.example \
    --smtp smtp://127.0.0.1:9 --data "$data" >/dev/null 2>&1
  lmtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  "$BIN" serve --data "$data" --listen 127.0.0.1:0 --lmtp "127.0.0.1:$lmtp_port" \
    >"$WORK/server.out" 2>/dev/null &
  PID=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*$/\1/p' "$WORK/server.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "server did not start" >&2; exit 1; }
  if [ "$variant" = lmtp ]; then
    build/bench/lmtpgen --port "$lmtp_port" --rcpt frontdesk@bench.example --corpus tests/mail \
      --connections "$CONNS" --duration "$DURATION" --warmup 2 >"$WORK/lmtp.json"
    jq -r '"\(.rps) \(.p99_ms) \(.not_250 + .errors)"' "$WORK/lmtp.json"
  else
    build/bench/loadgen --url "http://127.0.0.1:$port/api/v1/messages" --duration "$DURATION" \
      --warmup 2 --threads 1 --connections "$CONNS" --json --method POST \
      --header "Authorization: Bearer $(cat "$data/bench-token")" \
      --header "Content-Type: application/json" --body-template "$JSON_BODY" \
      --server-pid "$PID" 2>/dev/null >"$WORK/json.json"
    jq -r '"\(.rps) \(.p99_ms) \([.status_counts | to_entries[] | select(.key != "200" and .key != "201") | .value] | add // 0)"' \
      "$WORK/json.json"
  fi
  kill -TERM "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
  rm -rf "$data"
}

ratios=()
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then
    lmtp=$(run lmtp)
    json=$(run json)
  else
    json=$(run json)
    lmtp=$(run lmtp)
  fi
  read -r lmtp_rps lmtp_p99 lmtp_bad <<<"$lmtp"
  read -r json_rps json_p99 json_bad <<<"$json"
  ratio=$(awk -v a="$lmtp_rps" -v b="$json_rps" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  echo "round $round: LMTP $lmtp_rps mails/s (p99 $lmtp_p99 ms, $lmtp_bad not 250)," \
    "JSON API $json_rps msg/s (p99 $json_p99 ms, $json_bad not 2xx), ratio $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{ r[NR] = $1 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
         printf "median ratio LMTP / JSON API %.2f (min %.2f, max %.2f)\n", m, r[1], r[NR] }'
