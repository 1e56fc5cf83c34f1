//! Deadlines at fixed dates through the whole server (its clock injected): filed at a
//! kiosk, counted on the working-day calendar, shown on every surface, provisional where
//! the calendar has no data yet, recounted when the county enters the year, and each kind
//! of filing on its own legal clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::Kiosk;
use gongkai_model::complaint::ComplaintKind;
use gongkai_server::{Clock, Store};
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::TestServer;
use serde_json::Value;

const PROVISIONAL_2027: &str = "暂按周一至周五计算，待录入 2027 年节假日安排后更新";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A server on the demo county at 09:00 Beijing time on `date`, and a kiosk of 石桥村
/// living on the same clock.
struct World {
    _tmp: tempfile::TempDir,
    server: TestServer,
    clock: Clock,
    kiosk: Kiosk,
}

fn world(date: &str) -> World {
    let tmp = tempfile::tempdir().unwrap();
    let clock = Clock::fixed_on(d(date));
    let server = TestServer::demo_at(tmp.path(), clock.clone()).unwrap();
    let config = server.kiosk_config().unwrap();
    let kiosk = Kiosk::open(config, &tmp.path().join("kiosk")).unwrap();
    World {
        _tmp: tmp,
        server,
        clock,
        kiosk,
    }
}

impl World {
    /// Files at the kiosk and uploads; returns the code.
    fn file(&self, kind: ComplaintKind) -> String {
        let draft = ComplaintDraft {
            kind,
            scope: String::new(),
            subject: "申请公开村道硬化工程预算".into(),
            text: "请公开2026年村级道路硬化工程的预算、招标结果和验收情况。".into(),
            name: "王建国".into(),
            phone: "13900001111".into(),
            on_behalf: false,
        };
        let receipt = self
            .kiosk
            .submit_complaint(&draft, self.clock.now())
            .unwrap();
        self.kiosk.sync_once(self.clock.now()).unwrap();
        receipt.code
    }

    fn staff_token(&self) -> String {
        let t = gongkai_server::staff::new_token();
        self.server
            .store()
            .unwrap()
            .put_staff_token(
                &gongkai_server::staff::token_hash(&t),
                "县政务公开办 张敏",
                "*",
            )
            .unwrap();
        t
    }

