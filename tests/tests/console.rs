//! The web console against a real server on loopback: imports rejected row by row and
//! then published to a kiosk engine, a cadre's notice through 保密审查 to the village
//! kiosk with its public record, and the access rules (an authorization matrix).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::Kiosk;
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::changelog::LogAction;
use gongkai_server::Store;
use gongkai_tests::console::{id_masking_to, subsidy_workbook, valid_id, ConsoleClient};
use gongkai_tests::{kiosk_config, TestServer};

const VILLAGE: &str = "419901102201";
const NAMES: [&str; 6] = ["张建国", "李秀英", "王桂兰", "赵德胜", "刘淑珍", "陈志强"];

fn good_rows(n: u32) -> Vec<(String, String, f64)> {
    (0..n)
        .map(|i| {
            (
                NAMES[i as usize % NAMES.len()].to_string(),
                valid_id(i),
                57.04,
            )
        })
        .collect()
}

fn import_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("list_kind", "subsidy"),
        ("scope", VILLAGE),
        ("programme", "耕地地力保护补贴"),
        ("year", "2026"),
        ("issuer", "石桥镇人民政府、云溪县财政局"),
    ]
}

fn village_items(server: &TestServer, kind: ContentKind) -> usize {
    let conn = rusqlite::Connection::open(server.data.db_path()).unwrap();
    conn.query_row(
        "SELECT count(*) FROM items WHERE scope = ?1 AND kind = ?2 AND body IS NOT NULL",
        [VILLAGE, kind.key()],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as usize
}

#[test]
fn an_excel_list_with_errors_is_rejected_row_by_row_then_fixed_and_published() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");
    let rows_before = village_items(&server, ContentKind::SubsidyRow);

    // 40 rows; line numbers in Excel are index + 4 (title, blank, header above).
    let mut rows = good_rows(40);
    rows[1].0 = String::new(); // line 5: no name
    let mut wrong_check = rows[2].1.clone();
    let last = wrong_check.pop().unwrap();
    wrong_check.push(if last == '1' { '2' } else { '1' }); // line 6: bad check digit
    rows[2].1 = wrong_check;
    rows[3].1 = rows[0].1.clone(); // line 7: same ID as line 4
    rows[4].2 = -12.0; // line 8: negative amount
    let a = clerk.upload(
        &import_fields(),
        "石桥村耕地地力保护补贴.xlsx",
        subsidy_workbook(&rows),
    );
    assert_eq!(a.status, 303, "{a:?}");
    let preview_path = a.location.unwrap();
    let page = clerk.get(&preview_path).body;
    assert!(
        page.contains("有 4 行有问题（共 4 处），整份名单不能发布"),
        "{page}"
    );
    for expected in [
        "第 5 行",
        "缺少姓名",
        "第 6 行",
        "身份证号校验位错误",
        "第 7 行",
        "身份证号与第 4 行重复",
        "第 8 行",
        "金额必须大于 0",
    ] {
        assert!(page.contains(expected), "preview lacks {expected}");
    }
    // No full ID number on the page, not even of the bad rows.
    assert!(!gongkai_model::idcard::contains_full_id(&page));
    assert!(
        !page.contains("发布这份名单"),
        "no publish button for a bad file"
    );

    // Publishing anyway is refused and nothing at all is published.
    let a = clerk.post(&format!("{preview_path}/publish"), &[]);
    assert_eq!(a.status, 422);
    assert!(a.body.contains("名单还有错误"));
    assert_eq!(village_items(&server, ContentKind::SubsidyRow), rows_before);

    // The fixed file passes and publishes in one go.
    let a = clerk.upload(
        &import_fields(),
        "石桥村耕地地力保护补贴（改）.xlsx",
        subsidy_workbook(&good_rows(40)),
    );
    let preview_path = a.location.unwrap();
    let page = clerk.get(&preview_path).body;
    assert!(
        page.contains("检查通过：共 40 行，金额合计 ¥2,281.60"),
        "{page}"
    );
    let a = clerk.post(&format!("{preview_path}/publish"), &[]);
    assert_eq!(a.status, 303, "{a:?}");
    assert_eq!(
        village_items(&server, ContentKind::SubsidyRow),
        rows_before + 40
    );

    // The uploaded file (full ID numbers) is gone; the full IDs are kept server-side only.
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let files: i64 = conn.query_row(
        "SELECT count(*) FROM imports WHERE upload IS NOT NULL AND status <> 'preview'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(files, 0);
    let private: i64 = conn.query_row(
        "SELECT count(*) FROM private_ids WHERE id LIKE 'import-2026-419901102201-%'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(private, 40);

    // A kiosk engine gets the list and finds a household by ID tail.
    let kiosk = Kiosk::open(
        kiosk_config(&url, &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let lists = kiosk.list(ContentKind::SubsidyList, None, 0, 50, Utc::now())?;
    assert!(
        lists
            .entries
            .iter()
            .any(|e| e.title.contains("耕地地力保护补贴")),
        "{:?}",
        lists.entries.iter().map(|e| &e.title).collect::<Vec<_>>()
    );

    // And the published list exports to Excel with masked IDs and the same total.
    let list_id = conn.query_row(
        "SELECT id FROM items WHERE kind = 'subsidy_list' AND id LIKE 'import-%'",
        [],
        |r| r.get::<_, String>(0),
    )?;
    let (status, xlsx) = clerk.get_bytes(&format!("/exports/subsidy/{VILLAGE}/{list_id}.xlsx"));
    assert_eq!(status, 200);
    let table = gongkai_import::read(&xlsx).unwrap();
    let mapping = gongkai_import::guess(&table, gongkai_import::ListKind::Subsidy).unwrap();
    assert_eq!(table.rows.len(), 1 + 1 + 40 + 1); // title, header, rows, 合计
    assert!(!gongkai_model::idcard::contains_full_id(&format!(
        "{:?}",
        table.rows
    )));
    assert_eq!(mapping.header_line, 3);
    Ok(())
}

#[test]
fn gbk_csv_and_libreoffice_converted_files_import() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");

    // A GBK CSV as Excel on Chinese Windows saves it.
    let mut csv = String::from("姓名,身份证号,家庭人口,金额\r\n");
    for (name, id, _) in good_rows(12) {
        csv.push_str(&format!("{name},{id},3,\"1,200.00\"\r\n"));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let a = clerk.upload(&import_fields(), "低保名单.csv", gbk.into_owned());
    let page = clerk.get(&a.location.unwrap()).body;
    assert!(page.contains("csv (GBK)"), "{page}");
    assert!(
        page.contains("检查通过：共 12 行，金额合计 ¥14,400.00"),
        "{page}"
    );

    // The same CSV in UTF-8, converted to .xlsx by LibreOffice: by default LibreOffice
    // turns the 18-digit IDs into numbers (losing digits), and every such row says so;
    // IDs ending in X stay text and pass.
    let dir = tmp.path().join("soffice");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("list.csv"), &csv)?;
    let convert_to = |filter: &str, format: &str| {
        let out = std::process::Command::new("soffice")
            .args([
                "--headless",
                "--norestore",
                &format!(
                    "-env:UserInstallation=file://{}",
                    dir.join("profile").display()
                ),
            ])
            .arg(format!("--infilter={filter}"))
            .args(["--convert-to", format, "--outdir"])
            .arg(&dir)
            .arg(dir.join("list.csv"))
            .output()
            .expect("soffice (libreoffice-calc-nogui) is installed by scripts/setup.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(dir.join(format!("list.{format}"))).unwrap()
    };
    let convert = |filter: &str| convert_to(filter, "xlsx");
    let numeric = convert("CSV:44,34,76,1");
    let a = clerk.upload(&import_fields(), "list.xlsx", numeric);
    let page = clerk.get(&a.location.unwrap()).body;
    let numeric_ids = good_rows(12).iter().filter(|r| !r.1.ends_with('X')).count();
    assert!(numeric_ids < 12);
    assert!(
        page.contains(&format!("有 {numeric_ids} 行有问题")),
        "{page}"
    );
    assert!(page.contains("身份证号被 Excel 存成了数字"));

    // With the ID column set to text (column 2, format 2) it imports cleanly.
    let text = convert("CSV:44,34,76,1,2/2");
    let a = clerk.upload(&import_fields(), "list.xlsx", text);
    let page = clerk.get(&a.location.unwrap()).body;
    assert!(page.contains("xlsx"));
    assert!(page.contains("检查通过：共 12 行"), "{page}");

    // And as an old .xls (BIFF8), which many township PCs still save.
    let xls = convert_to("CSV:44,34,76,1,2/2", "xls");
    assert!(
        xls.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]),
        "not an OLE .xls file"
    );
    let a = clerk.upload(&import_fields(), "list.xls", xls);
    let page = clerk.get(&a.location.unwrap()).body;
    assert!(
        page.contains("（xls）") && page.contains("检查通过：共 12 行"),
        "{page}"
    );
    Ok(())
}

#[test]
fn a_cadres_notice_is_reviewed_then_reaches_the_village_kiosk_with_its_record() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    let notices_before = village_items(&server, ContentKind::Notice);

    let post = |title: &str| {
        cadre.post(
            "/notices",
            &[
                ("scope", VILLAGE),
                ("title", title),
                ("body", "本周六上午9点在村委会广场发放冬季取暖煤。\n请带好户口本。<script>alert(1)</script>"),
                ("publish_on", &Utc::now().date_naive().to_string()),
                ("expire_on", ""),
                ("step", "confirm"),
            ],
        )
    };
    let a = post("关于发放冬季取暖煤的通知");
    assert!(
        a.location.as_deref().unwrap_or("").starts_with("/review/"),
        "{a:?}"
    );
    // Not public yet.
    assert_eq!(village_items(&server, ContentKind::Notice), notices_before);
    let drafts = cadre.get("/drafts").body;
    assert!(drafts.contains("关于发放冬季取暖煤的通知") && drafts.contains("待审核"));
    let draft_id: i64 = {
        let conn = rusqlite::Connection::open(server.data.db_path())?;
        conn.query_row("SELECT max(id) FROM drafts", [], |r| r.get(0))?
    };

    // The cadre cannot approve their own posting.
    let a = cadre.post(
        &format!("/review/{draft_id}"),
        &[("decision", "approve"), ("reason", "")],
    );
    assert_eq!(a.status, 404, "{a:?}");
    // Another township's reviewer cannot see or approve it.
    let other = ConsoleClient::logged_in(&url, "liuwan");
    assert_eq!(other.get(&format!("/review/{draft_id}")).status, 404);
    assert_eq!(
        other
            .post(&format!("/review/{draft_id}"), &[("decision", "approve")])
            .status,
        404
    );
    assert!(!other.get("/review").body.contains("取暖煤"));

    // The township reviewer sees it as it would be published (script removed) and approves.
    let reviewer = ConsoleClient::logged_in(&url, "shiqiao");
    let page = reviewer.get(&format!("/review/{draft_id}")).body;
    assert!(page.contains("请带好户口本") && !page.contains("<script>alert"));
    let a = reviewer.post(
        &format!("/review/{draft_id}"),
        &[("decision", "approve"), ("reason", "同意公开")],
    );
    assert_eq!(a.status, 303, "{a:?}");
    assert_eq!(
        village_items(&server, ContentKind::Notice),
        notices_before + 1
    );
    // Approving twice changes nothing.
    assert_eq!(
        reviewer
            .post(&format!("/review/{draft_id}"), &[("decision", "approve")])
            .status,
        422
    );

    // The village kiosk shows it after its next sync.
    let kiosk = Kiosk::open(
        kiosk_config(&url, &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let titles: Vec<String> = kiosk
        .list(ContentKind::Notice, None, 0, 100, Utc::now())?
        .entries
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert!(
        titles.iter().any(|t| t == "关于发放冬季取暖煤的通知"),
        "{titles:?}"
    );

    // Its public record names the author and the reviewer, and the chain verifies.
    let store = server.store()?;
    let id: String = {
        let conn = rusqlite::Connection::open(server.data.db_path())?;
        conn.query_row(
            "SELECT item_id FROM draft_edits WHERE draft_id = ?1",
            [draft_id],
            |r| r.get(0),
        )?
    };
    let history = store.item_history(&ScopeId::parse(VILLAGE)?, ContentKind::Notice, &id)?;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, LogAction::Publish);
    assert_eq!(
        history[0].actor,
        "石桥村 张会计（审核：石桥镇党政办 王审核）"
    );
    assert_eq!(history[0].draft, Some(draft_id));
    let public = ConsoleClient::new(&url).get("/history").body;
    assert!(public.contains("关于发放冬季取暖煤的通知") && public.contains("核验通过"));
    let report = store.verify_changelog()?;
    assert!(report.broken.is_none() && report.unlogged.is_empty());

    // A rejected posting carries the reason back to the cadre and is never published.
    post("关于调整低保对象的通知");
    let rejected_id = draft_id + 1;
    let a = reviewer.post(
        &format!("/review/{rejected_id}"),
        &[("decision", "reject"), ("reason", "")],
    );
    assert_eq!(a.status, 422, "a rejection needs a reason");
    reviewer.post(
        &format!("/review/{rejected_id}"),
        &[
            ("decision", "reject"),
            ("reason", "低保调整须附民主评议结果，请补充后重新提交"),
        ],
    );
    let mine = cadre.get("/drafts").body;
    assert!(mine.contains("已退回") && mine.contains("须附民主评议结果"));
    assert_eq!(
        village_items(&server, ContentKind::Notice),
        notices_before + 1
    );
    Ok(())
}

#[test]
fn every_console_route_refuses_who_may_not_use_it() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();

    // A draft and an import in 石桥村, and a filing for 柳湾乡, to probe from outside.
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    cadre.post(
        "/notices",
        &[
            ("scope", VILLAGE),
            ("title", "村内通知"),
            ("body", "内容"),
            ("publish_on", "2026-11-26"),
            ("step", "confirm"),
        ],
    );
    let a = cadre.upload(&import_fields(), "a.xlsx", subsidy_workbook(&good_rows(3)));
    let import_path = a.location.unwrap();
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let draft_id: i64 = conn.query_row("SELECT max(id) FROM drafts", [], |r| r.get(0))?;

    let anonymous = ConsoleClient::new(&url);
    let other_cadre = ConsoleClient::logged_in(&url, "yangzhuang");
    let other_reviewer = ConsoleClient::logged_in(&url, "liuwan");
    let mut forged = ConsoleClient::new(&url);
    forged.cookie = Some("gk_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into());

    let protected_gets = [
        "/review".to_string(),
        format!("/review/{draft_id}"),
        "/drafts".into(),
        "/notices/new".into(),
        "/imports/new".into(),
        import_path.clone(),
        "/complaints".into(),
        "/exports/complaints.xlsx".into(),
        "/disclosures/new".into(),
        "/finance/new".into(),
        "/guides/new".into(),
        "/boards".into(),
        "/reports".into(),
        "/reports/2026-Q4.xlsx".into(),
        "/kiosk-code".into(),
        format!("/exports/subsidy/{VILLAGE}/dibao-2026-石桥村.xlsx"),
    ];
    for who in [&anonymous, &forged] {
        for path in &protected_gets {
            let a = who.get(path);
            assert!(a.is_login_redirect(), "{path}: {a:?}");
            assert!(!a.body.contains("村内通知"));
        }
        for path in [
            "/notices",
            &format!("/review/{draft_id}"),
            &format!("{import_path}/publish"),
            "/logout",
        ] {
            let a = who.post_raw(path, &[("csrf", "x"), ("decision", "approve")]);
            assert!(
                a.is_login_redirect() || a.status == 400 || a.status == 422,
                "{path}: {a:?}"
            );
        }
    }

    // Another village's cadre and another township's reviewer: not found, nothing leaked.
    for who in [&other_cadre, &other_reviewer] {
        for path in [
            format!("/review/{draft_id}"),
            import_path.clone(),
            format!("/exports/subsidy/{VILLAGE}/dibao-2026-石桥村.xlsx"),
        ] {
            let a = who.get(&path);
            assert_eq!(a.status, 404, "{path}: {a:?}");
            assert!(!a.body.contains("村内通知") && !a.body.contains("张建国"));
        }
        let a = who.post(&format!("{import_path}/publish"), &[]);
        assert_eq!(a.status, 404);
        let a = who.post(&format!("/review/{draft_id}"), &[("decision", "approve")]);
        assert_eq!(a.status, 404);
        let a = who.post(
            "/notices",
            &[
                ("scope", VILLAGE),
                ("title", "冒名通知"),
                ("body", "x"),
                ("publish_on", "2026-11-26"),
            ],
        );
        assert_eq!(a.status, 404, "posting to another village: {a:?}");
        // Every other way of posting to 石桥村 from outside it.
        let a = who.upload_to(
            "/disclosures",
            &[
                ("scope", VILLAGE),
                ("category", "财政资金"),
                ("title", "冒名"),
                ("publisher", "x"),
                ("published_on", "2026-11-26"),
                ("body", "x"),
            ],
            &[],
        );
        assert_eq!(a.status, 404, "disclosure: {a:?}");
        let a = who.upload_to(
            "/finance",
            &[
                ("scope", VILLAGE),
                ("period", "2026-11"),
                ("opening", "0"),
                ("closing", "0"),
            ],
            &[],
        );
        assert_eq!(a.status, 404, "finance: {a:?}");
        let a = who.post(
            "/guides",
            &[
                ("scope", VILLAGE),
                ("title", "x"),
                ("department", "x"),
                ("basis", "x"),
                ("materials", "x"),
                ("steps", "x"),
                ("time_limit", "x"),
                ("fees", "x"),
                ("place", "x"),
                ("phone", "x"),
            ],
        );
        assert_eq!(a.status, 404, "guide: {a:?}");
        assert_eq!(who.post("/kiosk-code", &[("scope", VILLAGE)]).status, 404);
        assert_eq!(
            who.get(&format!("/exports/subsidy/{VILLAGE}/x.xlsx"))
                .status,
            404
        );
    }
    // Nothing of theirs was published or queued in 石桥村.
    let foreign: i64 = conn.query_row(
        "SELECT count(*) FROM drafts WHERE scope = ?1 AND title IN ('冒名', 'x', '冒名通知')",
        [VILLAGE],
        |r| r.get(0),
    )?;
    assert_eq!(foreign, 0);
    // Cadres have no complaint inbox and cannot review.
    assert_eq!(other_cadre.get("/complaints").status, 404);
    assert!(other_cadre.get("/review").location.as_deref() == Some("/drafts"));

    // A logged-in POST without the right CSRF token is refused and changes nothing.
    let reviewer = ConsoleClient::logged_in(&url, "shiqiao");
    let a = reviewer.post_raw(
        &format!("/review/{draft_id}"),
        &[("csrf", "forged"), ("decision", "approve")],
    );
    assert_eq!(a.status, 403);
    let status: String =
        conn.query_row("SELECT status FROM drafts WHERE id = ?1", [draft_id], |r| {
            r.get(0)
        })?;
    assert_eq!(status, "pending");

    // The fleet pages: a kiosk of 石桥村, enrolled by the county.
    let county = ConsoleClient::logged_in(&url, "county");
    let kiosk_id = "419901102201-07";
    let (token, _) = county.enroll_kiosk(kiosk_id, VILLAGE);
    let enrolled = reqwest::blocking::Client::new()
        .post(format!("{url}v1/kiosks/enroll"))
        .json(&serde_json::json!({
            "token": token, "kiosk_id": kiosk_id, "app_version": "t",
            "public_key": gongkai_protocol::SigningKey::generate().public().to_base64(),
        }))
        .send()?;
    assert_eq!(enrolled.status(), 200);
    let kiosk_page = format!("/fleet/kiosks/{kiosk_id}");
    for who in [&anonymous, &forged] {
        for path in [
            "/fleet".to_string(),
            "/fleet/posting".into(),
            kiosk_page.clone(),
            format!("{kiosk_page}/screenshot.png"),
        ] {
            assert!(who.get(&path).is_login_redirect(), "{path}");
        }
        for path in [
            "/fleet/enroll".to_string(),
            format!("{kiosk_page}/config"),
            format!("{kiosk_page}/screenshot"),
        ] {
            let a = who.post_raw(
                &path,
                &[("csrf", "x"), ("scope", VILLAGE), ("kiosk_id", "k")],
            );
            assert!(a.is_login_redirect() || a.status == 422, "{path}: {a:?}");
        }
    }
    for who in [&other_cadre, &other_reviewer] {
        assert!(!who.get("/fleet").body.contains(kiosk_id));
        assert!(!who.get("/fleet/posting").body.contains(kiosk_id));
        assert_eq!(who.get(&kiosk_page).status, 404);
        assert_eq!(who.get(&format!("{kiosk_page}/screenshot.png")).status, 404);
        assert_eq!(
            who.post(
                &format!("{kiosk_page}/config"),
                &[("poll_interval_secs", "5")]
            )
            .status,
            404
        );
        assert_eq!(
            who.post(&format!("{kiosk_page}/screenshot"), &[]).status,
            404
        );
        let a = who.post("/fleet/enroll", &[("kiosk_id", "x-01"), ("scope", VILLAGE)]);
        assert_eq!(a.status, 404, "enrolling into another village: {a:?}");
    }
    // The village's own cadre sees its kiosk but cannot change its settings.
    assert_eq!(cadre.get(&kiosk_page).status, 200);
    assert_eq!(
        cadre
            .post(
                &format!("{kiosk_page}/config"),
                &[("poll_interval_secs", "5")]
            )
            .status,
        404
    );
    assert!(server
        .store()?
        .kiosk(kiosk_id)?
        .is_some_and(|k| k.remote_config.is_none() && k.screenshot_wanted.is_none()));

    // Logging out ends the session on the server: the old cookie no longer works.
    let cookie = reviewer.cookie.clone();
    reviewer.post("/logout", &[]);
    let mut replay = ConsoleClient::new(&url);
    replay.cookie = cookie;
    assert!(replay.get("/review").is_login_redirect());
    Ok(())
}

#[test]
fn repeated_wrong_passwords_lock_the_account_for_a_while() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::demo(tmp.path()).unwrap();
    let mut c = ConsoleClient::new(&server.url());
    for left in (1..=4).rev() {
        let a = c.login("shiqiao", "wrong-password");
        assert_eq!(a.status, 401);
        assert!(a.body.contains(&format!("再错 {left} 次")), "{}", a.body);
    }
    let a = c.login("shiqiao", "wrong-password");
    assert_eq!(a.status, 429);
    // Now even the right password is refused until the window passes.
    let a = c.login("shiqiao", gongkai_server::demo::DEMO_PASSWORD);
    assert_eq!(a.status, 429);
    assert!(a.body.contains("暂停登录 15 分钟"));
    assert!(c.cookie.is_none());
    // Another account is not affected.
    assert_eq!(
        c.login("county", gongkai_server::demo::DEMO_PASSWORD)
            .status,
        303
    );
}

#[test]
fn corrections_and_withdrawals_are_reviewed_and_kiosks_show_what_changed() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let kiosk = Kiosk::open(
        kiosk_config(&url, &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let notice_id = |title: &str| {
        kiosk
            .list(ContentKind::Notice, None, 0, 100, Utc::now())
            .unwrap()
            .entries
            .into_iter()
            .find(|e| e.title == title)
            .map(|e| (e.scope, e.id))
    };
    let (scope, id) = notice_id("关于召开村民代表会议的通知").unwrap();
    assert_eq!(scope, VILLAGE);

    // The township reviewer corrects the village's notice: it goes to review like any
    // change, and the author may not approve it.
    let reviewer = ConsoleClient::logged_in(&url, "shiqiao");
    let form = reviewer.get(&format!("/notices/{scope}/{id}/edit")).body;
    assert!(form.contains("定于本月28日上午9时"), "{form}");
    let a = reviewer.post(
        &format!("/notices/{scope}/{id}"),
        &[
            ("title", "关于召开村民代表会议的通知"),
            (
                "body",
                "定于本月28日下午3时在村委会会议室召开村民代表会议。\n请各村民代表准时参加。",
            ),
            ("publish_on", "2026-11-24"),
            ("expire_on", ""),
            ("why", "会议改到下午"),
        ],
    );
    assert_eq!(a.status, 303, "{a:?}");
    let review_path = a.location.unwrap();
    let page = reviewer.get(&review_path).body;
    assert!(
        page.contains("与现在公开的内容相比") && page.contains("－ 定于本月28日上午9时"),
        "{page}"
    );
    assert!(
        !page.contains("通过并发布"),
        "the author is offered approval"
    );
    assert_eq!(
        reviewer
            .post(&review_path, &[("decision", "approve")])
            .status,
        422
    );

    // The county approves; the kiosk shows the new text and what changed.
    let county = ConsoleClient::logged_in(&url, "county");
    assert_eq!(
        county
            .post(&review_path, &[("decision", "approve"), ("reason", "同意")])
            .status,
        303
    );
    kiosk.sync_once(Utc::now())?;
    let view = kiosk.notice(&scope, &id, Utc::now())?;
    assert!(view.notice.body_html.contains("下午3时"));
    assert_eq!(view.versions.len(), 1);
    let changes = &view.versions[0].changes;
    use gongkai_model::history::LineChange;
    assert!(changes
        .iter()
        .any(|c| c.change == LineChange::Removed && c.text.contains("上午9时")));
    assert!(changes
        .iter()
        .any(|c| c.change == LineChange::Added && c.text.contains("下午3时")));

    // A cadre asks to withdraw a notice; after review it is gone from the kiosk, and the
    // record keeps publish, correction and withdrawal, still verifying.
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    let a = cadre.post(
        &format!("/withdraw/{scope}/notice/{id}"),
        &[("why", "会议已召开")],
    );
    assert_eq!(a.status, 303, "{a:?}");
    let review_path = a.location.unwrap();
    // A withdrawal says so all the way through review: what comes down, not "publish".
    let waiting = cadre.get(&review_path).body;
    assert!(
        waiting.contains("审核通过后，此项从公开屏上撤下"),
        "{waiting}"
    );
    assert!(!waiting.contains("自动发布到公开屏"));
    let to_review = reviewer.get(&review_path).body;
    assert!(to_review.contains("审核通过后撤下的内容"), "{to_review}");
    assert!(to_review.contains("通过并撤回"));
    assert!(!to_review.contains("通过并发布"));
    assert_eq!(
        reviewer
            .post(&review_path, &[("decision", "approve")])
            .status,
        303
    );
    kiosk.sync_once(Utc::now())?;
    assert!(notice_id("关于召开村民代表会议的通知").is_none());
    let drafts = cadre.get("/drafts").body;
    assert!(drafts.contains("已通过并撤回"), "{drafts}");
    let store = server.store()?;
    let actions: Vec<LogAction> = store
        .item_history(&ScopeId::parse(VILLAGE)?, ContentKind::Notice, &id)?
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [LogAction::Publish, LogAction::Correct, LogAction::Withdraw]
    );
    let report = store.verify_changelog()?;
    assert!(
        report.broken.is_none() && report.unlogged.is_empty(),
        "{report:?}"
    );
    // Another village's cadre cannot ask to withdraw it.
    let other = ConsoleClient::logged_in(&url, "yangzhuang");
    let a = other.post(&format!("/withdraw/{scope}/notice/{id}"), &[("why", "x")]);
    assert_eq!(a.status, 404);
    Ok(())
}

#[test]
fn a_catalog_item_with_a_pdf_and_a_photo_reaches_the_kiosk_sanitized() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let county = ConsoleClient::logged_in(&url, "county");
    let pdf = gongkai_print::document(
        &[vec![(14.0, "云溪县2026年财政预算公开说明".to_string())]],
        &gongkai_print::system_font().expect("fonts-noto-cjk"),
    )?;
    let a = county.confirm(county.upload_to(
        "/disclosures",
        &[
            ("scope", "419901"),
            ("category", "财政资金"),
            ("title", "云溪县2026年财政预算公开"),
            ("publisher", "云溪县财政局"),
            ("doc_no", "云财〔2026〕15号"),
            ("index_no", ""),
            ("published_on", "2026-11-20"),
            (
                "body",
                "<h3>一、预算总体情况</h3><p onclick=\"steal()\">全县一般公共预算收入<b>8.6亿元</b>。</p><script>alert(1)</script><img src=\"http://evil.example/x.png\">",
            ),
        ],
        &[
            ("attachments", "预算说明.pdf", pdf),
            ("attachments", "现场.jpg", gongkai_photo::sample::phone_jpeg(800, 600)),
        ],
    ));
    assert_eq!(a.status, 303, "{a:?}");

    let kiosk = Kiosk::open(
        kiosk_config(&url, &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let entry = kiosk
        .list(ContentKind::Disclosure, None, 0, 100, Utc::now())?
        .entries
        .into_iter()
        .find(|e| e.title == "云溪县2026年财政预算公开")
        .expect("published item on the kiosk");
    let view = kiosk.disclosure(&entry.scope, &entry.id)?;
    let item = view.item;
    assert_eq!(item.doc_no, "云财〔2026〕15号");
    assert!(
        item.index_no.starts_with("419901/2026-"),
        "{}",
        item.index_no
    );
    assert!(
        item.body_html.contains("<b>8.6亿元</b>"),
        "{}",
        item.body_html
    );
    for bad in ["onclick", "<script", "alert(1)", "evil.example"] {
        assert!(
            !item.body_html.contains(bad),
            "{bad} survived: {}",
            item.body_html
        );
    }
    let pdf = &item.attachments[0];
    assert_eq!(pdf.mime, "application/pdf");
    assert_eq!(pdf.pages.len(), 1);
    assert!(kiosk.blobs().has(&pdf.pages[0]));
    let photo = &item.attachments[1];
    assert_eq!(photo.mime, "image/jpeg");
    let bytes = std::fs::read(kiosk.blobs().path(&photo.sha256).unwrap())?;
    assert!(!bytes.windows(4).any(|w| w == b"Exif"));

    // Not a PDF or photo: refused in Chinese, nothing published.
    let a = county.upload_to(
        "/disclosures",
        &[
            ("scope", "419901"),
            ("category", "财政资金"),
            ("title", "坏附件"),
            ("publisher", "县财政局"),
            ("published_on", "2026-11-20"),
            ("body", "正文"),
        ],
        &[(
            "attachments",
            "宏病毒.docm",
            b"PK\x03\x04 not really".to_vec(),
        )],
    );
    assert_eq!(a.status, 422);
    assert!(a.body.contains("附件只支持 PDF、JPG、PNG"), "{}", a.body);
    Ok(())
}

#[test]
fn a_months_village_finance_from_the_ledger_or_typed_rows_must_balance() -> Result<()> {
    // On 20 November 2026: October is public, November is a new month.
    let tmp = tempfile::tempdir()?;
    let clock = gongkai_server::Clock::fixed_on("2026-11-20".parse()?);
    let server = TestServer::demo_at(tmp.path(), clock.clone())?;
    let url = server.url();
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");
    let ledger = "石桥村2026年11月村级财务收支明细\n日期,凭证号,科目,摘要,收入,支出\n11月1日,,,上月结转,,\n2026-11-03,记-01,上级补助,村级组织运转经费,\"20,000.00\",\n11月9日,记-02,办公费,购打印纸墨盒,,356.50\n11月12日,记-03,道路维修,村东便民桥维修,,8000\n,,,本月合计,20000,8356.5\n";
    let fields = |closing: &'static str| {
        vec![
            ("scope", VILLAGE),
            ("period", "2026-11"),
            ("opening", "35,120.00"),
            ("closing", closing),
        ]
    };
    // Does not balance: refused, naming the gap, nothing published.
    let a = clerk.upload_to(
        "/finance",
        &fields("46,000.00"),
        &[("ledger", "11月明细.csv", ledger.as_bytes().to_vec())],
    );
    assert_eq!(a.status, 422, "{a:?}");
    assert!(a.body.contains("收支不平衡"), "{}", a.body);
    // A row dated outside the month is refused row by row.
    let wrong = ledger.replace("11月9日", "10月30日");
    let a = clerk.upload_to(
        "/finance",
        &fields("46,763.50"),
        &[("ledger", "11月明细.csv", wrong.into_bytes())],
    );
    assert_eq!(a.status, 422);
    assert!(
        a.body.contains("第 5 行") && a.body.contains("日期不在本期（2026年11月）内"),
        "{}",
        a.body
    );
    // A voucher photo named after no voucher number is refused.
    let photo = gongkai_photo::sample::phone_jpeg(640, 480);
    let a = clerk.upload_to(
        "/finance",
        &fields("46,763.50"),
        &[
            ("ledger", "11月明细.csv", ledger.as_bytes().to_vec()),
            ("vouchers", "IMG_0001.jpg", photo.clone()),
        ],
    );
    assert_eq!(a.status, 422);
    assert!(a.body.contains("对不上任何凭证号"), "{}", a.body);
    // Balanced, with the photo of voucher 记-02: published straight away by the township
    // (a new month).
    let a = clerk.confirm(clerk.upload_to(
        "/finance",
        &fields("46,763.50"),
        &[
            ("ledger", "11月明细.csv", ledger.as_bytes().to_vec()),
            ("vouchers", "记-02.jpg", photo),
        ],
    ));
    assert_eq!(a.location.as_deref(), Some("/history"), "{a:?}");
    let kiosk = Kiosk::open(
        kiosk_config(&url, &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(clock.now())?;
    let view = kiosk.finance(VILLAGE, "finance-2026-11")?;
    assert!(view.balanced);
    assert_eq!(view.statement.lines.len(), 3);
    assert_eq!(view.income, gongkai_model::Fen(2_000_000));
    let paper = &view.statement.lines[1];
    assert_eq!(paper.description, "购打印纸墨盒");
    assert_eq!(paper.vouchers.len(), 1);
    assert!(kiosk.blobs().has(&paper.vouchers[0]));

    // Typed rows for a month that is already public: a correction, so it goes to review
    // even from the township, and the kiosk keeps the old one until approved.
    let before = kiosk.finance(VILLAGE, "finance-2026-10")?.statement;
    let opening = before.opening.0 as f64 / 100.0;
    let income: i64 = 50_000;
    let closing = format!("{:.2}", opening + income as f64 / 100.0);
    let opening = format!("{opening:.2}");
    let a = clerk.confirm(clerk.upload_to(
        "/finance",
        &[
            ("scope", VILLAGE),
            ("period", "2026-10"),
            ("opening", &opening),
            ("closing", &closing),
            ("date0", "2026-10-08"),
            ("dir0", "收入"),
            ("category0", "上级补助"),
            ("description0", "一事一议奖补资金"),
            ("amount0", "500"),
        ],
        &[("ledger", "", Vec::new())],
    ));
    assert!(
        a.location.as_deref().unwrap_or("").starts_with("/review/"),
        "{a:?}"
    );
    kiosk.sync_once(clock.now())?;
    assert_eq!(kiosk.finance(VILLAGE, "finance-2026-10")?.statement, before);
    Ok(())
}

#[test]
fn the_quarterly_review_counts_each_units_work_and_exports() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let county = ConsoleClient::logged_in(&url, "county");
    let today = (Utc::now() + chrono::Duration::hours(8)).date_naive();
    let quarter = gongkai_server::report::Quarter::containing(today);
    let page = county
        .get(&format!("/reports?quarter={}", quarter.key()))
        .body;
    for unit in ["云溪县", "石桥镇", "石桥村", "河口村"] {
        assert!(page.contains(unit), "{unit} missing");
    }
    let (status, bytes) = county.get_bytes(&format!("/reports/{}.xlsx", quarter.key()));
    assert_eq!(status, 200);
    let table = gongkai_import::read(&bytes).unwrap();
    // Title, header, one row per scope of the county (1 + 3 + 6).
    assert_eq!(table.rows.len(), 2 + 10);
    // A village cadre sees only their own village's line; a township its own units.
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    let (_, bytes) = cadre.get_bytes(&format!("/reports/{}.xlsx", quarter.key()));
    assert_eq!(gongkai_import::read(&bytes).unwrap().rows.len(), 2 + 1);
    let township = ConsoleClient::logged_in(&url, "shiqiao");
    let page = township.get("/reports").body;
    assert!(page.contains("杨庄村") && !page.contains("河口村"));
    Ok(())
}

#[test]
fn an_objection_to_a_board_is_registered_answered_and_its_outcome_public() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let hekou = ScopeId::parse("419901201202")?;
    let board: gongkai_model::RelocationBoard = serde_json::from_str(
        &server
            .store()?
            .item_body(&hekou, ContentKind::RelocationBoard, "relocation-河口村-2")?
            .unwrap(),
    )?;
    let household = board.rows[0].household_id.clone();
    let station = ConsoleClient::logged_in(&url, "liuwan");
    let page = station.get("/boards").body;
    assert!(
        page.contains(&board.title) && page.contains("没有收到异议"),
        "{page}"
    );

    // Another village's cadre cannot register one for 河口村.
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    let fields = [
        ("scope", "419901201202"),
        ("board", "relocation-河口村-2"),
        ("household", household.as_str()),
        ("text", "我家偏房面积应为 32 平方米，榜上少算了 8 平方米。"),
        ("name", "周大山"),
        ("phone", "13839800000"),
    ];
    assert_eq!(cadre.post("/boards/objections", &fields).status, 404);

    // The relocation station registers it from the window; it is a 三榜异议 filing with a
    // deadline, listed under its board.
    let a = station.post("/boards/objections", &fields);
    assert_eq!(a.status, 303, "{a:?}");
    let filing = a.location.unwrap();
    assert!(filing.starts_with("/complaints/"));
    let detail = station.get(&filing).body;
    assert!(
        detail.contains("三榜异议") && detail.contains("柳湾乡人民政府（移民工作站）"),
        "{detail}"
    );
    assert!(detail.contains("13839800000"), "staff see the phone number");
    let page = station.get("/boards").body;
    assert!(
        page.contains(&household) && page.contains("已受理"),
        "{page}"
    );

    // The outcome: answered, and public by its code on the village's kiosks.
    let a = station.post(
        &filing,
        &[
            ("to", "answered"),
            ("note", "现场复核"),
            (
                "answer",
                "经现场复核，偏房面积为 32 平方米，已在第三榜更正。",
            ),
        ],
    );
    assert_eq!(a.status, 303, "{a:?}");
    assert!(station.get("/boards").body.contains("已答复"));
    let code = filing.trim_start_matches("/complaints/").to_string();
    let text = village_config_text_for(&server, "419901201202");
    let kiosk = Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&text, "t")?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let status = kiosk.complaint_status(&code)?;
    assert!(
        format!("{status:?}").contains("已在第三榜更正"),
        "{status:?}"
    );
    // The public answer never carries the objector's phone.
    assert!(!format!("{status:?}").contains("13839800000"));
    Ok(())
}

