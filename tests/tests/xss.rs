//! Hostile rich text through every way in: a corpus of XSS payloads (script, event
//! handlers, javascript: and data: URLs, SVG, CSS tricks, broken markup) published
//! through the console as notices and catalog items. What reaches the kiosk cache and the
//! console's pages carries none of it. (The E2E and browser suites then open such items
//! in the real webviews with a marker that any executed script would set.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::Kiosk;
use gongkai_model::ContentKind;
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::xss::{dangerous, CORPUS};
use gongkai_tests::{kiosk_config, TestServer};

#[test]
fn no_payload_survives_publish_to_the_kiosk_or_the_console() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let url = server.url();
    let county = ConsoleClient::logged_in(&url, "county");
    for (i, payload) in CORPUS.iter().enumerate() {
        let title = format!("XSS样本{i:02}<script>window.__pwned=1</script>");
        let a = county.post(
            "/notices",
            &[
                ("scope", "419901"),
                ("title", &title),
                ("body", payload),
                ("publish_on", "2026-11-20"),
                ("step", "confirm"),
            ],
        );
        assert_eq!(a.status, 303, "notice {i}: {a:?}");
        let a = county.confirm(county.upload_to(
            "/disclosures",
            &[
                ("scope", "419901"),
                ("category", "财政资金"),
                ("title", &title),
                ("publisher", "云溪县财政局"),
                ("published_on", "2026-11-20"),
                ("body", &format!("<p>正文</p>{payload}")),
            ],
            &[],
        ));
        assert_eq!(a.status, 303, "disclosure {i}: {a:?}");
    }

    // The kiosk's copies.
    let kiosk = Kiosk::open(
        kiosk_config(&url, &server.public_key_b64()?)?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(Utc::now())?;
    let mut seen = 0;
    for kind in [ContentKind::Notice, ContentKind::Disclosure] {
        for e in kiosk.list(kind, None, 0, 500, Utc::now())?.entries {
            if !e.title.starts_with("XSS样本") {
                continue;
            }
            seen += 1;
            let html = match kind {
                ContentKind::Notice => kiosk.notice(&e.scope, &e.id, Utc::now())?.notice.body_html,
                _ => kiosk.disclosure(&e.scope, &e.id)?.item.body_html,
            };
            assert_eq!(dangerous(&html), None, "{}: {html}", e.title);
            // The item's console page renders the same body as residents see it.
            let page = county
                .get(&format!("/history/{}/{}/{}", e.scope, kind.key(), e.id))
                .body;
            let start = page
                .find("<div class=\"resident-frame\">")
                .expect("content shown");
            let end = start
                + page[start..]
                    .find("<h2>哪些公开屏")
                    .expect("end of content");
            assert_eq!(
                dangerous(&page[start..end]),
                None,
                "item page of {}",
                e.title
            );
            // The public phone page of the same item, from the village that sees it.
            let phone = reqwest::blocking::get(format!(
                "{}{}",
                url.trim_end_matches('/'),
                gongkai_server::public::item_path("419901102201", kind.key(), &e.scope, &e.id)
            ))?
            .text()?;
            let main = &phone[phone.find("<main>").expect("phone page")..];
            assert_eq!(dangerous(main), None, "phone page of {}", e.title);
            assert!(main.contains("XSS样本") && main.contains("&lt;script&gt;"));
        }
    }
    assert_eq!(seen, 2 * CORPUS.len());

    // The console's pages that show these items: escaped titles, sanitized bodies.
    // (The newest page of the record shows the last samples.)
    let newest = format!("XSS样本{:02}&lt;script&gt;", CORPUS.len() - 1);
    for page in ["/m/419901102201/notice", "/m/419901102201/disclosure"] {
        for n in 0..4 {
            let body = county.get(&format!("{page}?page={n}")).body;
            assert!(!body.contains("<script>window.__pwned"), "{page}");
        }
    }
    for page in ["/history", "/history?scope=419901", "/history?kind=notice"] {
        let body = county.get(page).body;
        assert!(!body.contains("<script>window.__pwned"), "{page}");
        assert!(
            body.contains(&newest),
            "{page} does not show the escaped title"
        );
    }
    let conn = rusqlite::Connection::open(server.data.db_path())?;
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    for payload in CORPUS {
        cadre.post(
            "/notices",
            &[
                ("scope", "419901102201"),
                ("title", "村内样本"),
                ("body", payload),
                ("publish_on", "2026-11-20"),
                ("step", "confirm"),
            ],
        );
    }
    let reviewer = ConsoleClient::logged_in(&url, "shiqiao");
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM drafts")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        let page = reviewer.get(&format!("/review/{id}")).body;
        let start = page.find("<section class=\"preview\">").expect("preview");
        let end = start + page[start..].find("</section>").expect("end of preview");
        assert_eq!(dangerous(&page[start..end]), None, "review page {id}");
    }
    Ok(())
}