    fn staff_get(&self, token: &str, path: &str) -> Value {
        reqwest::blocking::Client::new()
            .get(format!("{}{path}", self.server.url()))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    fn staff_act(&self, token: &str, code: &str, body: Value) -> (u16, Value) {
        let r = reqwest::blocking::Client::new()
            .post(format!(
                "{}v1/staff/complaints/{}/actions",
                self.server.url(),
                code.replace('-', "")
            ))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    }
}

#[test]
fn a_deadline_into_an_unentered_year_is_provisional_everywhere_until_the_year_is_entered() {
    // Thu 10 Dec 2026: 20 working days for 依申请公开 reach into January 2027, whose
    // holidays are not entered yet.
    let w = world("2026-12-10");
    let code = w.file(ComplaintKind::DisclosureRequest);

    // Mon–Fri: 11 Dec (1) … 31 Dec (15), Fri 1 Jan (16), 4–7 Jan (20).
    let lookup = w.kiosk.complaint_status(&code).unwrap();
    assert_eq!(lookup.due_on.as_deref(), Some("2027-01-07"), "{lookup:?}");
    assert_eq!(lookup.due_note.as_deref(), Some(PROVISIONAL_2027));

    let token = w.staff_token();
    let listed = w.staff_get(&token, "v1/staff/complaints");
    assert_eq!(listed[0]["due_note"], PROVISIONAL_2027, "{listed}");
    let public = w.staff_get(&token, &format!("v1/complaints/{}", code.replace('-', "")));
    assert_eq!(public["due_provisional"], 2027, "{public}");

    let county = ConsoleClient::logged_in(&w.server.url(), "county");
    let detail = county.get(&format!("/complaints/{}", code.replace('-', "")));
    assert!(detail.body.contains(PROVISIONAL_2027), "{}", detail.body);
    let (status, xlsx) = county.get_bytes("/exports/complaints.xlsx");
    assert_eq!(status, 200);
    let table = gongkai_import::read(&xlsx).unwrap();
    assert!(
        table
            .rows
            .iter()
            .flat_map(|r| &r.cells)
            .any(|c| c.display().contains(PROVISIONAL_2027)),
        "the export says the deadline is provisional"
    );
    let report = county.get("/reports");
    assert!(report.body.contains(PROVISIONAL_2027), "{}", report.body);
    // From 1 November the dashboard and the fleet page ask for next year.
    assert!(county.get("/").body.contains("尚未录入 2027 年节假日安排"));
    assert!(county
        .get("/fleet")
        .body
        .contains("尚未录入 2027 年节假日安排"));

    // A year with a mistake is refused with its line, and changes nothing.
    let bad = county.post(
        "/holidays",
        &[
            ("year", "2027"),
            ("notice", "国务院办公厅关于2027年部分节假日安排的通知"),
            (
                "text",
                "holiday 2027-01-01..2027-01-03 元旦\nholiday 2027-02-30 春节",
            ),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("第 2 行有误：没有这一天"), "{}", bad.body);
    assert!(
        bad.body.contains("holiday 2027-01-01..2027-01-03 元旦"),
        "what was pasted is still in the form"
    );
    assert_eq!(
        w.kiosk.complaint_status(&code).unwrap().due_on.as_deref(),
        Some("2027-01-07")
    );
    // Only the county enters the calendar.
    let township = ConsoleClient::logged_in(&w.server.url(), "shiqiao");
    assert_eq!(township.get("/holidays").status, 404);

    // The county enters 2027 from the notice's text file.
    let text = std::fs::read_to_string(
        gongkai_tests::repo_root().join("tests/fixtures/holidays-2027.txt"),
    )
    .unwrap();
    let entered = county.post(
        "/holidays",
        &[
            ("year", "2027"),
            ("notice", "国务院办公厅关于2027年部分节假日安排的通知"),
            ("text", &text),
        ],
    );
    assert_eq!(entered.status, 303, "{}", entered.body);

    // 元旦 (Fri 1 Jan) is a holiday now: 31 Dec (15), 4–8 Jan (20).
    let lookup = w.kiosk.complaint_status(&code).unwrap();
    assert_eq!(lookup.due_on.as_deref(), Some("2027-01-08"), "{lookup:?}");
    assert_eq!(lookup.due_note, None);
    let detail = w.staff_get(
        &token,
        &format!("v1/staff/complaints/{}", code.replace('-', "")),
    );
    let events = detail["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["note"]
            .as_str()
            .is_some_and(|n| n.contains("由 2027-01-07 改为 2027-01-08"))),
        "the move is in the filing's history: {detail}"
    );
    assert!(!county.get("/").body.contains("尚未录入 2027 年节假日安排"));
    assert!(!county
        .get("/fleet")
        .body
        .contains("尚未录入 2027 年节假日安排"));
    assert!(!county.get("/reports").body.contains(PROVISIONAL_2027));
    // In the public change log, and synced to the kiosk as signed content.
    assert!(county.get("/history").body.contains("2027年节假日安排"));
    w.kiosk.sync_once(w.clock.now()).unwrap();
    let on_kiosk = w
        .kiosk
        .list(
            gongkai_model::ContentKind::Calendar,
            None,
            0,
            10,
            w.clock.now(),
        )
        .unwrap();
    assert_eq!(on_kiosk.total, 1, "{on_kiosk:?}");
}

#[test]
fn only_a_disclosure_request_is_extended_and_by_twenty_working_days() {
    let w = world("2026-03-02");
    let token = w.staff_token();
    let request = w.file(ComplaintKind::DisclosureRequest);
    let objection = w.file(ComplaintKind::BoardObjection);
    let complaint = w.file(ComplaintKind::Complaint);

    let extend = serde_json::json!({"to": "extended", "note": "需要调取档案"});
    let (status, body) = w.staff_act(&token, &request, extend.clone());
    assert_eq!(status, 200, "{body}");
    // 20 + 20 working days from Mon 2 Mar 2026, across 清明: 28 Apr.
    assert_eq!(body["due_on"], "2026-04-28", "{body}");
    for code in [&objection, &complaint] {
        let before = w.kiosk.complaint_status(code).unwrap().due_on;
        let (status, body) = w.staff_act(&token, code, extend.clone());
        assert!(status >= 400, "{code}: {body}");
        assert!(body.to_string().contains("没有延期的规定"), "{body}");
        assert_eq!(w.kiosk.complaint_status(code).unwrap().due_on, before);
    }
    // 三榜异议: 7 working days (Mon 2 Mar → Wed 11 Mar); 投诉: 15 (→ Mon 23 Mar).
    assert_eq!(
        w.kiosk
            .complaint_status(&objection)
            .unwrap()
            .due_on
            .as_deref(),
        Some("2026-03-11")
    );
    assert_eq!(
        w.kiosk
            .complaint_status(&complaint)
            .unwrap()
            .due_on
            .as_deref(),
        Some("2026-03-23")
    );
}

#[test]
fn filings_on_the_days_the_calendar_is_hardest() {
    // (received, 投诉 due in 15 working days, provisional year)
    let cases = [
        // Sat 14 Feb 2026: the day before 春节 and a 调休 working day. 15–23 off,
        // 24–27 (4), Sat 28 make-up (5), 2–6 Mar (10), 9–13 Mar (15).
        ("2026-02-14", "2026-03-13", None),
        // Mon 23 Feb 2026, the last day of 春节: the same working days follow.
        ("2026-02-23", "2026-03-13", None),
        // Thu 31 Dec 2026: the year turns, 2027 not entered: Mon–Fri from 1 Jan.
        ("2026-12-31", "2027-01-21", Some(2027)),
        // Tue 29 Feb 2028: 1–3 Mar (3), 6–10 (8), 13–17 (13), 20–21 (15).
        ("2028-02-29", "2028-03-21", Some(2028)),
    ];
    for (received, due, provisional) in cases {
        let w = world(received);
        let code = w.file(ComplaintKind::Complaint);
        let token = w.staff_token();
        let status = w.staff_get(&token, &format!("v1/complaints/{}", code.replace('-', "")));
        assert_eq!(status["received_on"], received, "{status}");
        assert_eq!(status["due_on"], due, "received {received}: {status}");
        assert_eq!(
            status["due_provisional"].as_i64(),
            provisional.map(i64::from),
            "received {received}: {status}"
        );
    }
}
