#!/usr/bin/env bash
# Runs the Gongkai demo: a central server with the demo county (云溪县) and a kiosk window
# for 石桥村 pointed at it. Installs what it needs first (scripts/setup.sh).
#
# With no display (a server or CI machine) the kiosk runs under Xvfb; the script saves a
# screenshot and prints where it is. Either way it prints the console's address and keeps
# running until Ctrl-C.
#
#   GONGKAI_DEMO_PORT=8700          server port
#   GONGKAI_DEMO_VILLAGE=419901102201   which village's kiosk to open
#   GONGKAI_DEMO_EXIT=1             exit after the screenshot instead of waiting
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
"$ROOT/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PORT="${GONGKAI_DEMO_PORT:-8700}"
VILLAGE="${GONGKAI_DEMO_VILLAGE:-419901102201}"
DATA="$ROOT/demo-data"
SHOT="$ROOT/artifacts/demo-kiosk.png"
mkdir -p "$ROOT/artifacts"

echo "==> building the UI, server and kiosk app (first time: a few minutes)"
(cd ui && npm run --silent build >/dev/null)
cargo build --quiet -p gongkai-server -p gongkai-kiosk-app
BIN="$CARGO_TARGET_DIR/debug"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

rm -rf "$DATA"
"$BIN/gongkai-server" demo --data "$DATA" --listen "127.0.0.1:$PORT" >"$ROOT/artifacts/demo-server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/v1/health" >/dev/null 2>&1 && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "The server did not start:" >&2; cat "$ROOT/artifacts/demo-server.log" >&2; exit 1
  fi
  sleep 0.2
done
head -2 "$ROOT/artifacts/demo-server.log"

# Use the desktop if there is one; otherwise a virtual display of our own.
display_num="${DISPLAY:-}"; display_num="${display_num#*:}"; display_num="${display_num%%.*}"
if [ -n "${DISPLAY:-}" ] && [ -e "/tmp/.X11-unix/X$display_num" ]; then
  headless=0
else
  headless=1
  # Xvfb picks a free display itself (it knows which lock files are stale) and writes its
  # number to the file on fd 3.
  numfile="$(mktemp)"
  Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 3>"$numfile" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -s "$numfile" ] && break; sleep 0.1; done
  [ -s "$numfile" ] || { echo "Xvfb did not start" >&2; exit 1; }
  DISPLAY=":$(head -1 "$numfile" | tr -d '[:space:]')"
  rm -f "$numfile"
  export DISPLAY
fi

GONGKAI_KIOSK_CONFIG="$DATA/kiosks/$VILLAGE.toml" GONGKAI_KIOSK_DATA="$DATA/kiosk-$VILLAGE" \
  "$BIN/gongkai-kiosk" >"$ROOT/artifacts/demo-kiosk.log" 2>&1 &
pids+=($!)

echo
echo "Console:        http://127.0.0.1:$PORT/  (log in as county or county2 — a whole-county emergency needs both —, shiqiao, liuwan, shiqiaocun or yangzhuang; password yunxi-demo-2026)"
echo "Kiosk config:   $DATA/kiosks/$VILLAGE.toml"
if [ "$headless" = 1 ]; then
  # Give the kiosk time to start, sync and paint before the picture is taken.
  sleep 10
  import -display "$DISPLAY" -window root "$SHOT"
  echo "No display here: the kiosk runs under Xvfb on $DISPLAY."
  echo "Kiosk screenshot: $SHOT"
else
  echo "The kiosk window is open on $DISPLAY."
fi
if [ "${GONGKAI_DEMO_EXIT:-0}" = 1 ]; then
  exit 0
fi
echo "Press Ctrl-C to stop the demo."
wait "${pids[0]}"
