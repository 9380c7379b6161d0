#!/usr/bin/env bash
# Old build against new build, static durable ingest: bench/ab.sh OLD_REV [NEW_REV] [PAIRS]
# Builds the receiver of each revision (Release, in temporary git worktrees), pre-signs one set of static deliveries,
# then runs bare Kestrel, A, B, A, B, ... and bare Kestrel again under the same wrk load (2 threads, 64 connections,
# a fresh SQLite file per run, Production settings, rate limit off), so a drift of the shared machine shows in the bare
# runs and hits both builds alike. Prints one line per run and the mean of each build. Only 127.0.0.1 is loaded; every
# process it starts is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OLD=${1:?usage: bench/ab.sh OLD_REV [NEW_REV] [PAIRS]}
NEW=${2:-HEAD}
PAIRS=${3:-2}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
THREADS=2
CONNECTIONS=${CONNECTIONS:-64}
PORT=18795
BARE_PORT=18796
OUT=$(mktemp -d /tmp/geminihooks-ab.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for tree in "$OUT/tree-a" "$OUT/tree-b"; do [ -d "$tree" ] && git worktree remove --force "$tree" >/dev/null 2>&1 || true; done
  rm -rf "$OUT"
}
trap cleanup EXIT
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

wait_ready() { for _ in $(seq 1 150); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }
stop() { kill "$1" 2>/dev/null || true; for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done; kill -9 "$1" 2>/dev/null || true; }

echo "==> building $OLD (A) and $NEW (B), and the bench tools"
for side in a b; do
  rev=$OLD; [ $side = b ] && rev=$NEW
  git worktree add --detach "$OUT/tree-$side" "$rev" >/dev/null 2>&1
  dotnet publish "$OUT/tree-$side/src/GeminiHooks.Server" -c Release -o "$OUT/server-$side" --nologo -v q -clp:ErrorsOnly >/dev/null
done
dotnet build bench/GeminiHooks.Bench.Load bench/GeminiHooks.Bench.Bare -c Release --nologo -v q -clp:ErrorsOnly >/dev/null 2>&1 ||
  { dotnet build bench/GeminiHooks.Bench.Load -c Release --nologo -v q -clp:ErrorsOnly >/dev/null; dotnet build bench/GeminiHooks.Bench.Bare -c Release --nologo -v q -clp:ErrorsOnly >/dev/null; }
LOAD="dotnet $ROOT/bench/GeminiHooks.Bench.Load/bin/Release/net10.0/GeminiHooks.Bench.Load.dll"
BARE_DLL=$ROOT/bench/GeminiHooks.Bench.Bare/bin/Release/net10.0/GeminiHooks.Bench.Bare.dll
$LOAD keys --out "$OUT/keys" >/dev/null
SECRET=$(cat "$OUT/keys/secret.txt")

# wrk_run URL: a warm-up, then the measured run on deliveries the warm-up did not send; prints requests per second.
# Each run gets freshly signed deliveries (timestamps of now, ids no store has seen).
RUN=0
wrk_run() {
  RUN=$((RUN + 1))
  $LOAD gen --scenario static --keys "$OUT/keys" --count $((25000 * (WARMUP + DURATION + 2))) --threads $THREADS \
    --out "$OUT/d$RUN" --tag "ab$RUN" >/dev/null
  local warm used
  warm=$(BENCH_FILE="$OUT/d$RUN" BENCH_PATH=/webhooks/gemini BENCH_THREADS=$THREADS \
    wrk -t$THREADS -c"$CONNECTIONS" -d"${WARMUP}s" -s bench/deliveries.lua "$1/webhooks/gemini" | grep '^RESULT')
  used=$(sed -n 's/.* used=\([^ ]*\).*/\1/p' <<<"$warm")
  BENCH_FILE="$OUT/d$RUN" BENCH_PATH=/webhooks/gemini BENCH_THREADS=$THREADS BENCH_SKIP_0=${used%%,*} BENCH_SKIP_1=${used##*,} \
    wrk -t$THREADS -c"$CONNECTIONS" -d"${DURATION}s" -s bench/deliveries.lua "$1/webhooks/gemini" | sed -n 's/^RESULT.* rps=\([^ ]*\).*/\1/p'
}

bare() {
  dotnet "$BARE_DLL" $BARE_PORT >"$OUT/bare.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$BARE_PORT/readyz"
  echo "bare Kestrel ($1): $(wrk_run "http://127.0.0.1:$BARE_PORT") req/s"
  stop "$pid"
}

declare -A SUM=([a]=0 [b]=0)
service() { # side
  local db=$OUT/$1-$RUN.db
  (cd "$OUT/server-$1" && exec env ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="http://127.0.0.1:$PORT" \
    GeminiHooks__Static__Secrets__0="$SECRET" GeminiHooks__Store__ConnectionString="Data Source=$db" \
    GeminiHooks__RateLimit__Enabled=false dotnet GeminiHooks.Server.dll >"$OUT/$1.log" 2>&1) &
  local pid=$!; PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$PORT/readyz"
  local rps; rps=$(wrk_run "http://127.0.0.1:$PORT")
  stop "$pid"
  SUM[$1]=$(awk -v s="${SUM[$1]}" -v r="$rps" 'BEGIN { print s + r }')
  local label=$OLD; [ "$1" = b ] && label=$NEW
  echo "$1 ($label): $rps req/s"
}

bare first
for _ in $(seq 1 "$PAIRS"); do service a; service b; done
bare last
awk -v a="${SUM[a]}" -v b="${SUM[b]}" -v n="$PAIRS" -v old="$OLD" -v new="$NEW" \
  'BEGIN { printf "mean: A %s %.0f req/s, B %s %.0f req/s, B/A %.2f\n", old, a / n, new, b / n, b / a }'
