//! The server on PostgreSQL through its real HTTP surface (issue 10): the demo county moved
//! in with `migrate_from_sqlite`, its SQLite file and blob directory set aside, served from
//! a `PgStore`. An office imports a spreadsheet (refused row by row, then published), a
//! cadre's notice goes through 保密审查, a resident files at a kiosk and the office
//! answers, a kiosk is enrolled and reports — and kiosks get all of it, attachments
//! included, exactly as from SQLite. The same console handlers, the same kiosk engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::{Context, Result};
use chrono::Utc;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::complaint::ComplaintKind;
use gongkai_model::{ContentKind, ScopeId};
use gongkai_server::fleet::{statuses, Freshness};
use gongkai_server::state::FleetSettings;
use gongkai_server::Store;
use gongkai_store::sql::PgConn;
use gongkai_tests::console::{subsidy_workbook, valid_id, ConsoleClient};
use gongkai_tests::pg::TestPostgres;
use gongkai_tests::TestServer;

const VILLAGE: &str = "419901102201";

fn count(conn: &mut PgConn, sql: &str) -> i64 {
    conn.client.query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn a_county_served_from_postgres_works_for_offices_cadres_residents_and_kiosks() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let pg = TestPostgres::start()?;
    let (server, store) = TestServer::demo_on_postgres(tmp.path(), &pg)?;
    let url = server.url();
    let db_url = format!("postgres://gongkai@127.0.0.1:{}/county", pg.port);
    let mut conn = PgConn::connect(&db_url)?;
    let village = ScopeId::parse(VILLAGE)?;

    // A kiosk syncs the whole village, attachments served from the database.
    let kiosk = Kiosk::open(server.kiosk_config()?, &tmp.path().join("kiosk"))?;
    let report = kiosk.sync_once(Utc::now())?;
    assert!(report.blobs_fetched > 0, "photos and PDF pages came along");
    for scope in kiosk.followed_scopes() {
        let mine = kiosk.cache().scope_state(&scope)?.context("synced")?;
        let head = store.head(&scope)?;
        assert_eq!((mine.seq, mine.state_hash), (head.seq, head.state_hash));
    }

    // An office imports a list: refused row by row, then published whole.
    let clerk = ConsoleClient::logged_in(&url, "shiqiao");
    let fields = [
        ("list_kind", "subsidy"),
        ("scope", VILLAGE),
        ("programme", "耕地地力保护补贴"),
        ("year", "2026"),
        ("issuer", "石桥镇人民政府、云溪县财政局"),
    ];
    let mut rows: Vec<(String, String, f64)> = (0..30)
        .map(|i| ("张建国".to_string(), valid_id(i), 57.04))
        .collect();
    rows[2].1 = rows[0].1.clone();
    let a = clerk.upload(&fields, "名单.xlsx", subsidy_workbook(&rows));
    let preview = a.location.clone().context("a preview")?;
    let page = clerk.get(&preview).body;
    assert!(page.contains("身份证号与第 4 行重复"), "{page}");
    assert_eq!(clerk.post(&format!("{preview}/publish"), &[]).status, 422);
    rows[2].1 = valid_id(2);
    let a = clerk.upload(&fields, "名单（改）.xlsx", subsidy_workbook(&rows));
    let preview = a.location.clone().context("a preview")?;
    assert_eq!(clerk.post(&format!("{preview}/publish"), &[]).status, 303);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM imports WHERE upload IS NOT NULL AND status <> 'preview'"
        ),
        0,
        "the uploaded files (full IDs) are gone"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM private_ids WHERE id LIKE 'import-2026-419901102201-%'"
        ),
        30
    );

    // A cadre's notice through review.
    let cadre = ConsoleClient::logged_in(&url, "shiqiaocun");
    let a = cadre.post(
        "/notices",
        &[
            ("scope", VILLAGE),
            ("title", "关于发放冬季取暖煤的通知"),
            ("body", "本周六上午9点在村委会广场发放。"),
            ("publish_on", &Utc::now().date_naive().to_string()),
            ("expire_on", ""),
            ("step", "confirm"),
        ],
    );
    let review = a.location.clone().context("sent to review")?;
    assert!(review.starts_with("/review/"), "{a:?}");
    assert_eq!(
        cadre.post(&review, &[("decision", "approve")]).status,
        404,
        "not their own"
    );
    assert_eq!(
        clerk
            .post(&review, &[("decision", "approve"), ("reason", "同意")])
            .status,
        303
    );
    assert_eq!(clerk.post(&review, &[("decision", "approve")]).status, 422);

    // A resident files at the kiosk; the office answers; the kiosk shows the answer.
    let receipt = kiosk.submit_complaint(
        &ComplaintDraft {
            kind: ComplaintKind::Complaint,
            scope: String::new(),
            subject: "村口路灯".into(),
            text: "村口路灯坏了一个月了。".into(),
            name: "王大爷".into(),
            phone: "13800001111".into(),
            on_behalf: false,
        },
        Utc::now(),
    )?;
    kiosk.sync_once(Utc::now())?;
    let filing = format!("/complaints/{}", receipt.code.replace('-', ""));
    let detail = clerk.get(&filing);
    assert_eq!(detail.status, 200, "{filing}");
    assert!(detail.body.contains("13800001111"), "staff see the phone");
    let a = clerk.post(
        &filing,
        &[
            ("to", "answered"),
            ("note", ""),
            ("answer", "已安排电工，本周内修复。"),
        ],
    );
    assert_eq!(a.status, 303, "{a:?}");

    // The kiosk now has the notice, the list and the answer.
    kiosk.sync_once(Utc::now())?;
    let notices = kiosk.list(ContentKind::Notice, None, 0, 100, Utc::now())?;
    assert!(notices
        .entries
        .iter()
        .any(|e| e.title == "关于发放冬季取暖煤的通知"));
    let lists = kiosk.list(ContentKind::SubsidyList, None, 0, 50, Utc::now())?;
    assert!(lists
        .entries
        .iter()
        .any(|e| e.title.contains("耕地地力保护补贴")));
    let status = kiosk.complaint_status(&receipt.code)?;
    assert!(format!("{status:?}").contains("本周内修复"), "{status:?}");
    assert!(!format!("{status:?}").contains("13800001111"));

    // A kiosk enrolled from the console reports and is verified current.
    let county = ConsoleClient::logged_in(&url, "county");
    let (_, snippet) = county.enroll_kiosk("419901102201-07", VILLAGE);
    let installed = Kiosk::open(
        KioskConfig::parse(&snippet, "installed.toml")?,
        &tmp.path().join("k7"),
    )?;
    installed.sync_once(Utc::now())?;
    installed.fleet_round(Utc::now())?;
    let now = Utc::now().timestamp();
    let freshness = statuses(store.as_ref(), "", now, &FleetSettings::default())?
        .into_iter()
        .find(|s| s.record.kiosk_id == "419901102201-07")
        .map(|s| s.freshness);
    assert_eq!(freshness, Some(Freshness::Current));
    assert!(county.get("/fleet").body.contains("419901102201-07"));

    // The public record verifies, and names the author and reviewer.
    let public = ConsoleClient::new(&url).get("/history").body;
    assert!(public.contains("关于发放冬季取暖煤的通知") && public.contains("核验通过"));
    let report = store.verify_changelog()?;
    assert!(report.broken.is_none() && report.unlogged.is_empty());
    let latest = store
        .recent_changes(&gongkai_store::LogFilter::under(VILLAGE, 50))?
        .entries;
    assert!(latest
        .iter()
        .any(|e| e.title == "关于发放冬季取暖煤的通知" && e.actor.contains("审核")));
    assert!(store.head(&village)?.seq > 0);
    Ok(())
}