/// 代为提交: a resident who cannot use the screen asks at the window or the village office.
/// The clerk (or the village cadre, for the village) enters it in their own scope only;
/// the filing names who entered it and for whom, the receipt shows the code, the inbox and
/// the filing mark it, and the code works on the kiosks like any other.
#[test]
fn a_filing_entered_for_a_resident_names_who_entered_it() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");
    assert!(clerk.get("/complaints/new").body.contains("代群众登记诉求"));
    let fields = |scope: &'static str| {
        vec![
            ("scope", scope),
            ("kind", "complaint"),
            ("subject", "低保评定"),
            ("text", "老人说：我家去年报了低保，到现在没有人来看过。"),
            ("name", "周桂兰"),
            ("phone", "139 3701 2345"),
        ]
    };
    // Outside the clerk's township: not found, nothing recorded.
    assert_eq!(
        clerk
            .post("/complaints/new", &fields("419901201202"))
            .status,
        404
    );
    // A name is required: a filing made for someone says for whom.
    let mut nameless = fields("419901102201");
    nameless.retain(|(k, _)| *k != "name");
    let refused = clerk.post("/complaints/new", &nameless);
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("请填写群众姓名"), "{}", refused.body);
    assert!(server.store()?.complaints(None)?.is_empty());

    let receipt = clerk.post("/complaints/new", &fields("419901102201"));
    assert_eq!(receipt.status, 200, "{receipt:?}");
    let body = receipt.body;
    assert!(
        body.contains("诉求回执")
            && body.contains("周桂兰")
            && body.contains("石桥镇党政办 王审核"),
        "{body}"
    );
    let code = body
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap_or_default()
        .to_string();
    let parsed = gongkai_model::complaint::TrackingCode::parse(&code)?;
    assert!(code
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == '-'));

    let rows = server.store()?.complaints(None)?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entered_by.as_deref(), Some("shiqiao"));
    let inbox = clerk.get("/complaints").body;
    assert!(inbox.contains("代为登记"), "{inbox}");
    let detail = clerk.get(&format!("/complaints/{code}")).body;
    assert!(
        detail.contains("由 shiqiao 在窗口代群众登记") && detail.contains("13937012345"),
        "{detail}"
    );
    let stored = server
        .store()?
        .complaint_detail(&parsed)?
        .expect("recorded");
    assert_eq!(stored.kiosk_id, "console:shiqiao");
    assert_eq!(stored.contact_name.as_deref(), Some("周桂兰"));

    // The village cadre may enter one for the village, and nowhere else.
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    assert_eq!(
        cadre
            .post("/complaints/new", &fields("419901102202"))
            .status,
        404
    );
    assert_eq!(
        cadre
            .post("/complaints/new", &fields("419901102201"))
            .status,
        200
    );

    // The resident's code works on the village kiosk; nothing personal is public.
    let text = village_config_text_for(&server, "419901102201");
    let kiosk = Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&text, "t")?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let status = format!("{:?}", kiosk.complaint_status(&code)?);
    assert!(status.contains("低保评定"), "{status}");
    assert!(
        !status.contains("周桂兰") && !status.contains("13937012345"),
        "{status}"
    );
    Ok(())
}

