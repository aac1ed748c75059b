#!/usr/bin/env bash
# Starts a local revokd cluster to try: 3 instances (compiled, `node dist/src/cli/main.js serve`) on
# one PostgreSQL database and one Redis, behind HAProxy. docs/operations.md, "Running several
# instances", explains the topology and every setting used here.
#
#   scripts/cluster/start.sh            # PostgreSQL (the machine's, database revokd_cluster)
#   scripts/cluster/start.sh --private-postgres  # a PostgreSQL server of its own (initdb; port 55432)
#   scripts/cluster/start.sh --sqlite   # one shared SQLite file instead (no PostgreSQL needed)
#   scripts/cluster/stop.sh [--purge]   # stops what this started (--purge: also its data)
#
# Environment (all optional):
#   REVOKD_CLUSTER_DIR       state of the cluster (default ./data/cluster): secret, logs, pids, data dirs
#   REVOKD_CLUSTER_PORT      HAProxy's port (default 8090); instances on the next free ports from 8081
#   REVOKD_CLUSTER_INSTANCES how many instances (default 3)
#   REVOKD_DATABASE_URL      a postgres:// URL to use instead of creating revokd_cluster on 127.0.0.1:5432
#   REVOKD_REDIS_URL         default redis://127.0.0.1:6379
#   REVOKD_REDIS_PREFIX      default revokd-cluster: (stop.sh --purge deletes the keys under it)
#   REVOKD_ADMIN_EMAIL / REVOKD_ADMIN_PASSWORD   first admin (default admin@example.com, generated password)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO="$(pwd)"

MODE=postgres
for arg in "$@"; do
  case "$arg" in
    --sqlite) MODE=sqlite ;;
    --private-postgres) MODE=private-postgres ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $arg (try --help)" >&2; exit 2 ;;
  esac
done

DIR="$(mkdir -p "${REVOKD_CLUSTER_DIR:-data/cluster}" && cd "${REVOKD_CLUSTER_DIR:-data/cluster}" && pwd)"
PROXY_PORT="${REVOKD_CLUSTER_PORT:-8090}"
COUNT="${REVOKD_CLUSTER_INSTANCES:-3}"
REDIS_URL="${REVOKD_REDIS_URL:-redis://127.0.0.1:6379}"
REDIS_PREFIX="${REVOKD_REDIS_PREFIX:-revokd-cluster:}"
ADMIN_EMAIL="${REVOKD_ADMIN_EMAIL:-admin@example.com}"
chmod 700 "$DIR"
mkdir -p "$DIR/logs" "$DIR/pids"

