//! The embedded SQLite back-end: one writer connection, a small pool of readers (WAL lets
//! them read while a publish is committing).

use super::publish::prepare;
use super::{ChainReport, ChangesRead, Edit, Provenance, ScopeHead, Store, StoreError};
use gongkai_db::Durability;
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::changelog::LogEntry;
use gongkai_protocol::{Change, StateHash};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE scopes (
    scope      TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    epoch      INTEGER NOT NULL,
    seq        INTEGER NOT NULL DEFAULT 0,
    state_hash BLOB NOT NULL,
    item_count INTEGER NOT NULL DEFAULT 0,
    floor      INTEGER NOT NULL DEFAULT 0
);
-- One row per item: its latest change. body IS NULL marks a tombstone.
CREATE TABLE items (
    scope      TEXT NOT NULL REFERENCES scopes(scope),
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    body       TEXT,
    item_hash  BLOB,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, kind, id)
);
CREATE UNIQUE INDEX items_by_seq ON items(scope, seq);
-- Full ID numbers behind published (masked) subsidy rows. Never leaves the server.
CREATE TABLE private_ids (
    kind      TEXT NOT NULL,
    id        TEXT NOT NULL,
    id_number TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
"#,
    super::complaints::MIGRATION,
    super::complaints::MIGRATION_ACTIONS,
    super::complaints::MIGRATION_STAFF,
    super::complaints::MIGRATION_LIMIT,
    super::changelog::MIGRATION,
    super::console::MIGRATION,
    super::console::MIGRATION_CADRE,
    super::fleet::MIGRATION,
    super::fleet::MIGRATION_WEBHOOK,
    super::console::MIGRATION_FAILURES_BY_AT,
    super::complaints::MIGRATION_PROVISIONAL,
    super::fleet::MIGRATION_CODES,
    super::fleet::MIGRATION_MEMORY,
];

pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// For polls: one connection that watches `PRAGMA data_version` (which changes when
    /// any other connection, in this process or another, commits) and the heads read at
    /// each version. While nothing was committed a poll costs no table read.
    polls: Mutex<PollCache>,
    /// The last full change-log verification and the `data_version` it was made at: the
    /// public /history page shows it on every view, and a walk of the whole chain and
    /// every item is only redone after some commit (a tampering edit is a commit too).
    chain: Mutex<Option<(i64, ChainReport)>>,
}

struct PollCache {
    conn: Connection,
    version: i64,
    heads: std::collections::HashMap<String, ScopeHead>,
    /// The database's WAL index (`FILE-shm`), read as a file, and the first copy of its
    /// header as it was when `version` was read: see [`SqliteStore::poll_seen`].
    shm: Option<std::fs::File>,
    shm_seen: [u8; WAL_HEADER],
}

/// The first copy of the WAL-index header (SQLite's walformat: iVersion, iChange — which
/// every commit increments —, mxFrame, salts and checksums). A writer updates the second
/// copy, then the first, so the first changes once a commit is complete.
const WAL_HEADER: usize = 48;

impl SqliteStore {
    /// The heads of `scopes` for polls, under one lock and one `data_version` read.
    fn poll_heads(&self, scopes: &[ScopeId]) -> Result<Vec<ScopeHead>, StoreError> {
        let mut cache = self.polls.lock().unwrap_or_else(|p| p.into_inner());
        Self::poll_seen(&mut cache)?;
        let mut out = Vec::with_capacity(scopes.len());
        for scope in scopes {
            if let Some(head) = cache.heads.get(scope.as_str()) {
                out.push(head.clone());
                continue;
            }
            let head = read_head(&cache.conn, scope)?;
            cache.heads.insert(scope.to_string(), head.clone());
            out.push(head);
        }
        Ok(out)
    }