fn village_config_text_for(server: &TestServer, village: &str) -> String {
    gongkai_tests::village_config_text(
        &server.url(),
        &server.public_key_b64().unwrap(),
        None,
        village,
    )
}

#[test]
fn a_hundred_thousand_row_list_imports_whole_or_not_at_all() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");
    let rows = 100_000u32;
    let csv = |bad_line: Option<u32>| {
        let mut out = String::from(
            "石桥镇2026年耕地地力保护补贴发放花名册\n村组,户主姓名,身份证号码,补贴金额（元）\n",
        );
        for i in 0..rows {
            let id = if Some(i + 3) == bad_line {
                "41990119800101000".to_string()
            } else {
                valid_id(i)
            };
            out.push_str(&format!(
                "石桥村{}组,{},{id},{}.{:02}\n",
                1 + i % 9,
                NAMES[i as usize % NAMES.len()],
                40 + i % 200,
                i % 100
            ));
        }
        out.into_bytes()
    };
    let fields = [
        ("list_kind", "subsidy"),
        ("scope", "419901102"),
        ("programme", "耕地地力保护补贴"),
        ("year", "2026"),
        ("issuer", "石桥镇人民政府、云溪县财政局"),
    ];
    let count = || -> i64 {
        let conn = rusqlite::Connection::open(server.data.db_path()).unwrap();
        conn.query_row(
            "SELECT count(*) FROM items WHERE id LIKE 'import-%'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };

    // One bad row at the very end: the whole file is refused and nothing is published.
    let started = std::time::Instant::now();
    let a = clerk.upload(&fields, "花名册.csv", csv(Some(rows + 2)));
    let preview = a.location.unwrap();
    let page = clerk.get(&preview).body;
    assert!(
        page.contains("有 1 行有问题（共 1 处）") && page.contains(&format!("第 {} 行", rows + 2)),
        "{}",
        &page[..page.len().min(3000)]
    );
    assert_eq!(clerk.post(&format!("{preview}/publish"), &[]).status, 422);
    assert_eq!(count(), 0);

    // The corrected file publishes all 100,000 rows in one transaction.
    let a = clerk.upload(&fields, "花名册（改）.csv", csv(None));
    let preview = a.location.unwrap();
    assert!(clerk
        .get(&preview)
        .body
        .contains(&format!("检查通过：共 {rows} 行")));
    assert_eq!(clerk.post(&format!("{preview}/publish"), &[]).status, 303);
    assert_eq!(count(), i64::from(rows) + 1);
    eprintln!(
        "two 10^5-row uploads, checks and one publish: {:?}",
        started.elapsed()
    );
    Ok(())
}

#[test]
fn a_later_board_import_shows_what_changed_and_replacing_a_board_is_reviewed() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let hekou = ScopeId::parse("419901201202")?;
    let second: gongkai_model::RelocationBoard = serde_json::from_str(
        &server
            .store()?
            .item_body(&hekou, ContentKind::RelocationBoard, "relocation-河口村-2")?
            .unwrap(),
    )?;
    // Board 3 as the station's clerk keeps it: one household struck off, one with a
    // different head count, the rest as on board 2.
    let mut csv = String::from("户编号,户主姓名,身份证号,人口,实物指标,补偿金额\n");
    for (i, r) in second.rows.iter().enumerate().skip(1) {
        let persons = if i == 2 { r.persons + 1 } else { r.persons };
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            r.household_id,
            r.head_name,
            id_masking_to(&r.id_masked),
            persons,
            r.detail,
            r.compensation.0 as f64 / 100.0
        ));
    }
    let station = ConsoleClient::logged_in(&url, "liuwan");
    let a = station.upload(
        &[
            ("list_kind", "board"),
            ("scope", "419901201202"),
            ("round", "3"),
            ("posting_from", "2026-11-20"),
            ("posting_until", "2026-11-27"),
            ("objection_place", "柳湾乡移民工作站"),
            ("objection_phone", "0398-6125066"),
        ],
        "第三榜.csv",
        csv.into_bytes(),
    );
    let preview = a.location.unwrap();
    let page = station.get(&preview).body;
    assert!(page.contains("与第2榜相比"), "{page}");
    assert!(
        page.contains("核减 1 户") && page.contains("变更 1 户"),
        "{page}"
    );
    assert!(page.contains(&second.rows[0].household_id));
    // Board 3 is already up (the demo's): the new one replaces it, so it is reviewed.
    let a = station.post(&format!("{preview}/publish"), &[]);
    assert_eq!(a.location.as_deref(), Some("/drafts"), "{a:?}");
    let mine = station.get("/drafts").body;
    assert!(
        mine.contains("河口村移民三榜第3榜") && mine.contains("待审核"),
        "{mine}"
    );
    Ok(())
}

