//! Fleet operations through the real kiosk engine against a real server: a kiosk set up
//! from the console's enrollment page enrolls with its own key, reports what it shows and
//! is verified current (or behind); forged and replayed heartbeats are refused; its
//! signed display log proves a board's posting period and gives away a removed or edited
//! entry and a gap; remote settings and screenshots travel both ways; alerts reach a
//! webhook.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::{Duration, TimeZone, Utc};
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::{ContentKind, Notice, ScopeId};
use gongkai_protocol::displaylog::Interval;
use gongkai_protocol::fleet::{
    request_signing_bytes, Heartbeat, RemoteConfig, KIOSK_HEADER, SIGNATURE_HEADER,
};
use gongkai_protocol::SigningKey;
use gongkai_server::fleet::{coverage, statuses, verified_logs, Freshness};
use gongkai_server::state::FleetSettings;
use gongkai_server::Store;
use gongkai_store::Edit;
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::TestServer;
use std::path::Path;

const VILLAGE: &str = "419901201202"; // 河口村, the relocation village with three boards

/// Installs a kiosk the way an installer would: enrollment page → config file.
fn install(server: &TestServer, dir: &Path, id: &str, extra: &str) -> Kiosk {
    let county = ConsoleClient::logged_in(&server.url(), "county");
    let (token, snippet) = county.enroll_kiosk(id, VILLAGE);
    assert_eq!(token.len(), 23, "{token}");
    assert!(snippet.contains(&format!("enrollment_token = \"{token}\"")));
    let config = KioskConfig::parse(&format!("{extra}{snippet}"), "installed.toml")
        .unwrap_or_else(|e| panic!("the console's snippet parses: {e}\n{snippet}"));
    Kiosk::open(config, dir).unwrap()
}

/// A demo server and one kiosk of 河口村 installed from the console, synced and reporting.
fn reporting(extra: &str) -> Result<(tempfile::TempDir, TestServer, Kiosk)> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let kiosk = install(&server, &tmp.path().join("k1"), "419901201202-01", extra);
    kiosk.sync_once(Utc::now())?;
    kiosk.fleet_round(Utc::now())?;
    Ok((tmp, server, kiosk))
}

fn state_of(server: &TestServer, id: &str, now: i64) -> Freshness {
    let store = server.store().unwrap();
    statuses(&store, "", now, &FleetSettings::default())
        .unwrap()
        .into_iter()
        .find(|s| s.record.kiosk_id == id)
        .map(|s| s.freshness)
        .expect("kiosk listed")
}

fn publish_notice(server: &TestServer, id: &str) {
    let store = server.store().unwrap();
    let notice = Notice {
        title: "关于冬季防火的通知".into(),
        publisher: "河口村民委员会".into(),
        body_html: "<p>请勿在山林附近焚烧秸秆。</p>".into(),
        publish_at: Utc::now(),
        expire_at: None,
        images: Vec::new(),
    };
    store
        .publish(
            &ScopeId::parse(VILLAGE).unwrap(),
            &[Edit::put(ContentKind::Notice, id, &notice)],
        )
        .unwrap();
}

