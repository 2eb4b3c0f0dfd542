#!/usr/bin/env bash
# Makes a local PostgreSQL answer on 127.0.0.1:5432 for the fleet-mode tests (user postgres, trust
# auth from 127.0.0.1 only). Safe to run again: it installs Debian's postgresql only when no
# cluster tool is present, starts the newest cluster only when it is down, and adds the trust line
# to pg_hba.conf only when a connection as postgres over TCP fails.
# Debian's package starts no server inside a container without systemd, so the cluster is started
# with pg_ctlcluster directly.
set -euo pipefail
say() { echo "start-postgres: $*"; }
die() { echo "start-postgres: $*" >&2; exit 1; }

sudo=''
[ "$(id -u)" -eq 0 ] || sudo='sudo'

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
  say "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

# The newest installed server version that has a cluster (Debian creates "main" on install).
version=$(pg_lsclusters --no-header 2>/dev/null | awk '$2 == "main" { print $1 }' | sort -V | tail -n 1)
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$version" ] || die "no PostgreSQL server is installed under /usr/lib/postgresql"
  say "creating cluster $version/main"
  $sudo pg_createcluster "$version" main >/dev/null
fi
conf_dir="/etc/postgresql/$version/main"

status=$(pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }')
port=$(pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
[ "$port" = "5432" ] || die "cluster $version/main listens on port $port, not 5432 (set port = 5432 in $conf_dir/postgresql.conf)"
if [ "$status" != "online" ]; then
  say "starting cluster $version/main"
  $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
    die "cluster $version/main did not start (see /var/log/postgresql/postgresql-$version-main.log)"
fi

ready=0
for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p 5432; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" -eq 1 ] || die "127.0.0.1:5432 is not accepting connections after 30 s (see /var/log/postgresql/postgresql-$version-main.log)"

can_connect() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -w -Atqc 'SELECT 1' >/dev/null 2>&1; }
if ! can_connect; then
  hba="$conf_dir/pg_hba.conf"
  say "allowing user postgres from 127.0.0.1 without a password (trust, $hba)"
  # pg_hba.conf is read top-down and the first matching line wins, so the trust line goes first.
  tmp=$(mktemp)
  { echo 'host all postgres 127.0.0.1/32 trust'; $sudo cat "$hba"; } >"$tmp"
  $sudo cp "$tmp" "$hba"
  rm -f "$tmp"
  $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 1 20); do can_connect && break; sleep 0.25; done
  can_connect || die "user postgres still cannot connect to 127.0.0.1:5432 without a password (check $hba)"
fi
say "PostgreSQL $version ready on 127.0.0.1:5432 (user postgres)"
