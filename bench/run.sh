#!/usr/bin/env bash
# The benchmark harness for issue #2: builds (release), then measures CareDesk against
# references measured in the same run on this machine, and prints a summary with the ratios.
#
#   (a) GET /healthz requests/s vs the hello-world server (bench/hello_server), two rounds each,
#       alternating, so drift in machine load hits both sides
#   (b) an authenticated inbox read (GET /api/v1/conversations?limit=20) on the 1M-message
#       database vs hello-world: on the default server, where a repeated read of an unchanged
#       inbox is served from the kept page, and (bu) with the page cache off, so every read runs
#       the query and renders the page
#   (c) inbound message ingestion (POST /api/v1/messages) with durable group commit (the
#       default) vs the same server with {"group_commit_max_batch": 1}, each on a fresh data
#       directory on the same disk
#   (d) inbox queries with filters and text search on the 1M-message database: p95 per query,
#       at CONNS connections and at LOW_CONNS connections, with the page cache off so that every
#       request runs its query (the same query repeated would otherwise measure the cache)
#   (e) the servers' peak RSS (VmHWM): over (b) with the page cache on and over (d)
#
# Usage: bench/run.sh            (about 5 minutes once the 1M database is cached; seeding it
#                                 the first time adds a few minutes)
# Settings (environment): CONNS=64 LOW_CONNS=4 DURATION=10 WARMUP=2 THREADS=1
#   BENCH_CACHE=/var/tmp/caredesk-bench-1m  (the seeded database, reused while its marker matches)
#   BENCH_WORK=/var/tmp                     (fresh ingestion data directories; must be a disk)
# Output: bench/out/<UTC time>/ holds every loadgen JSON, machine.txt, run.log and summary.txt.
# Every server listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-64}
LOW_CONNS=${LOW_CONNS:-4}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-1}
BENCH_CACHE=${BENCH_CACHE:-/var/tmp/caredesk-bench-1m}
BENCH_WORK=${BENCH_WORK:-/var/tmp}
SEED_ARGS=(--messages 1000000 --messages-per-conversation 10 --patients 50000 --seed 42)
# Bump when seed.cpp changes what it writes, so a stale cache is rebuilt.
SEED_FORMAT=3  # 2: the word index is WITHOUT ROWID (migration 2); 3: sealed (issue #3)

OUT=bench/out/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/run.log
# Bearer tokens are cut from everything logged.
log() { echo "[$(date -u +%H:%M:%S)] $*" | sed 's/Bearer cdk_[A-Za-z0-9_-]*/Bearer cdk_(redacted)/g' | tee -a "$LOG" >&2; }

# ---------------------------------------------------------------------------------------------
# Servers: started in the background, stopped by PID on exit (and on any failure).
PIDS=()
WORK=""
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  [ -n "$WORK" ] && rm -rf "$WORK"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME PATTERN CMD...: runs CMD, waits for a stdout line matching PATTERN (a sed
# expression capturing the port as \1); sets SERVER_PID and SERVER_PORT.
start_server() {
  local name=$1 pattern=$2
  shift 2
  "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  SERVER_PORT=""
  for _ in $(seq 300); do
    SERVER_PORT=$(sed -n "s/$pattern/\\1/p" "$WORK/$name.stdout" | head -1)
    [ -n "$SERVER_PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$SERVER_PORT" ]; then
    log "server $name did not start; its stderr:"
    tail -20 "$WORK/$name.stderr" | tee -a "$LOG" >&2
    exit 1
  fi
  log "started $name (pid $SERVER_PID, port $SERVER_PORT)"
}

stop_server() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

start_caredesk() {  # NAME DATA_DIR [extra flags...]
  local name=$1 data=$2
  shift 2
  start_server "$name" '^listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*$' \
    build/src/app/caredesk serve --data "$data" --listen 127.0.0.1:0 "$@"
}

# load NAME URL [loadgen flags...]: one loadgen run, JSON to $OUT/NAME.json. Records the load
# average first, and the machine's CPU counters (/proc/stat) at the start and end of loadgen's
# measured window, so the summary can show how much CPU other processes and the hypervisor
# (steal) took meanwhile. A run that loadgen calls unclean (exit 3) is kept and flagged in the
# summary; any other failure stops the harness.
load() {
  local name=$1 url=$2
  shift 2
  echo "$name $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/loadavg.txt"
  log "$name: loadavg $(cut -d' ' -f1-3 /proc/loadavg); $url $*"
  (
    sleep "$WARMUP"
    head -1 /proc/stat >"$OUT/$name.stat"
    sleep "$DURATION"
    head -1 /proc/stat >>"$OUT/$name.stat"
  ) &
  local sampler=$! rc=0
  build/bench/loadgen --url "$url" --duration "$DURATION" --warmup "$WARMUP" --threads "$THREADS" \
    --json "$@" >"$OUT/$name.json" 2>"$OUT/$name.stderr" || rc=$?
  wait "$sampler" || true
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    log "loadgen failed for $name (exit $rc):"
    cat "$OUT/$name.stderr" >&2
    exit 1
  fi
  echo "$rc" >"$OUT/$name.rc"
  log "$name: $(jq -c '{rps, p50_ms, p95_ms, p99_ms, errors, non_2xx, peak_rss_mib}' "$OUT/$name.json") exit $rc"
}

# ---------------------------------------------------------------------------------------------
log "building (scripts/build.sh release)"
nice -n 10 scripts/build.sh release >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }

