#!/usr/bin/env bash
# Artifacts bench, one command: bench/artifacts.sh
#   1. a 1 GB batch responses file (1,048,576 lines of 1 KiB) downloaded from the emulator and stored on the file
#      system: MB/s from the event to "stored", and the receiver's RSS growth meanwhile (targets: >= 200 MB/s, <= 64 MB);
#   2. the same file's lines handed to a result handler that writes each one to /dev/null: lines/s (target >= 50,000).
# The receiver is samples/CustomHandler (the library with AddBatchResultHandler<AppendBatchResults>), SQLite store; the
# Gemini API is `geminihooks emulate`. Everything listens on 127.0.0.1 (ports 18861, 18862). Knobs: SIZE_MB (1024),
# LINE_BYTES (1024), OUT (work dir, deleted at the end unless KEEP_WORK=1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZE_MB=${SIZE_MB:-1024}
LINE_BYTES=${LINE_BYTES:-1024}
OUT=${OUT:-$(mktemp -d /tmp/geminihooks-artifacts-bench.XXXXXX)}
EMU_PORT=18861
APP_PORT=18862
API_KEY=bench-api-key
ADMIN=bench-admin-key-0123456789abcdefghijklmn
SECRET=whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${KEEP_WORK:-0}" = 1 ] && echo "work dir kept: $OUT" || rm -rf "$OUT"
}
trap cleanup EXIT
for port in $EMU_PORT $APP_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "port $port is in use; stop what holds it first" >&2; exit 1; fi
done

echo "==> building (Release)"
dotnet build GeminiHooks.sln -c Release -v quiet --nologo >/dev/null
CLI="dotnet $ROOT/src/GeminiHooks.Cli/bin/Release/net10.0/GeminiHooks.Cli.dll"

$CLI emulate --port $EMU_PORT --api-key $API_KEY >"$OUT/emulator.log" 2>&1 &
PIDS+=($!)
ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS=http://127.0.0.1:$APP_PORT Logging__LogLevel__Default=Warning \
GeminiHooks__Static__Secrets__0=$SECRET GeminiHooks__Admin__ApiKey=$ADMIN \
GeminiHooks__Store__ConnectionString="Data Source=$OUT/geminihooks.db" \
GeminiHooks__Gemini__BaseUrl=http://127.0.0.1:$EMU_PORT GeminiHooks__Gemini__ApiKey=$API_KEY \
GeminiHooks__Artifacts__Enabled=true GeminiHooks__Artifacts__Path="$OUT/artifacts" Results__Path=/dev/null \
  dotnet samples/CustomHandler/bin/Release/net10.0/CustomHandler.dll >"$OUT/app.log" 2>&1 &
APP=$!
PIDS+=($APP)
for _ in $(seq 1 120); do
  curl -sf http://127.0.0.1:$APP_PORT/readyz >/dev/null && curl -s http://127.0.0.1:$EMU_PORT/emulator/jobs >/dev/null && break
  sleep 0.5
done

now() { date +%s.%N; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$APP/status"; }

# One batch end to end: creates and finishes it at the emulator, delivers its event, waits for "stored" and for the
# result handler's pass; prints "<seconds to stored> <seconds stored -> all lines handled> <peak RSS kB during download>".
run_batch() {
  local lines=$1 name id start stored done peak rss status
  name=$(curl -s http://127.0.0.1:$EMU_PORT/v1beta/models/gemini-2.5-flash:batchGenerateContent -H "x-goog-api-key: $API_KEY" \
    -H 'content-type: application/json' -d '{"batch": {}}' | jq -r .name)
  id=${name#batches/}
  curl -s http://127.0.0.1:$EMU_PORT/emulator/jobs/finish -H 'content-type: application/json' \
    -d "{\"name\":\"$name\",\"webhook\":\"drop\",\"output_lines\":$lines,\"line_bytes\":$LINE_BYTES}" >/dev/null
  peak=$(rss_kb)
  start=$(now)
  $CLI send --url http://127.0.0.1:$APP_PORT/webhooks/gemini --secret $SECRET --type batch.succeeded \
    --data "{\"id\":\"$name\",\"output_file_uri\":\"files/$id-output\"}" >/dev/null
  while :; do
    rss=$(rss_kb); [ "$rss" -gt "$peak" ] && peak=$rss
    status=$(curl -s -H "Authorization: Bearer $ADMIN" http://127.0.0.1:$APP_PORT/admin/artifacts/$name | jq -r .status)
    [ "$status" = stored ] && break
    [ "$status" = failed ] || [ "$status" = expired ] && { echo "the artifact ended $status" >&2; exit 1; }
    sleep 0.05
  done
  stored=$(now)
  while [ "$(curl -s -H "Authorization: Bearer $ADMIN" http://127.0.0.1:$APP_PORT/admin/artifacts/$name | jq -r '.checkpoints[0].done')" != true ]; do
    sleep 0.05
  done
  done=$(now)
  echo "$(echo "$stored - $start" | bc -l) $(echo "$done - $stored" | bc -l) $peak"
}

echo "==> warm-up: a 16 MB batch"
run_batch $((16 * 1024 * 1024 / LINE_BYTES)) >/dev/null
BASE_RSS=$(rss_kb)
LINES=$((SIZE_MB * 1024 * 1024 / LINE_BYTES))
echo "==> ${SIZE_MB} MB responses file ($LINES lines of $LINE_BYTES bytes)"
read -r DOWNLOAD FEED PEAK < <(run_batch $LINES)
MBS=$(echo "$SIZE_MB / $DOWNLOAD" | bc -l)
GROWTH=$(echo "($PEAK - $BASE_RSS) / 1024" | bc -l)
LPS=$(echo "$LINES / $FEED" | bc -l)
met() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo met; else echo "NOT met"; fi; }
printf '%-58s %12s %12s  %s\n' "measure" "value" "target" "result"
printf '%-58s %9.0f MB/s %7s MB/s  %s\n' "event -> stored (resolve, download, SHA-256, fsync, rename)" "$MBS" ">= 200" "$(met "$MBS >= 200")"
printf '%-58s %10.1f MB %9s MB  %s\n' "receiver RSS growth during the download" "$GROWTH" "<= 64" "$(met "$GROWTH <= 64")"
printf '%-58s %7.0f lines/s %4s lines/s  %s\n' "result lines handed to the handler (/dev/null sink)" "$LPS" ">= 50000" "$(met "$LPS >= 50000")"
echo "(download ${DOWNLOAD} s, handling ${FEED} s, RSS ${BASE_RSS} kB before, ${PEAK} kB peak)"