    /// Reads `PRAGMA data_version` on the poll connection (which never writes, so every
    /// commit it sees is another's) and forgets the heads read before a change.
    ///
    /// Reading `data_version` takes SQLite's WAL read lock (two fcntl calls, about 8 % of a
    /// poll's time under load), so first the WAL index header is read as plain bytes (one
    /// pread): while it is byte-for-byte what it was at the last read, no commit has
    /// completed since, and the version stands. Any difference — a commit, a checkpoint's
    /// restart, a read that raced a writer — falls through to `data_version`.
    fn poll_seen(cache: &mut PollCache) -> Result<i64, StoreError> {
        use std::os::unix::fs::FileExt;
        let mut header = [0u8; WAL_HEADER];
        let read = cache
            .shm
            .as_ref()
            .is_some_and(|f| f.read_exact_at(&mut header, 0).is_ok());
        if read && cache.version >= 0 && header == cache.shm_seen {
            return Ok(cache.version);
        }
        let version: i64 = cache
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        if version != cache.version {
            cache.heads.clear();
            cache.version = version;
        }
        // The header read before the version: a commit in between changes the header
        // again, so the next poll reads the version once more.
        cache.shm_seen = if read { header } else { [0; WAL_HEADER] };
        Ok(version)
    }

    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let writer = gongkai_db::open(path, Durability::Full, MIGRATIONS)?;
        // Personal data in deleted rows is overwritten, not left in free pages.
        writer.pragma_update(None, "secure_delete", "ON")?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            chain: Mutex::new(None),
            polls: Mutex::new(PollCache {
                conn: gongkai_db::open_reader(path)?,
                version: -1,
                heads: Default::default(),
                // Present while any connection is open (the writer above is); without it
                // every poll reads data_version.
                shm: std::fs::File::open(shm_path(path)).ok(),
                shm_seen: [0; WAL_HEADER],
            }),
        })
    }

    /// A publish at a given time (the clock every entry, version and row records): for
    /// moving a county's data between back-ends and for the conformance suite, which
    /// must see both back-ends produce identical bytes.
    pub fn publish_as_at(
        &self,
        scope: &ScopeId,
        edits: &[Edit],
        by: &Provenance,
        now: i64,
    ) -> Result<ScopeHead, StoreError> {
        let prepared = prepare(edits)?;
        self.with_writer(|c| publish_locked(c, scope, &prepared, by, now))
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.readers.lock().map(|mut p| p.pop()).unwrap_or(None);
        let mut conn = match pooled {
            Some(c) => c,
            None => gongkai_db::open_reader(&self.path)?,
        };
        let out = f(&mut conn);
        if let Ok(mut pool) = self.readers.lock() {
            if pool.len() < 8 {
                pool.push(conn);
            }
        }
        out
    }

    /// A reader connection, for the shared record methods (`records.rs`).
    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn super::sql::Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_reader(|c| f(c))
    }

    /// The writer connection, for the shared record methods (`records.rs`).
    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn super::sql::Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_writer(|c| f(c))
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A poisoned lock means a publish panicked mid-way; SQLite rolled that
        // transaction back, so the connection is still sound.
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

/// SQLite's WAL index beside a database file.
fn shm_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-shm");
    PathBuf::from(name)
}

fn read_head(conn: &Connection, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
    conn.query_row(
        "SELECT name, epoch, seq, state_hash, item_count, floor FROM scopes WHERE scope = ?1",
        [scope.as_str()],
        |r| {
            let hash: Vec<u8> = r.get(3)?;
            Ok(ScopeHead {
                scope: scope.clone(),
                name: r.get(0)?,
                epoch: r.get::<_, i64>(1)? as u64,
                seq: r.get::<_, i64>(2)? as u64,
                state_hash: StateHash::from_slice(&hash).unwrap_or_default(),
                item_count: r.get::<_, i64>(4)? as u64,
                floor: r.get::<_, i64>(5)? as u64,
            })
        },
    )
    .optional()?
    .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))
}

/// Sanitizes the HTML fields of kinds that carry rich text; other bodies pass unchanged.
/// Applies edits in one transaction on the writer connection (see [`Store::publish`]).
fn publish_locked(
    c: &mut Connection,
    scope: &ScopeId,
    edits: &[Edit],
    by: &Provenance,
    now: i64,
) -> Result<ScopeHead, StoreError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let head = publish_in(&tx, scope, edits, by, now)?;
    tx.commit()?;
    Ok(head)
}

