//! Cadre mode through the kiosk engine against a real server: a one-time code from the
//! console unlocks the kiosk, a notice with a phone photo (EXIF with GPS) from a "USB
//! stick" goes to the township's review, and after approval reaches the village's
//! kiosks, photo stripped, with its public record.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::views::CadreNoticeDraft;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::{ContentKind, ScopeId};
use gongkai_server::Store;
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::{village_config_text, TestServer};
use std::path::Path;

const VILLAGE: &str = "419901102201";

fn kiosk_with_usb(server: &TestServer, dir: &Path, usb: &Path) -> Kiosk {
    let text = format!(
        "usb_roots = [\"{}\"]\n{}",
        usb.display(),
        village_config_text(
            &server.url(),
            &server.public_key_b64().unwrap(),
            None,
            VILLAGE
        )
    );
    let config = KioskConfig::parse(&text, "test").unwrap();
    Kiosk::open(config, dir).unwrap()
}

#[test]
fn a_cadre_posts_a_photo_notice_at_the_kiosk_and_it_appears_after_review() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let usb = tmp.path().join("usb/DCIM/100PHOTO");
    std::fs::create_dir_all(&usb)?;
    std::fs::write(
        usb.join("IMG_0001.JPG"),
        gongkai_photo::sample::phone_jpeg(1200, 900),
    )?;
    std::fs::write(usb.join("notes.txt"), "not a photo")?;
    // A file outside the stick that the screen must not be able to attach.
    std::fs::write(
        tmp.path().join("secret.jpg"),
        gongkai_photo::sample::phone_jpeg(10, 10),
    )?;
    let kiosk = kiosk_with_usb(&server, &tmp.path().join("kiosk"), &tmp.path().join("usb"));
    kiosk.sync_once(Utc::now())?;

    // Locked until a code is entered; a wrong code is refused in Chinese.
    assert!(kiosk.usb_photos(Utc::now()).is_err());
    let err = kiosk.cadre_unlock("1234 5678", Utc::now()).unwrap_err();
    assert!(err.to_string().contains("授权码不对或已过期"), "{err}");

    let cadre = ConsoleClient::logged_in(&server.url(), "shiqiaocun");
    let code = cadre.cadre_code(VILLAGE, "");
    assert_eq!(code.len(), 8);
    // A code for another village is refused by the console.
    assert_eq!(
        cadre
            .post("/kiosk-code", &[("scope", "419901102202")])
            .status,
        404
    );

    let who = kiosk.cadre_unlock(&code, Utc::now())?;
    assert_eq!(who.display_name, "石桥村 张会计");
    assert_eq!(who.village_name, "石桥村");
    // One use only.
    let other_kiosk = kiosk_with_usb(&server, &tmp.path().join("kiosk2"), &tmp.path().join("usb"));
    assert!(other_kiosk.cadre_unlock(&code, Utc::now()).is_err());

    let photos = kiosk.usb_photos(Utc::now())?;
    assert_eq!(photos.len(), 1, "only the photo, not notes.txt");
    assert!(photos[0].thumbnail.starts_with("data:image/jpeg;base64,"));

    // A path outside the USB mount is refused.
    let sneaky = CadreNoticeDraft {
        title: "测试".into(),
        body: "正文".into(),
        days: None,
        photos: vec![tmp.path().join("secret.jpg").display().to_string()],
    };
    assert!(kiosk
        .cadre_submit(&sneaky, Utc::now())
        .unwrap_err()
        .to_string()
        .contains("不在 U 盘上"));

    let draft = CadreNoticeDraft {
        title: "村东头便民桥维修完工".into(),
        body: "村东头便民桥已于本周维修完工，恢复通行。\n维修费用将在下月村务公开中列明。".into(),
        days: Some(14),
        photos: vec![photos[0].path.clone()],
    };
    let receipt = kiosk.cadre_submit(&draft, Utc::now())?;
    assert_eq!(receipt.status, "pending", "{receipt:?}");
    let mine = kiosk.cadre_drafts(Utc::now())?;
    assert!(mine
        .iter()
        .any(|d| d.title == "村东头便民桥维修完工" && d.status_label == "待审核"));

    // Not on any kiosk before review.
    kiosk.sync_once(Utc::now())?;
    let titles = |k: &Kiosk| -> Vec<String> {
        k.list(ContentKind::Notice, None, 0, 100, Utc::now())
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.title)
            .collect()
    };
    assert!(!titles(&kiosk).contains(&"村东头便民桥维修完工".to_string()));

    // The township approves in the console.
    let reviewer = ConsoleClient::logged_in(&server.url(), "shiqiao");
    let queue = reviewer.get("/review").body;
    assert!(
        queue.contains("村东头便民桥维修完工") && queue.contains("公开屏"),
        "{queue}"
    );
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let draft_id: i64 = conn.query_row(
        "SELECT id FROM drafts WHERE title = '村东头便民桥维修完工'",
        [],
        |r| r.get(0),
    )?;
    let a = reviewer.post(
        &format!("/review/{draft_id}"),
        &[("decision", "approve"), ("reason", "")],
    );
    assert_eq!(a.status, 303, "{a:?}");

    // Every kiosk of the village shows it with its photo, and the photo has no EXIF.
    kiosk.sync_once(Utc::now())?;
    assert!(titles(&kiosk).contains(&"村东头便民桥维修完工".to_string()));
    let entry = kiosk
        .list(ContentKind::Notice, None, 0, 100, Utc::now())?
        .entries
        .into_iter()
        .find(|e| e.title == "村东头便民桥维修完工")
        .unwrap();
    let view = kiosk.notice(&entry.scope, &entry.id, Utc::now())?;
    assert_eq!(view.notice.images.len(), 1);
    assert_eq!(view.notice.publisher, "石桥村村民委员会");
    let photo = std::fs::read(kiosk.blobs().path(&view.notice.images[0]).unwrap())?;
    assert!(photo.starts_with(&[0xFF, 0xD8]));
    assert!(
        !photo.windows(4).any(|w| w == b"Exif"),
        "EXIF reached the kiosk"
    );
    assert!(view.notice.expire_at.is_some());

    // Its public record: posted at the kiosk by the cadre, approved by the reviewer.
    let store = server.store()?;
    let history = store.item_history(&ScopeId::parse(VILLAGE)?, ContentKind::Notice, &entry.id)?;
    assert_eq!(
        history[0].actor,
        "石桥村 张会计（审核：石桥镇党政办 王审核）"
    );
    let mine = kiosk.cadre_drafts(Utc::now())?;
    assert!(mine
        .iter()
        .any(|d| d.title == "村东头便民桥维修完工" && d.status_label == "已通过并发布"));

    // Locking ends cadre mode on this kiosk.
    kiosk.cadre_lock();
    assert!(kiosk.cadre_status(Utc::now()).is_none());
    assert!(kiosk.cadre_submit(&draft, Utc::now()).is_err());
    Ok(())
}

