#!/usr/bin/env bash
# Builds in release mode, runs the benchmarks and rewrites BENCHMARKS.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo run --release --quiet -p gongkai-bench -- --write "$@"
