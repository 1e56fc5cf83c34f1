//! The resident's phone in tests: a QR code read back from a screenshot the way a phone
//! camera reads the screen (Debian's `zbarimg`), and a page opened in headless Chromium at
//! a phone's size through Playwright (`console-e2e/phone.mjs`).

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

/// Every QR code `zbarimg` finds in the image, as text.
pub fn qr_codes(png: &Path) -> Result<Vec<String>> {
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(png)
        .output()
        .context("running zbarimg (Debian package zbar-tools)")?;
    // Exit status 4 means "no symbol found": an empty answer, not an error.
    if !out.status.success() && out.status.code() != Some(4) {
        bail!(
            "zbarimg failed on {}: {}",
            png.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Opens `url` in Chromium at 360×740 (zh-CN), checks the page shows `expect`, and saves
/// a screenshot as `shot` under `artifacts`. Returns the page's text.
pub fn open_on_phone(url: &str, expect: &str, artifacts: &Path, shot: &str) -> Result<String> {
    let out = Command::new("node")
        .arg(crate::repo_root().join("console-e2e/phone.mjs"))
        .arg("open")
        .arg(url)
        .arg(expect)
        .arg(artifacts.join(format!("{shot}.png")))
        .output()
        .context("running node console-e2e/phone.mjs")?;
    if !out.status.success() {
        bail!(
            "phone browser failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}