#[test]
fn an_emergency_notice_takes_every_kiosk_in_scope_until_it_expires() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    // Cadres cannot: an emergency skips review, so only the county and townships may.
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    assert_eq!(cadre.get("/emergency/new").status, 404);
    let post = |who: &ConsoleClient, scope: &str, level: &str, title: &str, hours: &str| {
        who.confirm(who.post(
            "/emergency",
            &[
                ("scope", scope),
                ("level", level),
                ("title", title),
                (
                    "body",
                    "今晚至明天有大到暴雨。\n低洼地带群众请立即转移到村委会。",
                ),
                ("hours", hours),
            ],
        ))
    };
    assert_eq!(post(&cadre, VILLAGE, "red", "冒名", "2").status, 404);

    let county = ConsoleClient::logged_in(&url, "county");
    let kiosk = Kiosk::open(
        kiosk_config(&url, &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    // Every screen of the county: a second county account must confirm it.
    let asked = post(&county, "419901", "orange", "关于防御强降雨的紧急通知", "2");
    assert_eq!(asked.status, 303, "{asked:?}");
    let review = asked.location.unwrap();
    assert!(review.starts_with("/review/"), "{review}");
    kiosk.sync_once(Utc::now())?;
    assert!(
        kiosk.home(Utc::now())?.emergency.is_none(),
        "published by one person"
    );
    assert!(
        !county.get(&review).body.contains("name=\"decision\""),
        "self-confirmation offered"
    );
    assert_ne!(county.post(&review, &[("decision", "approve")]).status, 303);
    let second = ConsoleClient::logged_in(&url, "county2");
    let page = second.get(&review).body;
    assert!(page.contains("确认并立即发布（占满全县公开屏）"), "{page}");
    assert_eq!(second.post(&review, &[("decision", "approve")]).status, 303);
    let store = server.store()?;
    let last = store.changelog(0, 100_000)?.pop().unwrap();
    assert_eq!(last.kind, "emergency");
    assert!(
        last.actor.contains("李主任") && last.actor.contains("陈科长"),
        "both names in the change log: {}",
        last.actor
    );
    kiosk.sync_once(Utc::now())?;
    let e = kiosk
        .home(Utc::now())?
        .emergency
        .expect("emergency on the kiosk");
    assert_eq!(e.title, "关于防御强降雨的紧急通知");
    assert_eq!(e.level_label, "橙色预警");
    assert_eq!(e.paragraphs.len(), 2);
    assert_eq!(e.issuer, "云溪县人民政府办公室");

    // A graver one from the township comes first.
    let township = ConsoleClient::logged_in(&url, "shiqiao");
    assert_eq!(
        post(&township, "419901102", "red", "石桥水库泄洪紧急通知", "1").status,
        303
    );
    kiosk.sync_once(Utc::now())?;
    assert_eq!(
        kiosk.home(Utc::now())?.emergency.unwrap().title,
        "石桥水库泄洪紧急通知"
    );
    // A kiosk in another township sees only the county's.
    let other = Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&village_config_text_for(&server, "419901201202"), "t")?,
        &tmp.path().join("other"),
    )?;
    other.sync_once(Utc::now())?;
    assert_eq!(
        other.home(Utc::now())?.emergency.unwrap().title,
        "关于防御强降雨的紧急通知"
    );

    // Expiry clears it by the kiosk's own clock, with no network.
    drop(server);
    let later = Utc::now() + chrono::Duration::minutes(90);
    assert_eq!(
        kiosk.home(later)?.emergency.unwrap().title,
        "关于防御强降雨的紧急通知"
    );
    assert!(kiosk
        .home(Utc::now() + chrono::Duration::hours(3))?
        .emergency
        .is_none());
    Ok(())
}

