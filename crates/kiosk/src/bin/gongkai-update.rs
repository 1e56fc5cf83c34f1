//! Release tooling and the kiosk's update installer.
//!
//!   gongkai-update keygen KEYFILE                  make a release key (prints the public key)
//!   gongkai-update sign --key KEYFILE --version V FILE.deb   print the signed manifest
//!   gongkai-update sign-downgrade --key KEYFILE --version V --reason TEXT   print a downgrade order
//!   gongkai-update install --key PUBFILE --dir DIR --work ROOTDIR
//!                  [--installer "dpkg -i"] [--installed-version V]
//!
//! `install` runs as root from deploy/kiosk/gongkai-update.service: it copies each staged
//! package into ROOTDIR (root's own), verifies the copy — the release key's signature, the
//! bytes, a version newer than the installed one (from dpkg, or --installed-version)
//! unless a signed downgrade order names it — and installs that copy.

use gongkai_kiosk::update::{install_staged, InstallPlan, Installed, PACKAGE};
use gongkai_protocol::update::{DowngradeOrder, UpdateManifest};
use gongkai_protocol::{PublicKey, SigningKey};
use std::path::Path;
use std::process::ExitCode;

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    match args.first().map(String::as_str) {
        Some("keygen") => {
            let out = args.get(1).ok_or("keygen KEYFILE")?;
            if Path::new(out).exists() {
                return Err(format!("{out} exists; not overwriting a key"));
            }
            let key = gongkai_kiosk::fleet::load_or_create_key(Path::new(out))
                .map_err(|e| e.to_string())?;
            println!("{}", key.public().to_base64());
            Ok(ExitCode::SUCCESS)
        }
        Some("sign") => {
            let key_path = flag(args, "--key").ok_or("--key KEYFILE")?;
            let version = flag(args, "--version").ok_or("--version V")?;
            let file = args.last().ok_or("FILE.deb")?;
            let key = SigningKey::from_base64(
                &std::fs::read_to_string(&key_path).map_err(|e| format!("{key_path}: {e}"))?,
            )
            .map_err(|e| e.to_string())?;
            let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
            let name = Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or("FILE.deb")?;
            let m = UpdateManifest::sign(&key, PACKAGE, &version, &name, &bytes);
            println!(
                "{}",
                serde_json::to_string_pretty(&m).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Some("sign-downgrade") => {
            let key_path = flag(args, "--key").ok_or("--key KEYFILE")?;
            let version = flag(args, "--version").ok_or("--version V")?;
            let reason = flag(args, "--reason").ok_or("--reason TEXT")?;
            let key = SigningKey::from_base64(
                &std::fs::read_to_string(&key_path).map_err(|e| format!("{key_path}: {e}"))?,
            )
            .map_err(|e| e.to_string())?;
            let o = DowngradeOrder::sign(&key, PACKAGE, &version, &reason);
            println!(
                "{}",
                serde_json::to_string_pretty(&o).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Some("install") => {
            let key_path = flag(args, "--key").ok_or("--key PUBFILE")?;
            let dir = flag(args, "--dir").ok_or("--dir DIR")?;
            let work = flag(args, "--work").ok_or("--work ROOTDIR")?;
            let installed = match flag(args, "--installed-version") {
                Some(v) => v,
                None => installed_version(),
            };
            let installer: Vec<String> = flag(args, "--installer")
                .unwrap_or_else(|| "dpkg -i".into())
                .split_whitespace()
                .map(str::to_string)
                .collect();
            let key = PublicKey::from_base64(
                &std::fs::read_to_string(&key_path).map_err(|e| format!("{key_path}: {e}"))?,
            )
            .map_err(|e| e.to_string())?;
            let mut ok = true;
            let plan = InstallPlan {
                staged: Path::new(&dir),
                work: Path::new(&work),
                key: &key,
                installer: &installer,
                installed_version: &installed,
            };
            for r in install_staged(&plan) {
                match r {
                    Installed::Installed(n) => println!("installed {n}"),
                    Installed::Refused(n, why) => {
                        ok = false;
                        eprintln!("refused {n}: {why}");
                    }
                    Installed::Failed(n, why) => {
                        ok = false;
                        eprintln!("failed {n}: {why}");
                    }
                }
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        _ => Err("usage: gongkai-update keygen|sign|install (see --help in the source)".into()),
    }
}

/// The kiosk package's installed version from dpkg; "0" when it is not installed.
fn installed_version() -> String {
    std::process::Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", PACKAGE])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "0".into())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run(&args).unwrap_or_else(|e| {
        eprintln!("gongkai-update: {e}");
        ExitCode::from(1)
    })
}
