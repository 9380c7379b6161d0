#!/usr/bin/env bash
# GeminiHooks load bench, one command. Usage:
#   bench/run.sh          the load bench: bare Kestrel ceiling, static (group commit on/off), dynamic v1a and JWT,
#                         duplicates, and jsonl dispatch at 10,000 events/s; writes bench/results.md and prints it
#   bench/run.sh micro    BenchmarkDotNet micro-benchmarks of the verifiers (short job)
# Everything listens on 127.0.0.1 and only loopback is targeted. Knobs (environment): DURATION (s, default 10),
# WARMUP (s, default 5: tiered JIT is still busy after 3 s on a shared 2-core machine), CONNECTIONS (64), THREADS (2), RATE (jsonl scenario, default 10000), OUT (work dir),
# SCENARIOS (subset of "bare static dup v1a jwt jsonl"), SERVICE_ENV (extra GeminiHooks__... settings for every run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "${1:-}" = "micro" ]; then
  shift
  echo "==> BenchmarkDotNet micro-benchmarks (short job)"
  exec dotnet run -c Release --project bench/GeminiHooks.Bench.Micro -- --filter '*' --job short "$@"
fi

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
RATE=${RATE:-10000}
OUT=${OUT:-$(mktemp -d /tmp/geminihooks-bench.XXXXXX)}
SCENARIOS=${SCENARIOS:-bare static dup v1a jwt jsonl}
read -r -a EXTRA_ENV <<<"${SERVICE_ENV:-}"
SERVICE_PORT=18780
BARE_PORT=18790
JWKS_PORT=18791

if ! command -v wrk >/dev/null; then
  echo "==> installing wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

echo "==> building Release"
dotnet build GeminiHooks.sln -c Release --nologo -v q -clp:ErrorsOnly >/dev/null
SERVER_DIR=$ROOT/src/GeminiHooks.Server/bin/Release/net10.0
LOAD="dotnet $ROOT/bench/GeminiHooks.Bench.Load/bin/Release/net10.0/GeminiHooks.Bench.Load.dll"
BARE_DLL=$ROOT/bench/GeminiHooks.Bench.Bare/bin/Release/net10.0/GeminiHooks.Bench.Bare.dll
LUA=$ROOT/bench/deliveries.lua
mkdir -p "$OUT"
echo "    work dir: $OUT"

PIDS=()
cleanup() {
  # Only processes this script started and that still run what it started (a pid can be reused once it exited).
  for pid in "${PIDS[@]}"; do
    if grep -qs GeminiHooks "/proc/$pid/cmdline"; then kill "$pid" 2>/dev/null || true; fi
  done
}
trap cleanup EXIT

wait_ready() { # url, pid
  for _ in $(seq 1 150); do
    if curl -fs -o /dev/null "$1"; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then echo "process $2 exited before it was ready" >&2; return 1; fi
    sleep 0.2
  done
  echo "not ready: $1" >&2
  return 1
}

stop() { # pid: SIGTERM, wait for a graceful exit
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$1" 2>/dev/null || true
}