#[test]
fn guessing_codes_is_stopped_after_a_few_tries() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::demo(tmp.path()).unwrap();
    let kiosk = kiosk_with_usb(&server, &tmp.path().join("kiosk"), tmp.path());
    for guess in 0..5 {
        let err = kiosk
            .cadre_unlock(&format!("{guess:08}"), Utc::now())
            .unwrap_err();
        assert!(err.to_string().contains("授权码不对"), "{err}");
    }
    // Even the right code is refused now, until the window passes.
    let cadre = ConsoleClient::logged_in(&server.url(), "shiqiaocun");
    let code = cadre.cadre_code(VILLAGE, "");
    let err = kiosk.cadre_unlock(&code, Utc::now()).unwrap_err();
    assert!(err.to_string().contains("次数太多"), "{err}");
}

/// 代为提交 in cadre mode: a cadre who unlocked the kiosk files for a resident who cannot
/// use the screen. The filing says for whom (a name is required) and the server marks it
/// as entered by that cadre — only for the cadre's own village: one for the township is
/// kept as the kiosk's own filing, never lost. Locked, the kiosk refuses to file "for"
/// anyone.
#[test]
fn a_cadre_files_for_a_resident_in_the_village_and_it_is_marked() -> Result<()> {
    use gongkai_kiosk::views::ComplaintDraft;
    use gongkai_model::complaint::ComplaintKind;
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    // A kiosk that enrolls itself (filings are signed by an enrolled kiosk).
    let config = KioskConfig::parse(&server.enrolled_config_text(VILLAGE, None)?, "test")?;
    let kiosk = Kiosk::open(config, &tmp.path().join("kiosk"))?;
    kiosk.sync_once(Utc::now())?;
    let draft = |scope: &str, name: &str| ComplaintDraft {
        kind: ComplaintKind::Complaint,
        scope: scope.into(),
        subject: "低保评定".into(),
        text: "老人口述：家里两位老人都没有收入，申请低保一直没有答复。".into(),
        name: name.into(),
        phone: "13937012345".into(),
        on_behalf: true,
    };
    let err = kiosk
        .submit_complaint(&draft(VILLAGE, "周桂兰"), Utc::now())
        .unwrap_err();
    assert!(err.to_string().contains("村干部"), "{err}");

    let cadre = ConsoleClient::logged_in(&server.url(), "shiqiaocun");
    kiosk.cadre_unlock(&cadre.cadre_code(VILLAGE, ""), Utc::now())?;
    let err = kiosk
        .submit_complaint(&draft(VILLAGE, ""), Utc::now())
        .unwrap_err();
    assert!(err.to_string().contains("群众姓名"), "{err}");
    let in_village = kiosk.submit_complaint(&draft(VILLAGE, "周桂兰"), Utc::now())?;
    let in_township = kiosk.submit_complaint(&draft("419901102", "李二牛"), Utc::now())?;
    kiosk.sync_once(Utc::now())?;

    let store = server.store()?;
    let detail = |code: &str| {
        store
            .complaint_detail(&gongkai_model::complaint::TrackingCode::parse(code).unwrap())
            .unwrap()
            .expect("uploaded")
    };
    let kiosk_id = kiosk.config().kiosk_id.clone();
    let marked = detail(&in_village.code);
    assert_eq!(marked.kiosk_id, format!("cadre:shiqiaocun@{kiosk_id}"));
    assert_eq!(
        gongkai_store::entered_by(&marked.kiosk_id).as_deref(),
        Some("shiqiaocun")
    );
    assert_eq!(marked.contact_name.as_deref(), Some("周桂兰"));
    let kept = detail(&in_township.code);
    assert_eq!(
        kept.kiosk_id, kiosk_id,
        "outside the cadre's village: not marked, not lost"
    );

    // The township's clerk sees the mark in the inbox and on the filing.
    let clerk = ConsoleClient::logged_in(&server.url(), "shiqiao");
    assert!(clerk.get("/complaints").body.contains("代为登记"));
    let page = clerk.get(&format!("/complaints/{}", in_village.code)).body;
    assert!(page.contains("由 shiqiaocun 在公开屏"), "{page}");
    Ok(())
}
