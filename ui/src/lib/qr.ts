// The tracking code as a QR code, so a resident can photograph it or a kiosk's scanner
// can read it back. Only the module grid is computed here; the screen draws it as SVG.
import qrcode from "qrcode-generator";

/** Rows of dark (true) and light modules for `text`, error correction level M: a bare
 * tracking code in the compact alphanumeric mode, anything else (a phone page's URL) as
 * bytes. */
export function qrModules(text: string): boolean[][] {
  const qr = qrcode(0, "M");
  qr.addData(text, /^[0-9A-Z $%*+\-./:]*$/.test(text) ? "Alphanumeric" : "Byte");
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}
