#!/usr/bin/env bash
# Builds the kiosk's Debian package from built binaries:
#   deploy/build-kiosk-deb.sh [BIN_DIR] [OUT_DIR]
# BIN_DIR holds gongkai-kiosk and gongkai-update (default: target/release, after
# `cargo build --release -p gongkai-kiosk-app -p gongkai-kiosk`); the package goes to
# OUT_DIR (default: target/deb). Sign it afterwards with `gongkai-update sign`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="${1:-${CARGO_TARGET_DIR:-$ROOT/target}/release}"
OUT="${2:-${CARGO_TARGET_DIR:-$ROOT/target}/deb}"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
ARCH=$(dpkg --print-architecture)
PKG="$OUT/pkg"
rm -rf "$PKG"
install -d "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/lib/systemd/system" "$PKG/etc/gongkai" \
  "$PKG/usr/share/doc/gongkai-kiosk"
install -m 0755 "$BIN/gongkai-kiosk" "$BIN/gongkai-update" "$PKG/usr/bin/"
install -m 0644 "$ROOT"/deploy/kiosk/*.service "$ROOT"/deploy/kiosk/*.timer \
  "$ROOT"/deploy/kiosk/*.path "$PKG/lib/systemd/system/"
install -m 0644 "$ROOT/kiosk-config/village-shiqiao.toml" "$PKG/usr/share/doc/gongkai-kiosk/kiosk.toml.example"
install -m 0644 "$ROOT/deploy/README.md" "$PKG/usr/share/doc/gongkai-kiosk/README.md"
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: gongkai-kiosk
Version: $VERSION
Architecture: $ARCH
Maintainer: Gongkai <ops@gongkai.invalid>
Depends: cage, libwebkit2gtk-4.1-0, libgtk-3-0, fonts-noto-cjk, espeak-ng, alsa-utils, rime-data-pinyin-simp, libzinnia0, tegaki-zinnia-simplified-chinese, grim
Section: misc
Priority: optional
Description: Gongkai public notice kiosk (政务村务公开查询屏)
 Shows a county's disclosures, village finance, subsidy lists and relocation boards
 offline, verified against the central server's signatures; takes residents' complaints.
 Runs full screen under cage with a systemd watchdog, a memory ceiling, a nightly
 restart and signed updates.
CONTROL
cat > "$PKG/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  getent passwd gongkai >/dev/null || adduser --system --group --home /var/lib/gongkai gongkai
  # audio: the read-aloud plays on the sound card through ALSA (aplay).
  usermod -a -G video,input,render,audio gongkai 2>/dev/null || true
  install -d -o gongkai -g gongkai -m 0750 /var/lib/gongkai /var/lib/gongkai/updates
  systemctl daemon-reload || true
  systemctl enable gongkai-kiosk.service gongkai-kiosk-nightly.timer gongkai-update.path || true
  # An upgrade installed by gongkai-update restarts the app on the new version.
  if [ -n "$2" ]; then systemctl try-restart gongkai-kiosk.service || true; fi
fi
POSTINST
chmod 0755 "$PKG/DEBIAN/postinst"
mkdir -p "$OUT"
dpkg-deb --build --root-owner-group -Z"${DEB_COMPRESSION:-xz}" "$PKG" "$OUT/gongkai-kiosk_${VERSION}_${ARCH}.deb" >/dev/null
rm -rf "$PKG"
echo "$OUT/gongkai-kiosk_${VERSION}_${ARCH}.deb"
