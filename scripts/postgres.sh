#!/usr/bin/env bash
# A private, throw-away PostgreSQL 15 cluster for the tests. It never touches the system cluster:
# its data lives in a temporary directory, it listens only on 127.0.0.1 at a free port (54329 or
# the next free one) with trust authentication, and it is stopped and deleted when the shell exits.
#
#   bash scripts/postgres.sh cargo test -p casebook-server   # run one command with it, then stop
#   bash scripts/postgres.sh                                   # start it and wait (Ctrl-C stops)
#   source scripts/postgres.sh; postgres_start; ...; postgres_stop   # from another script
#
# Sets CASEBOOK_TEST_DATABASE_URL=postgres://casebook@127.0.0.1:PORT/postgres; the role `casebook`
# may create databases (each test makes its own). The cluster also offers TLS, with a throw-away
# authority made here: CASEBOOK_TEST_DATABASE_CA is its certificate (the server's certificate
# names only IP 127.0.0.1), for the tests of verified TLS to the database. Plain connections on
# loopback still work, as before.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_FIRST_PORT="${PG_FIRST_PORT:-54329}"
_PG_DIR=""
_PG_BIN=""

# Runs a command as the `postgres` OS user when we are root (initdb and postgres refuse to run as
# root), otherwise as ourselves.
_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_pg_install() {
  if ! dpkg -s postgresql >/dev/null 2>&1; then
    echo "Installing postgresql (for the PostgreSQL backend's tests)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
  fi
  _PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
  [ -x "$_PG_BIN/initdb" ] || die "no PostgreSQL 15 binaries in $_PG_BIN (set PG_BIN to another bin directory)"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "there is no 'postgres' user to run the test cluster as"
  fi
}

postgres_stop() {
  [ -n "$_PG_DIR" ] || return 0
  if [ -f "$_PG_DIR/data/postmaster.pid" ]; then
    _pg_as_owner "$_PG_BIN/pg_ctl" stop -D "$_PG_DIR/data" -m fast -w >/dev/null 2>&1 || true
  fi
  rm -rf "$_PG_DIR"
  _PG_DIR=""
  unset CASEBOOK_TEST_DATABASE_URL CASEBOOK_TEST_DATABASE_CA
}

# A throw-away certificate authority and a server certificate for 127.0.0.1 signed by it, and
# ssl = on. Nothing here is trusted by anything else on the machine.
_pg_tls() {
  command -v openssl >/dev/null || die "openssl is needed to give the test cluster a certificate (scripts/setup.sh installs it)"
  local tls="$_PG_DIR/tls"
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=Casebook test CA (throw-away)" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" >/dev/null 2>&1 || die "could not make the test cluster's authority"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1 || die "could not make the test cluster's key"
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
    -extfile "$tls/server.ext" -out "$tls/server.pem" >/dev/null 2>&1 || die "could not sign the test cluster's certificate"
  chmod 600 "$tls/server.key"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$tls" "$tls/server.key" "$tls/server.pem"; fi
  cat >>"$_PG_DIR/data/postgresql.conf" <<EOF
ssl = on
ssl_cert_file = '$tls/server.pem'
ssl_key_file = '$tls/server.key'
EOF
  export CASEBOOK_TEST_DATABASE_CA="$tls/ca.pem"
}

postgres_start() {
  [ -z "$_PG_DIR" ] || return 0
  _pg_install
  _PG_DIR="$(mktemp -d /tmp/casebook-pg.XXXXXX)"
  # Stop it however the calling shell ends, keeping any EXIT trap the caller already had.
  _PG_PREV_EXIT=""
  local prev
  prev="$(trap -p EXIT)"
  if [ -n "$prev" ]; then
    eval "set -- $prev"
    _PG_PREV_EXIT="$3"
  fi
  trap 'postgres_stop; eval "$_PG_PREV_EXIT"' EXIT
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$_PG_DIR"; fi
  _pg_as_owner "$_PG_BIN/initdb" -D "$_PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$_PG_DIR/initdb.log" 2>&1 \
    || { cat "$_PG_DIR/initdb.log" >&2; die "initdb failed"; }
  cat >>"$_PG_DIR/data/postgresql.conf" <<EOF

# Casebook test cluster: loopback only, private socket directory, throw-away data.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$_PG_DIR'
max_connections = 300
EOF
  _pg_tls
  # Tests throw the data away, so they skip flushing to disk; benchmarks of the central store set
  # CASEBOOK_PG_DURABLE=1 to measure a cluster that flushes every commit, as production does.
  if [ "${CASEBOOK_PG_DURABLE:-0}" != "1" ]; then
    printf 'fsync = off\nfull_page_writes = off\n' >>"$_PG_DIR/data/postgresql.conf"
  fi
  local port started=0
  for port in $(seq "$PG_FIRST_PORT" $((PG_FIRST_PORT + 50))); do
    # Skip ports someone already listens on; pg_ctl also fails if one is taken in between.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      continue
    fi
    if _pg_as_owner "$_PG_BIN/pg_ctl" start -D "$_PG_DIR/data" -o "-p $port" -l "$_PG_DIR/server.log" -w -t 60 >/dev/null; then
      started=1
      break
    fi
  done
  [ "$started" -eq 1 ] || { cat "$_PG_DIR/server.log" >&2 2>/dev/null; die "the test PostgreSQL cluster did not start"; }
  _pg_as_owner "$_PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE casebook LOGIN CREATEDB" >/dev/null \
    || die "could not create the casebook role in the test cluster"
  export CASEBOOK_TEST_DATABASE_URL="postgres://casebook@127.0.0.1:$port/postgres"
  echo "Test PostgreSQL cluster: $CASEBOOK_TEST_DATABASE_URL (data in $_PG_DIR)"
}

# Run directly rather than sourced: start, run the given command (or wait), stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  postgres_start
  if [ "$#" -gt 0 ]; then
    "$@"
  else
    echo "Running; press Ctrl-C to stop it."
    trap 'exit 0' INT TERM
    while :; do sleep 3600 & wait $!; done
  fi
fi
