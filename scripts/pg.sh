# Sourced by scripts/test.sh and bench runners: a throwaway PostgreSQL on a loopback port.
# Exports ATRIUM_TEST_PG (a connection string) once the server accepts connections.

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

pg_install() {
  if pg_bin_dir >/dev/null; then return 0; fi
  echo "PostgreSQL not found; installing Debian's postgresql package" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

pg_start() {
  if [ -n "${ATRIUM_TEST_PG:-}" ]; then return 0; fi
  pg_install
  local bin
  bin="$(pg_bin_dir)"
  PG_DIR="$(mktemp -d /tmp/atrium-pg.XXXXXX)"
  PG_PORT="${PG_PORT:-$(( 20000 + RANDOM % 20000 ))}"
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -w -l "$PG_DIR/server.log" \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_BIN="$bin"
  export ATRIUM_TEST_PG="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "PostgreSQL started on 127.0.0.1:$PG_PORT" >&2
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    local as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