/// The body of a publish, inside the caller's transaction (reviews publish and mark the
/// draft approved in one transaction). The logic is `publish::apply`, shared with the
/// PostgreSQL back-end; this is only how SQLite reads and writes its rows.
fn publish_in(
    tx: &Connection,
    scope: &ScopeId,
    edits: &[Edit],
    by: &Provenance,
    now: i64,
) -> Result<ScopeHead, StoreError> {
    let mut head = read_head(tx, scope)?;
    let mut rows = SqliteRows { tx };
    let mut tail = rows.chain_tail()?;
    super::publish::apply(&mut rows, &mut head, &mut tail, edits, by, now)?;
    tx.execute(
        "UPDATE scopes SET seq = ?2, state_hash = ?3, item_count = ?4 WHERE scope = ?1",
        params![
            scope.as_str(),
            head.seq as i64,
            head.state_hash.0.to_vec(),
            head.item_count as i64
        ],
    )?;
    Ok(head)
}

struct SqliteRows<'a> {
    tx: &'a Connection,
}

impl SqliteRows<'_> {
    fn chain_tail(&self) -> Result<(u64, String), StoreError> {
        let last: Option<(i64, String)> = self
            .tx
            .query_row(
                "SELECT n, entry_hash FROM changelog ORDER BY n DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(last
            .map(|(n, h)| (n as u64, h))
            .unwrap_or((0, gongkai_protocol::changelog::GENESIS.to_string())))
    }
}

impl super::publish::PublishRows for SqliteRows<'_> {
    fn current(
        &mut self,
        scope: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<super::publish::Current>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT body, item_hash, updated_at FROM items WHERE scope = ?1 AND kind = ?2 AND id = ?3",
            )?
            .query_row(params![scope, kind, id], |r| {
                Ok(super::publish::Current {
                    body: r.get(0)?,
                    hash: r.get(1)?,
                    at: r.get(2)?,
                })
            })
            .optional()?)
    }

    fn write(&mut self, row: &super::publish::RowWrite<'_>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO items(scope, kind, id, seq, body, item_hash, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(scope, kind, id) DO UPDATE SET
                   seq = excluded.seq, body = excluded.body,
                   item_hash = excluded.item_hash, updated_at = excluded.updated_at",
            )?
            .execute(params![
                row.scope,
                row.kind,
                row.id,
                row.seq as i64,
                row.body,
                row.hash.map(|h| h.to_vec()),
                row.now
            ])?;
        Ok(())
    }

    fn private_id(&mut self, kind: &str, id: &str, number: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO private_ids(kind, id, id_number) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![kind, id, number])?;
        Ok(())
    }

    fn log(&mut self, e: &LogEntry) -> Result<(), StoreError> {
        super::changelog::insert(self.tx, e)
    }
}

impl Store for SqliteStore {
    fn ensure_scope(&self, scope: &ScopeId, name: &str) -> Result<ScopeHead, StoreError> {
        self.with_writer(|c| {
            c.execute(
                "INSERT INTO scopes(scope, name, epoch, state_hash) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT(scope) DO UPDATE SET name = excluded.name",
                params![scope.as_str(), name, StateHash::EMPTY.0.to_vec()],
            )?;
            read_head(c, scope)
        })
    }

