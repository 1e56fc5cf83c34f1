//! Sequence numbers under concurrent publishers on PostgreSQL (issue 10): a kiosk must
//! never skip a change that commits late. Against a real PostgreSQL server started for
//! the test:
//! - the naive method (numbers from a SEQUENCE) really does lose a change when two
//!   publishers commit out of order, shown step by step with two connections;
//! - the method the server uses (the scope's row lock before numbering,
//!   `store/pg.rs`) makes the second publisher wait, so numbers follow commit order;
//! - eight publishers at once, with a reader syncing page by page meanwhile: the reader
//!   ends with exactly the server's items and state hash, having seen every number once.

use anyhow::Result;
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::{item_hash, ChangeOp, StateHash};
use gongkai_store::sql::PgConn;
use gongkai_store::{pg, Edit};
use gongkai_tests::pg::TestPostgres;
use postgres::{Client, NoTls};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn notice(n: usize) -> String {
    format!(
        r#"{{"title":"通知{n}","publisher":"村委会","body_html":"<p>{n}</p>","publish_at":"2026-11-26T00:00:00Z","expire_at":null}}"#
    )
}

#[test]
fn a_sequence_loses_a_late_commit_and_the_scope_lock_does_not() -> Result<()> {
    let server = TestPostgres::start()?;
    let url = server.database("naive")?;
    let mut a = Client::connect(&url, NoTls)?;
    let mut b = Client::connect(&url, NoTls)?;
    let mut reader = Client::connect(&url, NoTls)?;
    a.batch_execute(
        "CREATE SEQUENCE change_seq;
         CREATE TABLE changes (seq BIGINT PRIMARY KEY, id TEXT NOT NULL);",
    )?;
    // A takes number 1, B takes number 2 and commits first; a kiosk polls in between.
    let mut ta = a.transaction()?;
    ta.execute(
        "INSERT INTO changes VALUES (nextval('change_seq'), 'from A')",
        &[],
    )?;
    b.batch_execute("INSERT INTO changes VALUES (nextval('change_seq'), 'from B')")?;
    let seen: i64 = reader
        .query_one("SELECT coalesce(max(seq), 0) FROM changes", &[])?
        .get(0);
    assert_eq!(seen, 2, "the kiosk's cursor moves to 2");
    ta.commit()?;
    let after: Vec<String> = reader
        .query("SELECT id FROM changes WHERE seq > $1", &[&seen])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        after.is_empty(),
        "A's change (number 1) committed after the kiosk moved past it: lost"
    );

    // The server's method: B waits for A's lock, and gets the number after A's.
    let url = server.database("locked")?;
    let mut setup = PgConn::connect(&url)?;
    pg::migrate(&mut setup)?;
    let scope = ScopeId::parse("419901102201")?;
    pg::ensure_scope(&mut setup, &scope, "石桥村")?;
    let mut a = Client::connect(&url, NoTls)?;
    let mut ta = a.transaction()?;
    ta.query_one(
        "SELECT seq FROM scopes WHERE scope = $1 FOR UPDATE",
        &[&scope.as_str()],
    )?;
    let b_done = Arc::new(AtomicBool::new(false));
    let (url_b, scope_b, done) = (url.clone(), scope.clone(), b_done.clone());
    let b = std::thread::spawn(move || -> Result<u64> {
        let mut b = PgConn::connect(&url_b)?;
        let seq = pg::publish(
            &mut b,
            &scope_b,
            &[Edit {
                kind: ContentKind::Notice,
                id: "from-b".into(),
                body: Some(notice(2)),
                private_id: None,
            }],
            0,
        )?;
        done.store(true, Ordering::SeqCst);
        Ok(seq)
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !b_done.load(Ordering::SeqCst),
        "B must wait while A holds the scope"
    );
    ta.execute(
        "INSERT INTO items(scope, kind, id, seq, body, item_hash, updated_at)
         VALUES ($1, 'notice', 'from-a', 1, '{}', $2, 0)",
        &[
            &scope.as_str(),
            &item_hash(ContentKind::Notice, "from-a", "{}").to_vec(),
        ],
    )?;
    let mut h = StateHash::EMPTY;
    h.add(&item_hash(ContentKind::Notice, "from-a", "{}"));
    ta.execute(
        "UPDATE scopes SET seq = 1, state_hash = $2, item_count = 1 WHERE scope = $1",
        &[&scope.as_str(), &h.0.to_vec()],
    )?;
    ta.commit()?;
    let b_seq = b.join().map_err(|_| anyhow::anyhow!("B panicked"))??;
    assert_eq!(b_seq, 2, "B numbered after A committed");
    Ok(())
}

