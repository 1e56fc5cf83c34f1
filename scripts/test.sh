#!/usr/bin/env bash
# Runs every Gongkai check and test, after installing what they need (scripts/setup.sh):
# formatting, lints, UI type-check and unit tests, Rust unit and integration tests, and the
# kiosk app in a real window under Xvfb driven through WebDriver.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
"$ROOT/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export GONGKAI_ARTIFACTS="${GONGKAI_ARTIFACTS:-$ROOT/artifacts}"
mkdir -p "$GONGKAI_ARTIFACTS"
step() { echo; echo "==> $*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "UI: type-check, unit tests, build"
(cd ui && npm run --silent check && npm run --silent test && npm run --silent build)

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo build (server, kiosk app)"
cargo build --workspace --quiet

step "cargo test (unit, integration, bindings freshness)"
cargo test --workspace --quiet

step "fuzzing: every cargo-fuzz target for ${FUZZ_SECONDS:-20} s (long mode: FUZZ_SECONDS=1800 scripts/fuzz.sh)"
"$ROOT/scripts/fuzz.sh"

step "benchmarks, smoke mode (proves they run; no thresholds, nothing written)"
cargo run --quiet -p gongkai-bench -- --quick > "$GONGKAI_ARTIFACTS/bench-smoke.md"

step "API conformance: schemathesis against the OpenAPI document"
cargo test -p gongkai-tests --test openapi --quiet -- --ignored

step "web console in headless Chromium through Playwright"
cargo test -p gongkai-tests --test console_browser --quiet -- --ignored

step "kiosk app under Xvfb through WebDriver"
cargo test -p gongkai-tests --test e2e --quiet -- --ignored --test-threads=1

echo
echo "All checks passed. Screenshots: $GONGKAI_ARTIFACTS"
