#!/usr/bin/env bash
# Sustained Basic-auth throughput of examples/axum_htpasswd.rs, side by side in one run:
#   trivial   a fixed user/password compared in constant time (no hash)
#   cache-on  an htpasswd file with a bcrypt cost-10 entry, credential cache on
#   cache-off the same file, cache off: every request runs bcrypt
# Target (issue 4): cache-on throughput >= half of trivial. Without the cache throughput is
# bounded by bcrypt (about 1/hash-time per core).
#
# Needs wrk (Debian package `wrk`) and curl. 127.0.0.1 only; a few seconds per server.
#   benches/load_bcrypt.sh                  # DURATION=5s CONNS=32 PORT=3004
#
# One run on the 2-CPU development machine (shared, load average ~5.8), wrk 4.1.0,
# release build, wrk and server on the same 2 CPUs:
#   trivial        32389.93 req/s
#   cache-on       31656.79 req/s      cache-on / trivial = 0.98 (target >= 0.50)
#   cache-off          6.50 req/s      (bcrypt-10 took ~140 ms per hash under that load)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5s}
CONNS=${CONNS:-32}
PORT=${PORT:-3004}
for p in wrk curl; do
  command -v "$p" >/dev/null || { echo "$p is not installed (apt-get install $p)" >&2; exit 1; }
done

cargo build -q --release --example axum_htpasswd --features axum,htpasswd,tokio
bin=target/release/examples/axum_htpasswd
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
file="$dir/users.htpasswd"
if command -v htpasswd >/dev/null; then
  htpasswd -cbB -C 10 "$file" Mufasa 'Circle of Life' 2>/dev/null
fi
auth="Authorization: Basic TXVmYXNhOkNpcmNsZSBvZiBMaWZl" # Mufasa:Circle of Life

run() { # name, env assignments...
  local name=$1; shift
  local args=(PORT="$PORT")
  [ -s "$file" ] && args+=(HTPASSWD="$file")
  env "${args[@]}" "$@" "$bin" 2>"$dir/$name.log" &
  local pid=$!
  for _ in $(seq 1 100); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "http://127.0.0.1:$PORT/")" = 200 ]; then break; fi
    sleep 0.1
  done
  local rps
  rps=$(wrk -t2 -c"$CONNS" -d"$DURATION" -H "$auth" "http://127.0.0.1:$PORT/" | awk '/Requests\/sec/ {print $2}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%-10s %12s req/s\n' "$name" "$rps" >&2
  echo "$rps"
}

echo "wrk -t2 -c$CONNS -d$DURATION, bcrypt cost 10, $(nproc) CPUs" >&2
trivial=$(run trivial AUTH=trivial)
cached=$(run cache-on CACHE=on)
uncached=$(run cache-off CACHE=off)
ratio=$(awk -v a="$cached" -v b="$trivial" 'BEGIN { printf "%.2f", a / b }')
echo "cache-on / trivial = $ratio (target >= 0.50); cache-off / trivial = $(awk -v a="$uncached" -v b="$trivial" 'BEGIN { printf "%.4f", a / b }')" >&2
awk -v r="$ratio" 'BEGIN { exit !(r >= 0.5) }'
