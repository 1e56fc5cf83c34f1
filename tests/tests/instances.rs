//! Several server instances behind a load balancer (issue 10): three `gongkai-server serve`
//! processes behind haproxy on loopback — on one SQLite data directory, and on PostgreSQL
//! (the demo county moved in with `migrate-to-postgres`, every instance started with
//! `--db postgres://…`). A console session made through one instance holds on the others;
//! real kiosk engines sync (attachments included) and file complaints through the
//! balancer, and 60 simulated kiosks poll it, while four publishers post at once, and one
//! instance is SIGKILLed mid-run. No kiosk sees an error, none skips a change (each ends
//! exactly at the server's state hash) and every filing reaches the server exactly once.

use anyhow::{bail, Context, Result};
use chrono::Utc;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::complaint::ComplaintKind;
use gongkai_model::{ContentKind, Notice, ScopeId};
use gongkai_server::{SqliteStore, Store};
use gongkai_store::pg::PgStore;
use gongkai_store::Edit;
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::pg::TestPostgres;
use gongkai_tests::simkiosk::SimKiosk;
use gongkai_tests::webdriver::free_port;
use gongkai_tests::{demo_data, enrolled_config_text};
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

fn instance(data: &Path, db: Option<&str>, port: u16) -> Result<Proc> {
    let server = bin("gongkai-server");
    if !server.is_file() {
        bail!("{} not built (cargo build --workspace)", server.display());
    }
    let mut cmd = Command::new(server);
    if let Some(url) = db {
        cmd.args(["--db", url, "--db-connections", "8"]);
    }
    let child = cmd
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
    let store = SqliteStore::open(&data.db_path())?;
    behind_haproxy(tmp.path(), &data, None, &store)
}

#[test]
fn three_postgres_instances_behind_haproxy_lose_one_and_kiosks_notice_nothing() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = demo_data(tmp.path())?;
    let pg = TestPostgres::start()?;
    let url = pg.database("province")?;
    let out = Command::new(bin("gongkai-server"))
        .args(["migrate-to-postgres", "--data"])
        .arg(&data.root)
        .args(["--url", &url])
        .output()?;
    if !out.status.success() {
        bail!("migrate: {}", String::from_utf8_lossy(&out.stderr));
    }
    // The county's SQLite file is set aside: whatever the instances serve comes from
    // PostgreSQL.
    std::fs::rename(data.db_path(), tmp.path().join("moved-away.sqlite"))?;
    std::fs::rename(data.blob_dir(), tmp.path().join("moved-away-blobs"))?;
    let store = PgStore::open(&url, 8)?;
    behind_haproxy(tmp.path(), &data, Some(&url), &store)
}

