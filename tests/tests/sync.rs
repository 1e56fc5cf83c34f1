//! The kiosk engine against a real server on loopback: first sync, offline reads,
//! catching up after a restart, and refusing what the server did not sign.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::{Kiosk, ScopeOutcome};
use gongkai_model::{ContentKind, Notice, ScopeId};
use gongkai_protocol::SignedCheckpoint;
use gongkai_server::{Edit, Store};
use gongkai_tests::{kiosk_config, TestServer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

fn village() -> ScopeId {
    ScopeId::parse("419901102201").unwrap()
}

fn county() -> ScopeId {
    ScopeId::parse("419901").unwrap()
}

fn new_notice(title: &str) -> Notice {
    Notice {
        title: title.into(),
        publisher: "石桥村村民委员会".into(),
        body_html: "<p>本周六上午在村委会广场发放冬季取暖煤。</p>".into(),
        publish_at: Utc::now(),
        expire_at: None,
        images: vec![],
    }
}

fn titles(kiosk: &Kiosk, kind: ContentKind) -> Vec<String> {
    kiosk
        .list(kind, None, 0, 200, Utc::now())
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.title)
        .collect()
}

/// Every stored scope equals its signed checkpoint exactly.
fn assert_cache_at_checkpoints(kiosk: &Kiosk) {
    for scope in [village(), ScopeId::parse("419901102").unwrap(), county()] {
        let state = kiosk.cache().scope_state(&scope).unwrap().unwrap();
        let (hash, count) = kiosk.cache().recompute_state_hash(&scope).unwrap();
        assert_eq!(
            hash, state.checkpoint.checkpoint.state_hash,
            "scope {scope}"
        );
        assert_eq!(
            count, state.checkpoint.checkpoint.item_count,
            "scope {scope}"
        );
    }
}