#[test]
fn concurrent_publishers_and_a_syncing_reader_end_exactly_equal() -> Result<()> {
    const PUBLISHERS: usize = 8;
    const ROUNDS: usize = 40;
    let server = TestPostgres::start()?;
    let url = server.database("gongkai")?;
    let mut setup = PgConn::connect(&url)?;
    pg::migrate(&mut setup)?;
    let scope = ScopeId::parse("419901102201")?;
    pg::ensure_scope(&mut setup, &scope, "石桥村")?;

    let stop = Arc::new(AtomicBool::new(false));
    // The reader: a kiosk syncing page by page while publishers run.
    let (url_r, scope_r, stop_r) = (url.clone(), scope.clone(), stop.clone());
    let reader = std::thread::spawn(move || -> Result<(HashMap<String, [u8; 32]>, u64, u64)> {
        let mut c = PgConn::connect(&url_r)?;
        let mut items: HashMap<String, [u8; 32]> = HashMap::new();
        let mut hash = StateHash::EMPTY;
        let mut cursor = 0u64;
        let mut checked = 0u64;
        loop {
            let finishing = stop_r.load(Ordering::SeqCst);
            loop {
                let page = pg::changes(&mut c, &scope_r, cursor, 7)?;
                for ch in &page.changes {
                    assert!(ch.seq > cursor, "numbers only go up");
                    if let Some(old) = items.remove(&ch.id) {
                        hash.remove(&old);
                    }
                    if ch.op == ChangeOp::Put {
                        let h = item_hash(ch.kind, &ch.id, ch.body.as_deref().unwrap_or(""));
                        hash.add(&h);
                        items.insert(ch.id.clone(), h);
                    }
                    cursor = ch.seq;
                }
                if !page.more {
                    // Caught up with the head read in the same snapshot: the copy must
                    // equal what that head signs. A late commit with a smaller number
                    // would make this fail.
                    cursor = page.head.seq;
                    assert_eq!(hash, page.head.state_hash, "copy differs at seq {cursor}");
                    assert_eq!(items.len() as u64, page.head.item_count);
                    checked += 1;
                    break;
                }
            }
            if finishing {
                return Ok((items, cursor, checked));
            }
        }
    });
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let (url, scope) = (url.clone(), scope.clone());
            std::thread::spawn(move || -> Result<()> {
                let mut c = PgConn::connect(&url)?;
                for r in 0..ROUNDS {
                    // 1–4 items per publish; some replace others' items, some withdraw.
                    let edits: Vec<Edit> = (0..(r % 4) + 1)
                        .map(|k| {
                            let id = format!("n-{}", (p * 7 + r * 3 + k) % 60);
                            if (p + r + k) % 9 == 0 {
                                Edit::delete(ContentKind::Notice, id)
                            } else {
                                Edit {
                                    kind: ContentKind::Notice,
                                    id,
                                    body: Some(notice(p * 1000 + r * 10 + k)),
                                    private_id: None,
                                }
                            }
                        })
                        .collect();
                    pg::publish(&mut c, &scope, &edits, 0)?;
                }
                Ok(())
            })
        })
        .collect();
    for p in publishers {
        p.join()
            .map_err(|_| anyhow::anyhow!("publisher panicked"))??;
    }
    stop.store(true, Ordering::SeqCst);
    let (items, cursor, checked) = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader panicked"))??;

    let last = pg::changes(&mut setup, &scope, 0, 100_000)?;
    let expected: usize = (0..PUBLISHERS)
        .map(|_| (0..ROUNDS).map(|r| (r % 4) + 1).sum::<usize>())
        .sum();
    // One number per edit that changed something (deleting what is gone, or putting the
    // same content again, takes none), plus one for the versions item of each correction.
    assert!(
        last.head.seq > 0 && last.head.seq as usize <= 2 * expected,
        "{} of {expected}",
        last.head.seq
    );
    assert_eq!(cursor, last.head.seq);
    let server_items: HashMap<String, [u8; 32]> = last
        .changes
        .iter()
        .filter(|c| c.op == ChangeOp::Put)
        .map(|c| {
            (
                c.id.clone(),
                item_hash(c.kind, &c.id, c.body.as_deref().unwrap_or("")),
            )
        })
        .collect();
    assert_eq!(
        items, server_items,
        "the reader ends with exactly the server's items"
    );
    println!(
        "{} changes from {expected} edits by {PUBLISHERS} publishers; the reader verified its copy {checked} times",
        last.head.seq
    );
    Ok(())
}
