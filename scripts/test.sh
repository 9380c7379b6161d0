#!/usr/bin/env bash
# The whole test suite, from a clean clone: installs what the tests need (Node packages for the independent
# signers, PostgreSQL for the store tests, Redis/NATS/RabbitMQ for the broker handlers, an S3-compatible server for the
# S3 artifact store), starts them on loopback,
# runs every test project, and stops them again. Usage: scripts/test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

command -v node >/dev/null || apt_install nodejs npm
# Headless Chromium drives the /admin dashboard test (tests/GeminiHooks.Server.Tests/Operations).
command -v chromium >/dev/null || apt_install chromium
# nginx runs deploy/nginx.conf in front of a receiver (tests/GeminiHooks.Server.Tests/Deployment/NginxConfigTests.cs).
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx
# promtool (alert-rule tests) and prometheus (scraping a receiver in tests/GeminiHooks.Server.Tests/Monitoring).
tests/scripts/prometheus.sh
echo "==> npm ci (tests/js: standardwebhooks, jose, @google/genai)"
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
# @google/genai declares Node >= 22: the SDK test runs on this one (the machine's node when new enough).
GEMINIHOOKS_NODE22="$(tests/scripts/node22.sh)"
export GEMINIHOOKS_NODE22

if [ -x tests/scripts/postgres.sh ]; then
  echo "==> starting a throwaway PostgreSQL"
  eval "$(tests/scripts/postgres.sh start)"
  trap 'tests/scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
fi
if [ -x tests/scripts/brokers.sh ]; then
  echo "==> starting throwaway Redis, NATS and RabbitMQ"
  eval "$(tests/scripts/brokers.sh start)"
  trap 'tests/scripts/postgres.sh stop >/dev/null 2>&1 || true; tests/scripts/brokers.sh stop >/dev/null 2>&1 || true' EXIT
fi
if [ -x tests/scripts/s3.sh ]; then
  echo "==> starting a throwaway S3-compatible server (s3rver)"
  eval "$(tests/scripts/s3.sh start)"
  trap 'tests/scripts/postgres.sh stop >/dev/null 2>&1 || true; tests/scripts/brokers.sh stop >/dev/null 2>&1 || true; tests/scripts/s3.sh stop >/dev/null 2>&1 || true' EXIT
fi

echo "==> dotnet build"
dotnet build GeminiHooks.sln -c Release --nologo -v quiet

# One project after another: the PostgreSQL store tests stop and start the shared server, which
# must not happen while another project uses it. Only *.Tests projects hold tests (not TestSupport).
log=$(mktemp)
status=0
for project in tests/*/*.Tests.csproj; do
  echo "==> dotnet test $project"
  set +e
  dotnet test "$project" -c Release --no-build --nologo "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  set -e
done

# One closing line over all test projects, in the plain form CI reads.
awk '/(Passed|Failed)! +- +Failed: /{
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
