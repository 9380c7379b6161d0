#!/usr/bin/env bash
# GeminiHooks load bench, one command. Usage:
#   bench/run.sh          the load bench: bare Kestrel ceiling, static on SQLite (group commit on/off, log line off)
#                         and on PostgreSQL, duplicates, dynamic v1a and JWT, jsonl dispatch at 10,000 events/s,
#                         accept -> handler start and retry timing on an idle service; every target with met / not met.
#                         A full run rewrites the table in bench/results.md; a subset run (SCENARIOS) only prints.
#   bench/run.sh micro    BenchmarkDotNet micro-benchmarks of the verifiers (short job)
# Everything listens on 127.0.0.1 and only loopback is targeted. Knobs (environment): DURATION (s, default 10),
# WARMUP (s, default 5: tiered JIT is still busy after 3 s on a shared 2-core machine), CONNECTIONS (64), THREADS (2), RATE (jsonl scenario, default 10000), OUT (work dir),
# SCENARIOS (subset of "bare static dup v1a jwt pg jsonl latency retry"), SERVICE_ENV (extra GeminiHooks__... settings
# for every run), KEEP_WORK=1 (keep the work dir: logs, stores, wrk outputs; it is deleted otherwise), PROFILE=1 (record
# the static SQLite run with perf and print where its CPU goes, by bench/cpu_profile.py; the run is then slower).
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
ALL_SCENARIOS="bare static dup v1a jwt pg jsonl latency retry"
SCENARIOS=${SCENARIOS:-$ALL_SCENARIOS}
read -r -a EXTRA_ENV <<<"${SERVICE_ENV:-}"
SERVICE_PORT=18780
BARE_PORT=18790
JWKS_PORT=18791
PROBE_PORT=18792

if ! command -v wrk >/dev/null; then
  echo "==> installing wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ "${PROFILE:-0}" = 1 ] && ! command -v perf >/dev/null; then
  echo "==> installing perf"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null
fi

