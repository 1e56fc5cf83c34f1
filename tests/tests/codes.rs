//! Tracking codes that cannot collide: the server reserves random codes for each
//! enrolled kiosk (never one another kiosk holds or a filing uses), and a kiosk whose
//! reserved codes ran out makes codes in its own namespace, given at enrollment. Two
//! kiosks forced onto the same "random" part still hand out two different codes, and
//! both reach the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::Kiosk;
use gongkai_model::complaint::{ComplaintKind, TrackingCode};
use gongkai_server::Store;
use gongkai_tests::TestServer;

fn draft(subject: &str) -> ComplaintDraft {
    ComplaintDraft {
        kind: ComplaintKind::Suggestion,
        scope: String::new(),
        subject: subject.into(),
        text: "村口的垃圾桶需要增加两个。".into(),
        name: String::new(),
        phone: String::new(),
        on_behalf: false,
    }
}

#[test]
fn two_kiosks_never_hand_out_the_same_code() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let store = server.store()?;
    let mut kiosks = Vec::new();
    for n in 0..2 {
        let config = server.kiosk_config()?;
        let id = config.kiosk_id.clone();
        let dir = tmp.path().join(format!("kiosk-{n}"));
        let kiosk = Kiosk::open(config, &dir)?;
        kiosk.fleet_round(Utc::now())?; // enrolls, then its heartbeat brings codes
        kiosks.push((id, dir, kiosk));
    }
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let reserved = |kiosk: &str| -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT code FROM code_pool WHERE kiosk_id = ?1")
            .unwrap();
        stmt.query_map([kiosk], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let (a, b) = (reserved(&kiosks[0].0), reserved(&kiosks[1].0));
    assert_eq!(a.len(), gongkai_server::fleet::CODE_POOL_FILL as usize);
    assert!(a.iter().all(|c| !b.contains(c)), "a code reserved twice");

    // With reserved codes: the filing's code is one the server holds for that kiosk.
    let r = kiosks[0].2.submit_complaint(&draft("路灯"), Utc::now())?;
    let code = TrackingCode::parse(&r.code)?;
    assert_eq!(code.namespace(), None);
    assert!(a.contains(&code.as_str().to_string()));

    // Both kiosks out of reserved codes (weeks offline): each makes its own, starting
    // at the same counter — the same "random part" — and still they differ.
    let mut codes = Vec::new();
    for (_, dir, kiosk) in &kiosks {
        rusqlite::Connection::open(dir.join("outbox.sqlite"))?
            .execute("DELETE FROM code_pool", [])?;
        let r = kiosk.submit_complaint(&draft("公厕"), Utc::now())?;
        codes.push(TrackingCode::parse(&r.code)?);
    }
    assert_ne!(codes[0], codes[1]);
    assert!(codes.iter().all(|c| c.namespace().is_some()));
    assert_ne!(codes[0].namespace(), codes[1].namespace());
    // Both reach the server and both codes work.
    for (_, _, kiosk) in &kiosks {
        kiosk.sync_once(Utc::now())?;
    }
    for c in &codes {
        let status = store.complaint_status(c)?.expect("filed");
        assert_eq!(status.subject, "公厕");
    }
    assert!(store.complaint_status(&code)?.is_some());

    // The server never reserves a code held by another kiosk or used by a filing.
    let held = a[5].clone();
    let fresh = gongkai_tests::code_from(0x12_3456_7899)
        .as_str()
        .to_string();
    let got = store.reserve_codes(
        &kiosks[1].0,
        &[held, code.as_str().to_string(), fresh.clone()],
        Utc::now().timestamp(),
    )?;
    assert_eq!(got, vec![fresh]);
    // A second enrollment round keeps the kiosk's namespace.
    assert_eq!(store.code_namespace(&kiosks[0].0, 1)?, codes[0].namespace());
    Ok(())
}
