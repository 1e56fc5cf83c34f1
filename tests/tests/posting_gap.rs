//! A 公示期 that was not fully on screen is acted on: a kiosk of the relocation village,
//! enrolled days into board 3's 公示期, proves by its signed display log that the board
//! was missing there for those days. The sweep raises a `posting_gap` alert on the kiosk
//! (with hours and the extension it proposes) for the fleet page and the webhook; the
//! console proposes extending the 公示期 by the missing time; the extension is a
//! correction, reviewed by a second person, recorded in the change log, and the kiosk
//! shows the new closing date.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::{ContentKind, RelocationBoard, ScopeId};
use gongkai_protocol::changelog::LogAction;
use gongkai_server::fleet::{extension_days, posting_gap_alerts, posting_gaps};
use gongkai_server::Store;
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::TestServer;

const VILLAGE: &str = "419901201202";

#[test]
fn a_board_missing_from_a_kiosk_in_its_period_is_alerted_and_extended() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let township = ConsoleClient::logged_in(&url, "liuwan");
    let (_, snippet) = township.enroll_kiosk("419901201202-01", VILLAGE);
    let kiosk = Kiosk::open(
        KioskConfig::parse(&snippet, "installed.toml")?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    kiosk.fleet_round(Utc::now())?;
    let store = server.store()?;
    let scope = ScopeId::parse(VILLAGE)?;
    let board_id = store
        .items_of_kind(&scope, ContentKind::RelocationBoard)?
        .into_iter()
        .map(|(id, _)| id)
        .find(|id| id.ends_with("-3"))
        .expect("board 3");
    let board = |store: &gongkai_server::SqliteStore| -> RelocationBoard {
        serde_json::from_str(
            &store
                .item_body(&scope, ContentKind::RelocationBoard, &board_id)
                .unwrap()
                .unwrap(),
        )
        .unwrap()
    };
    let before = board(&store);

    // Board 3 went up 6 days before the kiosk did: six days missing there. Boards 1 and 2
    // ended weeks ago and are no longer watched.
    let now = Utc::now().timestamp();
    let gaps = posting_gaps(&store, now)?;
    assert_eq!(gaps.len(), 1, "only the board in its 公示期");
    let gap = &gaps[0];
    assert_eq!(gap.posting.id, board_id);
    assert!(
        (5 * 86_400..=7 * 86_400).contains(&gap.missing_secs),
        "{}",
        gap.missing_secs
    );
    let events = posting_gap_alerts(&store, now)?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "posting_gap");
    assert!(
        events[0].detail.contains("建议延长公示期"),
        "{}",
        events[0].detail
    );
    // Raised once: the next sweep sends nothing new.
    assert!(posting_gap_alerts(&store, now + 60)?.is_empty());
    let fleet = township.get("/fleet").body;
    assert!(fleet.contains("公示期不足"), "{fleet}");

    // The console proposes the extension; the township asks for it.
    let page = township.get("/fleet/posting").body;
    assert!(page.contains("公示期不足，建议延长"), "{page}");
    let days = extension_days(gap.missing_secs);
    assert!(
        page.contains(&format!("公示截止日延长 {days} 天")),
        "{page}"
    );
    let asked = township.post(
        "/fleet/posting/extend",
        &[("scope", VILLAGE), ("id", &board_id)],
    );
    assert_eq!(asked.status, 303, "{asked:?}");
    let review = asked.location.unwrap();
    assert!(review.starts_with("/review/"), "{review}");
    assert_eq!(
        board(&store).posting_until,
        before.posting_until,
        "not before review"
    );
    // Not approved by the one who asked; the county approves.
    let own = township.get(&review).body;
    assert!(!own.contains("name=\"decision\""));
    let county = ConsoleClient::logged_in(&url, "county");
    let page = county.get(&review).body;
    assert!(page.contains("通过并替换公开内容"), "{page}");
    assert_eq!(county.post(&review, &[("decision", "approve")]).status, 303);
    let after = board(&store);
    assert_eq!(
        after.posting_until,
        before.posting_until + chrono::Duration::days(days)
    );
    let history = store.item_history(&scope, ContentKind::RelocationBoard, &board_id)?;
    assert_eq!(history.last().unwrap().action, LogAction::Correct);
    assert!(
        history.last().unwrap().actor.contains("审核"),
        "{:?}",
        history.last()
    );

    // The kiosk shows the new closing date.
    kiosk.sync_once(Utc::now())?;
    let shown = kiosk.relocation(scope.as_str(), &board_id, Utc::now())?;
    assert_eq!(shown.board.posting_until, after.posting_until);
    assert!(
        !shown.versions.is_empty(),
        "the earlier dates stay readable"
    );
    Ok(())
}
