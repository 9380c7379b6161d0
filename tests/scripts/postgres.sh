#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store tests.
#
#   postgres.sh start        install PostgreSQL if missing, create the cluster if there is none, start it,
#                            create the test database; prints the export line (eval "$(postgres.sh start)")
#   postgres.sh stop         stop the cluster and delete it
#   postgres.sh stop --keep  stop the server but keep the cluster, so `start` brings the same data back on the
#                            same port (the outage tests use this)
#   postgres.sh crash        stop the server the hard way (pg_ctl -m immediate: no checkpoint, crash recovery at the
#                            next start) and keep the cluster; shows that what was committed survives a crash
#   postgres.sh env          print the export line of the running cluster
#   postgres.sh status       exit 0 when the server is up
#
# The cluster lives in a mktemp folder under /tmp (the postgres OS user must be able to reach it, which a
# work tree under /root may not allow); .tmp/postgres/cluster in the repository remembers where it is and its port.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${GEMINIHOOKS_PG_STATE:-$ROOT/.tmp/postgres}"
STATE_FILE="$STATE_DIR/cluster"
DATABASE=geminihooks_test

log() { echo "postgres.sh: $*" >&2; }

find_bin() {
  local dir
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
    return 0
  fi
  return 1
}

ensure_installed() {
  if ! BIN="$(find_bin)"; then
    log "PostgreSQL is not installed; installing the Debian package"
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
    BIN="$(find_bin)" || { log "PostgreSQL binaries still not found"; exit 1; }
  fi
}

# initdb and postgres refuse to run as root, so as root everything runs as the postgres OS user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ensure_os_user() {
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

# shellcheck source=ports.sh
. "$ROOT/tests/scripts/ports.sh"

load_state() {
  CLUSTER_DIR=""
  PORT=""
  if [ -f "$STATE_FILE" ]; then
    # shellcheck disable=SC1090
    . "$STATE_FILE"
  fi
}

running() { [ -n "$CLUSTER_DIR" ] && [ -d "$CLUSTER_DIR/data" ] && as_pg "$BIN/pg_ctl" -D "$CLUSTER_DIR/data" status >/dev/null 2>&1; }

connection_string() { echo "Host=127.0.0.1;Port=$PORT;Username=postgres;Database=$DATABASE"; }

print_env() { echo "export GEMINIHOOKS_TEST_POSTGRES='$(connection_string)'"; }

create_cluster() {
  ensure_os_user
  CLUSTER_DIR="$(mktemp -d /tmp/geminihooks-pg.XXXXXX)"
  PORT="$(free_port)"
  chmod 755 "$CLUSTER_DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$CLUSTER_DIR"; fi
  # Trust authentication on loopback only: the cluster is throwaway and never listens beyond 127.0.0.1.
  as_pg "$BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$CLUSTER_DIR/initdb.log" 2>&1 \
    || { cat "$CLUSTER_DIR/initdb.log" >&2; exit 1; }
  cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$CLUSTER_DIR'
max_connections = 200
CONF
  save_state
  log "created cluster in $CLUSTER_DIR (port $PORT)"
}

save_state() {
  mkdir -p "$STATE_DIR"
  printf 'CLUSTER_DIR=%q\nPORT=%q\n' "$CLUSTER_DIR" "$PORT" >"$STATE_FILE"
}

# A new cluster whose port another listener took between free_port and the bind moves to a fresh port (a later
# `port =` line in postgresql.conf wins). A kept cluster must come back on its own port, so it fails instead.
start_server() {
  local fresh="$1" attempt
  for attempt in 1 2 3; do
    [ -z "$fresh" ] || rm -f "$CLUSTER_DIR/postgres.log"
    if as_pg "$BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/postgres.log" -w -t 30 start >&2; then
      return 0
    fi
    if [ -n "$fresh" ] && [ "$attempt" -lt 3 ] && grep -q "Address already in use" "$CLUSTER_DIR/postgres.log"; then
      PORT="$(free_port)"
      echo "port = $PORT" >>"$CLUSTER_DIR/data/postgresql.conf"
      save_state
      log "the port was taken before the server bound it; trying port $PORT"
      continue
    fi
    tail -n 20 "$CLUSTER_DIR/postgres.log" >&2
    exit 1
  done
}

cmd_start() {
  ensure_installed
  load_state
  if [ -n "$CLUSTER_DIR" ] && [ ! -d "$CLUSTER_DIR/data" ]; then
    log "state pointed at a missing cluster ($CLUSTER_DIR); creating a new one"
    rm -f "$STATE_FILE"
    CLUSTER_DIR=""
  fi
  local fresh=""
  if [ -z "$CLUSTER_DIR" ]; then
    create_cluster
    fresh=1
  fi
  if ! running; then
    start_server "$fresh"
  fi
  if ! as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
    as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DATABASE"
  fi
  print_env
}

cmd_stop() {
  local keep="${1:-}" mode="${2:-fast}"
  ensure_installed
  load_state
  if [ -z "$CLUSTER_DIR" ]; then
    log "no cluster"
    return 0
  fi
  if running; then
    as_pg "$BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m "$mode" -w -t 30 stop >&2
  fi
  if [ "$keep" = "--keep" ]; then
    return 0
  fi
  rm -rf "$CLUSTER_DIR"
  rm -f "$STATE_FILE"
  log "deleted cluster $CLUSTER_DIR"
}

cmd_env() {
  load_state
  if [ -z "$CLUSTER_DIR" ]; then
    log "no cluster: run '$0 start'"
    exit 1
  fi
  print_env
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop "${2:-}" ;;
  crash) cmd_stop --keep immediate ;;
  env) cmd_env ;;
  status) ensure_installed; load_state; running ;;
  *) echo "usage: $0 start | stop [--keep] | crash | env | status" >&2; exit 2 ;;
esac
