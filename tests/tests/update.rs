//! Signed software updates end to end: a real .deb built with dpkg-deb, signed with a
//! release key (`gongkai-update sign`), published with `gongkai-server release`, fetched
//! and staged by the kiosk engine, installed by `gongkai-update install`. A manifest
//! signed by another key, a package whose bytes changed, and a package slipped into the
//! staging directory by hand are all refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_protocol::update::UpdateManifest;
use gongkai_protocol::SigningKey;
use gongkai_server::Store;
use gongkai_tests::{kiosk_config_text, TestServer};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin(name: &str) -> PathBuf {
    // Integration tests run from target/debug/deps; the workspace's binaries are beside.
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(Path::parent).unwrap();
    let path = debug.join(name);
    assert!(
        path.is_file(),
        "{} not built (cargo build --workspace)",
        path.display()
    );
    path
}

/// A real Debian package with one file.
fn deb(dir: &Path, version: &str) -> PathBuf {
    let root = dir.join(format!("pkg-{version}"));
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/share/gongkai")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: gongkai-kiosk\nVersion: {version}\nArchitecture: all\nMaintainer: Gongkai <ops@gongkai.invalid>\nDescription: test package\n"
        ),
    )
    .unwrap();
    std::fs::write(root.join("usr/share/gongkai/VERSION"), version).unwrap();
    let out = dir.join(format!("gongkai-kiosk_{version}_all.deb"));
    let status = Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group"])
        .arg(&root)
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    out
}

