//! PostgreSQL back-end, first slice: the content tables and the two operations every
//! kiosk depends on — publish (sequence numbers, state hash) and reading a page of
//! changes with its head in one snapshot. The rest of the `Store` trait follows on this
//! shape; until it does, the server runs on SQLite only.
//!
//! Sequence numbers must be commit-ordered (docs/protocol.md, "Sequence numbers under
//! concurrent publishers"): a kiosk advances its cursor to the head it read, so a change
//! that got a smaller number but committed later would be skipped forever. A PostgreSQL
//! SEQUENCE hands out numbers at `nextval`, not at commit, so it is not used. Instead a
//! publish takes the scope's row lock (`SELECT … FOR UPDATE`) before numbering: publishers
//! of one scope queue on that lock, each reads the seq its predecessor committed, and
//! numbers follow commit order. Publishers of different scopes do not wait for each
//! other. A reader takes the head and the page in one REPEATABLE READ snapshot: every
//! change numbered at or below the head it sees committed before that head did.

use super::{Edit, Provenance, ScopeHead, StoreError};
use gongkai_model::ScopeId;
use gongkai_protocol::changelog::{LogAction, LogEntry};
use gongkai_protocol::{Change, StateHash};
use postgres::{Client, IsolationLevel};

pub const MIGRATION: &str = r#"
CREATE TABLE IF NOT EXISTS scopes (
    scope      TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    epoch      BIGINT NOT NULL,
    seq        BIGINT NOT NULL DEFAULT 0,
    state_hash BYTEA NOT NULL,
    item_count BIGINT NOT NULL DEFAULT 0,
    floor      BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    scope      TEXT NOT NULL REFERENCES scopes(scope),
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    body       TEXT,
    item_hash  BYTEA,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS items_by_seq ON items(scope, seq);
CREATE TABLE IF NOT EXISTS private_ids (
    kind      TEXT NOT NULL,
    id        TEXT NOT NULL,
    id_number TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS changelog (
    n            BIGINT PRIMARY KEY,
    at           BIGINT NOT NULL,
    scope        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    action       TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    actor        TEXT NOT NULL,
    draft        BIGINT,
    prev_hash    TEXT NOT NULL,
    entry_hash   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changelog_by_item ON changelog(scope, kind, item_id, n);
-- The public change log is one chain: its tail is one row every publish locks (after its
-- scope's row, always in that order, so publishers cannot deadlock).
CREATE TABLE IF NOT EXISTS changelog_tail (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    n    BIGINT NOT NULL,
    hash TEXT NOT NULL
);
-- Attachments and photos, by sha256, so every instance serves every blob.
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    bytes  BYTEA NOT NULL
);
INSERT INTO changelog_tail(id, n, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
    ON CONFLICT (id) DO NOTHING;
"#;

pub fn migrate(c: &mut Client) -> Result<(), StoreError> {
    c.batch_execute(MIGRATION)?;
    Ok(())
}

/// Creates the scope at epoch 1 if it does not exist.
pub fn ensure_scope(c: &mut Client, scope: &ScopeId, name: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO scopes(scope, name, epoch, state_hash) VALUES ($1, $2, 1, $3)
         ON CONFLICT (scope) DO UPDATE SET name = excluded.name",
        &[&scope.as_str(), &name, &StateHash::EMPTY.0.to_vec()],
    )?;
    Ok(())
}

/// Publishes `edits` as the system (imports, the demo); see [`publish_as`].
pub fn publish(
    c: &mut Client,
    scope: &ScopeId,
    edits: &[Edit],
    now: i64,
) -> Result<u64, StoreError> {
    publish_as(c, scope, edits, &Provenance::system(), now).map(|h| h.seq)
}

/// Applies `edits` in one transaction, exactly as the SQLite back-end does
/// (`publish::apply`): sequence numbers, state hash, change-log entries, versions.
pub fn publish_as(
    c: &mut Client,
    scope: &ScopeId,
    edits: &[Edit],
    by: &Provenance,
    now: i64,
) -> Result<ScopeHead, StoreError> {
    let prepared = super::publish::prepare(edits)?;
    let mut tx = c.transaction()?;
    // The scope's row lock: publishers of this scope queue here, so numbering follows
    // commit order.
    let row = tx
        .query_opt(
            &format!("SELECT {HEAD_COLUMNS} FROM scopes WHERE scope = $1 FOR UPDATE"),
            &[&scope.as_str()],
        )?
        .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))?;
    let mut head = head_of(scope, &row);
    // Then the change log's tail (always after the scope: no lock cycles).
    let t = tx.query_one(
        "SELECT n, hash FROM changelog_tail WHERE id = 1 FOR UPDATE",
        &[],
    )?;
    let mut tail = (t.get::<_, i64>(0) as u64, t.get::<_, String>(1));
    {
        let mut rows = PgRows::new(&mut tx)?;
        super::publish::apply(&mut rows, &mut head, &mut tail, &prepared, by, now)?;
    }
    tx.execute(
        "UPDATE scopes SET seq = $2, state_hash = $3, item_count = $4 WHERE scope = $1",
        &[
            &scope.as_str(),
            &(head.seq as i64),
            &head.state_hash.0.to_vec(),
            &(head.item_count as i64),
        ],
    )?;
    tx.execute(
        "UPDATE changelog_tail SET n = $1, hash = $2 WHERE id = 1",
        &[&(tail.0 as i64), &tail.1],
    )?;
    tx.commit()?;
    Ok(head)
}

const HEAD_COLUMNS: &str = "name, epoch, seq, state_hash, item_count, floor";

fn head_of(scope: &ScopeId, row: &postgres::Row) -> ScopeHead {
    let hash: Vec<u8> = row.get(3);
    ScopeHead {
        scope: scope.clone(),
        name: row.get(0),
        epoch: row.get::<_, i64>(1) as u64,
        seq: row.get::<_, i64>(2) as u64,
        state_hash: StateHash::from_slice(&hash).unwrap_or_default(),
        item_count: row.get::<_, i64>(4) as u64,
        floor: row.get::<_, i64>(5) as u64,
    }
}

/// Where a scope stands.
pub fn head(c: &mut Client, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
    let row = c
        .query_opt(
            &format!("SELECT {HEAD_COLUMNS} FROM scopes WHERE scope = $1"),
            &[&scope.as_str()],
        )?
        .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))?;
    Ok(head_of(scope, &row))
}

