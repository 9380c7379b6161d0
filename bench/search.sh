#!/usr/bin/env bash
# Search bench, one command: fills a fresh SQLite file and a fresh throwaway PostgreSQL database with 1,000,000 events,
# then times searches (by job, by meta.<key>, by type + one hour, by text) and a bulk replay of 100,000 matched events
# on each, printing every figure with its target (SearchBench.cs in bench/GeminiHooks.Bench.Load).
# Usage: bench/search.sh [sqlite] [postgres]   (both when none is named)
# Knobs (environment): EVENTS (1000000), SAMPLES (200 per search), REPLAY_PAGE (200, the receiver's replay worker page),
# OUT (work dir; deleted afterwards unless KEEP_WORK=1). PostgreSQL is a throwaway cluster on 127.0.0.1 started by
# tests/scripts/postgres.sh (installed if missing) and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
EVENTS=${EVENTS:-1000000}
SAMPLES=${SAMPLES:-200}
REPLAY_PAGE=${REPLAY_PAGE:-200}
OUT=${OUT:-$(mktemp -d /tmp/geminihooks-search.XXXXXX)}
STORES=("$@")
[ ${#STORES[@]} -eq 0 ] && STORES=(sqlite postgres)
PG_STATE=$OUT/pg

cleanup() {
  [ -f "$PG_STATE/cluster" ] && GEMINIHOOKS_PG_STATE=$PG_STATE tests/scripts/postgres.sh stop >/dev/null 2>&1 || true
  if [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$OUT"; fi
}
trap cleanup EXIT

echo "==> building Release"
dotnet build bench/GeminiHooks.Bench.Load -c Release --nologo -v q -clp:ErrorsOnly
LOAD="dotnet $ROOT/bench/GeminiHooks.Bench.Load/bin/Release/net10.0/GeminiHooks.Bench.Load.dll"
mkdir -p "$OUT"
echo "    work dir: $OUT; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

for store in "${STORES[@]}"; do
  case $store in
    sqlite)
      echo "==> SQLite, $EVENTS events"
      $LOAD search --provider Sqlite --connection "Data Source=$OUT/search.db" --events "$EVENTS" --samples "$SAMPLES" --replay-page "$REPLAY_PAGE"
      ;;
    postgres)
      echo "==> PostgreSQL (throwaway cluster on this machine), $EVENTS events"
      eval "$(GEMINIHOOKS_PG_STATE=$PG_STATE tests/scripts/postgres.sh start)"
      $LOAD search --provider Postgres --connection "$GEMINIHOOKS_TEST_POSTGRES" --events "$EVENTS" --samples "$SAMPLES" --replay-page "$REPLAY_PAGE"
      GEMINIHOOKS_PG_STATE=$PG_STATE tests/scripts/postgres.sh stop >/dev/null 2>&1 || true
      ;;
    *) echo "unknown store '$store' (sqlite or postgres)" >&2; exit 2 ;;
  esac
done
echo "    load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