#[test]
fn syncs_serves_offline_and_catches_up_after_restart() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let config = kiosk_config(&server.url(), &server.public_key_b64()?)?;
    let kiosk = Kiosk::open(config, &tmp.path().join("kiosk"))?;

    // First sync: everything arrives and verifies.
    let report = kiosk.sync_once(Utc::now())?;
    assert_eq!(report.outcomes.len(), 3);
    // The org chart attachment and the voucher photos of recent village expenses.
    assert!(report.blobs_fetched >= 2, "{report:?}");
    for name in kiosk.cache().referenced_blobs()? {
        assert!(kiosk.blobs().has(&name), "blob {name} missing");
    }
    assert_cache_at_checkpoints(&kiosk);
    let home = kiosk.home(Utc::now())?;
    assert_eq!(home.place_name, "石桥村");
    let count = |key: &str| {
        home.tiles
            .iter()
            .find(|t| serde_json::to_value(t.key).unwrap() == key)
            .map(|t| t.count)
            .unwrap()
    };
    assert_eq!(count("disclosure"), 52);
    assert_eq!(count("guide"), 10);
    assert_eq!(count("finance"), 12);
    assert!(home.status.online);
    assert!(home.status.data_as_of.is_some());
    assert!(!home.status.stale);
    let disclosures = titles(&kiosk, ContentKind::Disclosure);
    assert!(disclosures
        .iter()
        .any(|t| t == "云溪县2026年政务公开工作要点"));

    // The full ID numbers the server holds never reach the kiosk's files.
    let private: Vec<String> = {
        let conn = rusqlite::Connection::open(server.data.db_path()).unwrap();
        let mut stmt = conn
            .prepare("SELECT id_number FROM private_ids WHERE id LIKE 'grain-%' LIMIT 200")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert!(private.len() >= 100);
    let mut kiosk_bytes = Vec::new();
    for entry in std::fs::read_dir(tmp.path().join("kiosk"))? {
        let path = entry?.path();
        if path.is_file() {
            kiosk_bytes.extend(std::fs::read(&path)?);
        }
    }
    let text = String::from_utf8_lossy(&kiosk_bytes);
    for id in &private {
        assert!(
            !text.contains(id.as_str()),
            "full ID {id} found on the kiosk"
        );
    }
    assert!(text.contains(&gongkai_model::idcard::mask(&private[0])));

    // Server goes away: the kiosk notices, and every read still answers from the cache.
    let (data, addr) = server.stop();
    let err = kiosk.sync_once(Utc::now()).unwrap_err();
    assert!(err.to_string().contains("unreachable"), "{err}");
    let home = kiosk.home(Utc::now())?;
    assert!(!home.status.online);
    assert_eq!(home.tiles[0].count, 52);
    assert_eq!(titles(&kiosk, ContentKind::Disclosure), disclosures);
    let first = kiosk
        .list(ContentKind::Disclosure, None, 0, 1, Utc::now())?
        .entries[0]
        .clone();
    assert!(!kiosk
        .disclosure(&first.scope, &first.id)?
        .item
        .body_html
        .is_empty());

    // While it is down, the office publishes a notice and withdraws another.
    {
        let store = gongkai_server::SqliteStore::open(&data.db_path())?;
        store.publish(
            &village(),
            &[
                Edit::put(
                    ContentKind::Notice,
                    "notice-coal",
                    &new_notice("冬季取暖煤发放通知"),
                ),
                Edit::delete(ContentKind::Notice, "notice-1"),
            ],
        )?;
    }
    let before = titles(&kiosk, ContentKind::Notice);
    assert!(!before.contains(&"冬季取暖煤发放通知".to_string()));

    // The server comes back on the same address; the next poll picks the change up.
    let server = TestServer::start(data, addr)?;
    let report = kiosk.sync_once(Utc::now())?;
    let village_outcome = &report.outcomes[0];
    assert_eq!(village_outcome.0, village());
    assert!(
        matches!(village_outcome.1, ScopeOutcome::Updated { pages: 1, .. }),
        "{:?}",
        village_outcome.1
    );
    assert!(matches!(
        report.outcomes[2].1,
        ScopeOutcome::NotModified | ScopeOutcome::Refreshed
    ));
    let after = titles(&kiosk, ContentKind::Notice);
    assert!(after.contains(&"冬季取暖煤发放通知".to_string()));
    assert!(!after.contains(&"关于召开村民代表会议的通知".to_string()));
    assert!(kiosk.home(Utc::now())?.status.online);
    assert_cache_at_checkpoints(&kiosk);

    // A poll with nothing new is a cheap 304.
    let report = kiosk.sync_once(Utc::now())?;
    assert!(
        report
            .outcomes
            .iter()
            .all(|(_, o)| *o == ScopeOutcome::NotModified),
        "{:?}",
        report.outcomes
    );
    drop(server);
    Ok(())
}

/// A man in the middle: forwards to the real server, except for paths where the test
/// put its own answer in `overrides`, to play an attacker or a broken proxy.
struct Rogue {
    addr: std::net::SocketAddr,
    overrides: Arc<Mutex<HashMap<String, String>>>,
    /// Every path asked, in order.
    asked: Arc<Mutex<Vec<String>>>,
    _rt: tokio::runtime::Runtime,
}

impl Rogue {
    fn start(upstream: String) -> Rogue {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let overrides: Arc<Mutex<HashMap<String, String>>> = Default::default();
        let o = overrides.clone();
        let asked: Arc<Mutex<Vec<String>>> = Default::default();
        let log = asked.clone();
        let client = reqwest::Client::new();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            log.lock().unwrap().push(uri.path().to_string());
            let o = o.clone();
            let client = client.clone();
            let upstream = upstream.clone();
            async move {
                use axum::http::StatusCode;
                // A key is a path, or "path?part" to match only queries containing part.
                let query = uri.query().unwrap_or("");
                let found = o.lock().unwrap().iter().find_map(|(key, body)| {
                    let (path, part) = key.split_once('?').unwrap_or((key.as_str(), ""));
                    (path == uri.path() && query.contains(part)).then(|| body.clone())
                });
                if let Some(body) = found {
                    // An empty answer plays a server without that path.
                    let status = if body.is_empty() {
                        StatusCode::NOT_FOUND
                    } else {
                        StatusCode::OK
                    };
                    return (status, body);
                }
                let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let url = format!("{}{}", upstream.trim_end_matches('/'), pq);
                match client.get(url).send().await {
                    Ok(r) => {
                        let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
                        (status, r.text().await.unwrap_or_default())
                    }
                    Err(_) => (StatusCode::BAD_GATEWAY, String::new()),
                }
            }
        });
        rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Rogue {
            addr,
            overrides,
            asked,
            _rt: rt,
        }
    }

    fn set(&self, path: &str, body: String) {
        self.overrides
            .lock()
            .unwrap()
            .insert(path.to_string(), body);
    }

    /// Overrides `path` only for requests whose query contains `query_part`.
    fn set_query(&self, path: &str, query_part: &str, body: String) {
        self.overrides
            .lock()
            .unwrap()
            .insert(format!("{path}?{query_part}"), body);
    }

    /// Answers 404 for `path`, as a server that does not have it.
    fn missing(&self, path: &str) {
        self.set(path, String::new());
    }

    fn clear(&self) {
        self.overrides.lock().unwrap().clear();
    }
}

