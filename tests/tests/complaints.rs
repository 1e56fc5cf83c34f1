//! Filing at a kiosk: saved durably before the code is shown, uploaded exactly once
//! however often it is retried, personal details gone from the kiosk once the server has
//! them, and the status readable by code from any kiosk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::{Kiosk, KioskError};
use gongkai_model::complaint::ComplaintKind;
use gongkai_tests::TestServer;

const PHONE: &str = "13937012345";

fn draft(kind: ComplaintKind, name: &str, phone: &str) -> ComplaintDraft {
    ComplaintDraft {
        kind,
        scope: String::new(),
        subject: "村道路灯".into(),
        text: "村东头到学校的路灯坏了两个月，晚上孩子放学不安全，请尽快维修。".into(),
        name: name.into(),
        phone: phone.into(),
        on_behalf: false,
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
    let config = server.kiosk_config()?;
    let kiosk_id = config.kiosk_id.clone();
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
    // The exact bytes that will be sent, and the kiosk's signature made now (offline).
    let (payload, signature): (String, String) = rusqlite::Connection::open(
        kiosk_dir.join("outbox.sqlite"),
    )?
    .query_row("SELECT payload, signature FROM outbox", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    // Saved, yet the phone number is nowhere readable on the kiosk: it was sealed to the
    // server's key before it was written.
    assert!(
        !kiosk_files_contain(&kiosk_dir, PHONE),
        "phone number stored in the clear"
    );
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
    let again = reqwest::blocking::Client::new()
        .post(format!("{}v1/complaints", server.url()))
        .header(gongkai_protocol::fleet::KIOSK_HEADER, &kiosk_id)
        .header(gongkai_protocol::fleet::SIGNATURE_HEADER, &signature)
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
    let kiosk = Kiosk::open(server.kiosk_config()?, &tmp.path().join("k"))?;
    let mut empty = draft(ComplaintKind::Suggestion, "", "");
    empty.text = "  ".into();
    let err = kiosk.submit_complaint(&empty, Utc::now()).unwrap_err();
    assert!(
        matches!(err, KioskError::Invalid(ref m) if m.contains("请填写具体内容")),
        "{err}"
    );
    // No subject: refused on the kiosk, before a code is handed out.
    let mut no_subject = draft(ComplaintKind::Suggestion, "", "");
    no_subject.subject = " ".into();
    let err = kiosk.submit_complaint(&no_subject, Utc::now()).unwrap_err();
    assert!(
        matches!(err, KioskError::Invalid(ref m) if m.contains("涉及事项")),
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

#[test]
fn an_office_answers_on_time_pauses_for_clarification_and_extends_once() -> Result<()> {
    use gongkai_model::complaint::{ComplaintStatus, TrackingCode};
    use gongkai_server::Store;
    use gongkai_store::Transition;
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let config = server.kiosk_config()?;
    let kiosk = Kiosk::open(config.clone(), &tmp.path().join("k"))?;
    let receipt = kiosk.submit_complaint(
        &draft(ComplaintKind::DisclosureRequest, "欧阳春花", PHONE),
        Utc::now(),
    )?;
    kiosk.sync_once(Utc::now())?;
    let store = server.store()?;
    let cal = gongkai_model::calendar::Calendar::official();
    let code = TrackingCode::parse(&receipt.code)?;
    let received = store.complaint_status(&code)?.unwrap();
    assert_eq!(
        received.office, "云溪县人民政府办公室",
        "依申请公开 goes to the county office"
    );
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let received_on = d(&received.received_on);
    let act = |to, note: &str, answer: Option<&str>, today| Transition {
        code: code.clone(),
        to,
        actor: "政务公开办 张敏".into(),
        note: note.into(),
        answer: answer.map(str::to_string),
        at: Utc::now().timestamp(),
        today,
    };
    let base = cal.add_working_days(received_on, 20, &[]).date;
    assert_eq!(received.due_on.as_deref(), Some(base.to_string().as_str()));

    // Not allowed: answering without an answer, rejecting without a reason, skipping states.
    assert!(store
        .complaint_transition(&act(ComplaintStatus::Answered, "", None, received_on), &cal)
        .is_err());
    assert!(store
        .complaint_transition(&act(ComplaintStatus::Rejected, "", None, received_on), &cal)
        .is_err());
    assert!(store
        .complaint_transition(&act(ComplaintStatus::Closed, "", None, received_on), &cal)
        .is_err());

    // 补正: the clock stops (no due date) and restarts when the clarification comes.
    let ask = cal.add_working_days(received_on, 2, &[]).date;
    let back = cal.add_working_days(ask, 5, &[]).date;
    let s = store.complaint_transition(
        &act(
            ComplaintStatus::Clarifying,
            "请说明所需信息的文号或年份",
            None,
            ask,
        ),
        &cal,
    )?;
    assert_eq!(s.due_on, None);
    let s = store.complaint_transition(
        &act(ComplaintStatus::InProgress, "已收到补正", None, back),
        &cal,
    )?;
    let paused = cal.add_working_days(received_on, 20, &[(ask, back)]).date;
    assert_eq!(s.due_on.as_deref(), Some(paused.to_string().as_str()));
    assert!(paused > base);

    // One extension of 20 working days, with a reason; a second is refused.
    let s = store.complaint_transition(
        &act(ComplaintStatus::Extended, "需要会同财政局核实", None, back),
        &cal,
    )?;
    let extended = cal.add_working_days(received_on, 40, &[(ask, back)]).date;
    assert_eq!(s.due_on.as_deref(), Some(extended.to_string().as_str()));
    store.complaint_transition(
        &act(ComplaintStatus::InProgress, "继续办理", None, back),
        &cal,
    )?;
    let err = store
        .complaint_transition(&act(ComplaintStatus::Extended, "再延期", None, back), &cal)
        .unwrap_err();
    assert!(err.to_string().contains("只能延期一次"), "{err}");

    // The answer, public, read at another kiosk by the code.
    store.complaint_transition(
        &act(
            ComplaintStatus::Answered,
            "",
            Some("经查，该信息属于主动公开范围，已在公开目录“财政预决算”栏目公开。"),
            back,
        ),
        &cal,
    )?;
    let other = Kiosk::open(config, &tmp.path().join("other"))?;
    let lookup = other.complaint_status(&receipt.code)?;
    assert_eq!(lookup.status_label.as_deref(), Some("已答复"));
    assert!(lookup.answer.unwrap_or_default().contains("财政预决算"));

    // The answer also syncs to the kiosks of the village: readable there offline.
    other.sync_once(Utc::now())?;
    let (data, _) = server.stop();
    let offline = other.complaint_status(&receipt.code)?;
    assert!(
        offline.found && offline.message.contains("本机保存"),
        "{offline:?}"
    );
    assert!(offline.answer.unwrap_or_default().contains("财政预决算"));
    // …and nothing personal travelled with it.
    let cache = std::fs::read(tmp.path().join("other").join("cache.sqlite"))?;
    assert!(!String::from_utf8_lossy(&cache).contains(PHONE));
    assert!(!String::from_utf8_lossy(&cache).contains("欧阳春花"));
    let conn = rusqlite::Connection::open(data.db_path())?;
    // Every step is on record, with who did it.
    let events: i64 = conn.query_row(
        "SELECT count(*) FROM complaint_events WHERE actor LIKE '政务公开办%'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(events, 5);
    Ok(())
}

/// Kills the filing process at random moments, many times: every code it printed (the
/// screen would have shown it) is in the outbox afterwards, the outbox is intact, and
/// after reconnecting the server has each filing exactly once.
#[test]
fn killed_at_random_while_filing_never_loses_a_shown_code() -> Result<()> {
    use rand::{Rng, SeedableRng};
    use std::io::Read;
    let trials: usize = std::env::var("GONGKAI_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let config_path = tmp.path().join("kiosk.toml");
    std::fs::write(
        &config_path,
        server.enrolled_config_text("419901102201", None)?,
    )?;
    let (data, addr) = server.stop(); // filed offline, uploaded at the end
    let kiosk_dir = tmp.path().join("kiosk");
    let bin = env!("CARGO_BIN_EXE_submit-loop");
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);
    let mut shown: Vec<String> = Vec::new();
    for _ in 0..trials {
        let mut child = std::process::Command::new(bin)
            .arg(&config_path)
            .arg(&kiosk_dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        std::thread::sleep(std::time::Duration::from_millis(rng.gen_range(20..250)));
        child.kill()?; // SIGKILL: no destructors, no flush beyond what was written
        child.wait()?;
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out)?;
        shown.extend(out.lines().filter(|l| l.len() == 11).map(str::to_string));
    }
    assert!(
        shown.len() > trials,
        "the trials filed too little to mean anything"
    );
    let outbox = rusqlite::Connection::open(kiosk_dir.join("outbox.sqlite"))?;
    let ok: String = outbox.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(ok, "ok");
    for code in &shown {
        let plain = code.replace('-', "");
        let n: i64 = outbox.query_row(
            "SELECT count(*) FROM outbox WHERE code = ?1",
            [&plain],
            |r| r.get(0),
        )?;
        assert_eq!(n, 1, "code {code} was shown but is not saved");
    }
    let saved: i64 = outbox.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;

    // Reconnect: everything saved reaches the server once. (Thousands of filings from
    // one kiosk in minutes is far above the public rate limit, which is lifted here.)
    let unthrottled = gongkai_server::RateLimits {
        uploads_per_hour_kiosk: u32::MAX,
        uploads_per_hour_address: u32::MAX,
        lookups_per_10_min: u32::MAX,
        enrolls_per_10_min: u32::MAX,
    };
    let server = TestServer::start_with(data, addr, 3600, unthrottled)?;
    let config = gongkai_kiosk::KioskConfig::load(&config_path)?;
    let kiosk = Kiosk::open(config, &kiosk_dir)?;
    for _ in 0..5 {
        kiosk.sync_once(Utc::now())?;
    }
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let on_server: i64 = conn.query_row("SELECT count(*) FROM complaints", [], |r| r.get(0))?;
    let distinct: i64 = conn.query_row("SELECT count(DISTINCT code) FROM complaints", [], |r| {
        r.get(0)
    })?;
    assert_eq!(on_server, saved, "every saved filing, once");
    assert_eq!(distinct, on_server);
    eprintln!(
        "{trials} kills: {} codes shown, {saved} saved, {on_server} on the server",
        shown.len()
    );
    Ok(())
}

#[test]
fn the_staff_api_shows_each_office_only_its_own_filings() -> Result<()> {
    use gongkai_server::Store;
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let kiosk = Kiosk::open(server.kiosk_config()?, &tmp.path().join("k"))?;
    let receipt = kiosk.submit_complaint(
        &draft(ComplaintKind::Complaint, "王建国", PHONE),
        Utc::now(),
    )?;
    kiosk.sync_once(Utc::now())?;
    let store = server.store()?;
    let issue = |name: &str, office: &str| {
        let t = gongkai_server::staff::new_token();
        store
            .put_staff_token(&gongkai_server::staff::token_hash(&t), name, office)
            .unwrap();
        t
    };
    let shiqiao = issue("石桥镇 李娜", "石桥镇人民政府");
    let chengguan = issue("城关镇 赵刚", "城关镇人民政府");
    let county = issue("县政务公开办 张敏", "*");
    let http = reqwest::blocking::Client::new();
    let get = |path: &str, token: Option<&str>| {
        let mut r = http.get(format!("{}{path}", server.url()));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().unwrap()
    };
    let code = receipt.code.replace('-', "");

    // No token, or a forged one: refused.
    assert_eq!(get("v1/staff/complaints", None).status().as_u16(), 401);
    assert_eq!(
        get("v1/staff/complaints", Some("forged")).status().as_u16(),
        401
    );
    // The township that must answer sees it, with the resident's phone; the other
    // township sees nothing, and its code looks like one that does not exist.
    let mine: serde_json::Value = get("v1/staff/complaints", Some(&shiqiao)).json()?;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    let detail: serde_json::Value =
        get(&format!("v1/staff/complaints/{code}"), Some(&shiqiao)).json()?;
    assert_eq!(detail["contact_phone"], PHONE);
    let theirs: serde_json::Value = get("v1/staff/complaints", Some(&chengguan)).json()?;
    assert_eq!(theirs.as_array().map(Vec::len), Some(0));
    let peek = get(&format!("v1/staff/complaints/{code}"), Some(&chengguan));
    assert_eq!(peek.status().as_u16(), 404);
    assert!(!peek.text()?.contains(PHONE));
    let act = |token: &str, body: serde_json::Value| {
        http.post(format!(
            "{}v1/staff/complaints/{code}/actions",
            server.url()
        ))
        .bearer_auth(token)
        .json(&body)
        .send()
        .unwrap()
    };
    assert_eq!(
        act(
            &chengguan,
            serde_json::json!({"to": "answered", "answer": "x"})
        )
        .status()
        .as_u16(),
        404
    );
    // A refused action says why, in Chinese.
    let refused = act(&shiqiao, serde_json::json!({"to": "answered"}));
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text()?.contains("请填写答复内容"));
    // The county sees everything; the township answers; the resident reads it by code.
    let all: serde_json::Value = get("v1/staff/complaints", Some(&county)).json()?;
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    let done = act(
        &shiqiao,
        serde_json::json!({"to": "answered", "answer": "路灯已于本周更换。"}),
    );
    assert_eq!(done.status().as_u16(), 200);
    let lookup = kiosk.complaint_status(&receipt.code)?;
    assert_eq!(lookup.answer.as_deref(), Some("路灯已于本周更换。"));
    let detail: serde_json::Value =
        get(&format!("v1/staff/complaints/{code}"), Some(&county)).json()?;
    assert_eq!(detail["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["events"][1]["actor"], "石桥镇 李娜");
    Ok(())
}

/// Filings are signed by the enrolled kiosk that took them, when the resident submitted
/// them: unsigned ones, ones signed by another key, ones naming another kiosk and ones
/// changed after signing are refused with 401 and the documented code; a filing saved
/// before filings were signed is signed and sent once.
#[test]
fn forged_filings_are_refused_and_old_unsigned_ones_upload_once() -> Result<()> {
    use gongkai_protocol::fleet::{request_signing_bytes, KIOSK_HEADER, SIGNATURE_HEADER};
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let config = server.kiosk_config()?;
    let kiosk_id = config.kiosk_id.clone();
    let dir = tmp.path().join("kiosk");
    let kiosk = Kiosk::open(config, &dir)?;
    kiosk.fleet_round(Utc::now())?;
    let own = gongkai_protocol::SigningKey::from_base64(&std::fs::read_to_string(
        dir.join("kiosk.key"),
    )?)?;
    let upload = |n: u64, kiosk: &str| {
        serde_json::to_vec(&gongkai_protocol::complaints::ComplaintUpload {
            client_uuid: format!("forged-{n}"),
            code: gongkai_tests::code_from(0x77_0000_0000 + n * 8),
            kiosk_id: kiosk.into(),
            kind: ComplaintKind::Complaint,
            scope: gongkai_model::ScopeId::parse("419901102201").unwrap(),
            subject: "冒名诉求".into(),
            text: "不是这台屏提交的".into(),
            sealed_contact: None,
            filed_at: Utc::now().timestamp(),
            cadre_session: None,
        })
        .unwrap()
    };
    let post = |body: Vec<u8>, headers: &[(&str, String)]| {
        let mut req = reqwest::blocking::Client::new()
            .post(format!("{}v1/complaints", server.url()))
            .header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let r = req.body(body).send().unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().unwrap_or_default();
        (status, body["code"].as_str().unwrap_or("").to_string())
    };
    let sign = |key: &gongkai_protocol::SigningKey, id: &str, body: &[u8]| {
        key.sign(&request_signing_bytes(id, "/v1/complaints", body))
    };
    // Unsigned.
    assert_eq!(post(upload(1, &kiosk_id), &[]), (401, "unsigned".into()));
    // Signed by another key in this kiosk's name.
    let stranger = gongkai_protocol::SigningKey::generate();
    let b = upload(2, &kiosk_id);
    let sig = sign(&stranger, &kiosk_id, &b);
    assert_eq!(
        post(
            b,
            &[(KIOSK_HEADER, kiosk_id.clone()), (SIGNATURE_HEADER, sig)]
        ),
        (401, "bad_signature".into())
    );
    // Signed by this kiosk, naming another.
    let b = upload(3, "419901102201-01");
    let sig = sign(&own, &kiosk_id, &b);
    assert_eq!(
        post(
            b,
            &[(KIOSK_HEADER, kiosk_id.clone()), (SIGNATURE_HEADER, sig)]
        ),
        (401, "wrong_kiosk".into())
    );
    // Changed after signing.
    let b = upload(4, &kiosk_id);
    let sig = sign(&own, &kiosk_id, &b);
    let changed = String::from_utf8(b.clone())?
        .replace("不是这台屏提交的", "改过的内容")
        .into_bytes();
    assert_eq!(
        post(
            changed,
            &[(KIOSK_HEADER, kiosk_id.clone()), (SIGNATURE_HEADER, sig)]
        ),
        (401, "bad_signature".into())
    );
    // An unknown kiosk.
    let b = upload(5, "419901102201-99");
    let sig = sign(&own, "419901102201-99", &b);
    assert_eq!(
        post(
            b,
            &[
                (KIOSK_HEADER, "419901102201-99".into()),
                (SIGNATURE_HEADER, sig)
            ]
        ),
        (401, "unknown_kiosk".into())
    );
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let count = || -> i64 {
        conn.query_row("SELECT count(*) FROM complaints", [], |r| r.get(0))
            .unwrap()
    };
    let before = count();

    // A filing saved before filings were signed (no signature in the outbox): signed
    // and sent once on the next upload.
    let receipt = kiosk.submit_complaint(&draft(ComplaintKind::Suggestion, "", ""), Utc::now())?;
    rusqlite::Connection::open(dir.join("outbox.sqlite"))?
        .execute("UPDATE outbox SET signature = NULL", [])?;
    kiosk.sync_once(Utc::now())?;
    assert_eq!(count(), before + 1);
    let kiosk_of: String = conn.query_row(
        "SELECT kiosk_id FROM complaints WHERE code = ?1",
        [receipt.code.replace('-', "")],
        |r| r.get(0),
    )?;
    assert_eq!(kiosk_of, kiosk_id);
    let signed: Option<String> = rusqlite::Connection::open(dir.join("outbox.sqlite"))?.query_row(
        "SELECT signature FROM outbox",
        [],
        |r| r.get(0),
    )?;
    assert!(signed.is_some());
    kiosk.sync_once(Utc::now())?;
    assert_eq!(count(), before + 1, "sent once");
    Ok(())
}
