//! Back-end conformance (issue 10), for what the PostgreSQL back-end does so far: the
//! same publishes — new rows, replacements, withdrawals, corrections of versioned items,
//! in batches, at the same clock — applied to the SQLite store and to PostgreSQL give the
//! same sequence numbers, state hash and item count (what every checkpoint signs), the
//! same change pages from every cursor, and the same public change log, entry for entry
//! and hash for hash. A kiosk or an auditor cannot tell which back-end served it. Both
//! refuse the same bad bodies. (Users, filings, drafts and the fleet are on SQLite only
//! so far; the suite grows with the back-end.)

use anyhow::Result;
use gongkai_model::{ContentKind, Fen, Notice, ScopeId, SubsidyRow};
use gongkai_server::store::{pg, Edit, Provenance, StoreError};
use gongkai_server::{SqliteStore, Store};
use gongkai_tests::pg::TestPostgres;
use postgres::{Client, NoTls};

fn row(n: usize, amount: i64) -> SubsidyRow {
    let names = ["张建国", "李秀英", "王桂兰", "赵德胜", "刘玉珍"];
    SubsidyRow {
        list_id: "grain-2026".into(),
        village_name: "石桥村".into(),
        name: names[n % names.len()].into(),
        id_masked: format!("4199**********{:04}", n % 10_000),
        household_size: (n % 6 + 1) as u32,
        area_centimu: Some((n % 900 + 100) as u32),
        amount: Fen(amount),
    }
}

fn notice(n: usize, version: usize) -> Notice {
    Notice {
        title: format!("关于第{n}组道路维修的通知"),
        publisher: "石桥村民委员会".into(),
        body_html: format!("<p>第{version}稿：施工期间请绕行。</p><script>x()</script>"),
        publish_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        expire_at: None,
        images: Vec::new(),
    }
}

/// Batches of edits: 300 new rows and a few notices, then replacements, corrections
/// (which keep versions) and withdrawals mixed with new ones.
fn batches() -> Vec<Vec<Edit>> {
    let mut first: Vec<Edit> = (0..300)
        .map(|n| Edit::put(ContentKind::SubsidyRow, format!("r{n:04}"), &row(n, 5704)))
        .collect();
    first.extend((0..4).map(|n| Edit::put(ContentKind::Notice, format!("n{n}"), &notice(n, 0))));
    let mut out = vec![first];
    for b in 0..10 {
        out.push(
            (0..25)
                .map(|k| {
                    let n = (b * 37 + k * 11) % 340;
                    let id = format!("r{n:04}");
                    if (b + k) % 5 == 0 {
                        Edit::delete(ContentKind::SubsidyRow, id)
                    } else {
                        Edit::put(ContentKind::SubsidyRow, id, &row(n, 5704 + b as i64))
                    }
                })
                .chain((b % 3 == 0).then(|| {
                    Edit::put(
                        ContentKind::Notice,
                        format!("n{}", b % 4),
                        &notice(b % 4, b + 1),
                    )
                }))
                .collect(),
        );
    }
    out
}

