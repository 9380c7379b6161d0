#!/usr/bin/env bash
# Runs the store contract tests against SQLite and a throwaway PostgreSQL server, which it starts first (the
# PostgreSQL tests fail, never skip, without one) and deletes afterwards unless KEEP_POSTGRES=1.
# Extra arguments go to dotnet test, e.g. --filter Postgres.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
eval "$("$ROOT/tests/scripts/postgres.sh" start)"
if [ "${KEEP_POSTGRES:-0}" != 1 ]; then
  trap '"$ROOT/tests/scripts/postgres.sh" stop' EXIT
fi
dotnet test "$ROOT/tests/GeminiHooks.Storage.Tests" "$@"