/// The database restarts under a serving instance (a failover, a maintenance restart):
/// while it is down the health check says so (haproxy takes the instance out) and kiosks
/// keep showing what they have; afterwards the instance serves again without a restart
/// of its own — dead pooled connections are dropped, the LISTEN connection comes back,
/// and polls see other instances' publishes again.
#[test]
fn an_instance_rides_out_a_database_restart() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let pg = TestPostgres::start()?;
    let (server, store) = TestServer::demo_on_postgres(tmp.path(), &pg)?;
    let url = server.url();
    let db_url = format!("postgres://gongkai@127.0.0.1:{}/county", pg.port);
    let village = ScopeId::parse(VILLAGE)?;
    let health = || -> Result<u16> {
        Ok(reqwest::blocking::get(format!("{url}v1/health"))?
            .status()
            .as_u16())
    };
    let wait_listening = |s: &gongkai_store::pg::PgStore| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !s.listening() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        s.listening()
    };
    assert_eq!(health()?, 200);
    let kiosk = Kiosk::open(server.kiosk_config()?, &tmp.path().join("kiosk"))?;
    kiosk.sync_once(Utc::now())?;
    let shown = kiosk.list(ContentKind::Notice, None, 0, 100, Utc::now())?;
    assert!(wait_listening(&store));

    pg.stop()?;
    assert_eq!(health()?, 503, "the balancer must take this instance out");
    assert!(kiosk.sync_once(Utc::now()).is_err());
    assert_eq!(
        kiosk
            .list(ContentKind::Notice, None, 0, 100, Utc::now())?
            .entries
            .len(),
        shown.entries.len(),
        "the kiosk keeps showing what it had"
    );
    pg.start_again()?;

    // Back within a few requests: each failure drops one dead pooled connection.
    let mut failures = 0;
    while health()? != 200 {
        failures += 1;
        assert!(failures <= 16, "still unhealthy after {failures} checks");
    }
    assert!(wait_listening(&store), "the LISTEN connection came back");
    // Another instance publishes; this one's polls see it.
    let other = gongkai_store::pg::PgStore::open(&db_url, 2)?;
    let notice = gongkai_model::Notice {
        title: "数据库重启后的通知".into(),
        publisher: "石桥村村民委员会".into(),
        body_html: "<p>恢复正常。</p>".into(),
        publish_at: Utc::now(),
        expire_at: None,
        images: Vec::new(),
    };
    let head = other.publish(
        &village,
        &[gongkai_store::Edit::put(
            ContentKind::Notice,
            "after-restart",
            &notice,
        )],
    )?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.poll_head(&village)?.seq != head.seq {
        assert!(
            std::time::Instant::now() < deadline,
            "this instance never saw the other's publish"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    kiosk.sync_once(Utc::now())?;
    assert!(kiosk
        .list(ContentKind::Notice, None, 0, 100, Utc::now())?
        .entries
        .iter()
        .any(|e| e.title == "数据库重启后的通知"));
    Ok(())
}

/// Instances on several hosts reach the database over the network: over TLS, with the
/// server's certificate checked against the province's CA (`sslrootcert`, as libpq names
/// it). A server whose certificate that CA did not sign is refused.
#[test]
fn instances_reach_the_database_over_verified_tls() -> Result<()> {
    let (pg, ca) = TestPostgres::start_tls()?;
    pg.database("tls")?;
    let url = format!(
        "postgres://gongkai@127.0.0.1:{}/tls?sslmode=require&sslrootcert={}",
        pg.port,
        ca.display()
    );
    let store = gongkai_store::pg::PgStore::open(&url, 2)?;
    let county = ScopeId::parse("419901")?;
    store.ensure_scope(&county, "云溪县")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !store.listening() {
        assert!(
            std::time::Instant::now() < deadline,
            "the LISTEN connection uses TLS too"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut conn = PgConn::connect(&url)?;
    let encrypted: bool = conn
        .client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )?
        .get(0);
    assert!(encrypted, "the connection is encrypted");
    // Without the province's CA the test server's certificate is not trusted.
    let untrusted = format!(
        "postgres://gongkai@127.0.0.1:{}/tls?sslmode=require",
        pg.port
    );
    assert!(PgConn::connect(&untrusted).is_err());
    // A CA file that cannot be read is a clear error, in Chinese.
    let missing = format!("{untrusted}&sslrootcert=/nonexistent/ca.pem");
    let err = PgConn::connect(&missing).err().map(|e| e.to_string());
    assert!(
        err.as_deref()
            .is_some_and(|e| e.contains("无法读取数据库 CA 证书")),
        "{err:?}"
    );
    Ok(())
}
