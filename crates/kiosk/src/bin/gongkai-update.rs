//! Release tooling and the kiosk's update installer.
//!
//!   gongkai-update keygen KEYFILE                  make a release key (prints the public key)
//!   gongkai-update sign --key KEYFILE --version V FILE.deb   print the signed manifest
//!   gongkai-update install --key PUBFILE --dir DIR [--installer "dpkg -i"]
//!
//! `install` runs as root from deploy/kiosk/gongkai-update.service: it installs only
//! packages whose manifest the release key signed and whose bytes match it.

use gongkai_kiosk::update::{install_staged, Installed, PACKAGE};
use gongkai_protocol::update::UpdateManifest;
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
        Some("install") => {
            let key_path = flag(args, "--key").ok_or("--key PUBFILE")?;
            let dir = flag(args, "--dir").ok_or("--dir DIR")?;
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
            for r in install_staged(Path::new(&dir), &key, &installer) {
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run(&args).unwrap_or_else(|e| {
        eprintln!("gongkai-update: {e}");
        ExitCode::from(1)
    })
}