peak_mb() { # pid: VmHWM (peak resident set) in MB
  awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

field() { # name, RESULT line
  sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2"
}

# run_wrk NAME FILE PATH URL [RATE]: warm-up, then the measured run on deliveries the warm-up did not send.
run_wrk() {
  local name=$1 file=$2 path=$3 url=$4 rate=${5:-}
  local warm used skip0 skip1
  warm=$(BENCH_FILE=$file BENCH_PATH=$path BENCH_RATE=$rate BENCH_THREADS=$THREADS \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --latency -s "$LUA" "$url$path" | grep '^RESULT')
  used=$(field used "$warm")
  skip0=${used%%,*}; skip1=${used##*,}
  BENCH_FILE=$file BENCH_PATH=$path BENCH_RATE=$rate BENCH_THREADS=$THREADS BENCH_SKIP_0=$skip0 BENCH_SKIP_1=$skip1 \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$LUA" "$url$path" >"$OUT/$name.wrk"
  grep '^RESULT' "$OUT/$name.wrk"
}

# Service environment shared by every scenario; each scenario adds its own GeminiHooks__ settings.
start_service() { # name, extra env assignments...
  local name=$1; shift
  local db=$OUT/$name.db
  rm -f "$db" "$db-wal" "$db-shm"
  (
    cd "$SERVER_DIR"
    exec env ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="http://127.0.0.1:$SERVICE_PORT" \
      GeminiHooks__Static__Secrets__0="$SECRET" \
      GeminiHooks__Store__ConnectionString="Data Source=$db" \
      "${EXTRA_ENV[@]}" "$@" dotnet GeminiHooks.Server.dll >"$OUT/$name.log" 2>&1
  ) &
  SERVICE_PID=$!
  PIDS+=("$SERVICE_PID")
  wait_ready "http://127.0.0.1:$SERVICE_PORT/readyz" "$SERVICE_PID"
}

DYNAMIC_ENV=(GeminiHooks__Dynamic__Enabled=true
  GeminiHooks__Dynamic__JwksUri="http://127.0.0.1:$JWKS_PORT/.well-known/jwks.json"
  GeminiHooks__Dynamic__Audiences__0=geminihooks-bench
  GeminiHooks__Dynamic__Issuers__0=https://bench.geminihooks.local)

# Enough distinct deliveries for warm-up + run at a rate well above what each scenario reaches here.
per_second() { echo $(( ($1) * (WARMUP + DURATION + 2) )); }

echo "==> keys and pre-signed deliveries"
$LOAD keys --out "$OUT/keys" >/dev/null
SECRET=$(cat "$OUT/keys/secret.txt")
$LOAD jwks --file "$OUT/keys/jwks.json" --port "$JWKS_PORT" >"$OUT/jwks.log" 2>&1 &
JWKS_PID=$!
PIDS+=("$JWKS_PID")
wait_ready "http://127.0.0.1:$JWKS_PORT/.well-known/jwks.json" "$JWKS_PID"

want() { [[ " $SCENARIOS " == *" $1 "* ]]; }

LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
RESULTS=$OUT/results.tsv
: >"$RESULTS"
record() { # scenario, RESULT line, peak MB, note
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
}

check_stored() { # name: events in the store after the run (and pairs still pending)
  local counts
  counts=$($LOAD count --db "$OUT/$1.db")
  echo "    store: $counts" >&2
  echo "$counts"
}

# --- ceiling -------------------------------------------------------------------------------------------------------
$LOAD gen --scenario static --keys "$OUT/keys" --count "$(per_second 50000)" --threads "$THREADS" --out "$OUT/static" --tag static
# The ceiling is measured first and last; the ratios use the mean of the two, which evens out some of the drift
# of a shared machine.
bare_run() { # label
  echo "==> bare Kestrel (ceiling)"
  dotnet "$BARE_DLL" "$BARE_PORT" >"$OUT/bare.log" 2>&1 &
  BARE_PID=$!
  PIDS+=("$BARE_PID")
  wait_ready "http://127.0.0.1:$BARE_PORT/readyz" "$BARE_PID"
  local r
  r=$(run_wrk bare "$OUT/static" /webhooks/gemini "http://127.0.0.1:$BARE_PORT")
  record "$1" "$r" "$(peak_mb "$BARE_PID")" ""
  stop "$BARE_PID"
  echo "    $r"
}
want bare && bare_run "bare Kestrel (reads body, 200), first"

# service_scenario NAME LABEL FILE PATH NOTE [env...]: one service run, fresh store. Other engineers share this machine
# and their test runs have been seen to stop stray processes: a service that exits mid-run is run again once, and the
# row says so.
service_scenario() {
  local name=$1 label=$2 file=$3 path=$4 note=$5; shift 5
  local attempt r mb stored
  for attempt in 1 2; do
    start_service "$name" "$@"
    r=$(run_wrk "$name" "$file" "$path" "http://127.0.0.1:$SERVICE_PORT")
    if kill -0 "$SERVICE_PID" 2>/dev/null; then
      mb=$(peak_mb "$SERVICE_PID"); stop "$SERVICE_PID"
      echo "    $r"
      stored=$(check_stored "$name")
      [ "$attempt" = 2 ] && note="$note; second attempt (the first service process was stopped from outside)"
      record "$label" "$r" "$mb" "$stored${note:+, $note}"
      return 0
    fi
    echo "    the service exited during the run ($(tail -c 300 "$OUT/$name.log" | tr '\n' ' ')); running it again" >&2
  done
  record "$label" "RESULT rps=0 p50_ms=0 p99_ms=0 non2xx=0 socket_errors=0 wrapped=0" "?" "service exited twice"
}

if want static; then
  for gc in true false; do
    echo "==> static HMAC, GroupCommit=$gc"
    service_scenario "static-gc-$gc" "static HMAC, group commit $([ $gc = true ] && echo on || echo off)" \
      "$OUT/static" /webhooks/gemini "" GeminiHooks__Store__GroupCommit=$gc
  done
  # What the one Information line per delivery costs: the same run with that line turned off by configuration.
  echo "==> static HMAC, GroupCommit=true, per-delivery log line off"
  service_scenario static-nolog "static HMAC, group commit on, per-delivery log off" "$OUT/static" /webhooks/gemini \
    "Serilog__MinimumLevel__Override__GeminiHooks.Ingest.IngestEndpoint=Warning" \
    Serilog__MinimumLevel__Override__GeminiHooks.Ingest.IngestEndpoint=Warning
fi

# --- duplicates: 2,000 deliveries stored by the warm-up, then only redeliveries ---------------------------------------
if want dup; then
  echo "==> duplicates (static)"
  $LOAD gen --scenario static --keys "$OUT/keys" --count 2000 --threads "$THREADS" --out "$OUT/dup" --tag dup >/dev/null
  service_scenario duplicates "duplicates (static, all redeliveries)" "$OUT/dup" /webhooks/gemini \
    "2,000 stored by the warm-up, the run cycles over them"
fi

# --- dynamic v1a and JWT -----------------------------------------------------------------------------------------------
for format in v1a jwt; do
  want $format || continue
  echo "==> dynamic $format"
  if [ $format = v1a ]; then n=$(per_second 25000); else n=$(per_second 20000); fi
  $LOAD gen --scenario $format --keys "$OUT/keys" --count "$n" --threads "$THREADS" --out "$OUT/$format" --tag $format
  service_scenario "dynamic-$format" "dynamic $format" "$OUT/$format" /webhooks/gemini/dynamic "" "${DYNAMIC_ENV[@]}"
done

# --- jsonl dispatch at RATE events/s -----------------------------------------------------------------------------------
# jsonl_run NAME LABEL [env...]: static deliveries paced at RATE/s into a service with a jsonl handler; the monitor
# samples the backlog during the load and times the drain after it.
DISPATCH_ROWS=$OUT/dispatch.tsv
: >"$DISPATCH_ROWS"
jsonl_run() {
  local name=$1 label=$2; shift 2
  local warm used r mb stored lines note="" monitor
  rm -f "$OUT/$name.jsonl" "$OUT/$name.done" "$OUT/$name.warm.done"
  start_service "$name" GeminiHooks__Handlers__archive__Type=jsonl GeminiHooks__Handlers__archive__Path="$OUT/$name.jsonl" "$@"
  # Warm-up at the same rate, then let its backlog drain, so the measured run starts from an empty queue.
  warm=$(BENCH_FILE=$OUT/jsonl-in BENCH_RATE=$RATE BENCH_THREADS=$THREADS \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$LUA" "http://127.0.0.1:$SERVICE_PORT/webhooks/gemini" | grep '^RESULT')
  touch "$OUT/$name.warm.done"
  $LOAD monitor --db "$OUT/$name.db" --jsonl "$OUT/$name.jsonl" --done "$OUT/$name.warm.done" --quiet true --drain-timeout-s 60 >/dev/null
  used=$(field used "$warm")
  $LOAD monitor --db "$OUT/$name.db" --jsonl "$OUT/$name.jsonl" --done "$OUT/$name.done" --drain-timeout-s 60 >"$OUT/$name.monitor" &
  local monitor_pid=$!
  BENCH_FILE=$OUT/jsonl-in BENCH_RATE=$RATE BENCH_THREADS=$THREADS BENCH_SKIP_0=${used%%,*} BENCH_SKIP_1=${used##*,} \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$LUA" "http://127.0.0.1:$SERVICE_PORT/webhooks/gemini" >"$OUT/$name.wrk"
  touch "$OUT/$name.done"
  wait "$monitor_pid" || true
  r=$(grep '^RESULT' "$OUT/$name.wrk")
  kill -0 "$SERVICE_PID" 2>/dev/null || note="; the service was stopped from outside during the run: numbers invalid"
  mb=$(peak_mb "$SERVICE_PID"); stop "$SERVICE_PID"
  echo "    $r"
  cat "$OUT/$name.monitor"
  monitor=$(grep '^MONITOR' "$OUT/$name.monitor")
  stored=$(check_stored "$name")
  lines=$(wc -l <"$OUT/$name.jsonl")
  record "$label" "$r" "$mb" "$stored, jsonl lines=$lines$note"
  printf '%s\t%s\t%s\n' "$label" "$r" "$monitor" >>"$DISPATCH_ROWS"
}

if want jsonl; then
  $LOAD gen --scenario static --keys "$OUT/keys" --count "$(per_second "$RATE")" --threads "$THREADS" --out "$OUT/jsonl-in" --tag jsonl >/dev/null
  echo "==> jsonl dispatch at $RATE events/s, Dispatch:Concurrency default (4)"
  jsonl_run jsonl-c4 "static + jsonl handler at $RATE/s, Dispatch:Concurrency 4 (default)"
  echo "==> jsonl dispatch at $RATE events/s, Dispatch:Concurrency 64"
  jsonl_run jsonl-c64 "static + jsonl handler at $RATE/s, Dispatch:Concurrency 64" GeminiHooks__Dispatch__Concurrency=64
fi

want bare && bare_run "bare Kestrel (reads body, 200), last"
stop "$JWKS_PID"

# --- report -----------------------------------------------------------------------------------------------------------
bare_rps=$(awk -F'\t' '$1 ~ /^bare/ { if (match($2, /rps=[0-9.]+/)) { sum += substr($2, RSTART + 4, RLENGTH - 4); n++ } }
  END { if (n) printf "%.1f", sum / n; else print 1 }' "$RESULTS")
{
  echo "## Load bench $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), shared by the service and wrk;"
  echo "wrk -t$THREADS -c$CONNECTIONS, ${WARMUP} s warm-up then ${DURATION} s measured per scenario, loopback only."
  echo "Each service run: Release build, Production environment, a fresh SQLite file (WAL, synchronous=FULL)."
  echo "\"vs bare\" is against the mean of the two bare Kestrel runs ($(printf '%.0f' "$bare_rps") req/s)."
  echo "Load average (1 min) at start: $LOAD_START; at end: $(cut -d' ' -f1 /proc/loadavg) (other engineers' builds share the cores)."
  echo
  echo "| scenario | req/s | vs bare | p50 ms | p99 ms | non-2xx | errors | peak RSS MB | notes |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  while IFS=$'\t' read -r scenario res mb note; do
    rps=$(field rps "$res"); p50=$(field p50_ms "$res"); p99=$(field p99_ms "$res")
    non2xx=$(field non2xx "$res"); errors=$(field socket_errors "$res"); wrapped=$(field wrapped "$res")
    ratio=$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    # Bare Kestrel ignores webhook-ids, so its reuse of deliveries does not matter; for the service it would.
    [ "${wrapped:-0}" != 0 ] && [[ $scenario != bare* ]] && note="$note; wrapped=$wrapped"
    printf '| %s | %.0f | %s | %.2f | %.2f | %s | %s | %s | %s |\n' "$scenario" "$rps" "$ratio" "$p50" "$p99" "$non2xx" "$errors" "$mb" "$note"
  done <"$RESULTS"
  echo
  echo "jsonl dispatch (backlog = (event, handler) pairs pending or running; drain = from the end of the load to an empty backlog):"
  echo
  echo "| run | ingested req/s | max backlog during load | backlog at load end | drain s | dispatched/s during load | dispatched/s overall |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  while IFS=$'\t' read -r label res monitor; do
    printf '| %s | %.0f | %s | %s | %s | %s | %s |\n' "$label" "$(field rps "$res")" \
      "$(field max_backlog "$monitor")" "$(field backlog_at_end "$monitor")" "$(field drain_s "$monitor")" \
      "$(field dispatch_rate_load "$monitor")" "$(field dispatch_rate_overall "$monitor")"
  done <"$DISPATCH_ROWS"
} >"$OUT/results.md"
# The hand-written part below the marker (micro-benchmarks, targets, what limits them) survives a new run; re-read it
# against the new numbers.
marker='<!-- Notes below this line are kept by bench/run.sh; the table above is replaced on every run. -->'
if [ -f bench/results.md ] && grep -qxF "$marker" bench/results.md; then
  { echo; awk -v m="$marker" 'found || $0 == m { found = 1; print }' bench/results.md; } >>"$OUT/results.md"
fi
cp "$OUT/results.md" bench/results.md
# The pre-signed deliveries are most of the work dir's size (hundreds of MB) and are regenerated on every run.
rm -f "$OUT"/*.tsv
echo
cat bench/results.md
echo
echo "(work dir with logs, SQLite files and wrk outputs: $OUT)"
