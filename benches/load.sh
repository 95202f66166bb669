#!/usr/bin/env bash
# Load test: the axum examples driven by wrk, with no auth and with each scheme, side by side.
#
# Usage:
#   bash benches/load.sh                  # every case whose example exists, 5 s each
#   DURATION=10s CONNS=64 ROUNDS=5 bash benches/load.sh
#
# What it does:
#   1. installs wrk from Debian if it is missing (apt-get install -y wrk);
#   2. builds the examples in release mode (cargo build --release --example ...);
#   3. starts each server on a free port of 127.0.0.1 (nothing listens elsewhere);
#   4. checks one request of every case with curl (the expected status), then, ROUNDS times
#      (3 by default), runs every case once in turn with
#      `wrk -t$THREADS -c$CONNS -d$DURATION --latency`, so that drift of the shared machine
#      hits every case alike;
#   5. prints, side by side (Markdown), each case's requests/s of every round, their median,
#      and the p50/p90/p99 latencies of its median round;
#   6. kills every server it started on exit (trap), including on Ctrl-C or failure.
#
# Cases (a case runs only if its example file exists, so Bearer/Digest/bcrypt cases switch on
# once those branches are merged):
#   no auth            examples/bench_server.rs   GET /open
#   Basic              examples/bench_server.rs   GET /basic with a preemptive Authorization header
#   Basic, wrong pw    examples/bench_server.rs   GET /basic, 401 every time (the failure path)
#   Basic + bcrypt     examples/axum_htpasswd.rs  GET / (bcrypt cost 10 behind the verified-
#                                                 credential cache; CACHE=off turns the cache off)
#   Bearer, Digest     placeholders below (BEARER_*, DIGEST_*): fill in the example, route and
#                      header once the examples settle; Digest needs a per-request nonce, so
#                      it needs a wrk Lua script (benches/wrk/digest.lua) rather than -H.
#
# Bounded in time: every wrk run is wrapped in `timeout`, server start-up waits at most 15 s,
# and the whole script runs ROUNDS x (number of cases) x (DURATION + a second) after the build.
# The machine is shared: server and wrk compete for the same cores, so compare the rows of
# one run with each other, not with another run.

