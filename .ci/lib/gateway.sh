# shellcheck shell=bash
# Sourced by .ci scripts: the gateway binary started as a new user starts it, on its embedded
# default (no configuration at all: built-in simulator, demo tenant), on a free port.
#
# start_gateway   (GATEWAY_EXTRA_ENV="NAME=VALUE …" for extra settings) exports GATEWAY_URL, GATEWAY_API_KEY, SIMULATOR_URL from the banner
# stop_gateway    stops it (also on exit)
# Needs GATEWAY_BIN.

GW_PID=""
GW_LOGS="$(mktemp -d)"
stop_gateway() {
  if [ -n "$GW_PID" ]; then
    kill "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
    GW_PID=""
  fi
}
trap 'stop_gateway; rm -rf "$GW_LOGS"' EXIT

# Starts the gateway on its embedded default (no configuration at all: built-in simulator,
# demo tenant) on a free port, and exports what its banner prints.
start_gateway() {
  : >"$GW_LOGS/stderr"
  (
    for v in $(compgen -e); do
      case "$v" in GATEWAY__*|GATEWAY_CONFIG|RUST_LOG) unset "$v" ;; esac
    done
    export GATEWAY__SERVER__HOST=127.0.0.1 GATEWAY__SERVER__PORT=0 GATEWAY__LOG__LEVEL=warn
    # GATEWAY_EXTRA_ENV: space-separated NAME=VALUE settings a caller needs on top.
    for kv in ${GATEWAY_EXTRA_ENV:-}; do export "${kv?}"; done
    exec "$GATEWAY_BIN" serve
  ) >"$GW_LOGS/stdout" 2>"$GW_LOGS/stderr" &
  GW_PID=$!
  local port="" key="" sim=""
  for _ in $(seq 1 300); do
    # The banner (on stdout, once start-up is over): its API line and its `export` line.
    port="$(sed -n 's#^ *API: *http://127\.0\.0\.1:\([0-9]*\) .*#\1#p' "$GW_LOGS/stdout")"
    key="$(sed -n 's#^export KEY=\([^ ]*\) .*#\1#p' "$GW_LOGS/stdout")"
    sim="$(sed -n 's#^export KEY=.* SIM=\(http://127\.0\.0\.1:[0-9]*\)$#\1#p' "$GW_LOGS/stdout")"
    [ -n "$port" ] && [ -n "$key" ] && [ -n "$sim" ] && break
    kill -0 "$GW_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ] || [ -z "$key" ] || [ -z "$sim" ]; then
    echo "clients: the gateway did not print its banner (port, demo key, simulator):" >&2
    cat "$GW_LOGS/stderr" "$GW_LOGS/stdout" >&2
    exit 1
  fi
  export GATEWAY_URL="http://127.0.0.1:$port" GATEWAY_API_KEY="$key" SIMULATOR_URL="$sim"
  echo "gateway pid $GW_PID on $GATEWAY_URL (simulator $SIMULATOR_URL)"
}