/// The state hash and item count recomputed from the live items (what `verify` checks
/// against the head).
pub fn recompute_state_hash(
    c: &mut Client,
    scope: &ScopeId,
) -> Result<(StateHash, u64), StoreError> {
    let mut hash = StateHash::EMPTY;
    let mut n = 0;
    for r in c.query(
        "SELECT kind, id, body FROM items WHERE scope = $1 AND body IS NOT NULL",
        &[&scope.as_str()],
    )? {
        let (kind, id, body): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        hash.add_item(&kind, &id, &body);
        n += 1;
    }
    Ok((hash, n))
}

/// An item's entries in the change log, oldest first.
pub fn item_history(
    c: &mut Client,
    scope: &ScopeId,
    kind: gongkai_model::ContentKind,
    id: &str,
) -> Result<Vec<LogEntry>, StoreError> {
    let rows = c.query(
        &format!(
            "SELECT {LOG_COLUMNS} FROM changelog WHERE scope = $1 AND kind = $2 AND item_id = $3
             ORDER BY n"
        ),
        &[&scope.as_str(), &kind.key(), &id],
    )?;
    Ok(rows.iter().map(log_entry).collect())
}

/// How PostgreSQL reads and writes the rows of a publish (statements prepared once per
/// publish).
struct PgRows<'t, 'c> {
    tx: &'t mut postgres::Transaction<'c>,
    current: postgres::Statement,
    write: postgres::Statement,
    private: postgres::Statement,
    log: postgres::Statement,
}

impl<'t, 'c> PgRows<'t, 'c> {
    fn new(tx: &'t mut postgres::Transaction<'c>) -> Result<Self, StoreError> {
        let current = tx.prepare(
            "SELECT body, item_hash, updated_at FROM items WHERE scope = $1 AND kind = $2 AND id = $3",
        )?;
        let write = tx.prepare(
            "INSERT INTO items(scope, kind, id, seq, body, item_hash, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (scope, kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body,
                 item_hash = excluded.item_hash, updated_at = excluded.updated_at",
        )?;
        let private = tx.prepare(
            "INSERT INTO private_ids(kind, id, id_number) VALUES ($1, $2, $3)
             ON CONFLICT (kind, id) DO UPDATE SET id_number = excluded.id_number",
        )?;
        let log = tx.prepare(
            "INSERT INTO changelog(n, at, scope, kind, item_id, title, action, seq, content_hash,
                                   actor, draft, prev_hash, entry_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )?;
        Ok(PgRows {
            tx,
            current,
            write,
            private,
            log,
        })
    }
}

