//! SQLite under concurrent writers: several store handles (as several server processes
//! on one file would have) publish and take filings at once. Nothing is lost, every
//! scope's sequence stays gap-free, the state hash matches the items, and the change log
//! verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gongkai_model::complaint::ComplaintKind;
use gongkai_model::{ContentKind, Fen, ScopeId, SubsidyRow};
use gongkai_protocol::complaints::ComplaintUpload;
use gongkai_server::{Edit, SqliteStore, Store};
use gongkai_store::NewComplaint;

#[test]
fn concurrent_writers_on_one_database_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("server.sqlite");
    let scopes: Vec<ScopeId> = ["419901102201", "419901102202", "419901102"]
        .iter()
        .map(|s| ScopeId::parse(s).unwrap())
        .collect();
    {
        let store = SqliteStore::open(&path).unwrap();
        for s in &scopes {
            store.ensure_scope(s, "测试").unwrap();
        }
    }
    const WRITERS: usize = 6;
    const BATCHES: usize = 40;
    const ROWS: usize = 25;
    std::thread::scope(|t| {
        for w in 0..WRITERS {
            let (path, scopes) = (&path, &scopes);
            t.spawn(move || {
                // Each writer has its own connection, like a separate server process.
                let store = SqliteStore::open(path).unwrap();
                for b in 0..BATCHES {
                    let scope = &scopes[(w + b) % scopes.len()];
                    let edits: Vec<Edit> = (0..ROWS)
                        .map(|r| {
                            let row = SubsidyRow {
                                list_id: format!("w{w}"),
                                village_name: "石桥村".into(),
                                name: "李秀英".into(),
                                id_masked: "4199**********1234".into(),
                                household_size: 2,
                                area_centimu: None,
                                amount: Fen((w * 1000 + b * 10 + r) as i64 + 1),
                            };
                            Edit::put(ContentKind::SubsidyRow, format!("w{w}-b{b}-r{r}"), &row)
                        })
                        .collect();
                    store.publish(scope, &edits).unwrap();
                    let code = gongkai_tests::code_from(((w * 1000 + b) as u64 + 7) * 8);
                    let upload = ComplaintUpload {
                        client_uuid: format!("w{w}-b{b}"),
                        code,
                        kiosk_id: format!("kiosk-{w}"),
                        kind: ComplaintKind::Suggestion,
                        scope: scope.clone(),
                        subject: "并发".into(),
                        text: "并发写入".into(),
                        sealed_contact: None,
                        filed_at: 0,
                        cadre_session: None,
                    };
                    let filing = NewComplaint {
                        upload,
                        contact: None,
                        office: "石桥镇人民政府".into(),
                        received_at: 0,
                        received_on: "2026-11-26".parse().unwrap(),
                        due_on: "2026-12-10".parse().unwrap(),
                        due_provisional: None,
                        limit_days: 10,
                    };
                    assert!(store.file_complaint(&filing).unwrap());
                }
            });
        }
    });
    let store = SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let items: i64 = conn
        .query_row(
            "SELECT count(*) FROM items WHERE body IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(items as usize, WRITERS * BATCHES * ROWS);
    let filings: i64 = conn
        .query_row("SELECT count(*) FROM complaints", [], |r| r.get(0))
        .unwrap();
    assert_eq!(filings as usize, WRITERS * BATCHES);
    for s in &scopes {
        let head = store.head(s).unwrap();
        // Sequence numbers 1..=seq, each used once: no gap a kiosk could skip over.
        let (n, max): (i64, i64) = conn
            .query_row(
                "SELECT count(*), max(seq) FROM items WHERE scope = ?1",
                [s.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((n as u64, max as u64), (head.seq, head.seq), "scope {s}");
        assert_eq!(store.recompute_state_hash(s).unwrap(), head.state_hash);
    }
    let report = store.verify_changelog().unwrap();
    assert!(
        report.broken.is_none() && report.unlogged.is_empty(),
        "{report:?}"
    );
    assert_eq!(report.entries as usize, WRITERS * BATCHES * ROWS);
}

/// Polls read heads through a shortcut (the WAL index header, compared byte for byte)
/// instead of SQLite's read lock. Every commit by another handle — another server process
/// on the same file, a CLI publish — must still show on the very next poll: here a writer
/// on its own thread publishes while a poller reads, and after each publish returns the
/// poller sees at least that head; at the end, exactly the last.
#[test]
fn a_poll_right_after_another_handle_commits_sees_the_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("server.sqlite");
    let scope = ScopeId::parse("419901102201").unwrap();
    let poller = SqliteStore::open(&path).unwrap();
    poller.ensure_scope(&scope, "石桥村").unwrap();
    let writer = SqliteStore::open(&path).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    std::thread::scope(|t| {
        let (writer, scope) = (&writer, &scope);
        t.spawn(move || {
            for i in 0..300 {
                let row = SubsidyRow {
                    list_id: "poll".into(),
                    village_name: "石桥村".into(),
                    name: "王秀兰".into(),
                    id_masked: "4199**********1234".into(),
                    household_size: 1,
                    area_centimu: None,
                    amount: Fen(i + 1),
                };
                let head = writer
                    .publish(scope, &[Edit::put(ContentKind::SubsidyRow, "r", &row)])
                    .unwrap();
                tx.send(head.seq).unwrap();
            }
        });
        // Polling all the while, and checking after every publish it was told of.
        for published in rx {
            for _ in 0..3 {
                let seen = poller.poll_head(scope).unwrap().seq;
                assert!(
                    seen >= published,
                    "poll saw seq {seen} after {published} committed"
                );
            }
        }
    });
    assert_eq!(
        poller.poll_head(&scope).unwrap().seq,
        writer.head(&scope).unwrap().seq
    );
}
