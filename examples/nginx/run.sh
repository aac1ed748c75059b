#!/usr/bin/env bash
# Starts the gateway example, no containers: `revokd-verifier serve`, an echo application and nginx
# in front of both (nginx.conf.template), as the current user, everything in one run directory.
# Ctrl-C (or SIGTERM) stops all three. See docs/gateway.md.
#
#   REVOKD_VERIFIER_ISSUER=http://127.0.0.1:8080 REVOKD_VERIFIER_AUDIENCE=http://127.0.0.1:8080 \
#   REVOKD_VERIFIER_JWKS_URI=http://127.0.0.1:8080/.well-known/jwks.json \
#   REVOKD_VERIFIER_STREAM_URL=http://127.0.0.1:8080/api/v1/revocations/stream \
#   REVOKD_VERIFIER_CLIENT_ID=… REVOKD_VERIFIER_CLIENT_SECRET_FILE=./stream-secret \
#   REVOKD_VERIFIER_MAX_STALENESS_MS=2000 REVOKD_VERIFIER_FAIL_MODE=closed \
#   examples/nginx/run.sh
#   curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8088/hello
#
# Every REVOKD_VERIFIER_* variable goes to the gateway (revokd-verifier serve --help). Also:
#   NGINX_LISTEN   (127.0.0.1:8088)   where nginx listens
#   UPSTREAM_PORT  (8089)             the echo application's port
#   RUN_DIR        (a new temp dir)   nginx's prefix: its config, pid, logs and temp files
#   REVOKD_VERIFIER_COMMAND           how to run the gateway (default: node <this clone>/packages/verifier/dist/cli.js)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

NGINX_LISTEN="${NGINX_LISTEN:-127.0.0.1:8088}"
UPSTREAM_PORT="${UPSTREAM_PORT:-8089}"
export REVOKD_VERIFIER_PORT="${REVOKD_VERIFIER_PORT:-8081}"
export REVOKD_VERIFIER_HOST="${REVOKD_VERIFIER_HOST:-127.0.0.1}"
RUN_DIR="${RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/revokd-nginx-example-XXXXXX")}"
read -r -a GATEWAY <<< "${REVOKD_VERIFIER_COMMAND:-node $ROOT/packages/verifier/dist/cli.js}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

mkdir -p "$RUN_DIR/tmp"
sed -e "s|@LISTEN@|$NGINX_LISTEN|g" -e "s|@GATEWAY@|$REVOKD_VERIFIER_HOST:$REVOKD_VERIFIER_PORT|g" \
  -e "s|@UPSTREAM@|127.0.0.1:$UPSTREAM_PORT|g" "$HERE/nginx.conf.template" > "$RUN_DIR/nginx.conf"
cp "$HERE/revokd-auth.conf" "$RUN_DIR/revokd-auth.conf"

PIDS=()
stop() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 0' INT TERM

node "$HERE/echo-upstream.mjs" "$UPSTREAM_PORT" &
PIDS+=($!)
"${GATEWAY[@]}" serve &
PIDS+=($!)
# Workers run as this user (as root, nginx would otherwise switch them to nobody).
GLOBALS="daemon off;"
[ "$(id -u)" -eq 0 ] && GLOBALS="$GLOBALS user root;"
"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/error.log" -g "$GLOBALS" &
PIDS+=($!)

# Ready when the gateway can decide and nginx answers (401: it asked the gateway).
for _ in $(seq 300); do
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "run.sh: a process exited (see above; nginx: $RUN_DIR/error.log)" >&2; exit 1; }; done
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REVOKD_VERIFIER_HOST:$REVOKD_VERIFIER_PORT/healthz")" = 200 ] &&
     [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$NGINX_LISTEN/")" = 401 ]; then
    echo "ready: nginx on http://$NGINX_LISTEN, gateway on http://$REVOKD_VERIFIER_HOST:$REVOKD_VERIFIER_PORT, echo upstream on 127.0.0.1:$UPSTREAM_PORT (nginx files in $RUN_DIR)"
    wait -n
    echo "run.sh: a process exited" >&2
    exit 1
  fi
  sleep 0.1
done
echo "run.sh: not ready after 30 s (nginx: $RUN_DIR/error.log)" >&2
exit 1