fn http_get(url: &str) -> String {
    reqwest::blocking::get(url).unwrap().text().unwrap()
}

/// One combined poll answers every scope a kiosk follows, under one ETag: 304 while none
/// changed, the new heads when any did; the kiosk engine polls with it, one request an
/// interval.
#[test]
fn one_poll_answers_every_scope_under_one_etag() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let http = reqwest::blocking::Client::new();
    let township = ScopeId::parse("419901102")?;
    let url = format!(
        "{}v1/heads?scopes={},{township},{}",
        server.url(),
        village(),
        county()
    );
    let first = http.get(&url).send()?;
    assert_eq!(first.status(), 200);
    let tag = first.headers()["etag"].to_str()?.to_string();
    let heads: gongkai_protocol::CombinedHeads = first.json()?;
    let key = gongkai_protocol::PublicKey::from_base64(&server.public_key_b64()?)?;
    for (cp, scope) in heads
        .checkpoints
        .iter()
        .zip([village(), township.clone(), county()])
    {
        assert_eq!(cp.verify(&key)?.scope, scope);
        let single: SignedCheckpoint = serde_json::from_str(&http_get(&format!(
            "{}v1/scopes/{scope}/head",
            server.url()
        )))?;
        assert_eq!(*cp, single, "the same checkpoint as the scope's own head");
    }
    let again = http.get(&url).header("if-none-match", &tag).send()?;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str()?, tag);

    // The township publishes: the same ETag now gets the new heads, only the township's moved.
    server.store()?.publish(
        &township,
        &[Edit::put(
            ContentKind::Notice,
            "t-new",
            &new_notice("镇通知"),
        )],
    )?;
    let moved = http.get(&url).header("if-none-match", &tag).send()?;
    assert_eq!(moved.status(), 200);
    assert_ne!(moved.headers()["etag"].to_str()?, tag);
    let after: gongkai_protocol::CombinedHeads = moved.json()?;
    assert_eq!(after.checkpoints[0], heads.checkpoints[0]);
    assert!(after.checkpoints[1].checkpoint.seq > heads.checkpoints[1].checkpoint.seq);
    assert_eq!(after.checkpoints[2], heads.checkpoints[2]);

    // Bad asks get clear errors.
    let status = |u: String| http.get(u).send().unwrap().status().as_u16();
    assert_eq!(
        status(format!("{}v1/heads?scopes=419901999999", server.url())),
        404
    );
    assert_eq!(status(format!("{}v1/heads?scopes=abc", server.url())), 400);
    assert_eq!(status(format!("{}v1/heads", server.url())), 400);
    let many = vec![county().to_string(); gongkai_protocol::MAX_POLLED_SCOPES + 1].join(",");
    assert_eq!(
        status(format!("{}v1/heads?scopes={many}", server.url())),
        400
    );

    // The kiosk engine: one request an interval, for all three scopes.
    let rogue = Rogue::start(server.url());
    let kiosk = Kiosk::open(
        kiosk_config(
            &format!("http://{}/", rogue.addr),
            &server.public_key_b64()?,
        )?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    assert_cache_at_checkpoints(&kiosk);
    rogue.asked.lock().unwrap().clear();
    let report = kiosk.sync_once(Utc::now())?;
    assert!(report
        .outcomes
        .iter()
        .all(|(_, o)| *o == ScopeOutcome::NotModified));
    let asked = rogue.asked.lock().unwrap().clone();
    let polls: Vec<_> = asked.iter().filter(|p| p.contains("head")).collect();
    assert_eq!(polls, ["/v1/heads"], "{asked:?}");
    Ok(())
}

