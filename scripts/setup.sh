#!/usr/bin/env bash
# Installs everything Gongkai needs to build, test and demo on Debian 12: system packages,
# tauri-driver and the UI's npm packages. Safe to run again; it skips what is present.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

APT_PACKAGES=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libgtk-3-dev libjavascriptcoregtk-4.1-dev
  librsvg2-dev libayatana-appindicator3-dev
  xvfb xauth fonts-noto-cjk webkit2gtk-driver imagemagick espeak-ng poppler-utils poppler-data rime-data-pinyin-simp
  # Console tests: headless Chromium (Playwright drives it), and LibreOffice Calc to
  # convert spreadsheets the way offices do.
  chromium libreoffice-calc-nogui
  # API conformance: schemathesis from PyPI, in a virtualenv of the project's own.
  python3-venv
  # Deploy tests: systemd-analyze checks the unit files.
  systemd
  # Province scale: tests start throwaway PostgreSQL servers from Debian's binaries, and
  # several server instances behind haproxy.
  postgresql haproxy
  # Benchmarks: an external load generator on its own core (util-linux's taskset pins it).
  wrk util-linux
  # Read-aloud plays through ALSA with aplay (the kiosk has no desktop sound server).
  alsa-utils
  # Handwriting: the zinnia recognizer and its simplified-Chinese model.
  libzinnia-dev tegaki-zinnia-simplified-chinese
  # QR codes read back from kiosk screenshots the way a phone camera reads them.
  zbar-tools
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is needed for the UI build (found $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi
command -v cargo >/dev/null 2>&1 || { echo "Rust (cargo) is needed: https://rustup.rs" >&2; exit 1; }

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "==> cargo install tauri-driver"
  cargo install tauri-driver --locked --version 2.1.0 --quiet
fi

if [ ! -d "$ROOT/ui/node_modules" ] || [ "$ROOT/ui/package-lock.json" -nt "$ROOT/ui/node_modules/.package-lock.json" ]; then
  echo "==> npm ci (ui)"
  (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ ! -d "$ROOT/console-e2e/node_modules" ] || [ "$ROOT/console-e2e/package-lock.json" -nt "$ROOT/console-e2e/node_modules/.package-lock.json" ]; then
  echo "==> npm ci (console-e2e)"
  (cd "$ROOT/console-e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

SCHEMATHESIS_VERSION=4.32.5
if ! "$ROOT/.venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "==> pip install schemathesis==$SCHEMATHESIS_VERSION (.venv)"
  python3 -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
