#!/usr/bin/env bash
# Builds against each other, static durable ingest: bench/ab.sh OLD_REV [NEW_REV ...] (NEW_REV defaults to HEAD).
# Builds the receiver of each revision (Release, in temporary git worktrees), then runs bare Kestrel, each build in
# turn PAIRS times (A, B, A, B, ...), and bare Kestrel again, under the same wrk load (2 threads, 64 connections,
# freshly signed static deliveries, a fresh SQLite file per run, Production settings, rate limit off), so a drift of the
# shared machine shows in the bare runs and hits every build alike. Each run prints its rate and the service's CPU time
# per request (user + system, read from /proc during the measured run): the CPU figure barely moves when other work
# shares the cores, the rate does. The warm-up is 20 s by default: with less, the JIT's tiering of a larger build is
# still running in the measured window on two cores. STORE=postgres runs every build on a PostgreSQL cluster of its
# own (tests/scripts/postgres.sh, a fresh database per run) instead of SQLite. Only 127.0.0.1 is loaded; every process
# it starts is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ $# -ge 1 ] || { echo "usage: bench/ab.sh OLD_REV [NEW_REV ...] (PAIRS=2 WARMUP=20 DURATION=10 in the environment)" >&2; exit 2; }
REVS=("$@")
[ $# -eq 1 ] && REVS+=(HEAD)
PAIRS=${PAIRS:-2}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-20}
THREADS=2
CONNECTIONS=${CONNECTIONS:-64}
PORT=18795
BARE_PORT=18796
METRICS_PORT=18797 # not the default 9464, which a test run on the same machine may hold
OUT=$(mktemp -d /tmp/geminihooks-ab.XXXXXX)
PIDS=()
cleanup() {
  [ -f "$PG_STATE/cluster" ] && GEMINIHOOKS_PG_STATE=$PG_STATE tests/scripts/postgres.sh stop >/dev/null 2>&1 || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for tree in "$OUT"/tree-*; do [ -d "$tree" ] && git worktree remove --force "$tree" >/dev/null 2>&1 || true; done
  rm -rf "$OUT"
}
STORE=${STORE:-sqlite}
PG_STATE=$OUT/pg
trap cleanup EXIT
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

wait_ready() { for _ in $(seq 1 150); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }
stop() { kill "$1" 2>/dev/null || true; for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done; kill -9 "$1" 2>/dev/null || true; }

echo "==> building $REVS"
for side in "${!REVS[@]}"; do
  rev=${REVS[$side]}
  git worktree add --detach "$OUT/tree-$side" "$rev" >/dev/null 2>&1
  dotnet publish "$OUT/tree-$side/src/GeminiHooks.Server" -c Release -o "$OUT/server-$side" --nologo -v q -clp:ErrorsOnly >/dev/null
done
dotnet build bench/GeminiHooks.Bench.Load bench/GeminiHooks.Bench.Bare -c Release --nologo -v q -clp:ErrorsOnly >/dev/null 2>&1 ||
  { dotnet build bench/GeminiHooks.Bench.Load -c Release --nologo -v q -clp:ErrorsOnly >/dev/null; dotnet build bench/GeminiHooks.Bench.Bare -c Release --nologo -v q -clp:ErrorsOnly >/dev/null; }
LOAD="dotnet $ROOT/bench/GeminiHooks.Bench.Load/bin/Release/net10.0/GeminiHooks.Bench.Load.dll"
BARE_DLL=$ROOT/bench/GeminiHooks.Bench.Bare/bin/Release/net10.0/GeminiHooks.Bench.Bare.dll
$LOAD keys --out "$OUT/keys" >/dev/null
SECRET=$(cat "$OUT/keys/secret.txt")

