//! The public change log anchored outside the server's database: kiosks keep the last
//! signed head they verified and `gongkai-verify` keeps every entry it verified. An old
//! entry rewritten in the database, with every later entry re-chained so that the
//! server's own check still passes, is caught by both: every kiosk that saw the old head
//! raises the alert (status, heartbeat, fleet page; the webhook when one is set) and keeps serving its
//! verified content, and the verifier fails naming the first changed entry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::anchor::LogCheck;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::ContentKind;
use gongkai_protocol::changelog::LogEntry;
use gongkai_server::Store;
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::TestServer;

/// Rewrites entry `n`'s title and re-chains everything after it, as someone with the
/// database (and not the signing key's discipline) would.
fn rewrite_and_rechain(db: &std::path::Path, entries: &[LogEntry], n: u64) -> Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    let tx = rusqlite::Connection::unchecked_transaction(&conn)?;
    let mut prev = entries[(n - 2) as usize].entry_hash.clone();
    for e in entries.iter().filter(|e| e.n >= n) {
        let mut e = e.clone();
        if e.n == n {
            e.title = format!("{}（已改）", e.title);
        }
        e.prev_hash = prev.clone();
        e.entry_hash = e.compute_hash();
        tx.execute(
            "UPDATE changelog SET title = ?2, prev_hash = ?3, entry_hash = ?4 WHERE n = ?1",
            rusqlite::params![e.n as i64, e.title, e.prev_hash, e.entry_hash],
        )?;
        prev = e.entry_hash;
    }
    tx.commit()?;
    Ok(())
}

#[test]
fn a_rewritten_and_rechained_log_is_caught_by_every_kiosk_and_the_verifier() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");
    let mut kiosks = Vec::new();
    for (id, scope) in [
        ("419901102201-01", "419901102201"),
        ("419901102202-01", "419901102202"),
    ] {
        let (_, snippet) = clerk.enroll_kiosk(id, scope);
        let kiosk = Kiosk::open(
            KioskConfig::parse(&snippet, "installed.toml")?,
            &tmp.path().join(id),
        )?;
        kiosk.sync_once(Utc::now())?;
        kiosk.fleet_round(Utc::now())?;
        kiosks.push(kiosk);
    }
    let state = tmp.path().join("verified.json");
    let first = gongkai_verify::verify(&url, Some(&server.public_key_b64()?), Some(&state))?;
    let store = server.store()?;
    assert_eq!(first.entries, store.changelog_head()?.0);

    // An ordinary publication: the log extends, nobody is alarmed.
    store.publish(
        &gongkai_model::ScopeId::parse("419901")?,
        &[gongkai_server::Edit::put(
            ContentKind::Notice,
            "anchor-test",
            &gongkai_model::Notice {
                title: "关于做好冬季森林防火工作的通知".into(),
                publisher: "云溪县人民政府".into(),
                body_html: "<p>进入防火期，严禁野外用火。</p>".into(),
                publish_at: Utc::now(),
                expire_at: None,
                images: vec![],
            },
        )],
    )?;
    for k in &kiosks {
        assert!(
            matches!(k.check_changelog(Utc::now())?, LogCheck::Extended { len } if len == first.entries + 1)
        );
    }
    let second = gongkai_verify::verify(&url, None, Some(&state))?;
    assert_eq!(second.known_before, first.entries);

    // Entry 40 rewritten and everything after it re-chained: the server's own check
    // passes (that is the point), and the signed head is the new one.
    let entries = store.changelog(0, 100_000)?;
    rewrite_and_rechain(&server.data.db_path(), &entries, 40)?;
    let report = store.verify_changelog()?;
    assert!(report.broken.is_none(), "{report:?}");

    for k in &kiosks {
        match k.check_changelog(Utc::now())? {
            LogCheck::Rewritten { at, why } => {
                assert_eq!(at, entries.len() as u64, "{why}");
                assert!(why.contains("公开记录与本机"), "{why}");
            }
            other => panic!("not caught: {other:?}"),
        }
        let status = k.status(Utc::now())?;
        assert!(
            status
                .problem
                .as_deref()
                .unwrap_or("")
                .contains("继续显示已核验的内容"),
            "{status:?}"
        );
        // The kiosk keeps serving what it verified.
        assert!(k.list(ContentKind::Notice, None, 0, 5, Utc::now())?.total > 0);
        // The next sync keeps the alarm (the log still does not extend the anchor).
        k.sync_once(Utc::now())?;
        assert!(k.status(Utc::now())?.problem.is_some());
        k.fleet_round(Utc::now())?;
    }
    let alerts: Vec<_> = store
        .alerts(0)?
        .into_iter()
        .filter(|a| a.kind == "changelog" && a.cleared_at.is_none())
        .collect();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    let fleet = ConsoleClient::logged_in(&url, "county").get("/fleet").body;
    assert!(fleet.contains("公开记录被改写"), "{fleet}");

    // The verifier with its state names entry 40; without state it cannot know.
    let err = gongkai_verify::verify(&url, None, Some(&state)).unwrap_err();
    assert_eq!(err.first_bad_entry(), Some(40), "{err}");
    assert!(
        err.to_string().contains("第 40 号记录与上次核验时不同"),
        "{err}"
    );
    assert!(gongkai_verify::verify(&url, None, None).is_ok());
    Ok(())
}

#[test]
fn the_changelog_says_when_there_is_more() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let resp = reqwest::blocking::get(format!("{}v1/changelog?after=0&limit=10", server.url()))?;
    let total: u64 = resp.headers()["x-changelog-length"].to_str()?.parse()?;
    let link = resp.headers()["link"].to_str()?.to_string();
    assert!(total > 10);
    assert_eq!(link, "</v1/changelog?after=10&limit=10>; rel=\"next\"");
    let last = reqwest::blocking::get(format!(
        "{}v1/changelog?after={}&limit=10",
        server.url(),
        total - 3
    ))?;
    assert!(
        last.headers().get("link").is_none(),
        "no next page after the last"
    );
    assert_eq!(last.json::<Vec<LogEntry>>()?.len(), 3);
    Ok(())
}
