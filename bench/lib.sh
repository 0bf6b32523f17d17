# Shared by bench/compare and bench/profile (sourced, not run): starts the simulator, a private
# Redis, nginx and the gateway on loopback, runs wrk and reads its figures. Every process
# started here is recorded in PIDS and stopped by bench_cleanup (installed as an EXIT trap).
# Needs: bash, curl, python3 (free ports, the burst client), redis-server; installs nginx-light
# and wrk with apt-get when missing.

PIDS=()
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ugw-bench.XXXXXX")
CLIENT_SECRET=bench-secret
API_KEY="bench-key-$$-$RANDOM"

bench_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}

need_tools() {
  local missing=()
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL: up to 10 s for a 2xx.
wait_http() {
  local _
  for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "no answer from $1 (logs: $WORK)" >&2
  KEEP=1
  exit 1
}

start_redis() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK" --logfile "$WORK/redis.log" & PIDS+=($!)
  local _
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "private redis did not start (logs: $WORK)" >&2; exit 1
}

# Calls per Redis command since start, `name calls` lines. INFO itself is ours, not the gateway's.
redis_calls() {
  redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' \
    | sed -nE 's/^cmdstat_([^:]+):calls=([0-9]+).*/\1 \2/p' | grep -v '^info ' | sort
}

# redis_diff BEFORE_FILE AFTER_FILE → "total" then "cmd n" lines of what happened in between.
redis_diff() {
  awk 'NR==FNR {b[$1]=$2; next} {d=$2-b[$1]; if (d>0) {t+=d; s=s sprintf(" %s %d", $1, d)}}
       END {printf "%d%s\n", t, s}' "$1" "$2"
}

start_simulator() {
  SIM_PORT=$(free_port)
  "$BIN" simulator --port "$SIM_PORT" --client-id bench --client-secret "$CLIENT_SECRET" \
    >"$WORK/simulator.log" 2>&1 & PIDS+=($!)
  SIM_PID=$!
  SIM="http://127.0.0.1:$SIM_PORT"
  wait_http "$SIM/__admin/clock"
}

sim_token() {
  curl -fs -X POST "$SIM/api/oauth/v1/token" -d grant_type=client_credentials \
    -d scope=homeplus.tiersprestations -d client_id=bench -d client_secret="$CLIENT_SECRET" \
    | sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}

token_requests() {
  curl -fs "$SIM/__admin/stats" | sed -E 's/.*"token_requests":([0-9]+).*/\1/'
}

# Registers the bench household directly with the simulator; sets CLIENT.
register_client() {
  CLIENT=$(curl -fs -X POST "$SIM/atp/v1/tiersPrestations/particulier" \
    -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d @bench/particulier.json \
    | sed -E 's/.*"idClient":"([^"]+)".*/\1/')
  [ -n "$CLIENT" ] || { echo "could not register the bench client" >&2; exit 1; }
}

# start_nginx TOKEN: GET /v1/clients/{id} → E2 with a fixed bearer, keep-alive upstream.
start_nginx() {
  NGINX_PORT=$(free_port)
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  upstream simulator {
    server 127.0.0.1:$SIM_PORT;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location ~ "^/v1/clients/([A-Za-z0-9-]{1,50})\$" {
      proxy_pass http://simulator/atp/v1/tiersPrestations/particulier?idClient=\$1;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer $1";
    }
  }
}
EOF
  "$NGINX" -e "$WORK/nginx/error.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" & PIDS+=($!)
  NGINX_PID=$!
  NGINX_URL="http://127.0.0.1:$NGINX_PORT"
}

# build_bare: the bare forwarder (bench/bare-forwarder, its own workspace and Cargo.lock, the
# gateway's crate versions and release profile); sets BARE_BIN. BARE_BIN=path skips the build.
build_bare() {
  if [ -z "${BARE_BIN:-}" ]; then
    cargo build --release --locked -q --manifest-path bench/bare-forwarder/Cargo.toml \
      --target-dir target/bare-forwarder
    BARE_BIN=target/bare-forwarder/release/bare-forwarder
  fi
}