#[test]
fn sqlite_and_postgres_number_hash_and_page_the_same_changes_alike() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let sqlite = SqliteStore::open(&tmp.path().join("server.sqlite"))?;
    let server = TestPostgres::start()?;
    let mut pgc = Client::connect(&server.database("conformance")?, NoTls)?;
    pg::migrate(&mut pgc)?;
    let scope = ScopeId::parse("419901102201")?;
    sqlite.ensure_scope(&scope, "石桥村")?;
    pg::ensure_scope(&mut pgc, &scope, "石桥村")?;

    let by = Provenance::user("石桥村 张会计");
    for (i, batch) in batches().iter().enumerate() {
        let now = 1_800_000_000 + 3600 * i as i64;
        let a = sqlite.publish_as_at(&scope, batch, &by, now)?;
        let b = pg::publish_as(&mut pgc, &scope, batch, &by, now)?;
        assert_eq!(a.seq, b.seq, "batch {i}: sequence numbers");
        let page = pg::changes(&mut pgc, &scope, 0, 1)?;
        assert_eq!(
            (a.state_hash, a.item_count),
            (page.state_hash, page.item_count),
            "batch {i}: state hash and item count"
        );
    }
    // Pages from every cursor a kiosk might hold, in the sizes kiosks ask for.
    let head = sqlite.head(&scope)?;
    for since in [0, 1, 150, 299, 300, 333, head.seq - 1, head.seq] {
        for limit in [1u32, 7, 500] {
            let a = sqlite.changes(&scope, since, limit)?;
            let b = pg::changes(&mut pgc, &scope, since, limit)?;
            assert_eq!(a.head.seq, b.seq);
            assert_eq!(a.more, b.more, "more after {since} by {limit}");
            if a.changes != b.changes {
                let key = |c: &gongkai_protocol::Change| (c.seq, c.id.clone(), c.op);
                let (ka, kb): (Vec<_>, Vec<_>) = (
                    a.changes.iter().map(key).collect(),
                    b.changes.iter().map(key).collect(),
                );
                let first = ka.iter().zip(&kb).position(|(x, y)| x != y);
                panic!(
                    "page after {since} by {limit}: {} vs {} changes; first difference at {first:?}: {:?} vs {:?}",
                    ka.len(),
                    kb.len(),
                    first.and_then(|i| ka.get(i)),
                    first.and_then(|i| kb.get(i))
                );
            }
        }
    }
    // The same head, field by field, and it matches the items it sums up.
    let head = sqlite.head(&scope)?;
    assert_eq!(head, pg::head(&mut pgc, &scope)?);
    assert_eq!(
        pg::recompute_state_hash(&mut pgc, &scope)?,
        (head.state_hash, head.item_count)
    );
    // A corrected notice: the same history, and the same kept versions on both.
    for id in ["n0", "n1", "n3"] {
        assert_eq!(
            sqlite.item_history(&scope, ContentKind::Notice, id)?,
            pg::item_history(&mut pgc, &scope, ContentKind::Notice, id)?,
            "{id}"
        );
    }
    let versions = sqlite.item_history(&scope, ContentKind::Notice, "n0")?;
    assert!(versions.len() >= 2, "n0 was corrected");

    // The public change log: the same chain, byte for byte, and it verifies.
    let a = sqlite.changelog(0, 100_000)?;
    let b = pg::changelog(&mut pgc, 0, 100_000)?;
    assert_eq!(a.len(), b.len());
    assert!(
        a.iter().any(|e| e.action.key() == "correct"),
        "corrections logged"
    );
    assert_eq!(a, b, "change logs differ");
    gongkai_protocol::changelog::verify_chain(
        (0, gongkai_protocol::changelog::GENESIS.into()),
        &b,
    )?;

    // The same bad bodies are refused by both, and neither changes.
    let unmasked = vec![Edit::put(
        ContentKind::SubsidyRow,
        "leak",
        &SubsidyRow {
            id_masked: "419901196505120013".into(),
            ..row(1, 100)
        },
    )];
    let before = pg::changes(&mut pgc, &scope, 0, 1)?.seq;
    assert!(matches!(
        sqlite.publish(&scope, &unmasked),
        Err(StoreError::UnmaskedId { .. })
    ));
    assert!(matches!(
        pg::publish(&mut pgc, &scope, &unmasked, 0),
        Err(StoreError::UnmaskedId { .. })
    ));
    assert_eq!(pg::changes(&mut pgc, &scope, 0, 1)?.seq, before);
    assert_eq!(sqlite.head(&scope)?.seq, before);
    Ok(())
}

#[test]
fn a_county_moves_into_postgres_with_counts_and_hashes_compared() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = gongkai_tests::demo_data(tmp.path())?;
    let server = TestPostgres::start()?;
    let url = server.database("county")?;
    let bin = std::env::current_exe()?
        .parent()
        .and_then(std::path::Path::parent)
        .map(|d| d.join("gongkai-server"))
        .unwrap_or_default();
    let run = |extra: &[&str]| {
        std::process::Command::new(&bin)
            .args(["migrate-to-postgres", "--data"])
            .arg(&data.root)
            .args(["--url", &url])
            .args(extra)
            .output()
    };
    // The demo county has users and filings, which do not move yet: refused, in Chinese.
    let out = run(&[])?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("users"));
    // Its content and public record move, and are compared.
    let out = run(&["--content-only"])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains("compared equal"), "{said}");
    // Not twice into the same database.
    assert!(!run(&["--content-only"])?.status.success());

    // What a kiosk would be served is the same from either back-end, attachments too.
    let sqlite = SqliteStore::open(&data.db_path())?;
    let mut pgc = Client::connect(&url, NoTls)?;
    let blobs = gongkai_server::blobs::BlobStore::new(data.blob_dir());
    let names: Vec<String> = pgc
        .query("SELECT sha256 FROM blobs", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        names.len() >= 10,
        "the demo's photos and PDF pages moved: {}",
        names.len()
    );
    for name in &names {
        let on_disk = std::fs::read(blobs.path(name).unwrap_or_default())?;
        assert_eq!(pg::blob(&mut pgc, name)?, Some(on_disk));
    }
    // A damaged row is never served.
    pgc.execute(
        "UPDATE blobs SET bytes = '\\x00' WHERE sha256 = $1",
        &[&names[0]],
    )?;
    assert!(pg::blob(&mut pgc, &names[0]).is_err());
    for head in sqlite.heads()? {
        assert_eq!(head, pg::head(&mut pgc, &head.scope)?);
        let a = sqlite.changes(&head.scope, 0, 100_000)?;
        let b = pg::changes(&mut pgc, &head.scope, 0, 100_000)?;
        assert_eq!(a.changes, b.changes, "{}", head.scope);
    }
    Ok(())
}