    fn items_of_kind(
        &self,
        scope: &ScopeId,
        kind: ContentKind,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.with_reader(|c| {
            let rows = c
                .prepare_cached(
                    "SELECT id, body FROM items WHERE scope = ?1 AND kind = ?2
                       AND body IS NOT NULL ORDER BY id",
                )?
                .query_map(params![scope.as_str(), kind.key()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn verify_changelog(&self) -> Result<ChainReport, StoreError> {
        let version: i64 = {
            let polls = self.polls.lock().unwrap_or_else(|p| p.into_inner());
            polls
                .conn
                .query_row("PRAGMA data_version", [], |r| r.get(0))?
        };
        let mut cached = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, report)) = cached.as_ref() {
            if *at == version {
                return Ok(report.clone());
            }
        }
        let report =
            self.with_reader(|c| super::sql::in_snapshot(c, |c| super::changelog::verify(c)))?;
        *cached = Some((version, report.clone()));
        Ok(report)
    }

    fn head(&self, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
        self.with_reader(|c| read_head(c, scope))
    }

    fn poll_head(&self, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
        let mut heads = self.poll_heads(std::slice::from_ref(scope))?;
        heads
            .pop()
            .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))
    }

    fn poll_heads_now(&self, scopes: &[ScopeId]) -> Option<Result<Vec<ScopeHead>, StoreError>> {
        Some(self.poll_heads(scopes))
    }

    fn poll_version(&self) -> Option<u64> {
        let mut cache = self.polls.lock().unwrap_or_else(|p| p.into_inner());
        Self::poll_seen(&mut cache).ok().map(|v| v as u64)
    }

    fn heads(&self) -> Result<Vec<ScopeHead>, StoreError> {
        self.with_reader(|c| {
            let codes: Vec<String> = c
                .prepare("SELECT scope FROM scopes ORDER BY scope")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            codes
                .iter()
                .filter_map(|code| ScopeId::parse(code).ok())
                .map(|s| read_head(c, &s))
                .collect()
        })
    }

    fn changes(&self, scope: &ScopeId, since: u64, limit: u32) -> Result<ChangesRead, StoreError> {
        self.with_reader(|c| {
            // One read transaction: the page and the head it is bound to come from the
            // same snapshot, so "no more changes" really means "this is the head".
            let tx = c.transaction()?;
            let head = read_head(&tx, scope)?;
            let mut changes = Vec::with_capacity(limit.min(4096) as usize);
            let mut more = false;
            {
                let sql = if since == 0 {
                    "SELECT seq, kind, id, body FROM items
                     WHERE scope = ?1 AND seq > ?2 AND body IS NOT NULL ORDER BY seq LIMIT ?3"
                } else {
                    "SELECT seq, kind, id, body FROM items
                     WHERE scope = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
                };
                let mut stmt = tx.prepare_cached(sql)?;
                let mut rows =
                    stmt.query(params![scope.as_str(), since as i64, i64::from(limit) + 1])?;
                while let Some(r) = rows.next()? {
                    if changes.len() == limit as usize {
                        more = true;
                        break;
                    }
                    let kind_key: String = r.get(1)?;
                    changes.extend(Change::from_stored(
                        r.get::<_, i64>(0)? as u64,
                        &kind_key,
                        r.get(2)?,
                        r.get(3)?,
                    ));
                }
            }
            tx.finish()?;
            Ok(ChangesRead {
                head,
                changes,
                more,
            })
        })
    }

    fn prune_tombstones(&self, scope: &ScopeId, up_to_seq: u64) -> Result<ScopeHead, StoreError> {
        self.with_writer(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM items WHERE scope = ?1 AND body IS NULL AND seq <= ?2",
                params![scope.as_str(), up_to_seq as i64],
            )?;
            tx.execute(
                "UPDATE scopes SET floor = max(floor, ?2) WHERE scope = ?1",
                params![scope.as_str(), up_to_seq as i64],
            )?;
            let head = read_head(&tx, scope)?;
            tx.commit()?;
            Ok(head)
        })
    }

    crate::records::publishing_record_methods!(with_writer, publish_locked, publish_in);

    fn recompute_state_hash(&self, scope: &ScopeId) -> Result<StateHash, StoreError> {
        self.with_reader(|c| {
            let mut stmt = c.prepare(
                "SELECT kind, id, body FROM items WHERE scope = ?1 AND body IS NOT NULL",
            )?;
            let mut rows = stmt.query([scope.as_str()])?;
            let mut hash = StateHash::EMPTY;
            while let Some(r) = rows.next()? {
                let (kind, id, body): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                hash.add_item(&kind, &id, &body);
            }
            Ok(hash)
        })
    }

    crate::records::shared_record_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongkai_model::{Fen, FinanceLine, FinanceLineKind, FinanceStatement};

    fn statement(closing: i64, second_line: i64) -> FinanceStatement {
        let line = |kind, fen| FinanceLine {
            kind,
            date: chrono::NaiveDate::default(),
            category: "办公费".into(),
            description: String::new(),
            amount: Fen(fen),
            vouchers: vec![],
        };
        FinanceStatement {
            village_name: "石桥村".into(),
            period: "2026-10".into(),
            opening: Fen(100_000),
            lines: vec![
                line(FinanceLineKind::Income, 50_000),
                line(FinanceLineKind::Expense, second_line),
            ],
            closing: Fen(closing),
        }
    }

    #[test]
    fn unbalanced_statements_and_unmasked_ids_are_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store =
            SqliteStore::open(&dir.path().join("s.sqlite")).unwrap_or_else(|e| panic!("{e}"));
        let scope = ScopeId::parse("419901102201").unwrap_or_else(|e| panic!("{e}"));
        store
            .ensure_scope(&scope, "石桥村")
            .unwrap_or_else(|e| panic!("{e}"));
        let ok = Edit::put(ContentKind::Finance, "f-ok", &statement(120_000, 30_000));
        let head = store
            .publish(&scope, &[ok])
            .unwrap_or_else(|e| panic!("{e}"));

        let off_by_a_yuan = Edit::put(ContentKind::Finance, "f-bad", &statement(120_100, 30_000));
        let err = store
            .publish(&scope, &[off_by_a_yuan])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("收支不平衡"), "{err}");
        let negative = Edit::put(ContentKind::Finance, "f-neg", &statement(150_000, 0));
        let err = store
            .publish(&scope, &[negative])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("第2行"), "{err}");

        let leak = Edit {
            kind: ContentKind::Notice,
            id: "n".into(),
            body: Some(r#"{"title":"名单","publisher":"村委会","body_html":"<p>王某 419901198001011235</p>","publish_at":"2026-11-01T00:00:00Z","expire_at":null}"#.into()),
            private_id: None,
        };
        match store.publish(&scope, &[leak]) {
            Err(StoreError::UnmaskedId { place, masked, .. }) => {
                assert_eq!(
                    (place.as_str(), masked.as_str()),
                    ("正文", "4199**********1235")
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            store.head(&scope).unwrap_or_else(|e| panic!("{e}")),
            head,
            "nothing changed"
        );
    }
}

#[cfg(test)]
mod rich_text_tests {
    use super::*;

    #[test]
    fn published_rich_text_is_sanitized_before_it_is_stored() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store =
            SqliteStore::open(&dir.path().join("s.sqlite")).unwrap_or_else(|e| panic!("{e}"));
        let scope = ScopeId::parse("419901").unwrap_or_else(|e| panic!("{e}"));
        store
            .ensure_scope(&scope, "云溪县")
            .unwrap_or_else(|e| panic!("{e}"));
        let notice = Edit {
            kind: ContentKind::Notice,
            id: "n".into(),
            body: Some(r#"{"title":"通知","publisher":"县政府","body_html":"<p onclick=\"x()\">停水</p><script>alert(1)</script>","publish_at":"2026-11-01T00:00:00Z","expire_at":null}"#.into()),
            private_id: None,
        };
        store
            .publish(&scope, &[notice])
            .unwrap_or_else(|e| panic!("{e}"));
        let read = store
            .changes(&scope, 0, 10)
            .unwrap_or_else(|e| panic!("{e}"));
        let body = read.changes[0].body.clone().unwrap_or_default();
        assert!(
            body.contains("<p>停水</p>") && !body.contains("script") && !body.contains("onclick"),
            "{body}"
        );
        assert_eq!(
            store.recompute_state_hash(&scope).ok(),
            Some(read.head.state_hash),
            "the hash is of what is stored"
        );
    }
}

#[cfg(test)]
mod poll_tests {
    use super::*;

    #[test]
    fn poll_head_sees_a_commit_from_another_connection_at_once() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("s.sqlite");
        let serving = SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let scope = ScopeId::parse("419901").unwrap_or_else(|e| panic!("{e}"));
        serving
            .ensure_scope(&scope, "云溪县")
            .unwrap_or_else(|e| panic!("{e}"));
        let before = serving.poll_head(&scope).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            serving.poll_head(&scope).ok(),
            Some(before.clone()),
            "cached"
        );
        // Another process (here: another store on the same file, as the CLI would be).
        let other = SqliteStore::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let notice = gongkai_model::Notice {
            title: "通知".into(),
            publisher: "县政府".into(),
            body_html: "<p>x</p>".into(),
            publish_at: chrono::Utc::now(),
            expire_at: None,
            images: vec![],
        };
        let after = other
            .publish(&scope, &[Edit::put(ContentKind::Notice, "n", &notice)])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(serving.poll_head(&scope).ok(), Some(after.clone()));
        assert_ne!(after.seq, before.seq);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod changelog_tests {
    use super::*;
    use gongkai_model::Notice;
    use gongkai_protocol::changelog::LogAction;

    fn notice(title: &str) -> Notice {
        Notice {
            title: title.into(),
            publisher: "石桥村村民委员会".into(),
            body_html: "<p>停水通知</p>".into(),
            publish_at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            expire_at: None,
            images: vec![],
        }
    }

    #[test]
    fn publish_correct_withdraw_are_logged_and_tampering_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        let scope = ScopeId::parse("419901102201").unwrap();
        store.ensure_scope(&scope, "石桥村").unwrap();
        let by = Provenance::user("村干部张");
        store
            .publish_as(
                &scope,
                &[Edit::put(ContentKind::Notice, "n1", &notice("停水"))],
                &by,
            )
            .unwrap();
        // The same content again is no change and no entry.
        store
            .publish_as(
                &scope,
                &[Edit::put(ContentKind::Notice, "n1", &notice("停水"))],
                &by,
            )
            .unwrap();
        store
            .publish(
                &scope,
                &[Edit::put(
                    ContentKind::Notice,
                    "n1",
                    &notice("停水（更正）"),
                )],
            )
            .unwrap();
        store
            .publish(&scope, &[Edit::delete(ContentKind::Notice, "n1")])
            .unwrap();
        store
            .publish(
                &scope,
                &[Edit::put(ContentKind::Notice, "n2", &notice("开会"))],
            )
            .unwrap();

        let history = store
            .item_history(&scope, ContentKind::Notice, "n1")
            .unwrap();
        let actions: Vec<_> = history.iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [LogAction::Publish, LogAction::Correct, LogAction::Withdraw]
        );
        assert_eq!(history[0].actor, "村干部张");
        let report = store.verify_changelog().unwrap();
        // n1 published, corrected (with its history item), withdrawn; n2 published.
        assert_eq!(report.entries, 5);
        let history = store
            .item_history(&scope, ContentKind::History, "notice:n1")
            .unwrap();
        assert_eq!(history.len(), 1);
        assert!(
            report.broken.is_none() && report.unlogged.is_empty(),
            "{report:?}"
        );

        // Someone edits a log row directly in the database: found, at that entry.
        let raw = Connection::open(&path).unwrap();
        raw.execute("UPDATE changelog SET actor = '县领导' WHERE n = 2", [])
            .unwrap();
        let report = store.verify_changelog().unwrap();
        assert_eq!(report.broken.as_ref().map(|b| b.n), Some(2), "{report:?}");
        raw.execute("UPDATE changelog SET actor = 'system' WHERE n = 2", [])
            .unwrap();
        assert!(store.verify_changelog().unwrap().broken.is_none());

        // Someone edits a published item's body without publishing: found by item.
        raw.execute(
            "UPDATE items SET body = replace(body, '开会', '不开会') WHERE id = 'n2'",
            [],
        )
        .unwrap();
        let report = store.verify_changelog().unwrap();
        assert_eq!(report.unlogged, vec!["419901102201/notice/n2".to_string()]);

        // Deleting an entry in the middle breaks the chain there.
        raw.execute("DELETE FROM changelog WHERE n = 3", [])
            .unwrap();
        let report = store.verify_changelog().unwrap();
        assert_eq!(report.broken.as_ref().map(|b| b.n), Some(3), "{report:?}");
    }
}