fn behind_haproxy(
    tmp: &Path,
    data: &gongkai_server::DataDir,
    db: Option<&str>,
    store: &dyn Store,
) -> Result<()> {
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect::<Result<_>>()?;
    let mut instances: Vec<Option<Proc>> = ports
        .iter()
        .map(|p| instance(&data.root, db, *p).map(Some))
        .collect::<Result<_>>()?;
    let front = free_port()?;
    let _lb = haproxy(tmp, front, &ports)?;
    let url = format!("http://127.0.0.1:{front}/");
    let key = data.load_key()?.public().to_base64();

    // A console session made through one instance holds on every other.
    let county = ConsoleClient::logged_in(&url, "county");
    for _ in 0..6 {
        let page = county.get("/fleet");
        assert_eq!(page.status, 200, "session lost on another instance");
        assert!(page.body.contains("公开屏管理"));
    }

    // A kiosk's conditional poll stays a 304 whichever instance the balancer picks: the
    // instances sign the very same checkpoint. (At most one miss, should a signing period
    // end between two requests.)
    let head_url = format!("{url}v1/scopes/419901102201/head");
    let http = reqwest::blocking::Client::new();
    let tag = http
        .get(&head_url)
        .send()?
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // A second apart, so each instance signs at another moment (which used to make
    // another checkpoint, and a 200, on every instance but the first).
    let not_modified = (0..4)
        .filter(|_| {
            std::thread::sleep(Duration::from_millis(1100));
            http.get(&head_url)
                .header("if-none-match", &tag)
                .send()
                .is_ok_and(|r| r.status() == 304)
        })
        .count();
    assert!(not_modified >= 3, "{not_modified} of 4 polls were 304");

    let villages = ["419901102201", "419901101201", "419901201202"];
    let kiosks: Vec<Kiosk> = villages
        .iter()
        .map(|v| {
            let text =
                enrolled_config_text(store, &url, &key, None, v, chrono::Utc::now().timestamp())?;
            let cfg = KioskConfig::parse(&text, "lb")?;
            Ok(Kiosk::open(cfg, &tmp.join(format!("kiosk-{v}")))?)
        })
        .collect::<Result<_>>()?;
    let mut failed_rounds = 0;
    let mut filed = 0;
    // Four more publishers post at once for the whole run (many offices at their
    // consoles): their changes interleave with each other and with the rounds below.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let published = std::sync::atomic::AtomicUsize::new(0);
    // And 60 simulated kiosks (the real protocol, verified pages, state hashes checked
    // after every catch-up) poll through the balancer the whole time.
    let key_pub = data.load_key()?.public();
    let sims: std::sync::Mutex<Vec<SimKiosk>> = std::sync::Mutex::new(
        (0..60)
            .map(|i| {
                let village = ScopeId::parse(villages[i % villages.len()])?;
                Ok(SimKiosk::new(format!("sim-{i}"), &village))
            })
            .collect::<Result<_>>()?,
    );
    let sim_errors = std::sync::atomic::AtomicUsize::new(0);
    let sim_polls = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|sc| -> Result<()> {
        let (stop_s, sims_s, errors_s, polls_s, url_s) =
            (&stop, &sims, &sim_errors, &sim_polls, url.clone());
        let poller = sc.spawn(move || -> Result<()> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let mut fleet =
                std::mem::take(&mut *sims_s.lock().map_err(|_| anyhow::anyhow!("lock"))?);
            rt.block_on(async {
                let http = reqwest::Client::new();
                while !stop_s.load(std::sync::atomic::Ordering::SeqCst) {
                    let mut set = tokio::task::JoinSet::new();
                    for mut k in fleet.drain(..) {
                        let (http, url_s) = (http.clone(), url_s.clone());
                        set.spawn(async move {
                            let r = k.poll(&http, &url_s, &key_pub).await;
                            (k, r)
                        });
                    }
                    while let Some(done) = set.join_next().await {
                        let Ok((k, r)) = done else { continue };
                        polls_s.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if let Err(e) = r {
                            if errors_s.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                                eprintln!("first simulated kiosk error: {e:#}");
                            }
                        }
                        fleet.push(k);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
            *sims_s.lock().map_err(|_| anyhow::anyhow!("lock"))? = fleet;
            Ok(())
        });
        let publishers: Vec<_> = ["419901", "419901102", "419901102201", "419901101201"]
            .into_iter()
            .enumerate()
            .map(|(p, scope)| {
                let (stop, published) = (&stop, &published);
                sc.spawn(move || -> Result<()> {
                    let scope = ScopeId::parse(scope)?;
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        let notice = Notice {
                            title: format!("并发发布{p}-{n}"),
                            publisher: "云溪县人民政府办公室".into(),
                            body_html: format!("<p>{p}-{n}</p>"),
                            publish_at: Utc::now(),
                            expire_at: None,
                            images: Vec::new(),
                        };
                        // Every third one replaces the previous (a correction).
                        let id = format!("conc-{p}-{}", if n % 3 == 2 { n - 1 } else { n });
                        store.publish(&scope, &[Edit::put(ContentKind::Notice, id, &notice)])?;
                        published.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        n += 1;
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Ok(())
                })
            })
            .collect();
        let rounds = rounds(
            store,
            &kiosks,
            &mut instances,
            &ports,
            &mut failed_rounds,
            &mut filed,
        );
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for p in publishers {
            p.join()
                .map_err(|_| anyhow::anyhow!("a publisher panicked"))??;
        }
        poller
            .join()
            .map_err(|_| anyhow::anyhow!("the simulated kiosks panicked"))??;
        rounds
    })?;
    assert!(
        published.load(std::sync::atomic::Ordering::SeqCst) > 20,
        "the publishers ran"
    );
    assert_eq!(
        failed_rounds, 0,
        "a kiosk saw an error through the balancer"
    );
    let polls = sim_polls.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        polls >= 3 * 60,
        "the simulated kiosks polled (three rounds at least): {polls}"
    );
    assert_eq!(
        sim_errors.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a simulated kiosk saw an error in {polls} polls"
    );
    // Each simulated kiosk, polled once more, holds exactly the server's state.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = reqwest::Client::new();
    for k in sims.lock().map_err(|_| anyhow::anyhow!("lock"))?.iter_mut() {
        rt.block_on(k.poll(&http, &url, &key_pub))?;
        for scope in k.scopes().to_vec() {
            let server = store.head(&scope)?;
            assert_eq!(
                k.holds(scope.as_str()),
                Some((server.seq, server.state_hash)),
                "{} at {scope}",
                k.id
            );
        }
    }
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

/// The county publishes, kiosks sync and file, one instance dies at round 10.
fn rounds(
    store: &dyn Store,
    kiosks: &[Kiosk],
    instances: &mut [Option<Proc>],
    ports: &[u16],
    failed_rounds: &mut usize,
    filed: &mut usize,
) -> Result<()> {
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
        for k in kiosks {
            if round % 3 == 0 {
                k.submit_complaint(
                    &ComplaintDraft {
                        kind: ComplaintKind::Suggestion,
                        scope: String::new(),
                        subject: "村道路灯".into(),
                        text: format!("第{round}轮：村口路灯不亮，请尽快修理。"),
                        name: String::new(),
                        phone: String::new(),
                        on_behalf: false,
                    },
                    Utc::now(),
                )?;
                *filed += 1;
            }
            if let Err(e) = k.sync_once(Utc::now()) {
                if *failed_rounds == 0 {
                    eprintln!("first failed round: {e:#}");
                }
                *failed_rounds += 1;
            }
        }
    }
    Ok(())
}