# A stray process on one of the bench's ports would answer in the service's place and make every number wrong.
for port in $SERVICE_PORT $BARE_PORT $JWKS_PORT $PROBE_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port on 127.0.0.1 is in use (by: $(ss -ltnp "sport = :$port" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\).*/\1/p')); stop that process first" >&2
    exit 2
  fi
done

echo "==> building Release"
if ! dotnet build GeminiHooks.sln -c Release --nologo -v q -clp:ErrorsOnly >"$OUT.build.log" 2>&1; then
  cat "$OUT.build.log" >&2
  exit 1
fi
rm -f "$OUT.build.log"
SERVER_DIR=$ROOT/src/GeminiHooks.Server/bin/Release/net10.0
LOAD="dotnet $ROOT/bench/GeminiHooks.Bench.Load/bin/Release/net10.0/GeminiHooks.Bench.Load.dll"
BARE_DLL=$ROOT/bench/GeminiHooks.Bench.Bare/bin/Release/net10.0/GeminiHooks.Bench.Bare.dll
LUA=$ROOT/bench/deliveries.lua
mkdir -p "$OUT"
echo "    work dir: $OUT"

PIDS=()
PG_STATE=$OUT/pg
cleanup() {
  # Only processes this script started and that still run what it started (a pid can be reused once it exited).
  for pid in "${PIDS[@]}"; do
    if grep -qs GeminiHooks "/proc/$pid/cmdline"; then kill "$pid" 2>/dev/null || true; fi
  done
  [ -f "$PG_STATE/cluster" ] && GEMINIHOOKS_PG_STATE=$PG_STATE tests/scripts/postgres.sh stop >/dev/null 2>&1 || true
  # The pre-signed deliveries and the stores are hundreds of MB; nothing in them is needed after the report.
  if [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$OUT"; fi
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
      GeminiHooks__RateLimit__Enabled=false \
      "${EXTRA_ENV[@]}" "$@" dotnet GeminiHooks.Server.dll >"$OUT/$name.log" 2>&1
  ) &
  SERVICE_PID=$!
  PIDS+=("$SERVICE_PID")
  wait_ready "http://127.0.0.1:$SERVICE_PORT/readyz" "$SERVICE_PID"
}

DYNAMIC_ENV=(GeminiHooks__Dynamic__Enabled=true
  GeminiHooks__Dynamic__JwksUri="http://127.0.0.1:$JWKS_PORT/.well-known/jwks.json"
  GeminiHooks__Dynamic__Audiences__0=geminihooks-bench
  GeminiHooks__Dynamic__Issuers__0=https://bench.geminihooks.local
  GeminiHooks__Dynamic__Binding__Mode=Off) # the load is about verification, not binding

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
record() { # key, scenario, RESULT line, peak MB, note
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"
}

check_stored() { # name: events in the store after the run (and pairs still pending)
  local counts
  if [ -f "$OUT/$1.db" ]; then
    counts=$($LOAD count --db "$OUT/$1.db")
  else
    counts="events=$(pg_sql "SELECT COUNT(*) FROM events") backlog=$(pg_sql "SELECT COUNT(*) FROM handler_runs WHERE status IN ('pending', 'running')")"
  fi
  echo "    store: $counts" >&2
  echo "$counts"
}

pg_sql() { # query against the bench's PostgreSQL cluster (its superuser is the postgres OS user)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- psql -h 127.0.0.1 -p "$PG_PORT" -d geminihooks_test -tAc "$1"
  else psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d geminihooks_test -tAc "$1"; fi
}

# --- ceiling -------------------------------------------------------------------------------------------------------
if want bare || want static || want dup || want pg || want jsonl; then
  $LOAD gen --scenario static --keys "$OUT/keys" --count "$(per_second 50000)" --threads "$THREADS" --out "$OUT/static" --tag static
fi
# The ceiling is measured first and last; the ratios use the mean of the two, which evens out some of the drift
# of a shared machine.
bare_run() { # key, label
  echo "==> bare Kestrel (ceiling)"
  dotnet "$BARE_DLL" "$BARE_PORT" >"$OUT/bare.log" 2>&1 &
  BARE_PID=$!
  PIDS+=("$BARE_PID")
  wait_ready "http://127.0.0.1:$BARE_PORT/readyz" "$BARE_PID"
  local r
  r=$(run_wrk bare "$OUT/static" /webhooks/gemini "http://127.0.0.1:$BARE_PORT")
  record "$1" "$2" "$r" "$(peak_mb "$BARE_PID")" ""
  stop "$BARE_PID"
  echo "    $r"
}
want bare && bare_run bare-first "bare Kestrel (reads body, 200), first"

# service_scenario KEY LABEL FILE PATH NOTE [env...]: one service run, fresh store. Other engineers share this machine
# and their test runs have been seen to stop stray processes: a service that exits mid-run is run again once, and the
# row says so.
service_scenario() {
  local name=$1 label=$2 file=$3 path=$4 note=$5; shift 5
  local attempt r mb stored perf_pid=""
  for attempt in 1 2; do
    if [ "${PROFILE:-0}" = 1 ] && [ "$name" = static ]; then
      # The runtime writes a perf map so JIT-compiled frames have names (which needs W^X off: with it, code runs from a
      # double mapping perf cannot name); sampled during the measured run only.
      start_service "$name" DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 "$@"
      (sleep $((WARMUP + 1)); exec perf record -q -e cpu-clock -F 499 -g -p "$SERVICE_PID" -o "$OUT/static.perf" -- sleep $((DURATION - 2))) >/dev/null 2>&1 &
      perf_pid=$!
    else
      start_service "$name" "$@"
    fi
    r=$(run_wrk "$name" "$file" "$path" "http://127.0.0.1:$SERVICE_PORT")
    if [ -n "$perf_pid" ]; then
      wait "$perf_pid" || true
      perf script -i "$OUT/static.perf" 2>/dev/null | python3 bench/cpu_profile.py >"$OUT/profile.md" || true
    fi
    if kill -0 "$SERVICE_PID" 2>/dev/null; then
      mb=$(peak_mb "$SERVICE_PID"); stop "$SERVICE_PID"
      echo "    $r"
      stored=$(check_stored "$name")
      [ "$attempt" = 2 ] && note="$note; second attempt (the first service process was stopped from outside)"
      record "$name" "$label" "$r" "$mb" "$stored${note:+, $note}"
      return 0
    fi
    echo "    the service exited during the run ($(tail -c 300 "$OUT/$name.log" | tr '\n' ' ')); running it again" >&2
  done
  record "$name" "$label" "RESULT rps=0 p50_ms=0 p99_ms=0 non2xx=0 socket_errors=0 wrapped=0" "?" "service exited twice"
}

if want static; then
  echo "==> static HMAC on SQLite, Production defaults"
  service_scenario static "static HMAC on SQLite, Production defaults" "$OUT/static" /webhooks/gemini ""
  echo "==> static HMAC, GroupCommit=false"
  service_scenario static-gc-off "static HMAC, group commit off" "$OUT/static" /webhooks/gemini "" GeminiHooks__Store__GroupCommit=false
  # What the one Information line per delivery costs: the same run with that line turned off by configuration.
  echo "==> static HMAC, per-delivery log line off"
  service_scenario static-nolog "static HMAC, per-delivery log line off" "$OUT/static" /webhooks/gemini "" \
    Serilog__MinimumLevel__Override__GeminiHooks.Ingest.IngestEndpoint=Warning
fi

# --- duplicates: 2,000 deliveries stored by the warm-up, then only redeliveries ---------------------------------------
if want dup; then
  echo "==> duplicates (static)"
  $LOAD gen --scenario static --keys "$OUT/keys" --count 2000 --threads "$THREADS" --out "$OUT/dup" --tag dup >/dev/null
  service_scenario dup "duplicates (static, all redeliveries)" "$OUT/dup" /webhooks/gemini \
    "2,000 stored by the warm-up, the run cycles over them"
fi

# --- dynamic v1a and JWT -----------------------------------------------------------------------------------------------
for format in v1a jwt; do
  want $format || continue
  echo "==> dynamic $format"
  if [ $format = v1a ]; then n=$(per_second 25000); else n=$(per_second 20000); fi
  $LOAD gen --scenario $format --keys "$OUT/keys" --count "$n" --threads "$THREADS" --out "$OUT/$format" --tag $format
  if [ $format = v1a ]; then note="JWKS of three Ed25519 keys, signer listed last, no key id in the entry"; else note=""; fi
  service_scenario "$format" "dynamic $format" "$OUT/$format" /webhooks/gemini/dynamic "$note" "${DYNAMIC_ENV[@]}"
done

# --- static on PostgreSQL: a throwaway cluster on loopback, as the tests use ----------------------------------------
if want pg; then
  echo "==> static HMAC on PostgreSQL (throwaway cluster on this machine)"
  eval "$(GEMINIHOOKS_PG_STATE=$PG_STATE tests/scripts/postgres.sh start)"
  PG_PORT=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$GEMINIHOOKS_TEST_POSTGRES")
  service_scenario pg "static HMAC on PostgreSQL, same machine" "$OUT/static" /webhooks/gemini "" \
    GeminiHooks__Store__Provider=Postgres GeminiHooks__Store__ConnectionString="$GEMINIHOOKS_TEST_POSTGRES"
  GEMINIHOOKS_PG_STATE=$PG_STATE tests/scripts/postgres.sh stop >/dev/null 2>&1 || true
fi

# --- jsonl dispatch at RATE events/s, dispatch defaults -----------------------------------------------------------------
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
  record "$name" "$label" "$r" "$mb" "$stored, jsonl lines=$lines$note"
  printf '%s\t%s\t%s\t%s\n' "$name" "$label" "$r" "$monitor" >>"$DISPATCH_ROWS"
}

