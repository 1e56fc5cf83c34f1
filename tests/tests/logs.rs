//! Personal data and secrets never reach the logs. This test runs the server and a kiosk
//! engine in one process with every log line at debug level written to a file, does
//! everything that handles such data — a login with a password, an import of full ID
//! numbers, a filing with a name and phone, a cadre code, session cookies — and then
//! searches the log for each of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::Kiosk;
use gongkai_model::complaint::ComplaintKind;
use gongkai_tests::console::{subsidy_workbook, valid_id, ConsoleClient};
use gongkai_tests::TestServer;
use std::sync::{Arc, Mutex};

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn logs_hold_no_personal_data_or_secrets() -> Result<()> {
    let sink = Sink::default();
    let writer = sink.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug,hyper=info,reqwest=info,h2=info,rustls=info")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();

    // A failed and a good login (the password), a session cookie.
    let mut c = ConsoleClient::new(&url);
    c.login("shiqiao", "Wrong-Password-Zhang-1983");
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");
    let cookie = clerk.cookie.clone().unwrap();
    let session_token = cookie.split_once('=').unwrap().1.to_string();

    // An import with full ID numbers, one of them bad.
    let mut rows: Vec<(String, String, f64)> = (0..30)
        .map(|i| ("张建国".to_string(), valid_id(7_000 + i), 88.0))
        .collect();
    rows[3].1.pop();
    rows[3].1.push('0');
    let ids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let a = clerk.upload(
        &[
            ("list_kind", "subsidy"),
            ("scope", "419901102201"),
            ("programme", "粮食直补"),
            ("year", "2026"),
            ("issuer", "石桥镇"),
        ],
        "名单.xlsx",
        subsidy_workbook(&rows),
    );
    clerk.get(&a.location.unwrap());

    // A filing with a name and phone, uploaded by a kiosk engine.
    let kiosk = Kiosk::open(server.kiosk_config()?, &tmp.path().join("kiosk"))?;
    let phone = "13937055501";
    kiosk.submit_complaint(
        &ComplaintDraft {
            kind: ComplaintKind::DisclosureRequest,
            scope: String::new(),
            subject: "申请公开低保评审记录".into(),
            text: "请公开本村2026年低保民主评议会议记录。".into(),
            name: "李秀英".into(),
            phone: phone.into(),
            on_behalf: false,
        },
        Utc::now(),
    )?;
    kiosk.sync_once(Utc::now())?;

    // A cadre code, used once.
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    let code = cadre.cadre_code("419901102201", "");
    let _ = kiosk.cadre_unlock(&code, Utc::now());

    // Full IDs of the demo's own lists too.
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let demo_ids: Vec<String> = conn
        .prepare("SELECT id_number FROM private_ids LIMIT 500")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;

    let log = String::from_utf8_lossy(&sink.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("console login"),
        "the log is not being captured:\n{log}"
    );
    assert!(log.contains("cadre unlocked a kiosk"));
    let secrets: Vec<(&str, String)> = [
        ("password", "Wrong-Password-Zhang-1983".to_string()),
        ("password", gongkai_server::demo::DEMO_PASSWORD.to_string()),
        ("session token", session_token),
        ("phone", phone.to_string()),
        ("name", "李秀英".to_string()),
        ("cadre code", code),
    ]
    .into_iter()
    .chain(ids.into_iter().map(|i| ("imported ID", i)))
    .chain(demo_ids.into_iter().map(|i| ("demo ID", i)))
    .collect();
    for (what, secret) in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log holds a {what}: {secret}"
        );
    }
    assert!(
        !gongkai_model::idcard::contains_full_id(&log),
        "a full ID number is in the log"
    );
    eprintln!(
        "{} log lines checked for {} secrets",
        log.lines().count(),
        secrets.len()
    );
    Ok(())
}
