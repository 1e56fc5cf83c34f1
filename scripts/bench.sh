#!/usr/bin/env bash
# Builds in release mode, runs the benchmarks and rewrites BENCHMARKS.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# The kiosk section measures the release build of the app, as kiosks run it.
(cd ui && npm run --silent build >/dev/null)
cargo build --release --quiet -p gongkai-kiosk-app
# The polling figures drive the real server binary from outside (wrk).
cargo build --release --quiet -p gongkai-server
export GONGKAI_APP_BIN="$CARGO_TARGET_DIR/release/gongkai-kiosk"
cargo run --release --quiet -p gongkai-bench -- --write "$@"
