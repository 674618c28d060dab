#!/usr/bin/env bash
# Issue #5's SMS target: signed webhook ingestion (POST /hooks/twilio/sms, form-encoded, every
# request carrying its own valid X-Twilio-Signature, each a new MessageSid) against the
# reference measured in the same run: the same messages posted as JSON to POST /api/v1/messages
# with a bearer token. Both on the default SQLite store with durable group commit, 64
# connections, each run on a fresh data directory; the two alternate and swap order every
# round, because this machine's speed drifts. Target: >= 5,000 texts/s with p99 <= 150 ms.
#
#   bench/sms.sh [ROUNDS]          (default 3; about 30 s per round; needs scripts/build.sh
#                                   release for the binaries)
# Environment: BENCH_WORK (default /var/tmp; must be a disk), DURATION (default 10 s).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
DURATION=${DURATION:-10}
BENCH_WORK=${BENCH_WORK:-/var/tmp}
BIN=build/src/app/caredesk
for tool in "$BIN" build/bench/loadgen build/bench/seed; do
  [ -x "$tool" ] || { echo "missing $tool: run scripts/build.sh release" >&2; exit 2; }
done
WORK=$(mktemp -d "$BENCH_WORK/caredesk-sms.XXXXXX")
PID=""
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
TEXT="Hi, this is message {{seq}}. I need a refill of my lisinopril and an appointment on Friday morning if possible."
JSON_BODY='{"channel":"sms","from":"+1312555{{seq%5000}}","text":"'"$TEXT"'"}'
FORM_TEXT=$(printf '%s' "$TEXT" | sed 's/ /+/g; s/,/%2C/g')
FORM_BODY="MessageSid=SM{{seq}}&AccountSid=AC00000000000000000000000000000001&From=%2B1312555{{seq%5000}}&To=%2B13125550100&Body=$FORM_TEXT&NumMedia=0&NumSegments=1&SmsStatus=received&ApiVersion=2010-04-01"
PUBLIC_URL=https://desk.example-clinic.org
AUTH_TOKEN=bench-auth-token-0123456789
printf '%s\n' "$AUTH_TOKEN" >"$WORK/auth-token"

run() {  # VARIANT (webhook|json): prints "req/s p99_ms non2xx"
  local variant=$1 data=$WORK/data-$1 port=""
  build/bench/seed --data "$data" --messages 0 --patients 0 >/dev/null 2>&1
  "$BIN" channel add-sms --tenant bench --number +13125550100 \
    --account-sid AC00000000000000000000000000000001 --auth-token-file "$WORK/auth-token" \
    --api-base http://127.0.0.1:9 --data "$data" >/dev/null 2>&1
  "$BIN" serve --data "$data" --listen 127.0.0.1:0 --public-url "$PUBLIC_URL" \
    >"$WORK/server.out" 2>/dev/null &
  PID=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*$/\1/p' "$WORK/server.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "server did not start" >&2; exit 1; }
  local args=(--duration "$DURATION" --warmup 2 --threads 1 --connections 64 --json
              --method POST --server-pid "$PID")
  if [ "$variant" = webhook ]; then
    build/bench/loadgen --url "http://127.0.0.1:$port/hooks/twilio/sms?tenant=bench" "${args[@]}" \
      --header "Content-Type: application/x-www-form-urlencoded" --body-template "$FORM_BODY" \
      --twilio-sign "$AUTH_TOKEN@$PUBLIC_URL/hooks/twilio/sms?tenant=bench" 2>/dev/null
  else
    build/bench/loadgen --url "http://127.0.0.1:$port/api/v1/messages" "${args[@]}" \
      --header "Authorization: Bearer $(cat "$data/bench-token")" \
      --header "Content-Type: application/json" --body-template "$JSON_BODY" 2>/dev/null
  fi >"$WORK/$variant.json"
  jq -r '"\(.rps) \(.p99_ms) \([.status_counts | to_entries[] | select(.key != "200" and .key != "201") | .value] | add // 0)"' \
    "$WORK/$variant.json"
  kill -TERM "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
  rm -rf "$data"
}

ratios=()
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then
    hook=$(run webhook)
    json=$(run json)
  else
    json=$(run json)
    hook=$(run webhook)
  fi
  read -r hook_rps hook_p99 hook_bad <<<"$hook"
  read -r json_rps json_p99 json_bad <<<"$json"
  ratio=$(awk -v a="$hook_rps" -v b="$json_rps" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  echo "round $round: signed webhook $hook_rps texts/s (p99 $hook_p99 ms, $hook_bad not 2xx)," \
    "JSON API $json_rps msg/s (p99 $json_p99 ms, $json_bad not 2xx), ratio $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{ r[NR] = $1 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
         printf "median ratio webhook / JSON API %.2f (min %.2f, max %.2f)\n", m, r[1], r[NR] }'