#[test]
fn a_kiosk_installed_from_the_console_enrolls_and_is_verified_current_or_behind() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let kiosk = install(&server, &tmp.path().join("k1"), "419901201202-01", "");
    let county = ConsoleClient::logged_in(&server.url(), "county");
    // Listed as expected, not as a kiosk, until it has enrolled itself with the token.
    let page = county.get("/fleet").body;
    assert!(!page.contains("data-testid=\"count-current\">1<"));
    let pending = &page[page.find("data-testid=\"pending\"").expect("pending list")..];
    assert!(pending.contains("419901201202-01"));

    kiosk.sync_once(Utc::now())?;
    let report = kiosk.fleet_round(Utc::now())?;
    assert!(report.enrolled && report.heartbeat_sent, "{report:?}");
    assert_eq!(
        state_of(&server, "419901201202-01", Utc::now().timestamp()),
        Freshness::Current
    );
    let page = county.get("/fleet").body;
    assert!(page.contains("data-testid=\"count-current\">1<"), "{page}");
    assert!(
        !page.contains("data-testid=\"pending\""),
        "the token is spent"
    );

    // The village publishes: the kiosk shows old content until it syncs.
    publish_notice(&server, "fleet-test-1");
    assert!(matches!(
        state_of(&server, "419901201202-01", Utc::now().timestamp()),
        Freshness::Behind { .. }
    ));
    let page = county.get("/fleet").body;
    assert!(page.contains("data-testid=\"count-behind\">1<"), "{page}");
    let detail = county.get("/fleet/kiosks/419901201202-01").body;
    assert!(detail.contains("不一致"), "{detail}");
    kiosk.sync_once(Utc::now())?;
    let again = kiosk.fleet_round(Utc::now())?;
    assert!(!again.enrolled && again.heartbeat_sent);
    assert_eq!(
        state_of(&server, "419901201202-01", Utc::now().timestamp()),
        Freshness::Current
    );

    // Scope: a township reviewer of another township does not see the kiosk.
    let shiqiao = ConsoleClient::logged_in(&server.url(), "shiqiao");
    assert!(!shiqiao.get("/fleet").body.contains("419901201202-01"));
    assert_eq!(shiqiao.get("/fleet/kiosks/419901201202-01").status, 404);
    Ok(())
}

fn signed_post(
    server: &TestServer,
    id: &str,
    key: &SigningKey,
    hb: &Heartbeat,
) -> reqwest::blocking::Response {
    let body = serde_json::to_vec(hb).unwrap();
    let path = "/v1/kiosks/heartbeat";
    reqwest::blocking::Client::new()
        .post(format!("{}v1/kiosks/heartbeat", server.url()))
        .header(KIOSK_HEADER, id)
        .header(
            SIGNATURE_HEADER,
            key.sign(&request_signing_bytes(id, path, &body)),
        )
        .body(body)
        .send()
        .unwrap()
}

#[test]
fn heartbeats_signed_by_another_key_replayed_or_unsigned_are_refused() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let dir = tmp.path().join("k1");
    let id = "419901201202-01";
    let kiosk = install(&server, &dir, id, "");
    kiosk.sync_once(Utc::now())?;
    kiosk.fleet_round(Utc::now())?;
    let before = server.store()?.kiosk(id)?.unwrap();

    let hb = |counter| Heartbeat {
        kiosk_id: id.into(),
        counter,
        sent_at: Utc::now().timestamp(),
        app_version: "forged".into(),
        uptime_secs: 1,
        rss_bytes: 1,
        disk_free_bytes: 1,
        display_on: true,
        last_sync_at: None,
        scopes: Vec::new(),
        config_version: 0,
        display_log: Vec::new(),
        changelog_alarm: None,
        codes_left: None,
    };
    // Another key.
    let stranger = SigningKey::generate();
    let r = signed_post(&server, id, &stranger, &hb(u64::MAX / 2));
    assert_eq!(r.status(), 401);
    // The kiosk's own key (read from its data directory), but an old counter: a replay.
    let own = SigningKey::from_base64(&std::fs::read_to_string(dir.join("kiosk.key"))?)?;
    let r = signed_post(&server, id, &own, &hb(5));
    assert_eq!(r.status(), 409);
    // A body changed after signing.
    let body = serde_json::to_vec(&hb(u64::MAX / 2))?;
    let sig = own.sign(&request_signing_bytes(id, "/v1/kiosks/heartbeat", &body));
    let mut altered = body.clone();
    let at = altered.len() - 2;
    altered[at] = b' ';
    let r = reqwest::blocking::Client::new()
        .post(format!("{}v1/kiosks/heartbeat", server.url()))
        .header(KIOSK_HEADER, id)
        .header(SIGNATURE_HEADER, sig)
        .body(altered)
        .send()?;
    assert_eq!(r.status(), 401);
    // Unsigned, and an unknown kiosk.
    let r = reqwest::blocking::Client::new()
        .post(format!("{}v1/kiosks/heartbeat", server.url()))
        .body(serde_json::to_vec(&hb(u64::MAX / 2))?)
        .send()?;
    assert_eq!(r.status(), 401);
    let r = signed_post(&server, "nobody-01", &stranger, &hb(1));
    assert_eq!(r.status(), 401);
    // None of it changed what the server holds.
    let after = server.store()?.kiosk(id)?.unwrap();
    assert_eq!(after.last_counter, before.last_counter);
    assert_eq!(after.app_version, before.app_version);

    // The token is spent: another key cannot enroll with it, nor can a guess.
    let enroll = |token: &str| {
        reqwest::blocking::Client::new()
            .post(format!("{}v1/kiosks/enroll", server.url()))
            .json(&serde_json::json!({
                "token": token, "kiosk_id": id,
                "public_key": stranger.public().to_base64(), "app_version": "x"
            }))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(enroll("AAAAA-BBBBB-CCCCC-DDDDD"), 403);
    Ok(())
}

