//! Several server instances behind a load balancer (issue 10): three `gongkai-server serve`
//! processes on one data directory behind haproxy on loopback. A console session made
//! through one instance holds on the others; kiosks sync and file complaints through the
//! balancer while the county publishes, and one instance is SIGKILLed mid-run. The
//! kiosks see no failed round, skip no change (each ends exactly at the server's state
//! hash) and every filing reaches the server exactly once.
//!
//! (On SQLite the instances share one file; the same test is the target for the
//! PostgreSQL back-end.)

use anyhow::{bail, Context, Result};
use chrono::Utc;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::complaint::ComplaintKind;
use gongkai_model::{ContentKind, Notice, ScopeId};
use gongkai_server::store::Edit;
use gongkai_server::{SqliteStore, Store};
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::webdriver::free_port;
use gongkai_tests::{demo_data, village_config_text};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join(name))
        .unwrap_or_default()
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on {port}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn instance(data: &Path, port: u16) -> Result<Proc> {
    let server = bin("gongkai-server");
    if !server.is_file() {
        bail!("{} not built (cargo build --workspace)", server.display());
    }
    let child = Command::new(server)
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    wait_for_port(port)?;
    Ok(Proc(child))
}

fn haproxy(dir: &Path, front: u16, backends: &[u16]) -> Result<Proc> {
    let mut cfg = format!(
        "global\n  maxconn 2000\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n\
         \x20 retries 3\n  option redispatch 1\n  retry-on all-retryable-errors\n\
         frontend gongkai\n  bind 127.0.0.1:{front}\n  default_backend servers\n\
         backend servers\n  balance roundrobin\n  option httpchk GET /v1/health\n\
         \x20 default-server inter 500 fall 1 rise 1\n"
    );
    for (i, p) in backends.iter().enumerate() {
        cfg.push_str(&format!("  server s{i} 127.0.0.1:{p} check\n"));
    }
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, cfg)?;
    let child = Command::new("haproxy")
        .arg("-f")
        .arg(&path)
        .arg("-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("haproxy (scripts/setup.sh installs it)")?;
    wait_for_port(front)?;
    Ok(Proc(child))
}

#[test]
fn three_instances_behind_haproxy_lose_one_and_kiosks_notice_nothing() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = demo_data(tmp.path())?;
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect::<Result<_>>()?;
    let mut instances: Vec<Option<Proc>> = ports
        .iter()
        .map(|p| instance(&data.root, *p).map(Some))
        .collect::<Result<_>>()?;
    let front = free_port()?;
    let _lb = haproxy(tmp.path(), front, &ports)?;
    let url = format!("http://127.0.0.1:{front}/");
    let key = data.load_key()?.public().to_base64();

    // A console session made through one instance holds on every other.
    let county = ConsoleClient::logged_in(&url, "county");
    for _ in 0..6 {
        let page = county.get("/fleet");
        assert_eq!(page.status, 200, "session lost on another instance");
        assert!(page.body.contains("公开屏管理"));
    }

    let villages = ["419901102201", "419901101201", "419901201202"];
    let kiosks: Vec<Kiosk> = villages
        .iter()
        .map(|v| {
            let cfg = KioskConfig::parse(&village_config_text(&url, &key, None, v), "lb")?;
            Ok(Kiosk::open(cfg, &tmp.path().join(format!("kiosk-{v}")))?)
        })
        .collect::<Result<_>>()?;
    let store = SqliteStore::open(&data.db_path())?;
    let mut failed_rounds = 0;
    let mut filed = 0;
    for round in 0..24 {
        // The county and a village publish meanwhile (as the console would).
        let notice = Notice {
            title: format!("第{round}号通知"),
            publisher: "云溪县人民政府办公室".into(),
            body_html: format!("<p>第{round}号</p>"),
            publish_at: Utc::now(),
            expire_at: None,
            images: Vec::new(),
        };
        let scope = if round % 2 == 0 {
            "419901"
        } else {
            "419901102201"
        };
        store.publish(
            &ScopeId::parse(scope)?,
            &[Edit::put(
                ContentKind::Notice,
                format!("lb-{round}"),
                &notice,
            )],
        )?;
        if round == 10 {
            // One instance dies without a word.
            instances[1] = None;
            assert!(
                std::net::TcpStream::connect(("127.0.0.1", ports[1])).is_err(),
                "the instance is gone"
            );
        }
        for k in &kiosks {
            if round % 3 == 0 {
                k.submit_complaint(
                    &ComplaintDraft {
                        kind: ComplaintKind::Suggestion,
                        scope: String::new(),
                        subject: "村道路灯".into(),
                        text: format!("第{round}轮：村口路灯不亮，请尽快修理。"),
                        name: String::new(),
                        phone: String::new(),
                    },
                    Utc::now(),
                )?;
                filed += 1;
            }
            if k.sync_once(Utc::now()).is_err() {
                failed_rounds += 1;
            }
        }
    }
    assert_eq!(
        failed_rounds, 0,
        "a kiosk saw an error through the balancer"
    );
    // Every kiosk is exactly at the server's state, scope by scope.
    for k in &kiosks {
        k.sync_once(Utc::now())?;
        for scope in k.followed_scopes() {
            let mine = k.cache().scope_state(&scope)?.context("synced")?;
            let server = store.head(&scope)?;
            assert_eq!(
                (mine.seq, mine.state_hash),
                (server.seq, server.state_hash),
                "{scope}"
            );
        }
    }
    // Every filing arrived once.
    let rows = store.complaints(None)?;
    let ours = rows.iter().filter(|r| r.subject == "村道路灯").count();
    assert_eq!(ours, filed, "each filing on the server exactly once");
    drop(instances);
    Ok(())
}
