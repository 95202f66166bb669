#!/usr/bin/env bash
# Runs every fuzz target for TARGET_SECONDS seconds each (default 30) and fails on any crash.
#
#   fuzz/run.sh 60            # what CI runs
#   fuzz/run.sh 3600 layer    # one target, one hour
#
# Needs only stable Rust: cargo-fuzz's nightly flags are unlocked with RUSTC_BOOTSTRAP=1.
# Installs cargo-fuzz (from crates.io) if it is missing. New corpus entries go to
# fuzz/corpus/TARGET (ignored by git); the committed seeds are in fuzz/seeds/TARGET.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(auth_params split_scheme basic_decode challenge_roundtrip layer forwarded_for
    digest_credentials digest_layer bearer_sources signed_token htpasswd htdigest precis recognize)
fi
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
cargo fuzz build
for t in "${targets[@]}"; do
  echo "=== fuzzing $t for ${secs}s"
  mkdir -p "corpus/$t"
  # -rss_limit_mb: a parser that allocates without bound fails the run.
  cargo fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=1024 -max_len=8192 -print_final_stats=1
done
echo "=== no crash in ${#targets[@]} target(s)"