#[test]
fn the_display_log_proves_a_posting_period_and_gives_away_gaps_and_tampering() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let id = "419901201202-01";
    let kiosk = install(&server, &tmp.path().join("k1"), id, "");
    let now = Utc::now();
    let t0 = now - Duration::hours(6);
    kiosk.sync_once(now)?;
    // Two hours on screen, an hour dark (the app was dead), then three hours.
    let mut t = t0;
    while t <= t0 + Duration::hours(2) {
        kiosk.fleet_round(t)?;
        t += Duration::minutes(5);
    }
    let mut t = t0 + Duration::hours(3);
    while t <= t0 + Duration::hours(6) {
        kiosk.fleet_round(t)?;
        t += Duration::minutes(5);
    }
    let store = server.store()?;
    let logs = verified_logs(&store, id)?;
    assert_eq!(logs.len(), 1);
    let entries = logs[0].1.as_ref().expect("log verifies").len();
    assert!(entries >= 60, "{entries}");

    let board = "relocation-河口村-3";
    let period = Interval {
        from: t0.timestamp(),
        until: (t0 + Duration::hours(6)).timestamp(),
    };
    let c = coverage(&logs, "relocation_board", VILLAGE, board, period);
    assert!(c.broken.is_none());
    assert_eq!(
        c.gaps,
        vec![Interval {
            from: (t0 + Duration::hours(2)).timestamp(),
            until: (t0 + Duration::hours(3)).timestamp(),
        }],
        "the dead hour is the one gap"
    );
    let full = Interval {
        from: t0.timestamp(),
        until: (t0 + Duration::hours(2)).timestamp(),
    };
    assert!(coverage(&logs, "relocation_board", VILLAGE, board, full).complete());
    let county = ConsoleClient::logged_in(&server.url(), "county");
    let posting = county.get("/fleet/posting").body;
    assert!(posting.contains("河口村第三榜"), "{posting}");
    assert!(posting.contains("data-testid=\"posting-gaps\""));

    // Someone deletes an entry from the server's copy: the chain breaks there.
    let db = rusqlite::Connection::open(server.data.db_path())?;
    db.execute(
        "DELETE FROM display_log WHERE kiosk_id = ?1 AND seq = 10",
        [id],
    )?;
    let logs = verified_logs(&store, id)?;
    assert_eq!(logs[0].1.as_ref().unwrap_err().n, 10);
    let detail = county.get(&format!("/fleet/kiosks/{id}")).body;
    assert!(detail.contains("data-testid=\"display-log-broken\""));
    let c = coverage(&logs, "relocation_board", VILLAGE, board, full);
    assert!(!c.complete(), "a broken log proves nothing");

    // Or edits one to hide a gap: the hash (or the signature) no longer matches.
    let tmp2 = tempfile::tempdir()?;
    let server2 = TestServer::demo(tmp2.path())?;
    let kiosk2 = install(&server2, &tmp2.path().join("k2"), id, "");
    kiosk2.sync_once(now)?;
    for m in 0..6 {
        kiosk2.fleet_round(t0 + Duration::minutes(5 * m))?;
    }
    let db2 = rusqlite::Connection::open(server2.data.db_path())?;
    db2.execute(
        "UPDATE display_log SET at = at + 3600 WHERE kiosk_id = ?1 AND seq = 3",
        [id],
    )?;
    let logs2 = verified_logs(&server2.store()?, id)?;
    assert_eq!(logs2[0].1.as_ref().unwrap_err().n, 3);
    Ok(())
}

