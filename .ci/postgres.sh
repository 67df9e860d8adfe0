#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 on 127.0.0.1:PORT in DIR, as the postgres user (it refuses root),
# with a role and database `qrpay` whose password is random; print the URL for QRPAY_TEST_DATABASE_URL.
# Usage: .ci/postgres.sh start DIR PORT  |  .ci/postgres.sh stop DIR
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$1" in
start)
    dir="$2" port="$3"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    chmod 700 "$dir"
    password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    (umask 077; echo "$password" >"$dir/pwfile")
    [ "$(id -u)" = 0 ] && chown postgres "$dir/pwfile"
    if ! as_pg "$bin/initdb" -D "$dir/data" -A scram-sha-256 -U postgres --pwfile="$dir/pwfile" >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        exit 1
    fi
    rm -f "$dir/pwfile"
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -t 60 \
        -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c autovacuum=off -c max_connections=200" -w start >/dev/null; then
        cat "$dir/server.log" >&2
        exit 1
    fi
    as_pg env PGPASSWORD="$password" "$bin/psql" -q -h 127.0.0.1 -p "$port" \
        -U postgres -d postgres -c "CREATE ROLE qrpay LOGIN CREATEDB PASSWORD '$password'" \
        -c "CREATE DATABASE qrpay OWNER qrpay" >/dev/null
    echo "postgresql://qrpay:$password@127.0.0.1:$port/qrpay"
    ;;
stop)
    dir="$2"
    [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
esac