if want jsonl; then
  $LOAD gen --scenario static --keys "$OUT/keys" --count "$(per_second "$RATE")" --threads "$THREADS" --out "$OUT/jsonl-in" --tag jsonl >/dev/null
  echo "==> jsonl dispatch at $RATE events/s, dispatch defaults"
  jsonl_run jsonl "static + jsonl handler at $RATE/s, dispatch defaults"
fi

# --- dispatch timing on an idle service: accept -> handler start, and retries against their due time --------------
# probe_run KEY LABEL PROBE-ARGS [-- env...]: the service runs an http handler pointed at the probe's listener.
PROBE_ROWS=$OUT/probe.tsv
: >"$PROBE_ROWS"
probe_run() {
  local name=$1 label=$2 probe_args=$3; shift 3
  local r mb
  start_service "$name" GeminiHooks__Handlers__probe__Type=http \
    GeminiHooks__Handlers__probe__Url="http://127.0.0.1:$PROBE_PORT/handler" GeminiHooks__Handlers__probe__Secret="$SECRET" "$@"
  # shellcheck disable=SC2086
  r=$($LOAD probe $probe_args --url "http://127.0.0.1:$SERVICE_PORT/webhooks/gemini" --keys "$OUT/keys" \
    --port "$PROBE_PORT" --log "$OUT/$name.log" | grep '^PROBE')
  mb=$(peak_mb "$SERVICE_PID"); stop "$SERVICE_PID"
  echo "    $r"
  printf '%s\t%s\t%s\t%s\n' "$name" "$label" "$r" "$mb" >>"$PROBE_ROWS"
}
if want latency; then
  echo "==> accept -> handler start, one delivery every 50 ms"
  probe_run latency "accept -> handler start (http handler on loopback), idle service" "--mode latency --count 200 --interval-ms 50"
