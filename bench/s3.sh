#!/usr/bin/env bash
# The S3 artifact store bench: a large file (SIZE_MB, default 1024) put into a local S3-compatible server (s3rver,
# tests/scripts/s3.sh, a private instance on loopback) through S3ArtifactStore, against what the same server sustains
# for a raw upload (one curl PUT signed with SigV4, and the AWS SDK's TransferUtility), then read back through the
# store and compared by SHA-256. Prints MB/s and peak RSS for each, and the targets met or not:
#   store put >= 0.9 x the rate the local server sustains for a multipart upload (TransferUtility's), store RSS growth
#   <= 64 MB.
# Usage: bench/s3.sh     Knobs: SIZE_MB (1024), RUNS (1), OUT (work dir, deleted unless KEEP_WORK=1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-1}
OUT=${OUT:-$(mktemp -d /tmp/geminihooks-bench-s3.XXXXXX)}
export GEMINIHOOKS_S3_STATE="$OUT/s3state"

cleanup() {
  tests/scripts/s3.sh stop >/dev/null 2>&1 || true
  [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$OUT"
}
trap cleanup EXIT

echo "==> building Release"
dotnet build bench/GeminiHooks.Bench.S3 -c Release --nologo -v q -clp:ErrorsOnly >/dev/null
BENCH="dotnet $ROOT/bench/GeminiHooks.Bench.S3/bin/Release/net10.0/GeminiHooks.Bench.S3.dll"

echo "==> starting a private S3 test server"
eval "$(tests/scripts/s3.sh start)"
# shellcheck disable=SC1091
. "$GEMINIHOOKS_S3_STATE/server"   # PID and DIR of the server, for its own peak RSS and disk use

FILE="$OUT/responses.jsonl"
echo "==> writing a ${SIZE_MB} MB file of random bytes"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$FILE"
BYTES=$(stat -c %s "$FILE")

rate() { awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }

# The disk's own ceiling for the server's work: s3rver writes every part, then reads them back into the object.
disk_copy() {
  local start end
  start=$(date +%s.%N)
  cp "$FILE" "$OUT/copy" && sync "$OUT/copy"
  end=$(date +%s.%N)
  rm -f "$OUT/copy"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

curl_put() {
  curl -sS -f -o /dev/null -w '%{time_total}' --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -T "$FILE" "$GEMINIHOOKS_TEST_S3_URL/$GEMINIHOOKS_TEST_S3_BUCKET/bench/curl-$1"
}

declare -A BEST
best() { # method seconds: keeps the fastest run
  if [ -z "${BEST[$1]:-}" ] || awk -v a="$2" -v b="${BEST[$1]%% *}" 'BEGIN { exit !(a < b) }'; then BEST[$1]="$2 ${3:-}"; fi
}

for run in $(seq 1 "$RUNS"); do
  echo "==> run $run of $RUNS"
  s=$(disk_copy); best cp "$s"; echo "cp + sync        ${s} s  $(rate "$s") MB/s"
  s=$(curl_put "$run"); best curl "$s"; echo "curl PUT         ${s} s  $(rate "$s") MB/s"
  line=$($BENCH transfer "$FILE" "transfer-$run"); s=$(cut -f3 <<<"$line"); best transfer "$s" "$(cut -f5,6 <<<"$line")"
  echo "TransferUtility  ${s} s  $(rate "$s") MB/s  RSS $(cut -f5 <<<"$line") -> peak $(cut -f6 <<<"$line") MB"
  line=$($BENCH store "$FILE" "store-$run"); s=$(cut -f3 <<<"$line"); best store "$s" "$(cut -f5,6 <<<"$line")"
  echo "S3ArtifactStore  ${s} s  $(rate "$s") MB/s  RSS $(cut -f5 <<<"$line") -> peak $(cut -f6 <<<"$line") MB  $(cut -f7 <<<"$line")"
  line=$($BENCH get "$FILE" "store-$run"); s=$(cut -f3 <<<"$line"); best get "$s" "$(cut -f5,6 <<<"$line")"
  echo "read back (GET)  ${s} s  $(rate "$s") MB/s  RSS $(cut -f5 <<<"$line") -> peak $(cut -f6 <<<"$line") MB  $(cut -f7 <<<"$line")"
done
SERVER_PEAK=$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$PID/status" 2>/dev/null || echo "?")

secs() { echo "${BEST[$1]%% *}"; }
mem() { read -r before peak <<<"${BEST[$1]#* }"; echo "$before $peak"; }
read -r store_before store_peak <<<"$(mem store)"
# The like-for-like figure: the same server taking the same file as a multipart upload from the AWS SDK's own uploader.
# (s3rver joins the parts into a new file when the upload completes, so any multipart upload writes the file twice;
# the single curl PUT shows what one request costs it.)
server_rate=$(rate "$(secs transfer)")
store_rate=$(rate "$(secs store)")
growth=$((store_peak - store_before))
verdict() { if [ "$1" = 1 ]; then echo "met"; else echo "NOT met"; fi; }

echo
echo "S3 put of a ${SIZE_MB} MB file to a local s3rver on loopback (best of $RUNS; $(nproc) cores, shared):"
echo
echo "| what | s | MB/s | RSS before -> peak MB |"
echo "| --- | ---: | ---: | ---: |"
echo "| cp + sync (the disk, for reference) | $(secs cp) | $(rate "$(secs cp)") | |"
echo "| curl PUT, one request (raw upload, no multipart) | $(secs curl) | $(rate "$(secs curl)") | |"
read -r b p <<<"$(mem transfer)"; echo "| AWS SDK TransferUtility (raw multipart upload, 16 MiB parts) | $(secs transfer) | $(rate "$(secs transfer)") | $b -> $p |"
echo "| S3ArtifactStore.PutAsync (16 MiB parts, 4 in flight) | $(secs store) | $store_rate | $store_before -> $store_peak |"
read -r b p <<<"$(mem get)"; echo "| S3ArtifactStore.OpenReadAsync, read and hashed | $(secs get) | $(rate "$(secs get)") | $b -> $p |"
echo
echo "s3rver's own peak RSS: ${SERVER_PEAK} MB."
echo "Target: store put >= 0.9 x the rate the local server sustains for a multipart upload ($server_rate MB/s): $store_rate MB/s," \
  "$(verdict "$(awk -v a="$store_rate" -v b="$server_rate" 'BEGIN { print (a >= 0.9 * b) ? 1 : 0 }')")."
echo "Target: store RSS growth <= 64 MB: ${growth} MB, $(verdict "$([ "$growth" -le 64 ] && echo 1 || echo 0)")."
