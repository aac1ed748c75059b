#!/usr/bin/env bash
# Stops what scripts/cluster/start.sh started (HAProxy first, so no request is sent to an instance
# on its way down, then each instance with SIGTERM, which drains), by the pids it recorded.
#   --purge  also deletes the cluster directory and drops the database start.sh created
set -euo pipefail
cd "$(dirname "$0")/../.."

PURGE=""
for arg in "$@"; do
  case "$arg" in
    --purge) PURGE=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
DIR="${REVOKD_CLUSTER_DIR:-data/cluster}"
[ -d "$DIR/pids" ] || { echo "no cluster state in $DIR"; exit 0; }

# A recorded pid is signalled only while it still runs the program start.sh started (a pid can be
# reused by an unrelated process after a reboot).
stop_pid() {
  local pidfile="$1" expected="$2" pid
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$expected"; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $(basename "$pidfile" .pid) (pid $pid)"
  fi
  rm -f "$pidfile"
}

[ -f "$DIR/pids/haproxy.pid" ] && stop_pid "$DIR/pids/haproxy.pid" haproxy
for pidfile in "$DIR"/pids/instance-*.pid; do
  [ -f "$pidfile" ] && stop_pid "$pidfile" "dist/src/cli/main.js serve"
done

# The private PostgreSQL of --private-postgres (after the instances, which hold connections to it).
if [ -s "$DIR/private-postgres-dir" ]; then
  PGDIR="$(cat "$DIR/private-postgres-dir")"
  BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  AS_PG=(); [ "$(id -u)" -eq 0 ] && AS_PG=(runuser -u postgres --)
  if [ -f "$PGDIR/data/postmaster.pid" ]; then
    "${AS_PG[@]}" "$BIN/pg_ctl" stop -w -D "$PGDIR/data" -m fast >/dev/null && echo "stopped the private PostgreSQL"
  fi
  [ -n "$PURGE" ] && rm -rf "$PGDIR" && echo "removed $PGDIR"
fi

if [ -n "$PURGE" ]; then
  if grep -q '^REVOKD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/revokd_cluster$' "$DIR/cluster.env" 2>/dev/null; then
    dropdb -h 127.0.0.1 -U postgres --if-exists revokd_cluster && echo "dropped database revokd_cluster"
  fi
  # The Redis keys under the cluster's own prefix, as start.sh recorded it.
  REDIS_URL="$(sed -n 's/^REVOKD_REDIS_URL=//p' "$DIR/cluster.env" 2>/dev/null)"
  REDIS_PREFIX="$(sed -n 's/^REVOKD_REDIS_PREFIX=//p' "$DIR/cluster.env" 2>/dev/null)"
  if [ -n "$REDIS_URL" ] && [ -n "$REDIS_PREFIX" ]; then
    redis-cli -u "$REDIS_URL" --scan --pattern "$REDIS_PREFIX*" | xargs -r redis-cli -u "$REDIS_URL" del >/dev/null || true
  fi
  rm -rf "$DIR"
  echo "removed $DIR"
fi