#[test]
fn remote_settings_reach_the_kiosk_signed_and_a_forged_one_is_refused() -> Result<()> {
    let (_tmp, server, kiosk) = reporting("")?;
    let id = "419901201202-01";
    assert_eq!(kiosk.poll_interval_secs(), 30);

    let county = ConsoleClient::logged_in(&server.url(), "county");
    let bad = county.post(
        &format!("/fleet/kiosks/{id}/config"),
        &[("display_hours", "晚上十点")],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("06:30-22:00"));
    let ok = county.post(
        &format!("/fleet/kiosks/{id}/config"),
        &[
            ("poll_interval_secs", "60"),
            ("idle_timeout_secs", "120"),
            ("display_hours", "06:00-22:00"),
            ("care_mode_default", "on"),
        ],
    );
    assert_eq!(ok.status, 303, "{ok:?}");
    let report = kiosk.fleet_round(Utc::now())?;
    assert_eq!(report.config_applied, Some(1));
    assert_eq!(kiosk.poll_interval_secs(), 60);
    let home = kiosk.home(Utc::now())?;
    assert_eq!(home.idle_timeout_secs, 120);
    assert!(home.care_mode_default);
    // 23:00 in Beijing is outside the hours; noon is inside.
    let night = Utc.with_ymd_and_hms(2026, 11, 26, 15, 0, 0).unwrap();
    let noon = Utc.with_ymd_and_hms(2026, 11, 26, 4, 0, 0).unwrap();
    assert!(!kiosk.status(night)?.display_on);
    assert!(kiosk.status(noon)?.display_on);

    // A configuration not signed by the server, or signed for another kiosk, is ignored.
    let forged = RemoteConfig {
        kiosk_id: id.into(),
        version: 99,
        poll_interval_secs: Some(5),
        idle_timeout_secs: None,
        display_hours: None,
        care_mode_default: None,
        public_url: None,
    };
    let key = server.data.load_key()?;
    assert!(!kiosk
        .fleet()
        .take_config(&forged.clone().sign(&SigningKey::generate()), &key.public())?);
    let other = RemoteConfig {
        kiosk_id: "419901201202-02".into(),
        ..forged.clone()
    };
    assert!(!kiosk
        .fleet()
        .take_config(&other.sign(&key), &key.public())?);
    // An older version, properly signed, does not roll back the settings.
    let old = RemoteConfig {
        version: 0,
        ..forged
    };
    assert!(!kiosk.fleet().take_config(&old.sign(&key), &key.public())?);
    assert_eq!(kiosk.poll_interval_secs(), 60);
    Ok(())
}

#[test]
fn a_screenshot_requested_in_the_console_comes_back_from_the_kiosk() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let id = "419901201202-01";
    // ImageMagick draws the "screen" here; on a kiosk it is grim (cage) or import (X).
    let kiosk = install(
        &server,
        &tmp.path().join("k1"),
        id,
        "screenshot_command = [\"convert\", \"-size\", \"96x54\", \"xc:#c8102e\", \"png:-\"]\n",
    );
    kiosk.sync_once(Utc::now())?;
    assert!(!kiosk.fleet_round(Utc::now())?.screenshot_sent);
    let county = ConsoleClient::logged_in(&server.url(), "county");
    let r = county.post(&format!("/fleet/kiosks/{id}/screenshot"), &[]);
    assert_eq!(r.status, 303);
    assert!(county
        .get(&format!("/fleet/kiosks/{id}"))
        .body
        .contains("已请求新的截图"));
    assert!(kiosk.fleet_round(Utc::now())?.screenshot_sent);
    let (status, png) = county.get_bytes(&format!("/fleet/kiosks/{id}/screenshot.png"));
    assert_eq!(status, 200);
    assert!(png.starts_with(b"\x89PNG"));
    // Asked once, sent once.
    assert!(!kiosk.fleet_round(Utc::now())?.screenshot_sent);
    // Only for those who may see the kiosk.
    let shiqiao = ConsoleClient::logged_in(&server.url(), "shiqiao");
    assert_eq!(
        shiqiao
            .get_bytes(&format!("/fleet/kiosks/{id}/screenshot.png"))
            .0,
        404
    );
    Ok(())
}

