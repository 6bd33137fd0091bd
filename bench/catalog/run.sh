#!/usr/bin/env bash
# Runs the catalog benchmark (or another runner given first, e.g. bench/load/run.ts); starts a
# throwaway PostgreSQL (scripts/pg.sh) when the pg engine is requested and ATRIUM_TEST_PG is
# not already set, and stops it on exit.
#   bash bench/catalog/run.sh --sizes 1000,10000 [--engines sqlite,pg] [other run.ts flags]
#   bash bench/catalog/run.sh bench/load/run.ts --n 100000 [--engines sqlite,pg]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

runner="bench/catalog/run.ts"
if [[ "${1:-}" == *.ts ]]; then
  runner="$1"
  shift
fi

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

npx tsx "$runner" "$@"
