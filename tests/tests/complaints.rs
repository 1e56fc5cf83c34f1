//! Filing at a kiosk: saved durably before the code is shown, uploaded exactly once
//! however often it is retried, personal details gone from the kiosk once the server has
//! them, and the status readable by code from any kiosk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::{Kiosk, KioskError};
use gongkai_model::complaint::ComplaintKind;
use gongkai_tests::{kiosk_config, TestServer};

const PHONE: &str = "13937012345";

fn draft(kind: ComplaintKind, name: &str, phone: &str) -> ComplaintDraft {
    ComplaintDraft {
        kind,
        subject: "村道路灯".into(),
        text: "村东头到学校的路灯坏了两个月，晚上孩子放学不安全，请尽快维修。".into(),
        name: name.into(),
        phone: phone.into(),
    }
}

fn kiosk_files_contain(dir: &std::path::Path, needle: &str) -> bool {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .any(|p| String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()).contains(needle))
}

#[test]
fn filed_offline_survives_a_restart_and_reaches_the_server_exactly_once() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let config = kiosk_config(&server.url(), &server.public_key_b64()?)?;
    let kiosk_dir = tmp.path().join("kiosk");
    {
        let kiosk = Kiosk::open(config.clone(), &kiosk_dir)?;
        kiosk.sync_once(Utc::now())?;
    }
    let (data, addr) = server.stop();

    // Offline: the filing is saved and a code shown.
    let kiosk = Kiosk::open(config.clone(), &kiosk_dir)?;
    let receipt = kiosk.submit_complaint(
        &draft(ComplaintKind::Complaint, "王建国", PHONE),
        Utc::now(),
    )?;
    assert_eq!(receipt.code.len(), 11);
    assert_eq!(receipt.waiting, 1);
    assert!(kiosk.sync_once(Utc::now()).is_err());
    let lookup = kiosk.complaint_status(&receipt.code)?;
    assert!(
        !lookup.found && lookup.message.contains("网络恢复后自动提交"),
        "{lookup:?}"
    );
    drop(kiosk); // the app restarts

    // Back online after the restart: uploaded once; further syncs do not duplicate it.
    let server = TestServer::start(data, addr)?;
    let kiosk = Kiosk::open(config.clone(), &kiosk_dir)?;
    kiosk.sync_once(Utc::now())?;
    kiosk.sync_once(Utc::now())?;
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let rows: i64 = conn.query_row("SELECT count(*) FROM complaints", [], |r| r.get(0))?;
    assert_eq!(rows, 1);
    let (office, phone): (String, String) =
        conn.query_row("SELECT office, contact_phone FROM complaints", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    assert_eq!(office, "石桥镇人民政府");
    assert_eq!(phone, PHONE);

    // The same upload again (a retry after a lost acknowledgement) is a no-op.
    let payload: String = rusqlite::Connection::open(kiosk_dir.join("outbox.sqlite"))?.query_row(
        "SELECT payload FROM outbox",
        [],
        |r| r.get(0),
    )?;
    let again = reqwest::blocking::Client::new()
        .post(format!("{}v1/complaints", server.url()))
        .header("content-type", "application/json")
        .body(payload)
        .send()?;
    assert_eq!(again.status().as_u16(), 200, "already known");
    let rows: i64 = conn.query_row("SELECT count(*) FROM complaints", [], |r| r.get(0))?;
    assert_eq!(rows, 1);

    // Acknowledged: the phone number is gone from every file of the kiosk (WAL included).
    assert!(
        !kiosk_files_contain(&kiosk_dir, PHONE),
        "phone number left on the kiosk"
    );

    // Any kiosk can read the status by code, with the deadline in working days.
    let other = Kiosk::open(config, &tmp.path().join("other-kiosk"))?;
    let lookup = other.complaint_status(&receipt.code.to_lowercase())?;
    assert!(lookup.found, "{lookup:?}");
    assert_eq!(lookup.status_label.as_deref(), Some("已受理"));
    assert_eq!(lookup.office.as_deref(), Some("石桥镇人民政府"));
    assert!(lookup.due_on.is_some());
    Ok(())
}

#[test]
fn bad_filings_are_refused_in_chinese_and_nothing_is_saved() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let kiosk = Kiosk::open(
        kiosk_config(&server.url(), &server.public_key_b64()?)?,
        &tmp.path().join("k"),
    )?;
    let mut empty = draft(ComplaintKind::Suggestion, "", "");
    empty.text = "  ".into();
    let err = kiosk.submit_complaint(&empty, Utc::now()).unwrap_err();
    assert!(
        matches!(err, KioskError::Invalid(ref m) if m.contains("请填写具体内容")),
        "{err}"
    );
    let err = kiosk
        .submit_complaint(&draft(ComplaintKind::DisclosureRequest, "", ""), Utc::now())
        .unwrap_err();
    assert!(err.to_string().contains("姓名和联系电话"), "{err}");
    let err = kiosk
        .submit_complaint(&draft(ComplaintKind::Complaint, "", "12ab"), Utc::now())
        .unwrap_err();
    assert!(err.to_string().contains("联系电话"), "{err}");
    // Anonymous filings are fine for everything but 依申请公开.
    kiosk.submit_complaint(&draft(ComplaintKind::Report, "", ""), Utc::now())?;
    assert!(
        kiosk.complaint_status("ABCD-EFGH-1").is_err(),
        "a code with a wrong check character"
    );
    Ok(())
}