if [ "$(df --output=fstype "$BENCH_WORK" | tail -1)" = tmpfs ]; then
  echo "BENCH_WORK=$BENCH_WORK is tmpfs; fsync would be free there. Use a disk." >&2
  exit 2
fi
mkdir -p "$BENCH_CACHE"
WORK=$(mktemp -d "$BENCH_WORK/caredesk-bench-run.XXXXXX")

{
  echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:   $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "nproc:    $(nproc)"
  echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel:   $(uname -r)"
  echo "sqlite:   $(pkg-config --modversion sqlite3 2>/dev/null || echo unknown)"
  echo "settings: connections=$CONNS low_connections=$LOW_CONNS duration=${DURATION}s warmup=${WARMUP}s loadgen_threads=$THREADS"
  echo "memory (free -g):"
  free -g
  echo "disks (df -T) of the 1M database and of the ingestion directories:"
  df -T "$BENCH_CACHE" "$WORK"
  echo "loadavg at start: $(cat /proc/loadavg)"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" | tee -a "$LOG" >&2

# ---------------------------------------------------------------------------------------------
# The 1M-message database, seeded once and reused while the marker matches.
BIG=$BENCH_CACHE/data
MARKER="format=$SEED_FORMAT ${SEED_ARGS[*]}"
if [ "$(cat "$BENCH_CACHE/SEEDED" 2>/dev/null)" != "$MARKER" ] || [ ! -s "$BIG/bench-token" ]; then
  log "seeding $BIG (${SEED_ARGS[*]}); this takes a few minutes"
  rm -rf "$BIG" "$BENCH_CACHE/SEEDED"
  nice -n 5 build/bench/seed --data "$BIG" "${SEED_ARGS[@]}" >/dev/null 2>"$BENCH_CACHE/seed.log"
  echo "$MARKER" >"$BENCH_CACHE/SEEDED"
else
  log "reusing the seeded database in $BIG ($MARKER)"
fi
cp "$BENCH_CACHE/seed.log" "$OUT/seed.log" 2>/dev/null || true
BIG_TOKEN=$(cat "$BIG/bench-token")
AUTH="Authorization: Bearer $BIG_TOKEN"
{
  echo "1M database: $MARKER"
  echo "  size: $(du -sh "$BIG" | cut -f1)"
  grep 'seed: done' "$BENCH_CACHE/seed.log" || true
} | tee -a "$OUT/machine.txt" "$LOG" >&2

# ---------------------------------------------------------------------------------------------
# (a) /healthz vs hello-world: two rounds, alternating.
echo '{"inbox_cache_mib": 0}' >"$WORK/uncached.json"
for round in 1 2; do
  start_server "hello$round" '^listening \([0-9]*\).*$' build/bench/hello_server --listen 127.0.0.1:0 --threads 2
  load "a_hello_r$round" "http://127.0.0.1:$SERVER_PORT/" --connections "$CONNS" --server-pid "$SERVER_PID"
  stop_server "$SERVER_PID"
  start_caredesk "healthz$round" "$BIG"
  load "a_healthz_r$round" "http://127.0.0.1:$SERVER_PORT/healthz" --connections "$CONNS" \
    --server-pid "$SERVER_PID"
  # (b) the authenticated inbox read, on the same server.
  load "b_inbox_r$round" "http://127.0.0.1:$SERVER_PORT/api/v1/conversations?limit=20" \
    --connections "$CONNS" --header "$AUTH" --server-pid "$SERVER_PID"
  stop_server "$SERVER_PID"
  start_caredesk "uncached$round" "$BIG" --config "$WORK/uncached.json"
  load "bu_inbox_uncached_r$round" "http://127.0.0.1:$SERVER_PORT/api/v1/conversations?limit=20" \
    --connections "$CONNS" --header "$AUTH" --server-pid "$SERVER_PID"
  stop_server "$SERVER_PID"
done

# ---------------------------------------------------------------------------------------------
# (d) + (e): inbox filters and search on the 1M database, on a fresh server so that its VmHWM
# covers these runs only.
QUERIES=(
  "d1_open_refill|status=open&q=refill&limit=50"
  "d2_sms_time_left|channel=sms&sort=time_left&limit=50"
  "d3_unassigned_appt_friday|assignee=none&q=appointment+friday&limit=50"
  "d4_billing_pending|queue=billing&status=pending&limit=50"
  "d5_at_risk_time_left|sla=at_risk_or_breached&sort=time_left&limit=50"
  "d6_lisinopril|q=lisinopril&limit=50"
)
start_caredesk "inbox" "$BIG" --config "$WORK/uncached.json"
for entry in "${QUERIES[@]}"; do
  name=${entry%%|*}
  query=${entry#*|}
  # Sanity: the query answers 200 with some items (a query matching nothing is not a test).
  items=$(curl -fsS -H "$AUTH" "http://127.0.0.1:$SERVER_PORT/api/v1/conversations?$query" | jq '.items | length')
  echo "$name $query items_on_first_page=$items" >>"$OUT/queries.txt"
  load "${name}_c$CONNS" "http://127.0.0.1:$SERVER_PORT/api/v1/conversations?$query" \
    --connections "$CONNS" --header "$AUTH" --server-pid "$SERVER_PID"
  load "${name}_c$LOW_CONNS" "http://127.0.0.1:$SERVER_PORT/api/v1/conversations?$query" \
    --connections "$LOW_CONNS" --header "$AUTH" --server-pid "$SERVER_PID"
done
grep VmHWM "/proc/$SERVER_PID/status" >"$OUT/e_vmhwm.txt"
stop_server "$SERVER_PID"

# ---------------------------------------------------------------------------------------------
# (c) ingestion: group commit (default) vs one commit per message, fresh data dirs, same disk.
# 5000 distinct senders, so messages spread over many patients and conversations.
BODY='{"channel":"sms","from":"+1312555{{seq%5000}}","text":"Hi, this is message {{seq}}. I need a refill of my lisinopril and an appointment on Friday morning if possible."}'
echo '{"group_commit_max_batch": 1}' >"$WORK/naive.json"
for variant in group naive; do
  data=$WORK/ingest-$variant
  build/bench/seed --data "$data" --messages 0 --patients 0 >/dev/null 2>"$WORK/seed-$variant.log"
  token=$(cat "$data/bench-token")
  if [ "$variant" = naive ]; then
    start_caredesk "ingest-$variant" "$data" --config "$WORK/naive.json"
  else
    start_caredesk "ingest-$variant" "$data"
  fi
  load "c_ingest_$variant" "http://127.0.0.1:$SERVER_PORT/api/v1/messages" --connections "$CONNS" \
    --method POST --header "Authorization: Bearer $token" --header "Content-Type: application/json" \
    --body-template "$BODY" --server-pid "$SERVER_PID"
  stop_server "$SERVER_PID"
  sqlite3 "$data/caredesk.db" \
    "SELECT '$variant: ' || (SELECT COUNT(*) FROM messages) || ' messages, ' || (SELECT COUNT(*) FROM conversations) || ' conversations, ' || (SELECT COUNT(*) FROM patients) || ' patients'" \
    >>"$OUT/ingest_counts.txt" 2>/dev/null || true
  rm -rf "$data"
done

# ---------------------------------------------------------------------------------------------
python3 bench/summarize.py "$OUT" "$CONNS" "$LOW_CONNS" | tee "$OUT/summary.txt"
log "results in $OUT"
