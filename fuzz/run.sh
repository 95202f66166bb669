#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each (default 30) and fails on any crash.
#
#   fuzz/run.sh 30            # what CI runs
#   fuzz/run.sh 3600 layer    # one target, one hour
#
# Builds with a nightly toolchain (AddressSanitizer needs `-Zsanitizer`), installed with
# rustup when missing; FUZZ_TOOLCHAIN picks another (e.g. nightly-2026-10-29). Drives
# libFuzzer (linked in by libfuzzer-sys) directly with the flags `cargo fuzz build` uses, so
# cargo-fuzz need not be installed. New corpus entries go to fuzz/corpus/TARGET and crashes
# to fuzz/artifacts/TARGET (both ignored by git); the committed seeds are in fuzz/seeds/TARGET.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(auth_params split_scheme oracle basic_decode challenge_roundtrip layer forwarded_for
    digest_credentials digest_layer bearer_sources signed_token htpasswd htdigest precis)
fi
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
if ! cargo "+$toolchain" --version >/dev/null 2>&1; then
  echo "installing the $toolchain toolchain"
  rustup toolchain install "$toolchain" --profile minimal --no-self-update
fi
triple=$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')

# cargo-fuzz 0.13's flags for `cargo fuzz build` (its default: optimised, with debug
# assertions and overflow checks, AddressSanitizer, one codegen unit). `--target` keeps them
# off build scripts and proc macros.
export CARGO_INCREMENTAL=0
# Its own target directory whatever the environment says: these flags would make any build
# shared with the main crate start over.
export CARGO_TARGET_DIR="$PWD/target"
flags=(-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth
  -Cllvm-args=-simplifycfg-branch-fold-threshold=0 --cfg fuzzing -Zsanitizer=address
  -Cdebug-assertions -Ccodegen-units=1)
export RUSTFLAGS="${flags[*]} ${RUSTFLAGS:-}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_odr_violation=0"
bins=()
for t in "${targets[@]}"; do bins+=(--bin "$t"); done
cargo "+$toolchain" build --release --target "$triple" "${bins[@]}"

for t in "${targets[@]}"; do
  echo "=== fuzzing $t for ${secs}s"
  mkdir -p "corpus/$t" "artifacts/$t"
  # -rss_limit_mb: a parser that allocates without bound fails the run.
  "target/$triple/release/$t" "corpus/$t" "seeds/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$secs" -rss_limit_mb=1024 -max_len=8192 -print_final_stats=1
done
echo "=== no crash in ${#targets[@]} target(s)"