/// The 补贴名单 of fixtures/township-list.xls: title and unit lines, a 合计 row, signature
/// and note lines under it, full-width digits and 元 suffixes, as a real .xls.
fn township_xls() -> Vec<u8> {
    std::fs::read(gongkai_tests::repo_root().join("crates/import/tests/fixtures/township-list.xls"))
        .unwrap()
}

#[test]
fn an_office_list_shows_its_sum_against_the_sheets_total_and_every_skipped_line() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let clerk = ConsoleClient::logged_in(&server.url(), "shiqiao");

    let a = clerk.upload(
        &import_fields(),
        "石桥村耕地地力保护补贴.xls",
        township_xls(),
    );
    assert_eq!(a.status, 303, "{a:?}");
    let preview = a.location.unwrap();
    let page = clerk.get(&preview).body;
    assert!(
        page.contains("检查通过：共 5 行，金额合计 ¥3,080.16"),
        "{page}"
    );
    assert!(page.contains("表格自带的合计（第 9 行）"), "{page}");
    assert!(page.contains("一致"), "{page}");
    assert!(!page.contains("行有问题"), "{page}");
    // Nothing under the table disappears: both lines are listed with why.
    for expected in [
        "第 10 行",
        "村委会主任：王德明 会计：李春梅 制表人：",
        "签字、制表等落款行",
        "第 11 行",
        "注：本名单公示期为7天",
        "表格下方的备注说明",
    ] {
        assert!(page.contains(expected), "{expected} missing");
    }
    assert!(!page.contains("表格标题写的是"), "own village warned about");
    // Before publishing: where it goes (石桥村 has no kiosk enrolled in the demo yet).
    assert!(page.contains("将公开到“石桥村”"), "{page}");

    // The same 石桥村 sheet chosen for 杨庄村: a warning the clerk must confirm.
    let mut fields = import_fields();
    fields[1] = ("scope", "419901102202");
    let a = clerk.upload(&fields, "石桥村耕地地力保护补贴.xls", township_xls());
    let preview = a.location.unwrap();
    let page = clerk.get(&preview).body;
    assert!(
        page.contains("表格标题写的是“石桥村”，但您选择公开到“杨庄村”"),
        "{page}"
    );
    assert!(page.contains("name=\"confirm_place\""));
    let refused = clerk.post(&format!("{preview}/publish"), &[]);
    assert_eq!(refused.status, 422, "{refused:?}");
    assert!(refused.body.contains("与选择的公开范围不一致"));
    assert!(
        clerk.get(&preview).body.contains("待检查和发布"),
        "the refusal changed the import"
    );
    let published = clerk.post(&format!("{preview}/publish"), &[("confirm_place", "yes")]);
    assert_eq!(published.status, 303, "{published:?}");

    // Discarding asks first (a question inside the page), then says what was discarded.
    let a = clerk.upload(
        &import_fields(),
        "石桥村耕地地力保护补贴.xls",
        township_xls(),
    );
    let preview = a.location.unwrap();
    let page = clerk.get(&preview).body;
    assert!(page.contains("确定放弃吗？"), "{page}");
    let gone = clerk.post(&format!("{preview}/discard"), &[]);
    let back = gone.location.unwrap();
    assert!(back.starts_with("/imports/new?discarded="), "{back}");
    let page = clerk.get(&back).body;
    assert!(
        page.contains(
            "已放弃“石桥村耕地地力保护补贴.xls”的导入：上传的文件已删除，没有公开任何内容。"
        ),
        "{page}"
    );
    // Another clerk's discarded import is not named to someone else.
    let other = ConsoleClient::logged_in(&server.url(), "county");
    assert!(!other.get(&back).body.contains("已放弃"));
    Ok(())
}