fi
if want retry; then
  # The first attempt of every delivery fails; its retry is due 0.3 s later (+-20 % jitter), and the next delivery comes
  # a second after the last, so the dispatcher is idle when each retry falls due.
  echo "==> retry timing: first attempts fail, retries due after about 0.3 s"
  probe_run retry "retry due -> retry run, idle dispatcher" "--mode retry --count 20 --warmup 3 --interval-ms 1000" \
    GeminiHooks__Dispatch__RetryBaseDelay=00:00:00.3
fi

want bare && bare_run bare-last "bare Kestrel (reads body, 200), last"
stop "$JWKS_PID"

# --- report -----------------------------------------------------------------------------------------------------------
# row KEY FIELD: a field of a scenario's RESULT line (empty when the scenario did not run).
row() { local line; line=$(awk -F'\t' -v k="$1" '$1 == k { print $3 }' "$RESULTS"); if [ -n "$line" ]; then field "$2" "$line"; fi; }
bare_rps=$(awk -F'\t' '$1 ~ /^bare/ { if (match($3, /rps=[0-9.]+/)) { sum += substr($3, RSTART + 4, RLENGTH - 4); n++ } }
  END { if (n) printf "%.1f", sum / n }' "$RESULTS")
ratio() { # rps of a row against bare, as a percentage ("n/a" without a bare run in this one)
  if [ -n "$bare_rps" ]; then awk -v a="$1" -v b="$bare_rps" 'BEGIN { printf "%.0f%%", 100 * a / b }'; else echo "n/a"; fi
}
TARGETS=$OUT/targets.md
: >"$TARGETS"
target() { # target text, measured text, awk condition over a and b (empty: not run in this subset), values a b
  local verdict
  if [ -z "$3" ]; then verdict="not run"
  elif awk -v a="$4" -v b="${5:-0}" "BEGIN { exit !($3) }"; then verdict="met"
  else verdict="**not met**"; fi
  printf '| %s | %s | %s |\n' "$1" "$2" "$verdict" >>"$TARGETS"
}
static_rps=$(row static rps); static_p99=$(row static p99_ms)
if [ -n "$static_rps" ] && [ -n "$bare_rps" ]; then
  target "static durable on SQLite, Production defaults, log line on: >= 0.50 x bare, p99 <= 10 ms" \
    "$(ratio "$static_rps") of bare, p99 $static_p99 ms" "a / $bare_rps >= 0.50 && b <= 10" "$static_rps" "$static_p99"
else target "static durable on SQLite: >= 0.50 x bare, p99 <= 10 ms" "" ""; fi
dup_rps=$(row dup rps)
if [ -n "$dup_rps" ] && [ -n "$static_rps" ]; then
  target "duplicates >= the accept rate of the same run" "$(printf '%.0f' "$dup_rps") vs $(printf '%.0f' "$static_rps") req/s" "a >= b" "$dup_rps" "$static_rps"
else target "duplicates >= the accept rate of the same run" "" ""; fi
for format in v1a jwt; do
  if [ $format = v1a ]; then want_ratio=0.35; what="dynamic v1a (three Ed25519 keys, no key id)"; else want_ratio=0.30; what="dynamic JWT"; fi
  rps=$(row $format rps)
  if [ -n "$rps" ] && [ -n "$bare_rps" ]; then
    target "$what: >= $want_ratio x bare" "$(ratio "$rps") of bare" "a / $bare_rps >= $want_ratio" "$rps"
  else target "$what: >= $want_ratio x bare" "" ""; fi
done
pg_rps=$(row pg rps)
if [ -n "$pg_rps" ] && [ -n "$static_rps" ]; then
  target "static durable on PostgreSQL >= 0.80 x the SQLite rate" \
    "$(awk -v a="$pg_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }') x ($(printf '%.0f' "$pg_rps") req/s)" "a >= 0.80 * b" "$pg_rps" "$static_rps"