fn sign(key_file: &Path, version: &str, deb: &Path) -> String {
    let out = Command::new(bin("gongkai-update"))
        .args(["sign", "--key"])
        .arg(key_file)
        .args(["--version", version])
        .arg(deb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn release(server: &TestServer, manifest: &str, deb: &Path, dir: &Path) -> std::process::Output {
    let m = dir.join("manifest.json");
    std::fs::write(&m, manifest).unwrap();
    Command::new(bin("gongkai-server"))
        .args(["release", "--data"])
        .arg(&server.data.root)
        .arg("--manifest")
        .arg(&m)
        .arg("--file")
        .arg(deb)
        .output()
        .unwrap()
}

#[test]
fn a_signed_update_is_staged_and_installed_and_a_wrongly_signed_one_is_refused() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let keys = tmp.path().join("keys");
    std::fs::create_dir_all(&keys)?;
    let release_key = keys.join("release.key");
    let out = Command::new(bin("gongkai-update"))
        .arg("keygen")
        .arg(&release_key)
        .output()?;
    assert!(out.status.success());
    let public = String::from_utf8(out.stdout)?.trim().to_string();
    std::fs::write(keys.join("release.pub"), &public)?;

    let kiosk_dir = tmp.path().join("kiosk");
    let config = KioskConfig::parse(
        &format!(
            "update_public_key = \"{public}\"\n{}",
            kiosk_config_text(&server.url(), &server.public_key_b64()?, None)
        ),
        "test",
    )?;
    let kiosk = Kiosk::open(config, &kiosk_dir)?;
    assert_eq!(kiosk.check_update()?, None, "nothing released yet");

    // A release signed by someone else's key: published (the server only passes it on),
    // refused by the kiosk, nothing staged.
    let v2 = deb(tmp.path(), "0.2.0");
    let stranger = keys.join("stranger.key");
    Command::new(bin("gongkai-update"))
        .arg("keygen")
        .arg(&stranger)
        .output()?;
    let forged = sign(&stranger, "0.2.0", &v2);
    let r = release(&server, &forged, &v2, tmp.path());
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let err = kiosk.check_update().unwrap_err();
    assert!(
        err.to_string().contains("not signed by the release key"),
        "{err}"
    );
    let ready = gongkai_kiosk::update::ready_dir(&kiosk_dir);
    assert!(!ready.exists() || std::fs::read_dir(&ready)?.next().is_none());
    // The server itself refuses it when told the release key.
    let m = tmp.path().join("forged.json");
    std::fs::write(&m, &forged)?;
    let r = Command::new(bin("gongkai-server"))
        .args(["release", "--data"])
        .arg(&server.data.root)
        .arg("--manifest")
        .arg(&m)
        .arg("--file")
        .arg(&v2)
        .args(["--release-key", &public])
        .output()?;
    assert!(!r.status.success());

    // Properly signed: staged with its manifest.
    let good = sign(&release_key, "0.2.0", &v2);
    assert!(release(&server, &good, &v2, tmp.path()).status.success());
    assert_eq!(kiosk.check_update()?, Some("0.2.0".into()));
    assert!(ready.join("gongkai-kiosk_0.2.0_all.deb").is_file());
    assert_eq!(kiosk.check_update()?, None, "staged once");

    // A package slipped into the staging directory by hand, with a manifest signed by
    // another key, and one whose bytes changed after signing.
    let v3 = deb(tmp.path(), "0.3.0");
    std::fs::copy(&v3, ready.join("gongkai-kiosk_0.3.0_all.deb"))?;
    std::fs::write(
        ready.join("gongkai-kiosk_0.3.0_all.deb.json"),
        sign(&stranger, "0.3.0", &v3),
    )?;
    let v4 = deb(tmp.path(), "0.4.0");
    let m4 = sign(&release_key, "0.4.0", &v4);
    let mut bytes = std::fs::read(&v4)?;
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(ready.join("gongkai-kiosk_0.4.0_all.deb"), bytes)?;
    std::fs::write(ready.join("gongkai-kiosk_0.4.0_all.deb.json"), m4)?;

    // The installer (here dpkg-deb --info instead of dpkg -i, which would change this
    // machine) installs only the good one and clears the directory.
    let out = Command::new(bin("gongkai-update"))
        .arg("install")
        .arg("--key")
        .arg(keys.join("release.pub"))
        .arg("--dir")
        .arg(&ready)
        .arg("--work")
        .arg(tmp.path().join("root-work"))
        .args(["--installer", "dpkg-deb --info"])
        .args(["--installed-version", "0.1.0"])
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("installed gongkai-kiosk_0.2.0_all.deb"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Package: gongkai-kiosk"),
        "dpkg-deb read the package: {stdout}"
    );
    assert!(
        stderr.contains("refused gongkai-kiosk_0.3.0_all.deb"),
        "{stderr}"
    );
    assert!(
        stderr.contains("refused gongkai-kiosk_0.4.0_all.deb"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&ready)?.count(), 0);

    // The manifest the server holds verifies independently.
    let latest = server
        .store()?
        .latest_release("gongkai-kiosk")?
        .expect("released");
    let m: UpdateManifest = serde_json::from_str(&latest)?;
    let key = SigningKey::from_base64(&std::fs::read_to_string(&release_key)?)?;
    assert!(m.verify(&key.public()).is_ok());
    Ok(())
}

/// Stages a signed package by hand (as the app would) and returns its bytes.
fn stage(ready: &Path, key: &Path, version: &str, tmp: &Path) -> Vec<u8> {
    let pkg = deb(tmp, version);
    let name = pkg.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::create_dir_all(ready).unwrap();
    std::fs::write(ready.join(format!("{name}.json")), sign(key, version, &pkg)).unwrap();
    std::fs::copy(&pkg, ready.join(&name)).unwrap();
    std::fs::read(pkg).unwrap()
}

#[test]
fn an_older_signed_package_is_refused_unless_the_release_key_orders_the_downgrade() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let keys = tmp.path().join("keys");
    std::fs::create_dir_all(&keys)?;
    let release_key = keys.join("release.key");
    let public = Command::new(bin("gongkai-update"))
        .arg("keygen")
        .arg(&release_key)
        .output()?;
    let public = String::from_utf8(public.stdout)?.trim().to_string();
    let key = gongkai_protocol::PublicKey::from_base64(&public)?;
    let ready = tmp.path().join("ready");
    let work = tmp.path().join("root-work");
    let installer = vec!["dpkg-deb".to_string(), "--info".to_string()];
    let plan = |installed: &'static str| gongkai_kiosk::update::InstallPlan {
        staged: &ready,
        work: &work,
        key: &key,
        installer: &installer,
        installed_version: installed,
    };
    use gongkai_kiosk::update::{install_staged, Installed};

    // 0.2.0 installed; a properly signed 0.1.5 (and a re-sent 0.2.0) are refused.
    stage(&ready, &release_key, "0.1.5", tmp.path());
    stage(&ready, &release_key, "0.2.0", tmp.path());
    let done = install_staged(&plan("0.2.0"));
    assert_eq!(done.len(), 2);
    for d in &done {
        assert!(
            matches!(d, Installed::Refused(_, why) if why.contains("不比已安装的")),
            "{d:?}"
        );
    }
    assert_eq!(
        std::fs::read_dir(&ready)?.count(),
        0,
        "refused files removed"
    );

    // A downgrade order signed by another key does not count; the release key's does.
    for (signer, expect_installed) in [(None, false), (Some(&release_key), true)] {
        stage(&ready, &release_key, "0.1.5", tmp.path());
        let order_key = match signer {
            Some(k) => k.clone(),
            None => {
                let other = keys.join("other.key");
                if !other.exists() {
                    Command::new(bin("gongkai-update"))
                        .arg("keygen")
                        .arg(&other)
                        .output()?;
                }
                other
            }
        };
        let order = Command::new(bin("gongkai-update"))
            .args(["sign-downgrade", "--key"])
            .arg(&order_key)
            .args(["--version", "0.1.5", "--reason", "0.2.0 的打印功能有误"])
            .output()?;
        assert!(order.status.success());
        std::fs::write(
            ready.join("gongkai-kiosk_0.1.5_all.deb.downgrade.json"),
            order.stdout,
        )?;
        let done = install_staged(&plan("0.2.0"));
        assert_eq!(
            matches!(done.as_slice(), [Installed::Installed(_)]),
            expect_installed,
            "{done:?}"
        );
    }
    Ok(())
}

