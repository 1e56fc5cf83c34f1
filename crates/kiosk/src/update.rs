//! Signed software updates, kiosk side. The app (unprivileged) only fetches and stages:
//! it checks the release manifest's signature with the release key from its configuration
//! and the package's bytes against the manifest, then places both in `updates/ready/`.
//! The root-owned installer (`gongkai-update install`, started by a systemd path unit)
//! checks them again before anything is installed, so a compromised app cannot install
//! a package either.

use crate::blobs::BlobDir;
use gongkai_protocol::paths;
use gongkai_protocol::update::{is_newer, UpdateError, UpdateManifest};
use gongkai_protocol::PublicKey;
use std::path::{Path, PathBuf};

/// The kiosk's Debian package.
pub const PACKAGE: &str = "gongkai-kiosk";

#[derive(Debug, thiserror::Error)]
pub enum UpdateCheckError {
    #[error("server unreachable: {0}")]
    Network(String),
    #[error(transparent)]
    Refused(#[from] UpdateError),
    #[error("update download: {0}")]
    Blob(#[from] crate::blobs::BlobError),
    #[error("staging the update: {0}")]
    Io(#[from] std::io::Error),
}

/// Where staged updates wait for the installer.
pub fn ready_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("updates").join("ready")
}

/// Fetches the newest release if it is newer than `current`, signed by `key`, and
/// stages it. Answers the staged version, or None when there is nothing to do.
pub fn check(
    http: &reqwest::blocking::Client,
    server: &url::Url,
    key: &PublicKey,
    current: &str,
    data_dir: &Path,
) -> Result<Option<String>, UpdateCheckError> {
    let url = server
        .join(paths::relative(&paths::fill(
            paths::UPDATE_LATEST,
            &[PACKAGE],
        )))
        .map_err(|e| UpdateCheckError::Network(e.to_string()))?;
    let resp = http
        .get(url)
        .send()
        .map_err(|e| UpdateCheckError::Network(e.to_string()))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(UpdateCheckError::Network(format!("HTTP {}", resp.status())));
    }
    let manifest: UpdateManifest = resp
        .json()
        .map_err(|e| UpdateCheckError::Network(e.to_string()))?;
    if let Err(e) = manifest.verify(key) {
        tracing::warn!(version = %manifest.version, error = %e, "update refused");
        return Err(e.into());
    }
    if manifest.package != PACKAGE || !is_newer(&manifest.version, current) {
        return Ok(None);
    }
    let ready = ready_dir(data_dir);
    let target = ready.join(&manifest.file);
    if target.is_file() {
        return Ok(None); // staged already, waiting for the installer
    }
    let downloads = BlobDir::new(data_dir.join("updates").join("download"));
    downloads.fetch(http, server, &manifest.sha256)?;
    let path = downloads
        .path(&manifest.sha256)
        .ok_or(UpdateError::Malformed("sha256"))?;
    let bytes = std::fs::read(&path)?;
    if let Err(e) = manifest.verify_file(key, &bytes) {
        let _ = std::fs::remove_file(&path);
        return Err(e.into());
    }
    std::fs::create_dir_all(&ready)?;
    // The manifest first, then the package by rename: the path unit fires on the .deb,
    // and finds its manifest beside it.
    std::fs::write(
        ready.join(format!("{}.json", manifest.file)),
        serde_json::to_vec(&manifest).unwrap_or_default(),
    )?;
    let part = ready.join(format!("{}.part", manifest.file));
    std::fs::write(&part, &bytes)?;
    std::fs::rename(&part, &target)?;
    let _ = std::fs::remove_file(&path);
    tracing::info!(version = %manifest.version, "update staged for installation");
    Ok(Some(manifest.version))
}

/// What the installer did with one staged package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    Installed(String),
    Refused(String, String),
    Failed(String, String),
}

/// Verifies every staged package in `dir` against `key` and runs `installer` (program and
/// arguments; the package path is appended) on each that verifies. Everything staged is
/// removed afterwards, installed or not.
pub fn install_staged(dir: &Path, key: &PublicKey, installer: &[String]) -> Vec<Installed> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut debs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    debs.sort();
    for deb in debs {
        let name = deb
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let manifest_path = dir.join(format!("{name}.json"));
        let verdict = (|| -> Result<(), String> {
            let manifest: UpdateManifest = serde_json::from_slice(
                &std::fs::read(&manifest_path).map_err(|_| "没有签名清单".to_string())?,
            )
            .map_err(|e| e.to_string())?;
            if manifest.file != name {
                return Err("清单与文件名不符".into());
            }
            let bytes = std::fs::read(&deb).map_err(|e| e.to_string())?;
            manifest.verify_file(key, &bytes).map_err(|e| e.to_string())
        })();
        match verdict {
            Err(reason) => out.push(Installed::Refused(name, reason)),
            Ok(()) => {
                let (program, args) = match installer.split_first() {
                    Some(p) => p,
                    None => {
                        out.push(Installed::Failed(name, "no installer".into()));
                        continue;
                    }
                };
                match std::process::Command::new(program)
                    .args(args)
                    .arg(&deb)
                    .status()
                {
                    Ok(s) if s.success() => out.push(Installed::Installed(name)),
                    Ok(s) => out.push(Installed::Failed(name, format!("installer: {s}"))),
                    Err(e) => out.push(Installed::Failed(name, e.to_string())),
                }
            }
        }
        let _ = std::fs::remove_file(&deb);
        let _ = std::fs::remove_file(&manifest_path);
    }
    out
}