else target "static durable on PostgreSQL >= 0.80 x the SQLite rate" "" ""; fi
drain=$(awk -F'\t' '$1 == "jsonl" { print $4 }' "$DISPATCH_ROWS"); drain=${drain:+$(field drain_s "$drain")}
if [ -n "$drain" ] && [ "$drain" != timeout ]; then
  target "jsonl with dispatch defaults, $RATE events/s offered for ${DURATION} s: backlog empty within 2 s after the load" "drained in $drain s" "a <= 2" "$drain"
elif [ "$drain" = timeout ]; then target "jsonl with dispatch defaults: backlog empty within 2 s" "not drained within 60 s" "0" 0
else target "jsonl with dispatch defaults: backlog empty within 2 s after the load" "" ""; fi
probe_row() { awk -F'\t' -v k="$1" '$1 == k { print $3 }' "$PROBE_ROWS"; }
retry=$(probe_row retry)
if [ -n "$retry" ]; then
  target "retry timing: a pair due at T runs by T + 100 ms (idle dispatcher)" \
    "late by p50 $(field p50_ms "$retry") ms, max $(field max_ms "$retry") ms (n=$(field n "$retry"), missing $(field missing "$retry"))" \
    "a <= 100 && b == 0" "$(field max_ms "$retry")" "$(field missing "$retry")"
else target "retry timing: a pair due at T runs by T + 100 ms" "" ""; fi
latency=$(probe_row latency)
if [ -n "$latency" ]; then
  target "accept -> handler start, idle service: p99 <= 20 ms" \
    "p50 $(field p50_ms "$latency") ms, p99 $(field p99_ms "$latency") ms (n=$(field n "$latency"), missing $(field missing "$latency"))" \
    "a <= 20 && b == 0" "$(field p99_ms "$latency")" "$(field missing "$latency")"
else target "accept -> handler start, idle service: p99 <= 20 ms" "" ""; fi
peak=$(awk -F'\t' '$1 !~ /^bare/ && $4 ~ /^[0-9]+$/ { if ($4 > m) m = $4 } END { if (m) print m }' "$RESULTS" "$PROBE_ROWS")
if [ -n "$peak" ]; then target "peak RSS under load <= 250 MB" "$peak MB (largest service run)" "a <= 250" "$peak"
else target "peak RSS under load <= 250 MB" "" ""; fi