die() { echo "start.sh: $*" >&2; exit 1; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

for pidfile in "$DIR"/pids/*.pid; do
  running "$pidfile" && die "a cluster is already running from $DIR (scripts/cluster/stop.sh stops it)"
done
command -v haproxy >/dev/null || die "haproxy is not installed (Debian: apt-get install haproxy)"
port_in_use "$PROXY_PORT" && die "port $PROXY_PORT is in use (set REVOKD_CLUSTER_PORT)"
redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 || die "Redis does not answer at $REDIS_URL"

# Compiled server: what a deployment runs (and it starts in a fraction of tsx's time).
if [ ! -f dist/src/cli/main.js ]; then
  echo "building dist/ (npm run build)..."
  npm run build --silent
fi

# One service secret for every instance: the audit chain key and the sealing key of the signing
# keys in the database are derived from it. Generated once, never printed.
if [ ! -s "$DIR/secret" ]; then
  (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' > "$DIR/secret")
fi
chmod 600 "$DIR/secret"
SECRET="$(cat "$DIR/secret")"

if [ -n "${REVOKD_ADMIN_PASSWORD:-}" ]; then
  ADMIN_PASSWORD="$REVOKD_ADMIN_PASSWORD"
else
  if [ ! -s "$DIR/admin-password" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '\n/+=' > "$DIR/admin-password")
  fi
  ADMIN_PASSWORD="$(cat "$DIR/admin-password")"
fi

# A PostgreSQL server of the cluster's own, for a machine without one running: initdb once (as the
# postgres user when run as root: initdb refuses root), then pg_ctl start on 127.0.0.1:55432.
start_private_postgres() {
  local bin pgdir as_pg=()
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [ -x "$bin/initdb" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
  if [ -s "$DIR/private-postgres-dir" ]; then pgdir="$(cat "$DIR/private-postgres-dir")"; else
    # Outside $DIR (0700, the caller's): the postgres user must be able to reach it.
    pgdir="$(mktemp -d /tmp/revokd-cluster-postgres.XXXXXX)"
    echo "$pgdir" > "$DIR/private-postgres-dir"
  fi
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pgdir"; as_pg=(runuser -u postgres --); fi
  [ -f "$pgdir/data/PG_VERSION" ] || "${as_pg[@]}" "$bin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 >"$DIR/logs/initdb.log" 2>&1 \
    || die "initdb failed; see $DIR/logs/initdb.log"
  "${as_pg[@]}" "$bin/pg_ctl" start -w -D "$pgdir/data" -l "$pgdir/server.log" \
    -o "-p ${REVOKD_CLUSTER_PG_PORT:-55432} -k $pgdir -c listen_addresses=127.0.0.1" >/dev/null \
    || die "the private PostgreSQL did not start; see $pgdir/server.log"
  psql -h 127.0.0.1 -p "${REVOKD_CLUSTER_PG_PORT:-55432}" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'revokd_cluster'" | grep -q 1 \
    || createdb -h 127.0.0.1 -p "${REVOKD_CLUSTER_PG_PORT:-55432}" -U postgres revokd_cluster
  DATABASE_URL="postgres://postgres@127.0.0.1:${REVOKD_CLUSTER_PG_PORT:-55432}/revokd_cluster"
}

if [ "$MODE" = private-postgres ]; then
  start_private_postgres
elif [ "$MODE" = postgres ]; then
  if [ -n "${REVOKD_DATABASE_URL:-}" ]; then
    DATABASE_URL="$REVOKD_DATABASE_URL"
  else
    pg_isready -h 127.0.0.1 -p 5432 -q || die "no PostgreSQL on 127.0.0.1:5432 (start it, set REVOKD_DATABASE_URL, or use --private-postgres or --sqlite)"
    if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'revokd_cluster'" | grep -q 1; then
      createdb -h 127.0.0.1 -U postgres revokd_cluster || die "could not create database revokd_cluster"
    fi
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/revokd_cluster"
  fi
else
  # Every instance opens the same file, from one data dir: one machine, as SQLite requires.
  mkdir -p "$DIR/shared-data"
  DATABASE_URL="sqlite:$DIR/shared-data/revokd.db"
fi

# Free ports for the instances, from 8081 up (8080 is left to a single `npm start`).
PORTS=()
candidate=8081
while [ "${#PORTS[@]}" -lt "$COUNT" ]; do
  if [ "$candidate" != "$PROXY_PORT" ] && ! port_in_use "$candidate"; then PORTS+=("$candidate"); fi
  candidate=$((candidate + 1))
done

ISSUER="http://127.0.0.1:$PROXY_PORT"
# What the CLI needs to act on this cluster's store (0600: it carries the secret).
(umask 077 && cat > "$DIR/cluster.env" <<ENV
REVOKD_DATABASE_URL=$DATABASE_URL
REVOKD_DATA_DIR=$([ "$MODE" = sqlite ] && echo "$DIR/shared-data" || echo "$DIR/instance-cli")
REVOKD_SECRET=$SECRET
REVOKD_ISSUER=$ISSUER
REVOKD_REDIS_URL=$REDIS_URL
REVOKD_REDIS_PREFIX=$REDIS_PREFIX
ENV
)

start_instance() {
  local i="$1" port="${PORTS[$(($1 - 1))]}" data
  data="$([ "$MODE" = sqlite ] && echo "$DIR/shared-data" || echo "$DIR/instance-$i")"
  mkdir -p "$data"
  env PORT="$port" HOST=127.0.0.1 REVOKD_DATA_DIR="$data" REVOKD_DATABASE_URL="$DATABASE_URL" \
    REVOKD_SECRET="$SECRET" REVOKD_ISSUER="$ISSUER" REVOKD_TRUSTED_PROXIES=127.0.0.1 \
    REVOKD_REDIS_URL="$REDIS_URL" REVOKD_REDIS_PREFIX="$REDIS_PREFIX" \
    REVOKD_ADMIN_EMAIL="$ADMIN_EMAIL" REVOKD_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    nohup node "$REPO/dist/src/cli/main.js" serve >"$DIR/logs/instance-$i.log" 2>&1 &
  echo $! > "$DIR/pids/instance-$i.pid"
}
wait_ready() {
  local i="$1" port="${PORTS[$(($1 - 1))]}"
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && return 0
    running "$DIR/pids/instance-$i.pid" || die "instance $i exited; see $DIR/logs/instance-$i.log"
    sleep 0.1
  done
  die "instance $i is not ready after 30 s; see $DIR/logs/instance-$i.log"
}

# The first instance alone creates the schema, the first admin and the signing key, so the cluster
# makes one key rather than one per instance (starting all at once works too: the extras are retired).
start_instance 1
wait_ready 1
for i in $(seq 2 "$COUNT"); do start_instance "$i"; done
for i in $(seq 2 "$COUNT"); do wait_ready "$i"; done

SERVERS=""
for i in $(seq "$COUNT"); do SERVERS+="    server revokd$i 127.0.0.1:${PORTS[$((i - 1))]} check"$'\n'; done

sed -e "s|@BIND@|127.0.0.1:$PROXY_PORT|" -e "s|@UPSTREAM_PROXIES@|127.0.0.1|g" -e "s|@CHECK_INTERVAL_MS@|1000|g" \
  "$REPO/scripts/cluster/haproxy.cfg.template" | awk -v servers="$SERVERS" '{ if ($0 == "@SERVERS@") printf "%s", servers; else print }' \
  > "$DIR/haproxy.cfg"
haproxy -c -q -f "$DIR/haproxy.cfg" || die "haproxy refused $DIR/haproxy.cfg"
nohup haproxy -db -f "$DIR/haproxy.cfg" >"$DIR/logs/haproxy.log" 2>&1 &
echo $! > "$DIR/pids/haproxy.pid"
for _ in $(seq 100); do curl -fsS -o /dev/null "$ISSUER/readyz" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "$ISSUER/readyz" || die "HAProxy does not answer on $ISSUER; see $DIR/logs/haproxy.log"

cat <<MSG
revokd cluster running ($MODE): $COUNT instances on 127.0.0.1:${PORTS[*]}, HAProxy on $ISSUER
  store:  $(echo "$DATABASE_URL" | sed 's|//\([^:@/]*\):[^@]*@|//\1:…@|')
  redis:  $REDIS_URL (keys prefixed $REDIS_PREFIX)
  admin:  $ADMIN_EMAIL, password $([ -n "${REVOKD_ADMIN_PASSWORD:-}" ] && echo "from REVOKD_ADMIN_PASSWORD" || echo "in $DIR/admin-password")
  logs:   $DIR/logs/

Try it:
  curl -s $ISSUER/readyz
  curl -s -X POST $ISSUER/api/v1/auth/login -H 'content-type: application/json' \\
    -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"\$(cat $DIR/admin-password)\"}"
  curl -si $ISSUER/readyz | grep -i x-revokd-instance     # which instance answered
  (set -a; . $DIR/cluster.env; node dist/src/cli/main.js audit verify)   # the CLI on the same store

Stop it:
  scripts/cluster/stop.sh            # keeps the data
  scripts/cluster/stop.sh --purge    # also drops the database and $DIR
MSG
