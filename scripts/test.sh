#!/usr/bin/env bash
# The whole test suite: unit and integration tests on SQLite and on a throwaway PostgreSQL.
# Installs what a fresh machine lacks (PostgreSQL from Debian), starts the server on a
# loopback port, and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

if [ ! -d node_modules ]; then npm ci; fi

source scripts/pg.sh
pg_start
trap pg_stop EXIT

source scripts/chromium.sh
chromium_ensure

npx tsc --noEmit -p .
npx biome check src test bench scripts
npx vitest run "$@"
