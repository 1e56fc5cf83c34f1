//! Back-end conformance (issue 10), for what the PostgreSQL back-end does so far: the
//! same publishes — new rows, replacements, withdrawals, in batches — applied to the
//! SQLite store and to PostgreSQL give the same sequence numbers, the same state hash
//! and item count (what every checkpoint signs), and the same change pages, page by page.
//! A kiosk cannot tell which back-end served it. (Versions of corrected items, the change
//! log and body checks are on SQLite only so far; the suite grows with the back-end.)

use anyhow::Result;
use gongkai_model::{ContentKind, Fen, ScopeId, SubsidyRow};
use gongkai_server::store::{pg, Edit};
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

/// Batches of edits: 300 new rows, then replacements and withdrawals mixed with new ones.
fn batches() -> Vec<Vec<Edit>> {
    let mut out = vec![(0..300)
        .map(|n| Edit::put(ContentKind::SubsidyRow, format!("r{n:04}"), &row(n, 5704)))
        .collect::<Vec<_>>()];
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

    for (i, batch) in batches().iter().enumerate() {
        let a = sqlite.publish(&scope, batch)?;
        let b = pg::publish(&mut pgc, &scope, batch, 0)?;
        assert_eq!(a.seq, b, "batch {i}: sequence numbers");
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
    Ok(())
}
