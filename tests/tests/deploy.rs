//! deploy/: the systemd units are valid (systemd-analyze verify finds nothing but the
//! programs not being installed on this machine) and keep the properties the kiosk
//! relies on; the kiosk's Debian package builds and holds the app, the installer, the
//! units and the dependencies a bare Debian needs.

use anyhow::Result;
use gongkai_tests::repo_root;
use std::process::Command;

const UNITS: &[&str] = &[
    "deploy/kiosk/gongkai-kiosk.service",
    "deploy/kiosk/gongkai-kiosk-nightly.service",
    "deploy/kiosk/gongkai-kiosk-nightly.timer",
    "deploy/kiosk/gongkai-update.path",
    "deploy/kiosk/gongkai-update.service",
    "deploy/server/gongkai-server.service",
];

#[test]
fn the_units_verify_and_keep_the_kiosk_alive_unattended() -> Result<()> {
    let root = repo_root();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(UNITS.iter().map(|u| root.join(u)))
        .output()?;
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    for line in report.lines().filter(|l| !l.trim().is_empty()) {
        // The programs are installed by the packages, not on the test machine.
        let missing_program = line.contains("is not executable: No such file or directory")
            && [
                "/usr/bin/cage",
                "/usr/bin/gongkai-update",
                "/usr/bin/gongkai-server",
            ]
            .iter()
            .any(|p| line.contains(p));
        assert!(missing_program, "systemd-analyze: {line}");
    }
    let kiosk = std::fs::read_to_string(root.join(UNITS[0]))?;
    for needed in [
        "Restart=always",
        "Type=notify",
        "WatchdogSec=",
        "MemoryMax=",
        "WEBKIT_DISABLE_DMABUF_RENDERER=1",
        "ExecStart=/usr/bin/cage",
        // The sound card, for the read-aloud.
        "SupplementaryGroups=audio",
    ] {
        assert!(
            kiosk.contains(needed),
            "gongkai-kiosk.service lacks {needed}"
        );
    }
    // The per-port server instance template, verified as instance 8701.
    let out = Command::new("systemd-analyze")
        .current_dir(root.join("deploy/province"))
        .args(["verify", "./gongkai-server@8701.service"])
        .output()?;
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        assert!(
            line.contains("/usr/bin/gongkai-server is not executable"),
            "systemd-analyze: {line}"
        );
    }
    // The load balancer's configuration is valid haproxy.
    let out = Command::new("haproxy")
        .args(["-c", "-f"])
        .arg(root.join("deploy/province/haproxy.cfg"))
        .output()?;
    assert!(
        out.status.success(),
        "haproxy -c: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let timer = std::fs::read_to_string(root.join(UNITS[2]))?;
    assert!(timer.contains("OnCalendar=*-*-* 03:30:00"));
    Ok(())
}

#[test]
fn the_kiosk_package_builds_with_app_installer_units_and_dependencies() -> Result<()> {
    let root = repo_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("debug");
    if !bin.join("gongkai-kiosk").is_file() {
        anyhow::bail!("build the app first: cargo build --workspace (scripts/test.sh does)");
    }
    let out_dir = tempfile::tempdir()?;
    let out = Command::new(root.join("deploy/build-kiosk-deb.sh"))
        .arg(&bin)
        .arg(out_dir.path())
        .env("DEB_COMPRESSION", "gzip")
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deb = String::from_utf8(out.stdout)?.trim().to_string();
    let info = Command::new("dpkg-deb").args(["--info", &deb]).output()?;
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Package: gongkai-kiosk"), "{info}");
    for dep in [
        "cage",
        "libwebkit2gtk-4.1-0",
        "fonts-noto-cjk",
        "grim",
        "espeak-ng",
        "alsa-utils",
        "libzinnia0",
        "tegaki-zinnia-simplified-chinese",
    ] {
        assert!(info.contains(dep), "Depends lacks {dep}: {info}");
    }
    assert!(info.contains("postinst"));
    // The kiosk user is put in audio (the read-aloud's sound card) on install.
    let control = tempfile::tempdir()?;
    let out = Command::new("dpkg-deb")
        .args(["--control", &deb])
        .arg(control.path())
        .output()?;
    assert!(out.status.success());
    let postinst = std::fs::read_to_string(control.path().join("postinst"))?;
    let groups = postinst
        .lines()
        .find(|l| l.contains("usermod -a -G"))
        .unwrap_or_default();
    assert!(groups.contains("audio"), "postinst: {postinst}");
    let contents = Command::new("dpkg-deb")
        .args(["--contents", &deb])
        .output()?;
    let contents = String::from_utf8_lossy(&contents.stdout);
    for path in [
        "./usr/bin/gongkai-kiosk",
        "./usr/bin/gongkai-update",
        "./lib/systemd/system/gongkai-kiosk.service",
        "./lib/systemd/system/gongkai-kiosk-nightly.timer",
        "./lib/systemd/system/gongkai-update.path",
        "./usr/share/doc/gongkai-kiosk/kiosk.toml.example",
    ] {
        assert!(contents.contains(path), "package lacks {path}");
    }
    Ok(())
}

#[test]
fn the_province_database_setup_runs_and_a_server_migrates_into_it() -> Result<()> {
    let root = gongkai_tests::repo_root();
    let pg = gongkai_tests::pg::TestPostgres::start()?;
    // As the cluster's superuser, exactly the file an operator runs.
    let sql = std::fs::read_to_string(root.join("deploy/province/postgres-setup.sql"))?;
    let mut admin = postgres::Client::connect(
        &format!(
            "host=127.0.0.1 port={} user=gongkai dbname=postgres",
            pg.port
        ),
        postgres::NoTls,
    )?;
    // One statement at a time, as psql sends them (CREATE DATABASE cannot share a
    // transaction).
    let code: Vec<&str> = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect();
    for statement in code.join("\n").split(';').map(str::trim) {
        if !statement.is_empty() {
            admin.batch_execute(statement)?;
        }
    }
    // The unprivileged owner it creates can bring the schema up (twice: idempotent) and
    // the database sorts text as SQLite does.
    let url = format!("postgres://gongkai_app@127.0.0.1:{}/gongkai", pg.port);
    for _ in 0..2 {
        let store = gongkai_store::pg::PgStore::open(&url, 2)?;
        let scope = gongkai_model::ScopeId::parse("419901")?;
        gongkai_server::Store::ensure_scope(&store, &scope, "云溪县")?;
    }
    let mut c = postgres::Client::connect(&url, postgres::NoTls)?;
    let collate: String = c
        .query_one(
            "SELECT datcollate FROM pg_database WHERE datname = 'gongkai'",
            &[],
        )?
        .get(0);
    assert_eq!(collate, "C");
    let versions: i64 = c
        .query_one("SELECT count(*) FROM schema_version", &[])?
        .get(0);
    assert_eq!(versions as usize, gongkai_store::pg::MIGRATIONS.len());
    Ok(())
}