# wrk_run URL [PID]: a warm-up, then the measured run on deliveries the warm-up did not send; prints requests per
# second and, given the service's PID, its CPU time per request. Each run gets freshly signed deliveries (timestamps of
# now, ids no store has seen). It runs in a subshell ($(...)), so the caller counts the runs: RUN numbers the
# deliveries, the store and the tag.
# A service run gets deliveries for 45,000 a second: with 25,000 a fast build ran out in its measured run and was
# sent duplicates, which cost no write, so its rate came out too high. Bare Kestrel stores nothing, so it may wrap.
RUN=0
wrk_run() {
  local per_second=25000; [ -n "${2:-}" ] && per_second=45000
  $LOAD gen --scenario static --keys "$OUT/keys" --count $((per_second * (WARMUP + DURATION + 2))) --threads $THREADS \
    --out "$OUT/d$RUN" --tag "ab$RUN" >/dev/null
  local warm used
  warm=$(BENCH_FILE="$OUT/d$RUN" BENCH_PATH=/webhooks/gemini BENCH_THREADS=$THREADS \
    wrk -t$THREADS -c"$CONNECTIONS" -d"${WARMUP}s" -s bench/deliveries.lua "$1/webhooks/gemini" | grep '^RESULT')
  used=$(sed -n 's/.* used=\([^ ]*\).*/\1/p' <<<"$warm")
  local c0=0; [ -n "${2:-}" ] && c0=$(awk '{print $14+$15}' /proc/$2/stat)
  BENCH_FILE="$OUT/d$RUN" BENCH_PATH=/webhooks/gemini BENCH_THREADS=$THREADS BENCH_SKIP_0=${used%%,*} BENCH_SKIP_1=${used##*,} \
    wrk -t$THREADS -c"$CONNECTIONS" -d"${DURATION}s" -s bench/deliveries.lua "$1/webhooks/gemini" | grep '^RESULT' > "$OUT/result"
  local rps wrapped; rps=$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' "$OUT/result"); wrapped=$(sed -n 's/.* wrapped=\([^ ]*\).*/\1/p' "$OUT/result")
  [ -n "${2:-}" ] && [ "${wrapped:-0}" != 0 ] && echo "warning: run $RUN ran out of distinct deliveries (wrapped $wrapped times): its rate counts duplicates" >&2
  if [ -n "${2:-}" ]; then
    local c1; c1=$(awk '{print $14+$15}' /proc/$2/stat)
    awk -v r="$rps" -v c="$((c1 - c0))" -v d="$DURATION" -v tick="$(getconf CLK_TCK)" 'BEGIN { printf "%s %.1f\n", r, c * 1e6 / tick / (r * d) }'
  else echo "$rps -"; fi
  rm -f "$OUT/d$RUN".* # hundreds of MB per run
}

bare() {
  RUN=$((RUN + 1))
  dotnet "$BARE_DLL" $BARE_PORT >"$OUT/bare.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$BARE_PORT/readyz"
  local out; out=$(wrk_run "http://127.0.0.1:$BARE_PORT")
  echo "bare Kestrel ($1): ${out% *} req/s"
  stop "$pid"
}

declare -A SUM=() CPU=()
# store_settings NAME: the store a service run uses, fresh for each run.
store_settings() {
  if [ "$STORE" = postgres ]; then
    local admin=${GEMINIHOOKS_TEST_POSTGRES/Database=geminihooks_test/Database=postgres}
    psql "$(sed 's/;/ /g; s/Host=/host=/; s/Port=/port=/; s/Username=/user=/; s/Database=/dbname=/' <<<"$admin")" -qc "CREATE DATABASE $1" >/dev/null
    echo "GeminiHooks__Store__Provider=Postgres GeminiHooks__Store__ConnectionString=${GEMINIHOOKS_TEST_POSTGRES/Database=geminihooks_test/Database=$1}"
  else
    echo "GeminiHooks__Store__ConnectionString=Data Source=$OUT/$1.db"
  fi
}

service() { # side
  RUN=$((RUN + 1))
  local settings; settings=$(store_settings "ab_$1_$RUN")
  local STORE_ENV=()
  if [ "$STORE" = postgres ]; then read -r -a STORE_ENV <<<"$settings"; else STORE_ENV=("$settings"); fi
  (cd "$OUT/server-$1" && exec env ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="http://127.0.0.1:$PORT" \
    GeminiHooks__Static__Secrets__0="$SECRET" "${STORE_ENV[@]}" \
    GeminiHooks__RateLimit__Enabled=false GeminiHooks__Metrics__Port=$METRICS_PORT dotnet GeminiHooks.Server.dll >"$OUT/$1.log" 2>&1) &
  local pid=$!; PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$PORT/readyz"
  local out; out=$(wrk_run "http://127.0.0.1:$PORT" "$pid")
  local rps=${out% *} cpu=${out#* }
  stop "$pid"
  SUM[$1]=$(awk -v s="${SUM[$1]:-0}" -v r="$rps" 'BEGIN { print s + r }')
  CPU[$1]="${CPU[$1]:-} $cpu"
  echo "$1 (${REVS[$1]}): $rps req/s, $cpu us CPU per request"
}

if [ "$STORE" = postgres ]; then
  eval "$(GEMINIHOOKS_PG_STATE=$PG_STATE tests/scripts/postgres.sh start)"
fi
bare first
for _ in $(seq 1 "$PAIRS"); do for side in "${!REVS[@]}"; do service $side; done; done
bare last
for side in "${!REVS[@]}"; do awk -v a="${SUM[$side]}" -v n="$PAIRS" -v r="${REVS[$side]}" 'BEGIN { printf "mean %s %.0f req/s;", r, a / n }'; echo " CPU us/request:${CPU[$side]}"; done