# start_bare TOKEN [WORKERS]: the bare forwarder at the simulator with a fixed bearer; sets
# BARE_PID and BARE_URL. WORKERS 0 (the default) is one per CPU, like the gateway.
start_bare() {
  local port
  port=$(free_port)
  "$BARE_BIN" "$port" "$SIM" "$1" "${2:-0}" >"$WORK/bare.log" 2>&1 & PIDS+=($!)
  BARE_PID=$!
  BARE_URL="http://127.0.0.1:$port"
}

# start_gateway [WORKERS [NAME=VALUE...]]: a fresh gateway on the private Redis and the standalone
# simulator, with these extra settings; sets GW_PID and GW. WORKERS 0 (the default) is one per CPU.
# The events poller is off: what is measured is the read path. (On, its per-tenant lease renewal,
# one script of 3 Redis commands every events.lease_seconds / 3, shows in the Redis count: with
# a 30 s lease, 15 commands over a run of 448 723 reads, none of them made by a read.)
GW_COUNT=0
start_gateway() {
  GW_COUNT=$((GW_COUNT + 1))
  local port
  port=$(free_port)
  env -u RUST_LOG \
    GATEWAY__SERVER__HOST=127.0.0.1 GATEWAY__SERVER__PORT="$port" \
    GATEWAY__SERVER__WORKERS="${1:-0}" GATEWAY__SERVER__DRAIN_SECONDS=0 \
    GATEWAY__SERVER__SHUTDOWN_TIMEOUT_SECONDS=1 \
    GATEWAY__LOG__LEVEL=info GATEWAY__LOG__FORMAT=json \
    GATEWAY__UPSTREAM__ENVIRONMENT=embedded GATEWAY__UPSTREAM__BASE_URL="$SIM" \
    GATEWAY__REDIS__URL="redis://127.0.0.1:$REDIS_PORT" \
    GATEWAY__TENANTS__BENCH__CLIENT_ID=bench GATEWAY__TENANTS__BENCH__CLIENT_SECRET="$CLIENT_SECRET" \
    GATEWAY__TENANTS__BENCH__API_KEY_HASHES="$("$BIN" hash-key "$API_KEY")" \
    GATEWAY__EVENTS__ENABLED=false \
    "${@:2}" "$BIN" serve >"$WORK/gateway-$GW_COUNT.log" 2>&1 & PIDS+=($!)
  GW_PID=$!
  GW="http://127.0.0.1:$port"
  wait_http "$GW/readyz"
}

stop_gateway() {
  kill "$GW_PID" 2>/dev/null || true
  wait "$GW_PID" 2>/dev/null || true
}

# CPU time (user + system, all threads) used so far by these processes, in clock ticks.
cpu_ticks() {
  local p t=0
  for p in "$@"; do
    t=$((t + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)))
  done
  echo "$t"
}

# Peak resident set of a process, in kB.
peak_rss_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
    else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
    else print "nan" }'
}

# load NAME URL AUTH CONNS SECONDS: wrk with --latency; prints "rps p50_ms p99_ms requests errors"
# (errors = non-2xx/3xx answers + socket errors). The raw output is kept in $WORK/wrk-NAME.txt.
load() {
  local out="$WORK/wrk-$1.txt"
  wrk -t"${THREADS:-2}" -c"$4" -d"$5s" --latency -H "Authorization: Bearer $3" "$2" >"$out" 2>&1 || true
  local rps p50 p99 reqs errs
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  reqs=$(awk '/requests in/ {print $1}' "$out")
  errs=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")
  echo "${rps:-0} ${p50:-nan} ${p99:-nan} ${reqs:-0} $errs"
}

median() {
  sort -g | awk '{a[NR] = $1} END {
    if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