set -euo pipefail

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$(mktemp -d)
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
    done
    rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk is missing: installing it from Debian" >&2
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
command -v curl >/dev/null 2>&1 || { echo "curl is needed" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

basic_header() { # user password
    printf 'Authorization: Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"
}

# start_server EXAMPLE FEATURES [ENV=VALUE...]: builds, starts, waits; sets PORT.
# (Not called in $(...): the server's pid must reach PIDS in this shell, for the trap.)
start_server() {
    local example=$1 features=$2
    shift 2
    cargo build --quiet --release --example "$example" --features "$features" >&2
    local port
    port=$(free_port)
    PORT=$port
    env PORT="$port" "$@" "$ROOT/target/release/examples/$example" >"$OUT/$example.$port.log" 2>&1 &
    PIDS+=("$!")
    local i
    for i in $(seq 1 150); do
        if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
            return
        fi
        sleep 0.1
    done
    echo "$example did not start on port $port:" >&2
    cat "$OUT/$example.$port.log" >&2
    exit 1
}

NAMES=()
declare -A URL=() HEADER=() EXPECT=() SCRIPT=()

# add_case NAME EXPECTED_STATUS URL [HEADER] [LUA_SCRIPT]: checks one request, then queues it.
add_case() {
    local name=$1 expect=$2 url=$3 header=${4:-} script=${5:-}
    local curl_args=(-s -o /dev/null -w '%{http_code}')
    [ -n "$header" ] && curl_args+=(-H "$header")
    local status
    status=$(curl "${curl_args[@]}" "$url")
    if [ -z "$script" ] && [ "$status" != "$expect" ]; then
        echo "case '$name': expected $expect from $url, got $status; skipped" >&2
        return
    fi
    NAMES+=("$name")
    URL[$name]=$url
    HEADER[$name]=$header
    EXPECT[$name]=$expect
    SCRIPT[$name]=$script
}

# run_case NAME ROUND: one wrk run; writes $OUT/<index>.<round>.txt
run_case() {
    local name=$1 round=$2 i=$3
    local args=(-t"$THREADS" -c"$CONNS" -d"$DURATION" --latency)
    [ -n "${HEADER[$name]}" ] && args+=(-H "${HEADER[$name]}")
    [ -n "${SCRIPT[$name]}" ] && args+=(-s "${SCRIPT[$name]}")
    local secs=${DURATION%s}
    timeout $((secs + 15)) wrk "${args[@]}" "${URL[$name]}" >"$OUT/$i.$round.txt" 2>&1 || {
        echo "case '$name': wrk failed" >&2
        cat "$OUT/$i.$round.txt" >&2
    }
}

echo "building and starting servers..." >&2

# --- no auth and Basic: one server, two routes -------------------------------------------
start_server bench_server axum
add_case "no auth" 200 "http://127.0.0.1:$PORT/open"
add_case "Basic (closure verifier)" 200 "http://127.0.0.1:$PORT/basic" "$(basic_header Aladdin 'open sesame')"
add_case "Basic, wrong password" 401 "http://127.0.0.1:$PORT/basic" "$(basic_header Aladdin 'open sesamf')"

# --- Basic + bcrypt behind the verified-credential cache (stores branch) -------------------
if [ -f examples/axum_htpasswd.rs ]; then
    start_server axum_htpasswd axum,htpasswd,tokio
    add_case "Basic + bcrypt, cached" 200 "http://127.0.0.1:$PORT/" "$(basic_header Mufasa 'Circle of Life')"
fi

# --- Bearer (placeholder: set BEARER_EXAMPLE, BEARER_FEATURES, BEARER_PATH, BEARER_TOKEN) --
BEARER_EXAMPLE=${BEARER_EXAMPLE:-}
if [ -n "$BEARER_EXAMPLE" ] && [ -f "examples/$BEARER_EXAMPLE.rs" ]; then
    start_server "$BEARER_EXAMPLE" "${BEARER_FEATURES:-axum}"
    add_case "Bearer" 200 "http://127.0.0.1:$PORT${BEARER_PATH:-/}" "Authorization: Bearer ${BEARER_TOKEN:?set BEARER_TOKEN}"
fi

# --- Digest (placeholder: needs benches/wrk/digest.lua to answer each nonce) --------------
if [ -f examples/axum_digest.rs ] && [ -f benches/wrk/digest.lua ]; then
    start_server axum_digest axum
    add_case "Digest" 200 "http://127.0.0.1:$PORT${DIGEST_PATH:-/protected}" "" benches/wrk/digest.lua
fi

for round in $(seq 1 "$ROUNDS"); do
    for i in "${!NAMES[@]}"; do
        run_case "${NAMES[$i]}" "$round" "$i"
    done
    echo "round $round of $ROUNDS done" >&2
done

# Latency in microseconds from wrk's "167.00us" / "2.41ms" / "1.02s".
to_us() {
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1000000; else print "" }'
}

ROWS=()
for i in "${!NAMES[@]}"; do
    name=${NAMES[$i]}
    per_round=()
    lines=()
    for round in $(seq 1 "$ROUNDS"); do
        f="$OUT/$i.$round.txt"
        rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f")
        per_round+=("${rps:-?}")
        lines+=("${rps:-0} $f")
    done
    # The median round by requests/s.
    median_file=$(printf '%s\n' "${lines[@]}" | sort -n | awk -v m=$(( (ROUNDS + 1) / 2 )) 'NR == m {print $2}')
    median_rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$median_file")
    p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$median_file")")
    p90=$(to_us "$(awk '$1 == "90%" {print $2}' "$median_file")")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$median_file")")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$median_file")
    ROWS+=("| $name | ${EXPECT[$name]} | $(IFS=/; echo "${per_round[*]}") | $median_rps | $p50 | $p90 | $p99 | ${non2xx:-0} |")
done

echo
echo "## Load ($(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS interleaved rounds, server and wrk on the same machine)"
echo
echo "| case | status | requests/s per round | median requests/s | p50 µs | p90 µs | p99 µs | non-2xx (median round) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
    echo "$row"
done
