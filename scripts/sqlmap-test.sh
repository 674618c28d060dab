#!/usr/bin/env bash
# Runs sqlmap (Debian's) against the API's parameters on a throw-away server (loopback only,
# fresh data directory) and fails if it finds any injection point: the query parameters of the
# inbox and patient search, the access log's cursor, and the JSON body of an inbound message.
# Every query is parameterized; this is the outside check of that. It also fails when any of
# sqlmap's requests got an answer other than 200 or 400 (a 500 is a bug; a 401 would mean the
# run tested nothing).
#   scripts/sqlmap-test.sh        (about 2 minutes; needs build/src/app/caredesk)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BIN=build/src/app/caredesk
[ -x "$BIN" ] || { echo "sqlmap-test: build first (scripts/build.sh release)" >&2; exit 2; }
command -v sqlmap >/dev/null || { echo "sqlmap-test: sqlmap is not installed" >&2; exit 2; }
WORK=$(mktemp -d /tmp/caredesk-sqlmap.XXXXXX)
PID=""
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [ -n "${KEEP_SQLMAP_LOGS:-}" ] && cp -r "$WORK" /tmp/sqlmap-logs
  rm -rf "$WORK"
}
trap cleanup EXIT
data=$WORK/data
"$BIN" tenant create --slug sq --name "Sqlmap Clinic" --data "$data" >/dev/null 2>&1
echo "a long enough password" | "$BIN" user create --tenant sq --email admin@sq.example \
  --role admin --data "$data" >/dev/null 2>&1
token=$("$BIN" token create --tenant sq --user admin@sq.example --data "$data" 2>/dev/null)
"$BIN" serve --data "$data" --listen 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err" &
PID=$!
port=$(server_port "$WORK/server.out" "" sqlmap-test)
base=http://127.0.0.1:$port
auth="Authorization: Bearer $token"
curl -sf -X POST "$base/api/v1/messages" -H "$auth" -H 'Content-Type: application/json' \
  -d '{"channel":"sms","from":"+13125550100","text":"refill please","patient":{"name":"Sq Test"}}' >/dev/null

run() {  # NAME sqlmap-args...
  local name=$1
  shift
  sqlmap --batch --flush-session --disable-coloring --level=2 --risk=1 --dbms=SQLite \
    --output-dir="$WORK/sqlmap" -H "$auth" --threads=2 --timeout=10 "$@" >"$WORK/$name.log" 2>&1 || true
  if grep -qiE "identified the following injection point|is vulnerable|appears to be injectable" \
      "$WORK/$name.log" && ! grep -qi "do not appear to be injectable" "$WORK/$name.log"; then
    echo "sqlmap-test: $name: INJECTABLE" >&2
    grep -iE "Parameter:|Type:|Title:" "$WORK/$name.log" >&2 || true
    return 1
  fi
  if grep -qE "^(401|403|404|500|502|503) \(" "$WORK/$name.log"; then
    echo "sqlmap-test: $name: answers other than 200 and 400 (unauthorized, missing or failing):" >&2
    grep -A3 "HTTP error codes" "$WORK/$name.log" >&2
    return 1
  fi
  if ! grep -qi "do not appear to be injectable\|not injectable" "$WORK/$name.log"; then
    echo "sqlmap-test: $name: sqlmap did not finish its checks:" >&2
    tail -15 "$WORK/$name.log" >&2
    return 1
  fi
  echo "sqlmap-test: $name: nothing injectable ($(grep -c "testing '" "$WORK/$name.log") tests)"
}

status=0
run inbox -u "$base/api/v1/conversations?q=refill&status=open&queue=front-desk&channel=sms&category=other&assignee=me&sort=recent&limit=5" || status=1
run patients -u "$base/api/v1/patients?q=sq&limit=5" || status=1
run access_log -u "$base/api/v1/patients/1/access-log?cursor=100&limit=5" || status=1
run inbound -u "$base/api/v1/messages" -H 'Content-Type: application/json' \
  --data '{"channel":"sms","from":"+13125550101","text":"hello there"}' || status=1
exit "$status"
