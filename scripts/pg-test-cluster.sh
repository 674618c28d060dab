#!/usr/bin/env bash
# Throw-away PostgreSQL cluster for tests: loopback only, trust auth, fsync off.
#
#   pg-test-cluster.sh start DIR   initialise DIR (absent or empty), start the server on a free
#                                  127.0.0.1 port, create database caredesk_test and print
#                                  postgresql://caredesk@127.0.0.1:PORT/caredesk_test on stdout
#                                  (the only stdout line). Starting a DIR that is already
#                                  running prints its URL again.
#   pg-test-cluster.sh stop DIR    stop the server (immediate) and remove DIR; a DIR that does
#                                  not exist is fine, so stop can always run from a trap.
#
# As root the cluster belongs to the `postgres` system user (the server refuses to run as
# root), so DIR's parent directories must be searchable by that user. PG_BIN overrides the
# directory holding initdb/pg_ctl; by default the newest /usr/lib/postgresql/*/bin is used.
set -euo pipefail

readonly kMarker=.caredesk-pg-test-cluster
readonly kDatabase=caredesk_test
readonly kUser=caredesk

die() {
  echo "pg-test-cluster: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

find_pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/initdb" ]] || die "PG_BIN=$PG_BIN has no initdb"
    echo "$PG_BIN"
    return
  fi
  local d
  while IFS= read -r d; do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
      echo "$d"
      return
    fi
  done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"
    return
  fi
  die "initdb/pg_ctl not found; install the postgresql package or set PG_BIN"
}

# Runs a server command as the cluster owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# A port nobody listens on right now. The server start retries if it loses a race for it.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' \
      2>/dev/null && return
  fi
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    # Connection refused means nothing listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free port found"
}

url_for() {
  echo "postgresql://$kUser@127.0.0.1:$1/$kDatabase"
}

is_running() {
  local dir=$1 bin=$2
  [[ -f "$dir/data/postmaster.pid" ]] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

cmd_start() {
  local dir=$1 bin
  bin=$(find_pg_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)

  if [[ -f "$dir/$kMarker" ]] && is_running "$dir" "$bin" && [[ -f "$dir/port" ]]; then
    url_for "$(cat "$dir/port")"
    return
  fi
  if [[ ! -f "$dir/$kMarker" ]]; then
    [[ -z "$(ls -A "$dir")" ]] || die "$dir is not empty and is not a test cluster; refusing to use it"
    touch "$dir/$kMarker"
  fi

  if [[ "$(id -u)" -eq 0 ]]; then
    getent passwd postgres >/dev/null || die "running as root needs the 'postgres' system user"
    chown -R postgres: "$dir"
    runuser -u postgres -- test -w "$dir" ||
      die "user postgres cannot write $dir (is a parent directory private to root?)"
  fi

  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U "$kUser" --no-sync -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    cat >>"$dir/data/postgresql.conf" <<EOF

# pg-test-cluster.sh: throw-away test settings
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 32MB
log_min_messages = warning
EOF
  fi

  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $port" start \
      >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      [[ "$(id -u)" -ne 0 ]] || chown postgres: "$dir/port"
      break
    fi
    if [[ $attempt -eq 5 ]]; then
      tail -n 20 "$dir/server.log" >&2 || true
      die "server did not start"
    fi
  done

  # pg_ctl -w returns once the server accepts connections; make sure TCP does too.
  local i
  for i in $(seq 1 100); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$kUser" -d postgres && break
    [[ $i -lt 100 ]] || die "server on port $port is not ready"
    sleep 0.1
  done

  if ! "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U "$kUser" -d postgres -tA \
    -c "SELECT 1 FROM pg_database WHERE datname = '$kDatabase'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$kUser" "$kDatabase" >&2 || die "createdb failed"
  fi
  url_for "$port"
}

cmd_stop() {
  local dir=$1 bin
  [[ -e "$dir" ]] || return 0
  [[ -d "$dir" ]] || die "$dir is not a directory"
  if [[ ! -f "$dir/$kMarker" ]]; then
    # Refuse to delete anything this script did not create (think `stop /`).
    [[ -z "$(ls -A "$dir")" ]] || die "$dir is not a test cluster; not removing it"
    rmdir "$dir"
    return 0
  fi
  bin=$(find_pg_bin)
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf -- "$dir"
}

[[ $# -eq 2 ]] || usage
case "$1" in
  start) cmd_start "$2" ;;
  stop) cmd_stop "$2" ;;
  *) usage ;;
esac
