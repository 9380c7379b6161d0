#!/usr/bin/env bash
# A throwaway S3-compatible server on loopback for the S3 artifact store tests and bench: s3rver from the npm registry
# (tests/s3server, installed by `npm ci` on first use), path-style, one bucket, a made-up access key and secret.
#
#   s3.sh start          install if missing, start the server (a free port, data in a mktemp folder under /tmp) and
#                        print the export lines (eval "$(tests/scripts/s3.sh start)")
#   s3.sh stop [--keep]  stop it; without --keep its data folder is deleted too. With --keep, `start` brings the same
#                        server back on the same port with the same data (the outage tests use this)
#   s3.sh env            print the export lines of what was started
#
# Exports GEMINIHOOKS_TEST_S3_URL, GEMINIHOOKS_TEST_S3_BUCKET, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the AWS
# SDK's own variables, which the store reads like any AWS credentials) and GEMINIHOOKS_TEST_S3_SCRIPT.
# .tmp/s3/server in the repository remembers folder, port, keys and pid.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${GEMINIHOOKS_S3_STATE:-$ROOT/.tmp/s3}"
STATE_FILE="$STATE_DIR/server"
SERVER_DIR="$ROOT/tests/s3server"
BUCKET=geminihooks

log() { echo "s3.sh: $*" >&2; }

# shellcheck source=ports.sh
. "$ROOT/tests/scripts/ports.sh"

random_secret() { head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"; }

ensure_installed() {
  command -v node >/dev/null || { log "node is not installed (scripts/test.sh installs it)"; return 1; }
  if [ ! -f "$SERVER_DIR/node_modules/s3rver/package.json" ]; then
    log "installing s3rver into tests/s3server"
    npm ci --prefix "$SERVER_DIR" --no-audit --no-fund --loglevel=error >&2
  fi
}

load() {
  DIR=""; PORT=""; ACCESS_KEY=""; SECRET_KEY=""; PID=""
  # shellcheck disable=SC1090
  [ -f "$STATE_FILE" ] && . "$STATE_FILE"
  return 0
}

save() {
  mkdir -p "$STATE_DIR"
  printf 'DIR=%q\nPORT=%q\nACCESS_KEY=%q\nSECRET_KEY=%q\nPID=%q\n' "$DIR" "$PORT" "$ACCESS_KEY" "$SECRET_KEY" "$PID" >"$STATE_FILE"
  chmod 600 "$STATE_FILE"
}

running() { [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; }

print_env() {
  load
  [ -n "$DIR" ] || { log "no server was started"; return 1; }
  echo "export GEMINIHOOKS_TEST_S3_URL='http://127.0.0.1:$PORT'"
  echo "export GEMINIHOOKS_TEST_S3_BUCKET='$BUCKET'"
  echo "export AWS_ACCESS_KEY_ID='$ACCESS_KEY'"
  echo "export AWS_SECRET_ACCESS_KEY='$SECRET_KEY'"
  echo "export GEMINIHOOKS_TEST_S3_SCRIPT='$ROOT/tests/scripts/s3.sh'"
}

cmd_start() {
  ensure_installed
  load
  if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then
    DIR="$(mktemp -d /tmp/geminihooks-s3.XXXXXX)"
    PORT="$(free_port)"
    ACCESS_KEY="GH$(random_secret 18 | tr 'a-z' 'A-Z')"
    SECRET_KEY="$(random_secret 40)"
    PID=""
    save
  fi
  if ! running; then
    mkdir -p "$DIR/data"
    S3_ACCESS_KEY="$ACCESS_KEY" S3_SECRET_KEY="$SECRET_KEY" setsid node "$SERVER_DIR/server.cjs" \
      --port "$PORT" --directory "$DIR/data" --bucket "$BUCKET" >>"$DIR/server.log" 2>&1 < /dev/null &
    PID=$!
    save
    for _ in $(seq 1 150); do
      port_in_use "$PORT" && break
      kill -0 "$PID" 2>/dev/null || { tail -n 20 "$DIR/server.log" >&2; log "the server exited"; return 1; }
      sleep 0.2
    done
    port_in_use "$PORT" || { tail -n 20 "$DIR/server.log" >&2; log "the server did not open port $PORT within 30 s"; return 1; }
    log "s3rver on 127.0.0.1:$PORT (pid $PID, bucket $BUCKET, data in $DIR/data)"
  fi
  print_env
}

cmd_stop() {
  local keep="${1:-}"
  load
  [ -n "$DIR" ] || return 0
  if running; then
    kill "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$PID" 2>/dev/null; then kill -9 "$PID" 2>/dev/null || true; fi
  fi
  PID=""
  if [ "$keep" = --keep ]; then
    save
  else
    rm -rf "$DIR"
    rm -f "$STATE_FILE"
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop "${2:-}" ;;
  env) print_env ;;
  *) echo "usage: $0 start | stop [--keep] | env" >&2; exit 2 ;;
esac
