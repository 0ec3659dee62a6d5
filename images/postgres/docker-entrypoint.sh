#!/bin/sh
# First start: initdb into $PGDATA, the superuser $POSTGRES_USER with $POSTGRES_PASSWORD, the
# database $POSTGRES_DB, password (scram-sha-256) logins from the network. Later starts: the data
# directory is used as it is. Then PostgreSQL runs in the foreground as PID 1.
set -eu

if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
[ $# -gt 0 ] && shift

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA

mkdir -p "$PGDATA"
chmod 700 "$PGDATA" 2>/dev/null || true

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "docker-entrypoint: POSTGRES_PASSWORD is empty; refusing to create a database without a password" >&2
    exit 1
  fi
  echo "docker-entrypoint: first start, initialising $PGDATA for $POSTGRES_USER"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  {
    echo "host all all 0.0.0.0/0 scram-sha-256"
    echo "host all all ::/0 scram-sha-256"
  } >>"$PGDATA/pg_hba.conf"
  # A server only on the Unix socket while the database is created, as the official image does.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres --no-psqlrc --quiet \
      --set db="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') \gexec
SQL
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "docker-entrypoint: database $POSTGRES_DB created"
fi

exec postgres -c listen_addresses='*' "$@"