{
  echo "## Load bench $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), shared by the service and wrk;"
  echo "wrk -t$THREADS -c$CONNECTIONS, ${WARMUP} s warm-up then ${DURATION} s measured per scenario, loopback only."
  echo "Each service run: Release build, Production environment, a fresh store (SQLite: WAL, synchronous=FULL)."
  if [ -n "$bare_rps" ]; then
    echo "\"vs bare\" is against the mean of the two bare Kestrel runs ($(printf '%.0f' "$bare_rps") req/s)."
  else
    echo "No bare Kestrel run in this subset, so no ratios."
  fi
  echo "Load average (1 min) at start: $LOAD_START; at end: $(cut -d' ' -f1 /proc/loadavg) (other engineers' builds share the cores)."
  echo
  echo "| target | measured | |"
  echo "| --- | --- | --- |"
  cat "$TARGETS"
  if [ -s "$RESULTS" ]; then
    echo
    echo "| scenario | req/s | vs bare | p50 ms | p99 ms | non-2xx | errors | peak RSS MB | notes |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    while IFS=$'\t' read -r _ scenario res mb note; do
      rps=$(field rps "$res"); p50=$(field p50_ms "$res"); p99=$(field p99_ms "$res")
      non2xx=$(field non2xx "$res"); errors=$(field socket_errors "$res"); wrapped=$(field wrapped "$res")
      # Bare Kestrel ignores webhook-ids, so its reuse of deliveries does not matter; for the service it would.
      [ "${wrapped:-0}" != 0 ] && [[ $scenario != bare* ]] && note="$note; wrapped=$wrapped"
      printf '| %s | %.0f | %s | %.2f | %.2f | %s | %s | %s | %s |\n' "$scenario" "$rps" "$(ratio "$rps")" "$p50" "$p99" "$non2xx" "$errors" "$mb" "$note"
    done <"$RESULTS"
  fi
  if [ -s "$DISPATCH_ROWS" ]; then
    echo
    echo "jsonl dispatch (backlog = (event, handler) pairs pending or running; drain = from the end of the load to an empty backlog):"
    echo
    echo "| run | ingested req/s | max backlog during load | backlog at load end | drain s | dispatched/s during load | dispatched/s overall |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    while IFS=$'\t' read -r _ label res monitor; do
      printf '| %s | %.0f | %s | %s | %s | %s | %s |\n' "$label" "$(field rps "$res")" \
        "$(field max_backlog "$monitor")" "$(field backlog_at_end "$monitor")" "$(field drain_s "$monitor")" \
        "$(field dispatch_rate_load "$monitor")" "$(field dispatch_rate_overall "$monitor")"
    done <"$DISPATCH_ROWS"
  fi
  if [ -s "$OUT/profile.md" ]; then
    echo
    echo "Where the CPU goes in the static SQLite run (perf, cpu-clock at 499 Hz, whole process; bench/cpu_profile.py):"
    echo
    echo "| concern | share of samples |"
    echo "| --- | ---: |"
    cat "$OUT/profile.md"
  fi
  if [ -s "$PROBE_ROWS" ]; then
    echo
    echo "Dispatch timing on an idle service (one delivery at a time; an http handler posts to the probe on loopback):"
    echo
    echo "| probe | n | missing | p50 ms | p99 ms | max ms | peak RSS MB |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    while IFS=$'\t' read -r _ label res mb; do
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(field n "$res")" "$(field missing "$res")" \
        "$(field p50_ms "$res")" "$(field p99_ms "$res")" "$(field max_ms "$res")" "$mb"
    done <"$PROBE_ROWS"
  fi
} >"$OUT/results.md"
echo
if [ "$SCENARIOS" = "$ALL_SCENARIOS" ]; then
  # The hand-written part below the marker (micro-benchmarks, findings) survives a new run; re-read it against the
  # new numbers.
  marker='<!-- Notes below this line are kept by bench/run.sh; the table above is replaced on every run. -->'
  if [ -f bench/results.md ] && grep -qxF "$marker" bench/results.md; then
    { echo; awk -v m="$marker" 'found || $0 == m { found = 1; print }' bench/results.md; } >>"$OUT/results.md"
  fi
  cp "$OUT/results.md" bench/results.md
  cat bench/results.md
  echo
  echo "(bench/results.md rewritten)"
else
  cat "$OUT/results.md"
  echo
  echo "(a subset run: bench/results.md is left as it was)"
fi
[ "${KEEP_WORK:-0}" = 1 ] && echo "(work dir with logs, stores and wrk outputs: $OUT)"
exit 0
