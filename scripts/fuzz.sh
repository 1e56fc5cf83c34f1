#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS each (default 20, as in the test command;
# the long mode is e.g. FUZZ_SECONDS=1800). A crash stops the run, leaves the input in
# fuzz/artifacts/<target>/ and prints how to reproduce it; fixed crashes become
# regression tests beside the code they broke.
#
# cargo-fuzz needs compiler flags that only nightly accepts; this machine has the stable
# toolchain only, so RUSTC_BOOTSTRAP=1 lets stable take them (for the fuzz build only).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/fuzz"
secs="${FUZZ_SECONDS:-20}"
cd "$ROOT/fuzz"
cargo fuzz build -s none --release
log="$CARGO_TARGET_DIR/fuzz-run.log"
for target in protocol kiosk_config import; do
  mkdir -p "corpus/$target" "artifacts/$target"
  echo "--> fuzz $target for ${secs}s"
  # -s none: no sanitizer (safe Rust: panics and aborts are what we look for), so the
  # build needs no nightly-only rebuild of std.
  if ! cargo fuzz run -s none --release "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -max_len=262144 -timeout=10 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
    echo "reproduce: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s none --release $target artifacts/$target/<file>" >&2
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" "$log" | sed 's/^/    /'
done