#[test]
fn alerts_reach_the_webhook_once_each_even_when_it_was_down() -> Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let (_tmp, server, kiosk) = reporting("")?;
    let id = "419901201202-01";
    let store: Arc<dyn Store> = Arc::new(server.store()?);
    let settings = FleetSettings::default();

    // The operations desk's endpoint: down (503) until `up` is set.
    let rt = tokio::runtime::Runtime::new()?;
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let tries = Arc::new(Mutex::new(0usize));
    let up = Arc::new(AtomicBool::new(false));
    let url = rt.block_on(async {
        let (got, tries, up) = (got.clone(), tries.clone(), up.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
                let (got, tries, up) = (got.clone(), tries.clone(), up.clone());
                async move {
                    *tries.lock().unwrap() += 1;
                    if !up.load(Ordering::SeqCst) {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    got.lock().unwrap().push(v);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        anyhow::Ok(format!("http://{addr}/hook"))
    })?;
    let client = reqwest::Client::new();
    let deliver = |now: i64| {
        rt.block_on(gongkai_server::fleet::deliver_queued(
            &store, &client, &url, now,
        ))
    };
    let later = Utc::now().timestamp() + 3600;
    let events = gongkai_server::fleet::sweep(store.as_ref(), later, &settings)?;
    assert_eq!(events.len(), 1);
    gongkai_server::fleet::queue(store.as_ref(), &events, later)?;
    // Down: refused, kept; not retried before its time; sent once it is back up.
    assert_eq!(deliver(later)?, (0, 1));
    assert_eq!(deliver(later + 30)?, (0, 0), "waits a minute first");
    assert_eq!(store.webhooks_waiting()?, 1);
    up.store(true, Ordering::SeqCst);
    assert_eq!(deliver(later + 61)?, (1, 0));
    assert_eq!(deliver(later + 7200)?, (0, 0), "not twice");
    assert_eq!(*tries.lock().unwrap(), 2);
    assert!(gongkai_server::fleet::sweep(store.as_ref(), later + 60, &settings)?.is_empty());
    // The kiosk calls in again: the alert clears, once.
    kiosk.fleet_round(Utc::now())?;
    let now = Utc::now().timestamp();
    let cleared = gongkai_server::fleet::sweep(store.as_ref(), now, &settings)?;
    assert_eq!(cleared.len(), 1);
    gongkai_server::fleet::queue(store.as_ref(), &cleared, now)?;
    assert_eq!(deliver(now)?, (1, 0));
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["event"], "raised");
    assert_eq!(got[0]["kind"], "offline");
    assert_eq!(got[0]["kiosk_id"], id);
    assert_eq!(got[1]["event"], "cleared");
    assert_eq!(store.webhooks_waiting()?, 0);

    // An event the endpoint never takes is tried with growing waits, then given up after
    // three days (it is still in the console's alert list).
    up.store(false, Ordering::SeqCst);
    store.queue_webhook("{\"event\":\"raised\"}", now)?;
    let mut t = now;
    let mut attempts = 0;
    while store.webhooks_waiting()? > 0 {
        let (_, failed) = deliver(t)?;
        attempts += failed;
        t += 3600;
        assert!(t < now + 5 * 86_400, "never given up");
    }
    assert!(
        (60..=80).contains(&attempts),
        "{attempts} attempts in three days"
    );
    assert_eq!(gongkai_server::fleet::retry_delay(1), 60);
    assert_eq!(gongkai_server::fleet::retry_delay(3), 240);
    assert_eq!(gongkai_server::fleet::retry_delay(30), 3600);
    Ok(())
}

#[test]
fn a_cadre_code_for_an_enrolled_kiosk_works_only_when_that_kiosk_signs() -> Result<()> {
    let (_tmp, server, kiosk) = reporting("")?;
    let county = ConsoleClient::logged_in(&server.url(), "county");
    // Someone who read the code over a shoulder tries it from elsewhere, claiming to be
    // the kiosk: refused, and the code is not used up.
    let code = county.cadre_code(VILLAGE, "");
    let forged = reqwest::blocking::Client::new()
        .post(format!("{}v1/cadre/unlock", server.url()))
        .json(&serde_json::json!({
            "kiosk_id": "419901201202-01", "scope": VILLAGE, "code": code
        }))
        .send()?;
    assert_eq!(forged.status(), 401);
    // At the kiosk itself (which signs with its key) the same code unlocks cadre mode.
    let view = kiosk.cadre_unlock(&code, Utc::now())?;
    assert!(!view.display_name.is_empty());
    Ok(())
}

/// A kiosk's memory is kept per heartbeat: the kiosk page shows its run since the last
/// restart (growth per hour after warm-up, a line against the budget), and memory past
/// the budget raises an alert that a restart clears.
#[test]
fn memory_past_its_budget_between_restarts_raises_an_alert() -> Result<()> {
    let (tmp, server, _kiosk) = reporting("")?;
    let id = "419901201202-01";
    let key = SigningKey::from_base64(&std::fs::read_to_string(tmp.path().join("k1/kiosk.key"))?)?;
    let mib = 1024 * 1024;
    let base = server.store()?.kiosk(id)?.unwrap().last_counter + 1;
    let beat = |n: u64, uptime: u64, rss_mib: u64| {
        let hb = Heartbeat {
            kiosk_id: id.into(),
            counter: base + n,
            sent_at: Utc::now().timestamp(),
            app_version: "0.1.0".into(),
            uptime_secs: uptime,
            rss_bytes: rss_mib * mib,
            disk_free_bytes: 1 << 34,
            display_on: true,
            last_sync_at: None,
            scopes: Vec::new(),
            config_version: 0,
            display_log: Vec::new(),
            changelog_alarm: None,
            codes_left: None,
        };
        let r = signed_post(&server, id, &key, &hb);
        assert_eq!(r.status(), 200);
    };
    // Growing by 60 MiB an hour (reported uptimes; the server stamps its own time).
    for n in 0..6 {
        beat(n, 600 + n * 3600, 420 + n * 60);
    }
    let store = server.store()?;
    assert!(store.memory_samples(id, 0)?.len() >= 6);
    let settings = FleetSettings::default();
    let now = Utc::now().timestamp();
    let events = gongkai_server::fleet::sweep(&store, now, &settings)?;
    let memory: Vec<_> = events.iter().filter(|e| e.kind == "memory").collect();
    assert_eq!(memory.len(), 1, "{events:?}");
    assert!(
        memory[0].detail.contains("超过预算 600 MiB"),
        "{}",
        memory[0].detail
    );
    let county = ConsoleClient::logged_in(&server.url(), "county");
    let page = county.get(&format!("/fleet/kiosks/{id}")).body;
    assert!(page.contains("超出预算"), "{page}");
    assert!(page.contains("svg class=\"sparkline\""), "{page}");
    assert!(page.contains("预热后每小时 +60.0 MiB"), "{page}");
    assert!(county.get("/fleet").body.contains("内存超出预算"));
    // Restarted: low again, the alert clears.
    beat(6, 60, 310);
    let events = gongkai_server::fleet::sweep(&store, now + 60, &settings)?;
    assert!(
        events
            .iter()
            .any(|e| e.kind == "memory" && e.event == "cleared"),
        "{events:?}"
    );
    Ok(())
}
