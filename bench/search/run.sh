#!/usr/bin/env bash
# Runs the search benchmark; starts a throwaway PostgreSQL (scripts/pg.sh) when the pg
# engine is requested and ATRIUM_TEST_PG is not already set, and stops it on exit.
#   bash bench/search/run.sh --n 100000 --docs 10000 [--engines sqlite,pg] [other run.ts flags]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

engines="sqlite,pg"
prev=""
for arg in "$@"; do
  case "$arg" in
    --engines=*) engines="${arg#--engines=}" ;;
  esac
  if [ "$prev" = "--engines" ]; then engines="$arg"; fi
  prev="$arg"
done

if [[ ",$engines," == *",pg,"* ]]; then
  # shellcheck source=../../scripts/pg.sh
  source scripts/pg.sh
  trap pg_stop EXIT
  pg_start
fi

npx tsx bench/search/run.ts "$@"
