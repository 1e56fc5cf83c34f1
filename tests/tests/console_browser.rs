//! The console in a real browser: Playwright drives Debian's headless Chromium through
//! `console-e2e/flow.mjs` (log in, an Excel list with errors rejected row by row, the
//! fixed file published), then a kiosk engine syncs and finds the list. Run by
//! scripts/test.sh (needs chromium and `npm ci` in console-e2e), hence `#[ignore]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::Kiosk;
use gongkai_model::ContentKind;
use gongkai_server::Store;
use gongkai_tests::console::{subsidy_workbook, valid_id};
use gongkai_tests::{artifacts_dir, kiosk_config, repo_root, TestServer};

#[test]
#[ignore = "needs chromium and console-e2e/node_modules: run scripts/test.sh"]
fn a_clerk_imports_a_list_in_the_browser_and_a_kiosk_gets_it() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let names = ["张建国", "李秀英", "王桂兰", "赵德胜"];
    let good: Vec<(String, String, f64)> = (0..24)
        .map(|i| (names[i % 4].to_string(), valid_id(i as u32 + 500), 57.04))
        .collect();
    let mut bad = good.clone();
    bad[1].0 = String::new();
    let last = bad[2].1.pop().unwrap();
    bad[2].1.push(if last == '1' { '2' } else { '1' });
    let (bad_path, good_path) = (
        tmp.path().join("名单（有错）.xlsx"),
        tmp.path().join("名单.xlsx"),
    );
    std::fs::write(&bad_path, subsidy_workbook(&bad))?;
    std::fs::write(&good_path, subsidy_workbook(&good))?;

    // A kiosk of 石桥村 enrolled from the console and reporting, for the fleet pages.
    let clerk = gongkai_tests::console::ConsoleClient::logged_in(&server.url(), "shiqiao");
    let (_, snippet) = clerk.enroll_kiosk("419901102201-01", "419901102201");
    let fleet_kiosk = Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&snippet, "installed.toml")?,
        &tmp.path().join("fleet-kiosk"),
    )?;
    fleet_kiosk.sync_once(Utc::now())?;
    fleet_kiosk.fleet_round(Utc::now())?;

    let out = std::process::Command::new("node")
        .arg(repo_root().join("console-e2e/flow.mjs"))
        .arg(server.url().trim_end_matches('/'))
        .arg(&bad_path)
        .arg(&good_path)
        .arg(artifacts_dir())
        .output()?;
    assert!(
        out.status.success(),
        "browser flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let kiosk = Kiosk::open(
        kiosk_config(&server.url(), &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let lists = kiosk.list(ContentKind::SubsidyList, None, 0, 50, Utc::now())?;
    assert!(lists
        .entries
        .iter()
        .any(|e| e.title.contains("耕地地力保护补贴")));
    Ok(())
}

/// The console as a township clerk uses it (`console-e2e/clerk.mjs`, at 1366×768): each
/// point of "the console as a township clerk uses it" walked in the browser, with
/// screenshots (`GONGKAI_SCREENSHOTS=docs/screenshots` refreshes the committed ones).
#[test]
#[ignore = "needs chromium and console-e2e/node_modules: run scripts/test.sh"]
fn a_township_clerk_previews_imports_pages_and_checks_in_the_browser() -> Result<()> {
    use gongkai_model::complaint::ComplaintKind;
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;

    // A kiosk of 石桥村, enrolled and reporting: the reach and the item page name it.
    let clerk = gongkai_tests::console::ConsoleClient::logged_in(&server.url(), "shiqiao");
    let (_, snippet) = clerk.enroll_kiosk("419901102201-01", "419901102201");
    let kiosk = Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&snippet, "installed.toml")?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    kiosk.fleet_round(Utc::now())?;

    // A filing from a kiosk of before subjects were required: no subject at all.
    let store = server.store()?;
    let scope = gongkai_model::ScopeId::parse("419901102201")?;
    let now = Utc::now();
    store.file_complaint(&gongkai_store::NewComplaint {
        upload: gongkai_protocol::complaints::ComplaintUpload {
            client_uuid: "old-kiosk-no-subject".into(),
            code: gongkai_tests::code_from(0x2B_1100_0000),
            kiosk_id: "419901102201-01".into(),
            kind: ComplaintKind::Suggestion,
            scope: scope.clone(),
            subject: String::new(),
            text: "村口的垃圾桶满了好几天没人清运，气味很大。".into(),
            sealed_contact: None,
            filed_at: now.timestamp(),
            cadre_session: None,
        },
        contact: None,
        office: gongkai_server::intake::route(&store, ComplaintKind::Suggestion, &scope),
        received_at: now.timestamp(),
        received_on: now.date_naive(),
        due_on: now.date_naive() + chrono::Duration::days(20),
        due_provisional: None,
        limit_days: 15,
    })?;

    let shots = std::env::var_os("GONGKAI_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(artifacts_dir);
    std::fs::create_dir_all(&shots)?;
    let office_xls = tmp.path().join("township-list.xls");
    std::fs::copy(
        repo_root().join("crates/import/tests/fixtures/township-list.xls"),
        &office_xls,
    )?;
    let out = std::process::Command::new("node")
        .arg(repo_root().join("console-e2e/clerk.mjs"))
        .arg(server.url().trim_end_matches('/'))
        .arg(&office_xls)
        .arg(&shots)
        .output()?;
    assert!(
        out.status.success(),
        "clerk flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The public phone pages as a resident uses them (`console-e2e/phone.mjs`, 360×740,
/// zh-CN): choose the village, the bytes the first page costs, finance with its chart, a
/// notice, 大字 and 高对比, the resident's own subsidy row, a filing by its code.
#[test]
#[ignore = "needs chromium and console-e2e/node_modules: run scripts/test.sh"]
fn a_resident_reads_the_village_and_looks_up_on_a_phone() -> Result<()> {
    use gongkai_kiosk::views::ComplaintDraft;
    use gongkai_model::complaint::ComplaintKind;
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let store = server.store()?;
    // A farmer of the township's grain list, and a filing made at the village's kiosk.
    let township = gongkai_model::ScopeId::parse("419901102")?;
    let row: gongkai_model::SubsidyRow = store
        .items_of_kind(&township, ContentKind::SubsidyRow)?
        .into_iter()
        .map(|(_, b)| serde_json::from_str(&b).unwrap())
        .nth(3)
        .unwrap();
    let kiosk = Kiosk::open(server.kiosk_config()?, &tmp.path().join("kiosk"))?;
    kiosk.sync_once(Utc::now())?;
    let receipt = kiosk.submit_complaint(
        &ComplaintDraft {
            kind: ComplaintKind::Suggestion,
            scope: String::new(),
            subject: "村口增设垃圾箱".into(),
            text: "村口小卖部附近没有垃圾箱，建议增设两个。".into(),
            name: "李秀英".into(),
            phone: "13937012345".into(),
            on_behalf: false,
        },
        Utc::now(),
    )?;
    kiosk.sync_once(Utc::now())?;

    let out = std::process::Command::new("node")
        .arg(repo_root().join("console-e2e/phone.mjs"))
        .arg("walk")
        .arg(server.url().trim_end_matches('/'))
        .arg(&row.name)
        .arg(gongkai_model::idcard::tail(&row.id_masked))
        .arg(&row.id_masked)
        .arg(&receipt.code)
        .arg(artifacts_dir())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "phone walk failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{stdout}");
    Ok(())
}