#[test]
fn the_public_record_comes_in_pages_with_filters_and_says_how_to_verify() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let anyone = ConsoleClient::new(&server.url());
    let rows = |page: &str| page.matches("<tr><td>").count();

    let first = anyone.get("/history").body;
    assert!(
        rows(&first) > 0 && rows(&first) <= 50,
        "{} rows",
        rows(&first)
    );
    assert!(first.contains("符合条件的记录共"), "{first}");
    let next = first
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("before="))
        .expect("a link to older entries")
        .replace("&amp;", "&");
    let older = anyone.get(&next).body;
    assert!(rows(&older) > 0);
    assert!(older.contains("回到最新"));
    let first_n = |page: &str| -> u64 {
        page.split("<tr><td>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(first_n(&older) < first_n(&first), "the next page is older");

    // A filter by kind keeps only that kind, and the page links keep the filter.
    let notices = anyone.get("/history?kind=notice").body;
    assert!(rows(&notices) > 0);
    assert_eq!(
        notices.matches("<td>通知公告</td>").count(),
        rows(&notices),
        "only notices"
    );
    let none = anyone.get("/history?from=2001-01-01&to=2001-01-31").body;
    assert!(none.contains("没有符合条件的记录"));
    assert!(first.contains(gongkai_protocol::paths::CHANGELOG));
    assert!(first.contains("/scopes#verify"));

    // /scopes: a page of the site, explaining the key and the hashes.
    let scopes = anyone.get("/scopes").body;
    assert!(scopes.contains("header class=\"top\""), "no site header");
    assert!(scopes.contains("公钥只能用来核对签名"));
    assert!(scopes.contains("状态摘要"));
    assert!(scopes.contains("id=\"verify\""));
    assert!(!scopes.contains("中心服务器控制台"));
    Ok(())
}

#[test]
fn a_notice_is_previewed_with_its_reach_then_its_page_shows_it_and_the_kiosks_showing_it(
) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");
    // A kiosk of 石桥村, enrolled and reporting.
    let (_, snippet) = clerk.enroll_kiosk("419901102201-07", VILLAGE);
    let kiosk = Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&snippet, "installed.toml")?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    kiosk.fleet_round(Utc::now())?;

    let before = village_items(&server, ContentKind::Notice);
    let fields = [
        ("scope", VILLAGE),
        ("title", "关于冬季防火的通知"),
        (
            "body",
            "冬季天干物燥，请各户注意用火安全。\n村里秸秆禁止焚烧。",
        ),
        ("publish_on", &Utc::now().date_naive().to_string()),
        ("expire_on", ""),
    ];
    // The first press shows what residents will see and where: nothing is published.
    let preview = clerk.post("/notices", &fields);
    assert_eq!(preview.status, 200, "{preview:?}");
    assert!(preview.body.contains("群众在公开屏上看到的样子"));
    assert!(preview.body.contains("村里秸秆禁止焚烧。"));
    assert!(
        preview
            .body
            .contains("将公开到“石桥村”，显示在 <strong>1 台公开屏</strong> 上（石桥村）"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("确认发布"));
    assert_eq!(village_items(&server, ContentKind::Notice), before);
    // 返回修改 brings the form back as written.
    let mut edit = fields.to_vec();
    edit.push(("step", "edit"));
    let form = clerk.post("/notices", &edit).body;
    assert!(form.contains("value=\"关于冬季防火的通知\""), "{form}");
    assert!(form.contains("村里秸秆禁止焚烧。</textarea>"));
    // Confirmed: published.
    let mut confirm = fields.to_vec();
    confirm.push(("step", "confirm"));
    assert_eq!(clerk.post("/notices", &confirm).status, 303);
    assert_eq!(village_items(&server, ContentKind::Notice), before + 1);

    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let id: String = conn.query_row(
        "SELECT item_id FROM changelog WHERE title = '关于冬季防火的通知'",
        [],
        |r| r.get(0),
    )?;
    // The notice's own address leads to its page, which shows the notice itself.
    let a = clerk.get(&format!("/notices/{VILLAGE}/{id}"));
    let page_path = a.location.expect("a redirect to the item page");
    let page = clerk.get(&page_path).body;
    assert!(page.contains("公开屏上显示的内容"));
    assert!(
        page.contains("冬季天干物燥，请各户注意用火安全。"),
        "{page}"
    );
    assert!(page.contains("长期有效"));
    // The kiosk has not synced since: it does not show this version yet.
    assert!(page.contains("419901102201-07") && page.contains("尚未同步到这一版"));
    kiosk.sync_once(Utc::now())?;
    kiosk.fleet_round(Utc::now())?;
    let page = clerk.get(&page_path).body;
    assert!(page.contains("正在显示"), "{page}");
    assert!(!page.contains("尚未同步到这一版"));
    // A list row is never browsed on its own.
    assert_eq!(
        clerk
            .get(&format!("/history/{VILLAGE}/subsidy_row/anything"))
            .status,
        404
    );
    Ok(())
}

