//! The real kiosk app in a real window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver, against a real server on loopback. Run by scripts/test.sh (needs the
//! app built, Xvfb, WebKitWebDriver and tauri-driver), hence `#[ignore]` in plain
//! `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use gongkai_tests::webdriver::{app_binary, Session, TauriDriver, Xvfb};
use gongkai_tests::{artifacts_dir, kiosk_config_text, TestServer};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

#[test]
#[ignore = "needs Xvfb, WebKitWebDriver, tauri-driver and the built app: run scripts/test.sh"]
fn resident_opens_the_catalog_and_reads_an_item_then_sees_offline() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let config = tmp.path().join("kiosk.toml");
    std::fs::write(
        &config,
        kiosk_config_text(&server.url(), &server.public_key_b64()?, None),
    )?;

    let x = Xvfb::start()?;
    let driver = TauriDriver::start(
        &x.display,
        &[
            ("GONGKAI_KIOSK_CONFIG", config.display().to_string()),
            (
                "GONGKAI_KIOSK_DATA",
                tmp.path().join("kiosk-data").display().to_string(),
            ),
        ],
    )?;
    let app = Session::start(driver.port, &app_binary()?, &[])?;
    let shots = artifacts_dir();

    // Home: the village name, every tile, and the data freshness once synced.
    let name = app.wait_for_text("[data-testid=place-name]", WAIT, |t| !t.trim().is_empty())?;
    assert_eq!(name, "石桥村");
    for key in [
        "disclosure",
        "finance",
        "subsidy",
        "relocation",
        "guide",
        "notice",
        "complaint",
    ] {
        app.wait_for(&format!("[data-testid=tile-{key}]"), WAIT)?;
    }
    let tile = app.wait_for_text("[data-testid=tile-disclosure]", WAIT, |t| {
        t.contains("52 项")
    })?;
    assert!(tile.contains("公开目录"), "{tile}");
    app.wait_for_text("[data-testid=status-line]", WAIT, |t| {
        t.contains("数据更新于")
    })?;
    assert!(app.find_all("[data-testid=offline-badge]")?.is_empty());
    x.screenshot(&shots.join("e2e-home.png"))?;

    // The catalog: newest item first, by its title from the demo county.
    app.click(&app.wait_for("[data-testid=tile-disclosure]", WAIT)?)?;
    let first = app.wait_for_text("[data-testid=entry]", WAIT, |t| !t.is_empty())?;
    x.screenshot(&shots.join("e2e-catalog.png"))?;
    assert!(first.contains("移民“三榜公示”是什么？一文说清"), "{first}");
    assert_eq!(app.find_all("[data-testid=entry]")?.len(), 6);

    // Next page, then an item's detail with its catalog fields.
    app.click(&app.wait_for("[data-testid=next]", WAIT)?)?;
    app.wait_for_text("[data-testid=entry]", WAIT, |t| !t.contains("三榜公示"))?;
    let entry = app.wait_for("[data-testid=entry]", WAIT)?;
    let title = app.text(&entry)?;
    app.click(&entry)?;
    let detail = app.wait_for_text("[data-testid=detail-title]", WAIT, |t| !t.is_empty())?;
    assert!(
        title.starts_with(&detail),
        "list {title:?} vs detail {detail:?}"
    );
    let page = app.execute("return document.body.innerText")?;
    let page = page.as_str().unwrap_or_default();
    assert!(
        page.contains("索引号") && page.contains("发布机构") && page.contains("419901"),
        "{page}"
    );
    x.screenshot(&shots.join("e2e-detail.png"))?;

    // Back home, then the server goes away: the badge says so and the content stays.
    app.click(&app.wait_for("[data-testid=home]", WAIT)?)?;
    drop(server);
    app.wait_for("[data-testid=offline-badge]", WAIT)?;
    app.wait_for_text("[data-testid=tile-disclosure]", WAIT, |t| {
        t.contains("52 项")
    })?;
    x.screenshot(&shots.join("e2e-offline.png"))?;
    Ok(())
}