/// Change pages are compressed when the client accepts it (zstd first, gzip otherwise),
/// and what arrives, decompressed, is the very page that was signed; blobs are sent as
/// they are (a resumed download counts the file's own bytes).
#[test]
fn change_pages_are_compressed_and_still_verify() -> Result<()> {
    use std::io::Read;
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let key = gongkai_protocol::PublicKey::from_base64(&server.public_key_b64()?)?;
    // A client that does not decompress by itself, to see the bytes on the wire.
    let raw = reqwest::blocking::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()?;
    let page_url = format!(
        "{}v1/scopes/{}/changes?epoch=1&since=0&limit=1000",
        server.url(),
        village()
    );
    let get = |accept: &str| {
        let r = raw
            .get(&page_url)
            .header("accept-encoding", accept)
            .send()
            .unwrap();
        let enc = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        (enc, r.bytes().unwrap().to_vec())
    };
    let (enc, plain) = get("identity");
    assert_eq!(enc, None);
    let page: gongkai_protocol::ChangePage = serde_json::from_slice(&plain)?;
    page.verify(&key, &village(), 1, 0)?;

    let (enc, zst) = get("gzip, zstd");
    assert_eq!(enc.as_deref(), Some("zstd"));
    assert!(
        zst.len() * 3 < plain.len(),
        "{} of {}",
        zst.len(),
        plain.len()
    );
    assert_eq!(zstd::decode_all(&zst[..])?, plain);

    let (enc, gz) = get("gzip");
    assert_eq!(enc.as_deref(), Some("gzip"));
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut unzipped)?;
    assert_eq!(unzipped, plain);

    // Blobs are kept under a folder named by their first two hex digits.
    let blob = std::fs::read_dir(server.data.blob_dir())?
        .filter_map(|d| std::fs::read_dir(d.ok()?.path()).ok())
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| gongkai_protocol::is_blob_name(n))
        .expect("the demo has attachments");
    let r = raw
        .get(format!("{}v1/blobs/{blob}", server.url()))
        .header("accept-encoding", "zstd, gzip")
        .send()?;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(gongkai_protocol::sha256_hex(&r.bytes()?), blob);
    Ok(())
}

