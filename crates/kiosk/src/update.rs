//! Signed software updates, kiosk side. The app (unprivileged) only fetches and stages:
//! it checks the release manifest's signature with the release key from its configuration
//! and the package's bytes against the manifest, then places both in `updates/ready/`.
//! The root-owned installer (`gongkai-update install`, started by a systemd path unit)
//! copies each package into a directory only root can write, checks that copy again —
//! signature, bytes, and a version newer than the installed one unless the release key
//! ordered the downgrade — and installs that same copy, so a compromised app can neither
//! install a package of its own, nor an old signed one, nor swap the file in between.

use crate::blobs::BlobDir;
use gongkai_protocol::paths;
use gongkai_protocol::update::{is_newer, DowngradeOrder, UpdateError, UpdateManifest};
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

/// How the root installer runs.
pub struct InstallPlan<'a> {
    /// Where the app stages packages (owned by the kiosk user).
    pub staged: &'a Path,
    /// A directory only root can write: each package is copied here, verified here and
    /// installed from here, so nothing the kiosk user does to the staged file after the
    /// copy reaches the installer.
    pub work: &'a Path,
    pub key: &'a PublicKey,
    /// Program and arguments; the package path is appended.
    pub installer: &'a [String],
    /// The version installed now ("0" when none): an older or equal one is refused
    /// unless a downgrade order signed by the release key names it.
    pub installed_version: &'a str,
}

/// Copies, verifies and installs every staged package (see [`InstallPlan`]). Everything
/// staged is removed afterwards, installed or not.
pub fn install_staged(plan: &InstallPlan) -> Vec<Installed> {
    install_staged_with(plan, || {})
}

/// [`install_staged`] with a hook run after a package is verified and before it is
/// installed: tests swap the staged file there, as an attacker racing the installer would.
#[doc(hidden)]
pub fn install_staged_with(plan: &InstallPlan, between: impl Fn()) -> Vec<Installed> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(plan.staged) else {
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
        let manifest_path = plan.staged.join(format!("{name}.json"));
        let order_path = plan.staged.join(format!("{name}.downgrade.json"));
        match copy_and_verify(plan, &deb, &name, &manifest_path, &order_path) {
            Err(reason) => out.push(Installed::Refused(name, reason)),
            Ok(copy) => {
                between();
                out.push(run_installer(plan.installer, &copy, name));
                let _ = std::fs::remove_file(&copy);
            }
        }
        for p in [&deb, &manifest_path, &order_path] {
            let _ = std::fs::remove_file(p);
        }
    }
    out
}

/// The package copied into the work directory (read once: the bytes verified are the
/// bytes written), then checked: signature, bytes, name, version.
fn copy_and_verify(
    plan: &InstallPlan,
    deb: &Path,
    name: &str,
    manifest_path: &Path,
    order_path: &Path,
) -> Result<PathBuf, String> {
    let manifest: UpdateManifest = serde_json::from_slice(
        &std::fs::read(manifest_path).map_err(|_| "没有签名清单".to_string())?,
    )
    .map_err(|e| e.to_string())?;
    if manifest.file != name || manifest.package != PACKAGE {
        return Err("清单与文件名不符".into());
    }
    std::fs::create_dir_all(plan.work).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(deb).map_err(|e| e.to_string())?;
    manifest
        .verify_file(plan.key, &bytes)
        .map_err(|e| e.to_string())?;
    if !is_newer(&manifest.version, plan.installed_version) {
        let ordered = std::fs::read(order_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<DowngradeOrder>(&b).ok())
            .is_some_and(|o| o.allows(plan.key, PACKAGE, &manifest.version));
        if !ordered {
            return Err(format!(
                "版本 {} 不比已安装的 {} 新（没有发布密钥签署的降级指令）",
                manifest.version, plan.installed_version
            ));
        }
        tracing::warn!(version = %manifest.version, "downgrade ordered by the release key");
    }
    let copy = plan.work.join(name);
    let _ = std::fs::remove_file(&copy);
    // create_new: a file (or link) planted in the work directory is never written through.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&copy)
        .map_err(|e| e.to_string())?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| e.to_string())?;
    Ok(copy)
}

fn run_installer(installer: &[String], package: &Path, name: String) -> Installed {
    let Some((program, args)) = installer.split_first() else {
        return Installed::Failed(name, "no installer".into());
    };
    match std::process::Command::new(program)
        .args(args)
        .arg(package)
        .status()
    {
        Ok(s) if s.success() => Installed::Installed(name),
        Ok(s) => Installed::Failed(name, format!("installer: {s}")),
        Err(e) => Installed::Failed(name, e.to_string()),
    }
}