impl super::publish::PublishRows for PgRows<'_, '_> {
    fn current(
        &mut self,
        scope: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<super::publish::Current>, StoreError> {
        Ok(self
            .tx
            .query_opt(&self.current, &[&scope, &kind, &id])?
            .map(|r| super::publish::Current {
                body: r.get(0),
                hash: r.get(1),
                at: r.get(2),
            }))
    }

    fn write(&mut self, row: &super::publish::RowWrite<'_>) -> Result<(), StoreError> {
        self.tx.execute(
            &self.write,
            &[
                &row.scope,
                &row.kind,
                &row.id,
                &(row.seq as i64),
                &row.body,
                &row.hash.map(|h| h.to_vec()),
                &row.now,
            ],
        )?;
        Ok(())
    }

    fn private_id(&mut self, kind: &str, id: &str, number: &str) -> Result<(), StoreError> {
        self.tx.execute(&self.private, &[&kind, &id, &number])?;
        Ok(())
    }

    fn log(&mut self, e: &LogEntry) -> Result<(), StoreError> {
        self.tx.execute(
            &self.log,
            &[
                &(e.n as i64),
                &e.at,
                &e.scope,
                &e.kind,
                &e.item_id,
                &e.title,
                &e.action.key(),
                &(e.seq as i64),
                &e.content_hash,
                &e.actor,
                &e.draft,
                &e.prev_hash,
                &e.entry_hash,
            ],
        )?;
        Ok(())
    }
}

const LOG_COLUMNS: &str = "n, at, scope, kind, item_id, title, action, seq, content_hash, \
     actor, draft, prev_hash, entry_hash";

fn log_entry(r: &postgres::Row) -> LogEntry {
    LogEntry {
        n: r.get::<_, i64>(0) as u64,
        at: r.get(1),
        scope: r.get(2),
        kind: r.get(3),
        item_id: r.get(4),
        title: r.get(5),
        // An unknown action fails the chain's verification rather than vanishing.
        action: LogAction::from_key(&r.get::<_, String>(6)).unwrap_or(LogAction::Publish),
        seq: r.get::<_, i64>(7) as u64,
        content_hash: r.get(8),
        actor: r.get(9),
        draft: r.get(10),
        prev_hash: r.get(11),
        entry_hash: r.get(12),
    }
}

/// Change-log entries after `after`, in order.
pub fn changelog(c: &mut Client, after: u64, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
    let rows = c.query(
        &format!("SELECT {LOG_COLUMNS} FROM changelog WHERE n > $1 ORDER BY n LIMIT $2"),
        &[&(after as i64), &i64::from(limit)],
    )?;
    Ok(rows.iter().map(log_entry).collect())
}

/// What a reader sees in one snapshot: the head and the changes after `since`.
#[derive(Debug, Clone)]
pub struct PageRead {
    pub seq: u64,
    pub state_hash: StateHash,
    pub item_count: u64,
    pub changes: Vec<Change>,
    pub more: bool,
}

/// The head and up to `limit` changes after `since`, read in one REPEATABLE READ
/// snapshot (so nothing numbered at or below the head can be missing from it).
pub fn changes(
    c: &mut Client,
    scope: &ScopeId,
    since: u64,
    limit: u32,
) -> Result<PageRead, StoreError> {
    let mut tx = c
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let head = tx
        .query_opt(
            "SELECT seq, state_hash, item_count FROM scopes WHERE scope = $1",
            &[&scope.as_str()],
        )?
        .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))?;
    let head_seq: i64 = head.get(0);
    let rows = tx.query(
        // From cursor 0 (a kiosk's first sync) withdrawals are of no use: live items
        // only, as on SQLite.
        "SELECT seq, kind, id, body FROM items WHERE scope = $1 AND seq > $2 AND seq <= $3
         AND ($2 > 0 OR body IS NOT NULL) ORDER BY seq LIMIT $4",
        &[
            &scope.as_str(),
            &(since as i64),
            &head_seq,
            &(i64::from(limit) + 1),
        ],
    )?;
    let more = rows.len() > limit as usize;
    let mut out = Vec::new();
    for r in rows.iter().take(limit as usize) {
        let kind: String = r.get(1);
        out.extend(Change::from_stored(
            r.get::<_, i64>(0) as u64,
            &kind,
            r.get(2),
            r.get(3),
        ));
    }
    tx.commit()?;
    let hash: Vec<u8> = head.get(1);
    Ok(PageRead {
        seq: head_seq as u64,
        state_hash: StateHash::from_slice(&hash).unwrap_or_default(),
        item_count: head.get::<_, i64>(2) as u64,
        changes: out,
        more,
    })
}