#[test]
fn refuses_bad_signatures_rollbacks_and_tampered_pages() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let key = server.public_key_b64()?;
    let rogue = Rogue::start(server.url());
    let rogue_url = format!("http://{}/", rogue.addr);
    let kiosk = Kiosk::open(kiosk_config(&rogue_url, &key)?, &tmp.path().join("kiosk"))?;
    kiosk.sync_once(Utc::now())?;
    let state_a = kiosk.cache().scope_state(&village())?.unwrap();
    let old_head_a = http_get(&format!("{}v1/scopes/{}/head", server.url(), village()));

    // The server publishes; we capture the genuine head B and the page from A to B.
    server.store()?.publish(
        &village(),
        &[Edit::put(
            ContentKind::Notice,
            "n-new",
            &new_notice("新通知"),
        )],
    )?;
    let head_b = http_get(&format!("{}v1/scopes/{}/head", server.url(), village()));
    let page_b = http_get(&format!(
        "{}v1/scopes/{}/changes?epoch=1&since={}&limit=100",
        server.url(),
        village(),
        state_a.seq
    ));
    let vhead = &format!("/v1/scopes/{}/head", village());
    let vchanges = &format!("/v1/scopes/{}/changes", village());

    let unchanged = |kiosk: &Kiosk, what: &str| {
        let now = kiosk.cache().scope_state(&village()).unwrap().unwrap();
        assert_eq!(now.seq, state_a.seq, "{what}: cursor moved");
        assert_eq!(now.state_hash, state_a.state_hash, "{what}: state changed");
        let (hash, _) = kiosk.cache().recompute_state_hash(&village()).unwrap();
        assert_eq!(hash, state_a.state_hash, "{what}: items changed");
        assert!(
            !titles(kiosk, ContentKind::Notice).contains(&"新通知".to_string()),
            "{what}"
        );
    };

    // 0. The combined poll, with the village's checkpoint altered (signature no longer
    // matching) or signed by another key: refused like a single head.
    let scopes = kiosk
        .followed_scopes()
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let combined: gongkai_protocol::CombinedHeads = serde_json::from_str(&http_get(&format!(
        "{}v1/heads?scopes={scopes}",
        server.url()
    )))?;
    assert_eq!(
        combined.checkpoints[0],
        serde_json::from_str::<SignedCheckpoint>(&head_b)?
    );
    let mut forged_all = combined.clone();
    forged_all.checkpoints[0].checkpoint.item_count += 1;
    rogue.set("/v1/heads", serde_json::to_string(&forged_all)?);
    rogue.set(vchanges, page_b.clone());
    let err = kiosk.sync_once(Utc::now()).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    unchanged(&kiosk, "forged combined head");
    let mut other_key = combined.clone();
    other_key.checkpoints[0] = SignedCheckpoint::sign(
        other_key.checkpoints[0].checkpoint.clone(),
        &gongkai_protocol::SigningKey::generate(),
    );
    rogue.set("/v1/heads", serde_json::to_string(&other_key)?);
    let err = kiosk.sync_once(Utc::now()).unwrap_err();
    assert!(err.to_string().contains("signed by key"), "{err}");
    unchanged(&kiosk, "combined head, wrong key");

    // From here on the man in the middle plays a server without the combined poll: the
    // kiosk falls back to one head per scope, and each attack there is refused too.
    rogue.clear();
    rogue.missing("/v1/heads");

    // 1. A head whose signature does not match its content.
    let mut forged: SignedCheckpoint = serde_json::from_str(&head_b)?;
    forged.checkpoint.item_count += 1;
    rogue.set(vhead, serde_json::to_string(&forged)?);
    rogue.set(vchanges, page_b.clone());
    let err = kiosk.sync_once(Utc::now()).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    unchanged(&kiosk, "forged head");

    // 2. A genuine head, but the page's content was altered on the way.
    rogue.set(vhead, head_b.clone());
    rogue.set(vchanges, page_b.replace("本周六上午", "本周日上午"));
    let err = kiosk.sync_once(Utc::now()).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    unchanged(&kiosk, "tampered page");

    // 3. Signed by another key entirely.
    let other = gongkai_protocol::SigningKey::generate();
    let resigned = SignedCheckpoint::sign(
        serde_json::from_str::<SignedCheckpoint>(&head_b)?.checkpoint,
        &other,
    );
    rogue.set(vhead, serde_json::to_string(&resigned)?);
    let err = kiosk.sync_once(Utc::now()).unwrap_err();
    assert!(err.to_string().contains("signed by key"), "{err}");
    unchanged(&kiosk, "wrong key");

    // Now let the genuine update through: the kiosk moves to B.
    rogue.clear();
    rogue.missing("/v1/heads");
    kiosk.sync_once(Utc::now())?;
    let state_b = kiosk.cache().scope_state(&village())?.unwrap();
    assert!(state_b.seq > state_a.seq);
    assert!(titles(&kiosk, ContentKind::Notice).contains(&"新通知".to_string()));

    // 4. Replaying the older, genuinely signed checkpoint A is a rollback: refused.
    rogue.set(vhead, old_head_a);
    let err = kiosk.sync_once(Utc::now()).unwrap_err();
    assert!(err.to_string().contains("rollback"), "{err}");
    let now = kiosk.cache().scope_state(&village())?.unwrap();
    assert_eq!((now.seq, now.state_hash), (state_b.seq, state_b.state_hash));
    assert!(titles(&kiosk, ContentKind::Notice).contains(&"新通知".to_string()));
    Ok(())
}