#[test]
fn a_posting_is_published_only_as_previewed_by_whoever_previewed_it_within_the_hour() -> Result<()>
{
    let tmp = tempfile::tempdir()?;
    let clock =
        gongkai_server::Clock::fixed_on(chrono::NaiveDate::from_ymd_opt(2027, 3, 15).unwrap());
    let server = TestServer::demo_at(tmp.path(), clock.clone())?;
    let url = server.url();
    let county = ConsoleClient::logged_in(&url, "county");
    let guide = [
        ("scope", "419901"),
        ("title", "居民医保参保缴费"),
        ("department", "云溪县医疗保障局"),
        ("basis", "《中华人民共和国社会保险法》"),
        ("time_limit", "即时办结"),
        ("fees", "不收费"),
        ("place", "县政务服务中心 2 号窗口"),
        ("phone", "0398-6120000"),
        ("materials", "身份证\n户口簿"),
        ("steps", "到窗口或村代办点登记\n缴费后当场打印凭证"),
    ];
    let count = |server: &TestServer| {
        let conn = rusqlite::Connection::open(server.data.db_path()).unwrap();
        conn.query_row(
            "SELECT count(*) FROM items WHERE kind = 'guide' AND body IS NOT NULL",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    };
    let before = count(&server);
    let preview = county.post("/guides", &guide);
    assert_eq!(preview.status, 200, "{preview:?}");
    assert!(preview.body.contains("群众在公开屏上看到的样子"));
    assert!(preview.body.contains("缴费后当场打印凭证"));
    assert!(
        preview.body.contains("将公开到“云溪县”"),
        "{}",
        preview.body
    );
    assert_eq!(count(&server), before, "published before confirming");
    let token = gongkai_tests::console::staged_in(&preview.body).expect("a sealed posting");

    // Changed on the way: one byte of the sealed edits, or the tag.
    let (body, tag) = token.split_once('.').unwrap();
    let mut flipped = body.as_bytes().to_vec();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    for forged in [
        format!("{}.{tag}", String::from_utf8(flipped)?),
        format!("{body}.{}", "0".repeat(64)),
        body.to_string(),
    ] {
        let a = county.post("/postings/confirm", &[("staged", &forged)]);
        assert_eq!(a.status, 422, "{a:?}");
        assert!(a.body.contains("预览已失效"));
    }
    // Another user cannot confirm it, not even one who could publish there.
    let township = ConsoleClient::logged_in(&url, "shiqiao");
    assert_eq!(
        township
            .post("/postings/confirm", &[("staged", &token)])
            .status,
        422
    );
    assert_eq!(count(&server), before);
    // Past the hour: refused, so nothing stale is published from a forgotten tab.
    clock.advance(chrono::Duration::minutes(61));
    let late = county.post("/postings/confirm", &[("staged", &token)]);
    assert_eq!(late.status, 422);
    assert!(late.body.contains("预览已超过 1 小时"));
    assert_eq!(count(&server), before);
    // Previewed again and confirmed in time: published, exactly as shown.
    let a = county.confirm(county.post("/guides", &guide));
    assert_eq!(a.status, 303, "{a:?}");
    assert_eq!(count(&server), before + 1);
    Ok(())
}

/// A county-wide emergency left unconfirmed past its window is void, and the county's
/// single-person path (when it is enabled) publishes at once with the fact on record.
#[test]
fn a_county_takeover_needs_a_second_account_in_time_unless_the_county_allows_one() -> Result<()> {
    let emergency = [
        ("scope", "419901"),
        ("level", "red"),
        ("title", "关于寒潮天气停课的紧急通知"),
        ("body", "明日全县中小学停课一天。\n请家长做好看护。"),
        ("hours", "6"),
    ];
    let count = |server: &TestServer| {
        let conn = rusqlite::Connection::open(server.data.db_path()).unwrap();
        conn.query_row(
            "SELECT count(*) FROM items WHERE kind = 'emergency' AND body IS NOT NULL",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    };

    // Two people, too late.
    let tmp = tempfile::tempdir()?;
    let clock = gongkai_server::Clock::fixed(Utc::now());
    let server = TestServer::demo_at(tmp.path(), clock.clone())?;
    let url = server.url();
    let county = ConsoleClient::logged_in(&url, "county");
    let asked = county.confirm(county.post("/emergency", &emergency));
    let review = asked.location.unwrap();
    let second = ConsoleClient::logged_in(&url, "county2");
    assert!(second.get(&review).body.contains("前确认"));
    clock.advance(chrono::Duration::minutes(31));
    let late = second.post(&review, &[("decision", "approve")]);
    assert_eq!(late.status, 422, "{late:?}");
    assert!(late.body.contains("已超过确认时限"), "{}", late.body);
    assert_eq!(count(&server), 0);
    // A township's emergency is its own (only its screens): one person, at once.
    let township = ConsoleClient::logged_in(&url, "shiqiao");
    let a = township.confirm(township.post(
        "/emergency",
        &[
            ("scope", "419901102"),
            ("level", "orange"),
            ("title", "石桥镇停电通知"),
            ("body", "今晚 8 点至 10 点停电检修。"),
            ("hours", "3"),
        ],
    ));
    assert_eq!(a.location.as_deref(), Some("/history"), "{a:?}");
    assert_eq!(count(&server), 1);
    drop(server);

    // The county enabled the single-person path: published at once, marked as such.
    let tmp = tempfile::tempdir()?;
    let server =
        TestServer::demo_with(tmp.path(), gongkai_server::Clock::fixed(Utc::now()), |s| {
            gongkai_server::state::AppState {
                takeover: gongkai_server::state::Takeover {
                    single_person: true,
                    ..s.takeover
                },
                ..s
            }
        })?;
    let county = ConsoleClient::logged_in(&server.url(), "county");
    let preview = county.post("/emergency", &emergency);
    assert!(preview.body.contains("确认立即发布"), "{}", preview.body);
    let a = county.confirm(preview);
    assert_eq!(a.location.as_deref(), Some("/history"), "{a:?}");
    assert_eq!(count(&server), 1);
    let last = server.store()?.changelog(0, 100_000)?.pop().unwrap();
    assert!(last.actor.contains("单人发布"), "{}", last.actor);
    Ok(())
}