/// Stores a blob under its sha256; answers the name.
pub fn put_blob(c: &mut Client, bytes: &[u8]) -> Result<String, StoreError> {
    let name = gongkai_protocol::sha256_hex(bytes);
    c.execute(
        "INSERT INTO blobs(sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING",
        &[&name, &bytes],
    )?;
    Ok(name)
}

/// A blob's bytes, checked against its name (a damaged row is an error, never served).
pub fn blob(c: &mut Client, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    if !gongkai_protocol::is_blob_name(name) {
        return Ok(None);
    }
    let Some(row) = c.query_opt("SELECT bytes FROM blobs WHERE sha256 = $1", &[&name])? else {
        return Ok(None);
    };
    let bytes: Vec<u8> = row.get(0);
    if gongkai_protocol::sha256_hex(&bytes) != name {
        return Err(StoreError::Refused(format!("附件 {name} 已损坏")));
    }
    Ok(Some(bytes))
}

/// The blobs of a data directory's blob store: `(name, path)` of every file named by a
/// sha256, two levels deep as `BlobStore` keeps them.
fn blob_files(dir: &std::path::Path) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    for sub in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(sub.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = f.file_name().to_string_lossy().into_owned();
            if gongkai_protocol::is_blob_name(&name) {
                out.push((name, f.path()));
            }
        }
    }
    out.sort();
    out
}

/// What `migrate-to-postgres` moved, once every count and hash compared equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub scopes: u64,
    pub items: u64,
    pub private_ids: u64,
    pub changelog: u64,
    pub blobs: u64,
}

/// Tables PostgreSQL does not hold yet: a county with rows in them cannot move whole.
const NOT_YET: &[&str] = &[
    "users",
    "sessions",
    "staff_tokens",
    "complaints",
    "complaint_events",
    "complaint_pauses",
    "drafts",
    "draft_edits",
    "imports",
    "cadre_codes",
    "kiosk_sessions",
    "kiosks",
    "enroll_tokens",
    "display_log",
    "fleet_alerts",
    "releases",
];