#[test]
fn a_package_swapped_after_staging_is_never_installed() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let release_key = tmp.path().join("release.key");
    let public = Command::new(bin("gongkai-update"))
        .arg("keygen")
        .arg(&release_key)
        .output()?;
    let key = gongkai_protocol::PublicKey::from_base64(String::from_utf8(public.stdout)?.trim())?;
    let ready = tmp.path().join("ready");
    let work = tmp.path().join("root-work");
    let good = stage(&ready, &release_key, "0.3.0", tmp.path());
    // Another package with the same name (here: the good one with its last byte changed).
    let mut evil = good.clone();
    let last = evil.len() - 1;
    evil[last] ^= 0xFF;
    // The "installer" records what it was given: the path and the bytes' hash.
    let record = tmp.path().join("installed.txt");
    let installer = vec![
        "sh".to_string(),
        "-c".to_string(),
        format!("sha256sum \"$0\" > '{}'", record.display()),
    ];
    let plan = gongkai_kiosk::update::InstallPlan {
        staged: &ready,
        work: &work,
        key: &key,
        installer: &installer,
        installed_version: "0.2.0",
    };
    // The kiosk user swaps the staged file after the installer verified it, before it
    // installs: what is installed is still the verified copy in root's directory.
    let staged = ready.join("gongkai-kiosk_0.3.0_all.deb");
    let done = gongkai_kiosk::update::install_staged_with(&plan, || {
        std::fs::write(&staged, &evil).unwrap();
    });
    assert!(
        matches!(
            done.as_slice(),
            [gongkai_kiosk::update::Installed::Installed(_)]
        ),
        "{done:?}"
    );
    let line = std::fs::read_to_string(&record)?;
    let (hash, path) = line.trim().split_once("  ").unwrap();
    assert_eq!(
        hash,
        gongkai_protocol::sha256_hex(&good),
        "the swapped file was installed"
    );
    assert!(path.starts_with(&work.display().to_string()), "{path}");

    // Swapped before the installer ran: the copy is of the swapped bytes, which do not
    // match the manifest: refused, nothing installed.
    stage(&ready, &release_key, "0.3.0", tmp.path());
    std::fs::write(&staged, &evil)?;
    std::fs::remove_file(&record)?;
    let done = gongkai_kiosk::update::install_staged(&plan);
    assert!(
        matches!(
            done.as_slice(),
            [gongkai_kiosk::update::Installed::Refused(..)]
        ),
        "{done:?}"
    );
    assert!(!record.exists(), "something was installed");
    Ok(())
}
