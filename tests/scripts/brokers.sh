#!/usr/bin/env bash
# Throwaway Redis, NATS (JetStream) and RabbitMQ servers on loopback for the broker handler tests.
#
#   brokers.sh start [redis|nats|rabbitmq ...]   install the Debian packages if missing, start the servers (all three
#                                                by default) and print the export lines (eval "$(brokers.sh start)")
#   brokers.sh stop [--keep] [redis|nats|rabbitmq ...]
#                                                stop them; without --keep their data folders are deleted too.
#                                                With --keep, `start` brings the same server back on the same port with
#                                                the same data (the outage tests use this)
#   brokers.sh env                               print the export lines of what was started
#
# Each server gets a free port, a password made up at creation, and a mktemp folder under /tmp (RabbitMQ runs as its
# own OS user, which must be able to reach it). .tmp/brokers/<name> in the repository remembers folder, port and password.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${GEMINIHOOKS_BROKERS_STATE:-$ROOT/.tmp/brokers}"
ALL=(redis nats rabbitmq)

log() { echo "brokers.sh: $*" >&2; }

# shellcheck source=ports.sh
. "$ROOT/tests/scripts/ports.sh"

wait_port() {
  local port="$1" what="$2"
  for _ in $(seq 1 300); do
    if port_in_use "$port"; then return 0; fi
    sleep 0.2
  done
  log "$what did not open port $port within 60 s"; return 1
}

wait_port_closed() {
  for _ in $(seq 1 150); do
    if ! port_in_use "$1"; then return 0; fi
    sleep 0.2
  done
  return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_installed() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v nats-server >/dev/null || missing+=(nats-server)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  # On a machine with an init system the package starts a default RabbitMQ on 5672; the tests run their own.
  if [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then
    local pid
    pid="$(cat /var/lib/rabbitmq/mnesia/rabbit@*.pid 2>/dev/null | head -n 1 || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      log "stopping the default RabbitMQ the package started (pid $pid)"
      as_root kill "$pid" || true
    fi
  fi
}

random_secret() { head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20; }

load() {
  DIR=""; PORT=""; SECRET=""; DIST_PORT=""; PID=""; EPMD_PID=""
  # shellcheck disable=SC1090
  [ -f "$STATE_DIR/$1" ] && . "$STATE_DIR/$1"
  return 0
}

save() {
  mkdir -p "$STATE_DIR"
  printf 'DIR=%q\nPORT=%q\nSECRET=%q\nDIST_PORT=%q\nPID=%q\nEPMD_PID=%q\n' "$DIR" "$PORT" "$SECRET" "$DIST_PORT" "$PID" "$EPMD_PID" \
    >"$STATE_DIR/$1"
}

running() { [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; }

create() {
  DIR="$(mktemp -d "/tmp/geminihooks-$1.XXXXXX")"
  chmod 755 "$DIR"
  PORT="$(free_port)"
  SECRET="$(random_secret)"
  DIST_PORT=""
  [ "$1" = rabbitmq ] && DIST_PORT="$(free_port)"
  PID=""
  save "$1"
}

start_redis() {
  redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR" --requirepass "$SECRET" --appendonly yes \
    --save '' --daemonize yes --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" >&2
  wait_port "$PORT" redis
  for _ in $(seq 1 50); do [ -s "$DIR/redis.pid" ] && break; sleep 0.1; done
  PID="$(cat "$DIR/redis.pid")"
}

start_nats() {
  mkdir -p "$DIR/jetstream"
  setsid nats-server -a 127.0.0.1 -p "$PORT" --jetstream --store_dir "$DIR/jetstream" --user geminihooks --pass "$SECRET" \
    >"$DIR/nats.log" 2>&1 < /dev/null &
  PID=$!
  wait_port "$PORT" nats
}

start_rabbitmq() {
  local node="geminihooks-test-$PORT@localhost"
  mkdir -p "$DIR/mnesia" "$DIR/log"
  cat >"$DIR/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$PORT
default_user = geminihooks
default_pass = $SECRET
loopback_users = none
CONF
  echo '[].' >"$DIR/enabled_plugins"
  # RabbitMQ starts Erlang's port mapper when none runs; then it is ours to stop with the broker.
  local had_epmd=""
  pidof epmd >/dev/null 2>&1 && had_epmd=1
  if [ "$(id -u)" = 0 ]; then chown -R rabbitmq: "$DIR"; fi
  local run=(env HOME="$DIR" RABBITMQ_NODENAME="$node" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$PORT"
    RABBITMQ_DIST_PORT="$DIST_PORT" RABBITMQ_MNESIA_BASE="$DIR/mnesia" RABBITMQ_LOG_BASE="$DIR/log"
    RABBITMQ_CONFIG_FILE="$DIR/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins"
    RABBITMQ_PID_FILE="$DIR/rabbitmq.pid" /usr/lib/rabbitmq/bin/rabbitmq-server)
  if [ "$(id -u)" = 0 ]; then
    setsid runuser -u rabbitmq -- "${run[@]}" >"$DIR/rabbitmq.out" 2>&1 < /dev/null &
  else
    setsid "${run[@]}" >"$DIR/rabbitmq.out" 2>&1 < /dev/null &
  fi
  wait_port "$PORT" rabbitmq || { tail -n 30 "$DIR/rabbitmq.out" >&2; return 1; }
  PID="$(cat "$DIR/rabbitmq.pid")"
  if [ -z "$had_epmd" ]; then EPMD_PID="$(pidof epmd || true)"; fi
}

print_env() {
  load redis
  [ -n "$DIR" ] && echo "export GEMINIHOOKS_TEST_REDIS='127.0.0.1:$PORT,password=$SECRET'"
  load nats
  [ -n "$DIR" ] && echo "export GEMINIHOOKS_TEST_NATS='nats://geminihooks:$SECRET@127.0.0.1:$PORT'"
  load rabbitmq
  [ -n "$DIR" ] && echo "export GEMINIHOOKS_TEST_RABBITMQ='amqp://geminihooks:$SECRET@127.0.0.1:$PORT/'"
  echo "export GEMINIHOOKS_TEST_BROKERS_SCRIPT='$ROOT/tests/scripts/brokers.sh'"
}

cmd_start() {
  ensure_installed
  local names=("$@")
  [ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
  for name in "${names[@]}"; do
    load "$name"
    if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then create "$name"; fi
    if ! running; then
      "start_$name"
      save "$name"
      log "$name on 127.0.0.1:$PORT (pid $PID, data in $DIR)"
    fi
  done
  print_env
}

cmd_stop() {
  local keep=""
  if [ "${1:-}" = --keep ]; then keep=1; shift; fi
  local names=("$@")
  [ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
  for name in "${names[@]}"; do
    load "$name"
    [ -n "$DIR" ] || continue
    if running; then
      kill "$PID" 2>/dev/null || true
      for _ in $(seq 1 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$PID" 2>/dev/null; then kill -9 "$PID" 2>/dev/null || true; fi
      wait_port_closed "$PORT" || true
    fi
    PID=""
    if [ -z "$keep" ] && [ -n "$EPMD_PID" ]; then
      kill "$EPMD_PID" 2>/dev/null || true
      EPMD_PID=""
    fi
    if [ -n "$keep" ]; then
      save "$name"
    else
      rm -rf "$DIR"
      rm -f "$STATE_DIR/$name"
    fi
  done
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  env) print_env ;;
  *) echo "usage: $0 start [redis|nats|rabbitmq ...] | stop [--keep] [redis|nats|rabbitmq ...] | env" >&2; exit 2 ;;
esac