/// Moves a county's published content, attachments (blobs), private IDs and public change
/// log from its SQLite file and blob directory into an empty PostgreSQL database, in one
/// transaction, then compares:
/// every scope's head field by field, every scope's state hash recomputed from the moved
/// items, and the change log entry by entry (and its chain verified). Refuses a target
/// that already holds content, and — unless `content_only` — a county whose other tables
/// (users, filings, drafts, the fleet) have rows, since those do not move yet.
pub fn migrate_from_sqlite(
    sqlite: &super::SqliteStore,
    sqlite_path: &std::path::Path,
    blob_dir: &std::path::Path,
    c: &mut Client,
    content_only: bool,
) -> Result<Migrated, StoreError> {
    use rusqlite::OptionalExtension;
    let src = gongkai_db::open_reader(sqlite_path)?;
    let mut held = Vec::new();
    for table in NOT_YET {
        let n: Option<i64> = src
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .optional()
            .unwrap_or(None);
        if n.unwrap_or(0) > 0 {
            held.push(format!("{table} ({} 行)", n.unwrap_or(0)));
        }
    }
    if !held.is_empty() && !content_only {
        return Err(StoreError::Refused(format!(
            "这些数据还不能迁到 PostgreSQL：{}。只迁公开内容和公开记录请加 --content-only。",
            held.join("、")
        )));
    }
    migrate(c)?;
    let existing: i64 = c.query_one("SELECT count(*) FROM scopes", &[])?.get(0);
    let logged: i64 = c.query_one("SELECT count(*) FROM changelog", &[])?.get(0);
    if existing > 0 || logged > 0 {
        return Err(StoreError::Refused(
            "目标数据库已有内容，不能迁入（请用空数据库）".into(),
        ));
    }
    // Every blob file must still be what its name says before anything moves.
    let files = blob_files(blob_dir);
    let mut blobs = Vec::with_capacity(files.len());
    for (name, path) in &files {
        let bytes = std::fs::read(path)?;
        if gongkai_protocol::sha256_hex(&bytes) != *name {
            return Err(StoreError::Refused(format!(
                "附件文件 {} 与其摘要不符，迁移前请先修复",
                path.display()
            )));
        }
        blobs.push((name.clone(), bytes));
    }
    let mut out = Migrated {
        scopes: 0,
        items: 0,
        private_ids: 0,
        changelog: 0,
        blobs: 0,
    };
    let mut tx = c.transaction()?;
    {
        let put_scope = tx.prepare(
            "INSERT INTO scopes(scope, name, epoch, seq, state_hash, item_count, floor)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )?;
        let mut q = src.prepare(
            "SELECT scope, name, epoch, seq, state_hash, item_count, floor FROM scopes ORDER BY scope",
        )?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let (scope, name, epoch, seq, hash, count, floor): (
                String,
                String,
                i64,
                i64,
                Vec<u8>,
                i64,
                i64,
            ) = (
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            );
            tx.execute(
                &put_scope,
                &[&scope, &name, &epoch, &seq, &hash, &count, &floor],
            )?;
            out.scopes += 1;
        }
        let put_item = tx.prepare(
            "INSERT INTO items(scope, kind, id, seq, body, item_hash, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )?;
        let mut q = src.prepare(
            "SELECT scope, kind, id, seq, body, item_hash, updated_at FROM items ORDER BY scope, seq",
        )?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let (scope, kind, id, seq): (String, String, String, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let (body, hash, at): (Option<String>, Option<Vec<u8>>, i64) =
                (r.get(4)?, r.get(5)?, r.get(6)?);
            tx.execute(&put_item, &[&scope, &kind, &id, &seq, &body, &hash, &at])?;
            out.items += 1;
        }
        let put_private =
            tx.prepare("INSERT INTO private_ids(kind, id, id_number) VALUES ($1, $2, $3)")?;
        let mut q = src.prepare("SELECT kind, id, id_number FROM private_ids")?;
        let mut rows = q.query([])?;
        while let Some(r) = rows.next()? {
            let (kind, id, number): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            tx.execute(&put_private, &[&kind, &id, &number])?;
            out.private_ids += 1;
        }
        let put_blob_stmt = tx.prepare("INSERT INTO blobs(sha256, bytes) VALUES ($1, $2)")?;
        for (name, bytes) in &blobs {
            tx.execute(&put_blob_stmt, &[name, bytes])?;
            out.blobs += 1;
        }
        let mut rows_out = Vec::new();
        let mut after = 0;
        loop {
            let page = super::Store::changelog(sqlite, after, 10_000)?;
            let Some(last) = page.last() else { break };
            after = last.n;
            rows_out.extend(page);
        }
        let mut rows = PgRows::new(&mut tx)?;
        for e in &rows_out {
            super::publish::PublishRows::log(&mut rows, e)?;
        }
        out.changelog = rows_out.len() as u64;
        if let Some(last) = rows_out.last() {
            tx.execute(
                "UPDATE changelog_tail SET n = $1, hash = $2 WHERE id = 1",
                &[&(last.n as i64), &last.entry_hash],
            )?;
        }
    }
    tx.commit()?;
    verify_migration(sqlite, c)?;
    // Every blob arrived, and PostgreSQL's own sha256 agrees with every name.
    let (n, bad): (i64, i64) = {
        let r = c.query_one(
            "SELECT count(*), count(*) FILTER (WHERE encode(sha256(bytes), 'hex') <> sha256)
             FROM blobs",
            &[],
        )?;
        (r.get(0), r.get(1))
    };
    if n as u64 != out.blobs || bad != 0 {
        return Err(StoreError::Refused(format!(
            "迁移后核对不一致：附件 {n} 个（应为 {}），其中 {bad} 个与摘要不符",
            out.blobs
        )));
    }
    Ok(out)
}

/// Compares what moved with where it came from; the first difference is an error.
fn verify_migration(sqlite: &super::SqliteStore, c: &mut Client) -> Result<(), StoreError> {
    use super::Store;
    let differs = |what: String| StoreError::Refused(format!("迁移后核对不一致：{what}"));
    for h in sqlite.heads()? {
        if head(c, &h.scope)? != h {
            return Err(differs(format!("{} 的状态", h.scope)));
        }
        if recompute_state_hash(c, &h.scope)? != (h.state_hash, h.item_count) {
            return Err(differs(format!("{} 的内容摘要", h.scope)));
        }
    }
    let mut after = 0;
    let mut prev = (0, gongkai_protocol::changelog::GENESIS.to_string());
    loop {
        let a = sqlite.changelog(after, 10_000)?;
        let b = changelog(c, after, 10_000)?;
        if a != b {
            return Err(differs(format!("第 {} 条之后的公开记录", after)));
        }
        let Some(last) = b.last() else { break };
        prev = gongkai_protocol::changelog::verify_chain(prev, &b)
            .map_err(|e| differs(e.to_string()))?;
        after = last.n;
    }
    Ok(())
}