#[test]
fn an_expired_checkpoint_marks_the_screen_possibly_out_of_date() -> Result<()> {
    // The server's clock and the kiosk's "now" are both passed in, so a slow machine
    // cannot let the checkpoint (valid an hour) expire during the sync.
    let tmp = tempfile::tempdir()?;
    let t = Utc::now();
    let server = TestServer::demo_at(tmp.path(), gongkai_server::Clock::fixed(t))?;
    let kiosk = Kiosk::open(
        kiosk_config(&server.url(), &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(t)?;
    assert!(!kiosk.status(t)?.stale);
    drop(server);
    // Judged by the kiosk's own clock past the checkpoint's hour, with the server gone:
    // nothing can refresh it.
    let later = t + chrono::Duration::seconds(3601);
    assert!(kiosk.sync_once(later).is_err());
    let status = kiosk.status(later)?;
    assert!(status.stale && !status.online);
    // The content itself stays readable.
    assert_eq!(
        kiosk
            .list(ContentKind::Disclosure, None, 0, 5, later)?
            .total,
        52
    );
    Ok(())
}

/// A live server whose clock is wrong signs checkpoints that are already expired (or
/// not yet issued): the kiosk refuses them, keeps its verified content exactly as it was,
/// and its status says what happened. Once the server's clock is right again it updates.
#[test]
fn an_expired_or_future_checkpoint_from_a_live_server_is_refused() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let clock = gongkai_server::Clock::fixed(Utc::now());
    let server = TestServer::demo_at(tmp.path(), clock.clone())?;
    let kiosk = Kiosk::open(
        kiosk_config(&server.url(), &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let before = kiosk.cache().scope_state(&village())?.unwrap();
    server.store()?.publish(
        &village(),
        &[Edit::put(
            ContentKind::Notice,
            "clock-test",
            &new_notice("时钟测试通知"),
        )],
    )?;

    for (server_now, says) in [
        (Utc::now() - chrono::Duration::days(3), "过期"),
        (Utc::now() + chrono::Duration::days(3), "晚于本机时间"),
    ] {
        clock.set(server_now);
        let err = kiosk.sync_once(Utc::now()).unwrap_err();
        assert!(err.to_string().contains("checkpoint"), "{err}");
        let after = kiosk.cache().scope_state(&village())?.unwrap();
        assert_eq!(
            (after.epoch, after.seq, after.state_hash),
            (before.epoch, before.seq, before.state_hash),
            "the cache moved on a refused checkpoint"
        );
        assert!(!titles(&kiosk, ContentKind::Notice).contains(&"时钟测试通知".to_string()));
        let status = kiosk.status(Utc::now())?;
        let problem = status.problem.unwrap_or_default();
        assert!(problem.contains(says), "{problem}");
        assert!(problem.contains("继续显示已核验的内容"), "{problem}");
        assert!(status.online);
    }

    clock.set(Utc::now());
    kiosk.sync_once(Utc::now())?;
    assert!(titles(&kiosk, ContentKind::Notice).contains(&"时钟测试通知".to_string()));
    assert_eq!(kiosk.status(Utc::now())?.problem, None);
    Ok(())
}

#[test]
fn a_kiosk_behind_pruned_tombstones_starts_again_and_ends_exact() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let kiosk = Kiosk::open(
        kiosk_config(&server.url(), &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let store = server.store()?;
    // Two notices withdrawn, then their tombstones pruned: the kiosk's cursor is too old
    // to learn about the deletions change by change.
    let head = store.publish(
        &village(),
        &[
            Edit::delete(ContentKind::Notice, "notice-1"),
            Edit::delete(ContentKind::Notice, "notice-2"),
        ],
    )?;
    store.prune_tombstones(&village(), head.seq)?;
    let report = kiosk.sync_once(Utc::now())?;
    assert!(matches!(report.outcomes[0].1, ScopeOutcome::Updated { .. }));
    assert!(titles(&kiosk, ContentKind::Notice)
        .iter()
        .all(|t| !t.contains("村民代表会议")));
    assert_cache_at_checkpoints(&kiosk);
    Ok(())
}

#[test]
fn an_interrupted_sync_leaves_the_screen_unchanged_and_resumes() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let rogue = Rogue::start(server.url());
    let config = kiosk_config(
        &format!("http://{}/", rogue.addr),
        &server.public_key_b64()?,
    )?;
    let kiosk = Kiosk::open(config, &tmp.path().join("kiosk"))?;
    let township = ScopeId::parse("419901102")?;
    // The township's 5,200-row list comes in pages of 500; the connection breaks after
    // the first (the proxy answers garbage for the rest).
    let cursor_after_first_page = server
        .store()?
        .changes(&township, 0, 500)?
        .changes
        .last()
        .unwrap()
        .seq;
    rogue.set_query(
        &format!("/v1/scopes/{township}/changes"),
        &format!("since={cursor_after_first_page}&"),
        "connection reset".into(),
    );
    assert!(kiosk.sync_once(Utc::now()).is_err());
    assert!(
        kiosk.cache().scope_state(&township)?.is_none(),
        "nothing visible before the merge"
    );
    let staged = kiosk.cache().staging_state(&township)?.unwrap();
    assert_eq!(staged.cursor, cursor_after_first_page);
    assert_eq!(
        kiosk
            .list(ContentKind::SubsidyList, None, 0, 10, Utc::now())?
            .total,
        1,
        "only the village's own list"
    );

    // The line comes back: the sync resumes from the staged cursor and merges exactly.
    rogue.clear();
    kiosk.sync_once(Utc::now())?;
    assert!(kiosk.cache().staging_state(&township)?.is_none());
    assert_cache_at_checkpoints(&kiosk);
    assert_eq!(
        kiosk
            .list(ContentKind::SubsidyList, None, 0, 10, Utc::now())?
            .total,
        2
    );
    Ok(())
}

#[test]
fn blobs_resume_and_a_corrupted_download_is_refused_then_fetched_again() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let blob_dir = server.data.blob_dir();
    let (name, bytes) = std::fs::read_dir(&blob_dir)?
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .next()
        .unwrap();
    let http = reqwest::blocking::Client::new();
    let base = url::Url::parse(&server.url())?;
    let dir = gongkai_kiosk::blobs::BlobDir::new(tmp.path().join("blobs"));
    std::fs::create_dir_all(tmp.path().join("blobs"))?;
    let part = tmp.path().join("blobs").join(format!("{name}.part"));

    // Half of it arrived before the line dropped: the rest is fetched with a Range.
    std::fs::write(&part, &bytes[..bytes.len() / 2])?;
    dir.fetch(&http, &base, &name)?;
    assert_eq!(dir.read(&name)?, bytes);
    assert!(!part.exists());

    // A partial file with wrong bytes: the result does not match its name, so it is
    // thrown away rather than shown, and the next try starts clean and succeeds.
    let name2 = name.clone();
    std::fs::remove_file(dir.path(&name2).unwrap())?;
    std::fs::write(&part, b"<svg>forged")?;
    let err = dir.fetch(&http, &base, &name2).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    assert!(!dir.has(&name2) && !part.exists());
    dir.fetch(&http, &base, &name2)?;
    assert_eq!(dir.read(&name2)?, bytes);
    Ok(())
}

#[test]
fn a_notice_past_its_expiry_disappears_with_the_network_down() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let mut notice = new_notice("临时停水通知");
    notice.expire_at = Some(Utc::now() + chrono::Duration::minutes(30));
    server.store()?.publish(
        &village(),
        &[Edit::put(ContentKind::Notice, "water", &notice)],
    )?;
    let kiosk = Kiosk::open(
        kiosk_config(&server.url(), &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    assert!(titles(&kiosk, ContentKind::Notice).contains(&"临时停水通知".to_string()));
    let shown = kiosk.home(Utc::now())?.tiles[5].count;
    drop(server);

    // An hour later, by the kiosk's own clock, with no server to ask.
    let later = Utc::now() + chrono::Duration::hours(1);
    assert!(kiosk.sync_once(later).is_err());
    let listed: Vec<String> = kiosk
        .list(ContentKind::Notice, None, 0, 100, later)?
        .entries
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert!(!listed.contains(&"临时停水通知".to_string()), "{listed:?}");
    assert_eq!(kiosk.home(later)?.tiles[5].count, shown - 1);
    assert!(matches!(
        kiosk.notice("419901102201", "water", later),
        Err(gongkai_kiosk::KioskError::NotFound)
    ));
    Ok(())
}

/// 查我的补贴 on a synced demo kiosk: a 石桥村 household on the village's 低保 list and on
/// the township's 粮食直补 list is found on both by name or initials plus ID tail; a wrong
/// tail finds nothing; half a name or three digits is refused with a message.
#[test]
fn my_subsidies_finds_a_household_on_every_list_it_is_on() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let kiosk = Kiosk::open(
        kiosk_config(&server.url(), &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let store = server.store()?;
    let village = ScopeId::parse("419901102201")?;
    let read = store.changes(&village, 0, 1000)?;
    let dibao: Vec<gongkai_model::SubsidyRow> = read
        .changes
        .iter()
        .filter(|c| c.kind == ContentKind::SubsidyRow)
        .filter_map(|c| serde_json::from_str(c.body.as_deref()?).ok())
        .collect();
    let person = dibao.first().expect("a 低保 row");
    let tail = gongkai_model::idcard::tail(&person.id_masked);
    for asked in [
        person.name.clone(),
        gongkai_model::names::initials(&person.name),
    ] {
        let found = kiosk.my_subsidies(&asked, &tail, Utc::now())?;
        let programmes: Vec<&str> = found.lists.iter().map(|h| h.title.as_str()).collect();
        assert!(
            programmes.iter().any(|t| t.contains("粮食直补"))
                && programmes.iter().any(|t| t.contains("低保")),
            "{asked}: {programmes:?}"
        );
        assert!(found.lists.iter().all(|h| h.row.name == person.name));
        assert!(found.lists_searched >= 2);
        assert!(found.lists.iter().all(|h| !h.issuer.is_empty()));
    }
    let wrong = if tail == "0000" { "0001" } else { "0000" };
    let none = kiosk.my_subsidies(&person.name, wrong, Utc::now())?;
    assert!(none.lists.is_empty() && none.boards.is_empty());
    let half: String = person.name.chars().take(1).collect();
    for (name, tail) in [
        (half.as_str(), tail.as_str()),
        (person.name.as_str(), &tail[1..]),
    ] {
        let err = kiosk.my_subsidies(name, tail, Utc::now()).unwrap_err();
        assert!(err.to_string().contains("请输入"), "{err}");
    }
    Ok(())
}

/// 查我的补贴 reaches the 三榜 boards too: a head of household of the relocation village
/// is found on each board that lists them.
#[test]
fn my_subsidies_finds_a_household_on_the_three_boards() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let store = server.store()?;
    let village = gongkai_server::demo::RELOCATION_VILLAGE;
    let text =
        gongkai_tests::village_config_text(&server.url(), &server.public_key_b64()?, None, village);
    let kiosk = Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&text, "test")?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let read = store.changes(&ScopeId::parse(village)?, 0, 1000)?;
    let boards: Vec<gongkai_model::RelocationBoard> = read
        .changes
        .iter()
        .filter(|c| c.kind == ContentKind::RelocationBoard)
        .filter_map(|c| serde_json::from_str(c.body.as_deref()?).ok())
        .collect();
    let head = &boards[0].rows[0];
    let shown = kiosk.list(ContentKind::RelocationBoard, None, 0, 100, Utc::now())?;
    let found = kiosk.my_subsidies(
        &gongkai_model::names::initials(&head.head_name),
        &gongkai_model::idcard::tail(&head.id_masked),
        Utc::now(),
    )?;
    assert_eq!(found.boards_searched, shown.total);
    assert!(!found.boards.is_empty());
    assert!(
        found
            .boards
            .iter()
            .all(|b| b.row.head_name == head.head_name
                && gongkai_model::idcard::tail(&b.row.id_masked)
                    == gongkai_model::idcard::tail(&head.id_masked)),
        "{:?}",
        found.boards
    );
    Ok(())
}
