#!/usr/bin/env bash
# Makes sure Debian's prometheus package (prometheus and promtool) is installed: the alert-rule tests run promtool,
# and the Prometheus-in-the-loop test starts its own prometheus on loopback (tests/GeminiHooks.Tests/Monitoring).
# Usage: tests/scripts/prometheus.sh   (prints the promtool version; installs the package when missing)
set -euo pipefail
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  # Only the binaries: the package's own service is not wanted (the tests start prometheus themselves).
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # Debian starts the packaged service on install where an init system runs; stop it so port 9090 stays free.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    $sudo systemctl stop prometheus || true
  fi
fi
promtool --version 2>&1 | head -1
