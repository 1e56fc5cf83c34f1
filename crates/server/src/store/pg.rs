//! The PostgreSQL back-end: the whole [`Store`] on PostgreSQL, for a province running
//! several server instances against one database. Chosen with a `postgres://` URL
//! (`gongkai-server serve --db …`); SQLite stays the embedded default.
//!
//! What it shares with SQLite: the publish logic (`publish::apply`) and every statement
//! of the console, complaint, fleet and change-log tables (`sql.rs`). What is its own:
//! the schema, how a publish locks, how a page is read, the pool, the head cache.
//!
//! Sequence numbers must be commit-ordered (docs/protocol.md, "Sequence numbers under
//! concurrent publishers"): a kiosk advances its cursor to the head it read, so a change
//! that got a smaller number but committed later would be skipped forever. A PostgreSQL
//! SEQUENCE hands out numbers at `nextval`, not at commit, so it is not used. Instead a
//! publish takes the scope's row lock (`SELECT … FOR UPDATE`) before numbering: publishers
//! of one scope queue on that lock, each reads the seq its predecessor committed, and
//! numbers follow commit order. A reader takes the head and the page in one REPEATABLE
//! READ snapshot: every change numbered at or below the head it sees committed before
//! that head did.
//!
//! Nothing an instance keeps in memory can go wrong when a request lands on another:
//! sessions, login failures and rate limits are rows; the only cache (heads for polls)
//! is emptied by a NOTIFY that every publish sends at commit, and not used at all while
//! the instance's LISTEN connection is down.

use super::records::now_unix;
use super::sql::{args, in_snapshot, in_tx, PgConn, Row, Sql, Value};
use super::{
    ChainReport, ChangesRead, DraftRow, Edit, Provenance, ScopeHead, Store, StoreError, User,
};
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::changelog::LogEntry;
use gongkai_protocol::{Change, StateHash};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// The schema, one step per entry; `schema_version` records how many have run.
pub const MIGRATIONS: &[&str] = &[
    // 1: published content, private IDs, the change log and attachments.
    r#"
CREATE TABLE IF NOT EXISTS scopes (
    scope      TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    epoch      BIGINT NOT NULL,
    seq        BIGINT NOT NULL DEFAULT 0,
    state_hash BYTEA NOT NULL,
    item_count BIGINT NOT NULL DEFAULT 0,
    floor      BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    scope      TEXT COLLATE "C" NOT NULL REFERENCES scopes(scope),
    kind       TEXT NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
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
    scope        TEXT COLLATE "C" NOT NULL,
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
"#,
    // 2: filings and staff tokens. Serial columns named `rowid` stand in for SQLite's
    // implicit one where statements order by it.
    r#"
CREATE TABLE complaints (
    id            BIGSERIAL PRIMARY KEY,
    client_uuid   TEXT NOT NULL UNIQUE,
    code          TEXT NOT NULL UNIQUE,
    kiosk_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    subject       TEXT NOT NULL,
    text          TEXT NOT NULL,
    contact_name  TEXT,
    contact_phone TEXT,
    office        TEXT NOT NULL,
    status        TEXT NOT NULL,
    filed_at      BIGINT NOT NULL,
    received_at   BIGINT NOT NULL,
    received_on   TEXT NOT NULL,
    due_on        TEXT,
    answer        TEXT,
    extended      BIGINT NOT NULL DEFAULT 0,
    limit_days    BIGINT
);
CREATE INDEX complaints_by_office ON complaints(office, due_on);
CREATE TABLE complaint_events (
    rowid        BIGSERIAL PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints(id),
    at           BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX complaint_events_by_filing ON complaint_events(complaint_id);
CREATE TABLE complaint_pauses (
    complaint_id BIGINT NOT NULL REFERENCES complaints(id),
    from_date    TEXT NOT NULL,
    until_date   TEXT
);
CREATE TABLE staff_tokens (
    token_hash TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    office     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked    BIGINT NOT NULL DEFAULT 0
);
"#,
    // 3: the console: accounts, sessions, failures and rate counters, imports, drafts,
    // cadre codes and kiosk sessions.
    r#"
CREATE TABLE users (
    id           BIGSERIAL PRIMARY KEY,
    username     TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    office       TEXT NOT NULL,
    pw_hash      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    disabled     BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    csrf         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures(key, at);
CREATE INDEX login_failures_by_at ON login_failures(at);
CREATE TABLE imports (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    scope      TEXT NOT NULL,
    list_kind  TEXT NOT NULL,
    filename   TEXT NOT NULL,
    meta       TEXT NOT NULL,
    mapping    TEXT,
    upload     BYTEA,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    draft      BIGINT
);
CREATE TABLE drafts (
    id          BIGSERIAL PRIMARY KEY,
    scope       TEXT COLLATE "C" NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    source      TEXT NOT NULL,
    author_id   BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    status      TEXT NOT NULL,
    reviewer_id BIGINT REFERENCES users(id),
    reviewed_at BIGINT,
    reason      TEXT NOT NULL DEFAULT '',
    client_id   TEXT
);
CREATE INDEX drafts_by_status ON drafts(status, scope);
CREATE UNIQUE INDEX drafts_by_client ON drafts(client_id);
CREATE TABLE draft_edits (
    draft_id   BIGINT NOT NULL REFERENCES drafts(id),
    n          BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    body       TEXT,
    private_id TEXT,
    PRIMARY KEY (draft_id, n)
);
CREATE TABLE cadre_codes (
    code_sha256 TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    scope       TEXT NOT NULL,
    kiosk_id    TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE TABLE kiosk_sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    scope        TEXT NOT NULL,
    kiosk_id     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
"#,
    // 4: the fleet.
    r#"
CREATE TABLE enroll_tokens (
    token_sha256 TEXT PRIMARY KEY,
    kiosk_id     TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_by   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE TABLE kiosks (
    kiosk_id          TEXT COLLATE "C" PRIMARY KEY,
    scope             TEXT COLLATE "C" NOT NULL,
    public_key        TEXT NOT NULL,
    enrolled_at       BIGINT NOT NULL,
    app_version       TEXT NOT NULL DEFAULT '',
    last_counter      BIGINT NOT NULL DEFAULT 0,
    last_seen_at      BIGINT,
    report            TEXT,
    display_seq       BIGINT NOT NULL DEFAULT 0,
    display_hash      TEXT NOT NULL,
    remote_config     TEXT,
    screenshot_wanted BIGINT,
    screenshot        BYTEA,
    screenshot_at     BIGINT
);
CREATE INDEX kiosks_by_scope ON kiosks(scope);
CREATE TABLE display_log (
    kiosk_id  TEXT NOT NULL,
    key       TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    event     TEXT NOT NULL,
    items     TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, key, seq)
);
CREATE TABLE fleet_alerts (
    id         BIGSERIAL PRIMARY KEY,
    kiosk_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    raised_at  BIGINT NOT NULL,
    cleared_at BIGINT
);
CREATE UNIQUE INDEX fleet_alerts_open ON fleet_alerts(kiosk_id, kind) WHERE cleared_at IS NULL;
CREATE TABLE releases (
    rowid        BIGSERIAL,
    package      TEXT NOT NULL,
    version      TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (package, version)
);
"#,
    // 5: alert events waiting for the webhook.
    r#"
CREATE TABLE webhook_outbox (
    id           BIGSERIAL PRIMARY KEY,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    next_at      BIGINT NOT NULL,
    delivered_at BIGINT,
    given_up     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_at) WHERE delivered_at IS NULL AND given_up = 0;
"#,
    // 6: the year without entered holidays a deadline was counted across.
    "ALTER TABLE complaints ADD COLUMN due_provisional BIGINT;",
];

/// Brings the schema up to date. Instances starting together against an empty database
/// queue on a transaction-scoped advisory lock: one migrates, the others then find the
/// version current.
pub fn migrate(c: &mut PgConn) -> Result<(), StoreError> {
    in_tx(c, |c| {
        c.batch("SELECT pg_advisory_xact_lock(7101)")?;
        c.batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
        let done = c
            .row("SELECT max(version) FROM schema_version", &[])?
            .map(|r| r.opt_int(0))
            .transpose()?
            .flatten()
            .unwrap_or(0)
            .max(0) as usize;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(done) {
            c.batch(step)?;
            c.exec(
                "INSERT INTO schema_version(version) VALUES (?1)",
                args![(i + 1) as i64],
            )?;
        }
        Ok(())
    })
}

/// Creates the scope at epoch 1 if it does not exist, else renames it.
pub fn ensure_scope(c: &mut PgConn, scope: &ScopeId, name: &str) -> Result<ScopeHead, StoreError> {
    in_tx(c, |c| {
        c.exec(
            "INSERT INTO scopes(scope, name, epoch, state_hash) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (scope) DO UPDATE SET name = excluded.name",
            args![scope.as_str(), name, StateHash::EMPTY.0.to_vec()],
        )?;
        notify_head(c, scope)?;
        head(c, scope)
    })
}

/// Tells every instance (at commit) that a scope's head changed.
fn notify_head(c: &mut PgConn, scope: &ScopeId) -> Result<(), StoreError> {
    c.rows(
        &format!("SELECT pg_notify('{HEADS_CHANNEL}', ?1)"),
        args![scope.as_str()],
    )?;
    Ok(())
}

const HEADS_CHANNEL: &str = "gongkai_heads";

/// Publishes `edits` as the system (imports, the demo); see [`publish_as`].
pub fn publish(
    c: &mut PgConn,
    scope: &ScopeId,
    edits: &[Edit],
    now: i64,
) -> Result<u64, StoreError> {
    publish_as(c, scope, edits, &Provenance::system(), now).map(|h| h.seq)
}

/// Applies `edits` in one transaction, exactly as the SQLite back-end does
/// (`publish::apply`): sequence numbers, state hash, change-log entries, versions.
pub fn publish_as(
    c: &mut PgConn,
    scope: &ScopeId,
    edits: &[Edit],
    by: &Provenance,
    now: i64,
) -> Result<ScopeHead, StoreError> {
    let prepared = super::publish::prepare(edits)?;
    in_tx(c, |c| publish_in(c, scope, &prepared, by, now))
}

/// The body of a publish inside the caller's transaction (a review publishes and marks
/// its draft in one).
fn publish_in(
    c: &mut PgConn,
    scope: &ScopeId,
    prepared: &[Edit],
    by: &Provenance,
    now: i64,
) -> Result<ScopeHead, StoreError> {
    // The scope's row lock: publishers of this scope queue here, so numbering follows
    // commit order.
    let row = c
        .row(
            &format!("SELECT {HEAD_COLUMNS} FROM scopes WHERE scope = ?1 FOR UPDATE"),
            args![scope.as_str()],
        )?
        .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))?;
    let mut head = head_of(scope, &row)?;
    // The items and the head first, under the scope's lock only, with the change-log
    // entries kept aside: publishers of other scopes do this part at the same time.
    let before = head.seq;
    let mut rows = Buffered {
        rows: super::publish::SqlRows(&mut *c),
        log: Vec::new(),
    };
    let mut provisional = (0, String::new());
    super::publish::apply(&mut rows, &mut head, &mut provisional, prepared, by, now)?;
    let mut log = rows.log;
    if head.seq == before {
        return Ok(head); // Nothing changed: no write, no notification.
    }
    // The new head, and the notification every instance gets at commit, in one statement.
    c.exec(
        &format!(
            "UPDATE scopes SET seq = ?2, state_hash = ?3, item_count = ?4 WHERE scope = ?1
             RETURNING pg_notify('{HEADS_CHANNEL}', scope)"
        ),
        args![
            scope.as_str(),
            head.seq,
            head.state_hash.0.to_vec(),
            head.item_count
        ],
    )?;
    // Then the change log's tail (always after the scope: no lock cycles), held only to
    // chain the entries onto it and store them with the new tail: the province-wide part
    // of a publish is two statements and the commit.
    let t = c
        .row(
            "SELECT n, hash FROM changelog_tail WHERE id = 1 FOR UPDATE",
            &[],
        )?
        .ok_or_else(|| StoreError::Column("changelog_tail has no row".into()))?;
    let mut tail = (t.uint(0)?, t.text(1)?);
    for e in &mut log {
        e.n = tail.0 + 1;
        e.prev_hash = tail.1.clone();
        e.entry_hash = e.compute_hash();
        tail = (e.n, e.entry_hash.clone());
    }
    insert_log(c, &log, tail)?;
    Ok(head)
}

/// A publish's rows, its change-log entries held back until the tail is locked.
struct Buffered<'a> {
    rows: super::publish::SqlRows<'a, PgConn>,
    log: Vec<LogEntry>,
}

impl super::publish::PublishRows for Buffered<'_> {
    fn current(
        &mut self,
        scope: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<super::publish::Current>, StoreError> {
        self.rows.current(scope, kind, id)
    }

    fn write(&mut self, row: &super::publish::RowWrite<'_>) -> Result<(), StoreError> {
        self.rows.write(row)
    }

    fn private_id(&mut self, kind: &str, id: &str, number: &str) -> Result<(), StoreError> {
        self.rows.private_id(kind, id, number)
    }

    fn log(&mut self, entry: &LogEntry) -> Result<(), StoreError> {
        self.log.push(entry.clone());
        Ok(())
    }
}

/// Stores change-log entries (column arrays, unnested, however many) and moves the tail
/// to `tail`, in one statement.
fn insert_log(c: &mut PgConn, log: &[LogEntry], tail: (u64, String)) -> Result<(), StoreError> {
    let ints = |f: &dyn Fn(&LogEntry) -> i64| log.iter().map(f).collect::<Vec<i64>>();
    let texts = |f: &dyn Fn(&LogEntry) -> &str| {
        log.iter()
            .map(|e| f(e).to_string())
            .collect::<Vec<String>>()
    };
    let (n, at, seq) = (
        ints(&|e| e.n as i64),
        ints(&|e| e.at),
        ints(&|e| e.seq as i64),
    );
    let draft: Vec<Option<i64>> = log.iter().map(|e| e.draft).collect();
    let action = texts(&|e| e.action.key());
    let (scope, kind, item, title) = (
        texts(&|e| &e.scope),
        texts(&|e| &e.kind),
        texts(&|e| &e.item_id),
        texts(&|e| &e.title),
    );
    let (content, actor, prev, hash) = (
        texts(&|e| &e.content_hash),
        texts(&|e| &e.actor),
        texts(&|e| &e.prev_hash),
        texts(&|e| &e.entry_hash),
    );
    let (tail_n, tail_hash) = (tail.0 as i64, tail.1);
    c.client.execute(
        "WITH logged AS (
             INSERT INTO changelog(n, at, scope, kind, item_id, title, action, seq,
                                   content_hash, actor, draft, prev_hash, entry_hash)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                 $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[],
                 $11::bigint[], $12::text[], $13::text[]))
         UPDATE changelog_tail SET n = $14, hash = $15 WHERE id = 1",
        &[
            &n, &at, &scope, &kind, &item, &title, &action, &seq, &content, &actor, &draft, &prev,
            &hash, &tail_n, &tail_hash,
        ],
    )?;
    Ok(())
}

const HEAD_COLUMNS: &str = "name, epoch, seq, state_hash, item_count, floor";

fn head_of(scope: &ScopeId, row: &Row) -> Result<ScopeHead, StoreError> {
    Ok(ScopeHead {
        scope: scope.clone(),
        name: row.text(0)?,
        epoch: row.uint(1)?,
        seq: row.uint(2)?,
        state_hash: StateHash::from_slice(&row.opt_bytes(3)?.unwrap_or_default())
            .unwrap_or_default(),
        item_count: row.uint(4)?,
        floor: row.uint(5)?,
    })
}

/// Where a scope stands.
pub fn head(c: &mut PgConn, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
    let row = c
        .row(
            &format!("SELECT {HEAD_COLUMNS} FROM scopes WHERE scope = ?1"),
            args![scope.as_str()],
        )?
        .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))?;
    head_of(scope, &row)
}

/// The state hash and item count recomputed from the live items (what `verify` checks
/// against the head).
pub fn recompute_state_hash(
    c: &mut PgConn,
    scope: &ScopeId,
) -> Result<(StateHash, u64), StoreError> {
    let mut hash = StateHash::EMPTY;
    let mut n = 0;
    c.each(
        "SELECT kind, id, body FROM items WHERE scope = ?1 AND body IS NOT NULL",
        args![scope.as_str()],
        &mut |r| {
            hash.add_item(&r.text(0)?, &r.text(1)?, &r.text(2)?);
            n += 1;
            Ok(())
        },
    )?;
    Ok((hash, n))
}

/// The head and up to `limit` changes after `since`, read in one REPEATABLE READ
/// snapshot (so nothing numbered at or below the head can be missing from it).
pub fn changes(
    c: &mut PgConn,
    scope: &ScopeId,
    since: u64,
    limit: u32,
) -> Result<ChangesRead, StoreError> {
    in_snapshot(c, |c| {
        let head = head(c, scope)?;
        let rows = c.rows(
            // From cursor 0 (a kiosk's first sync) withdrawals are of no use: live items
            // only, as on SQLite.
            "SELECT seq, kind, id, body FROM items WHERE scope = ?1 AND seq > ?2 AND seq <= ?3
             AND (?2 > 0 OR body IS NOT NULL) ORDER BY seq LIMIT ?4",
            args![scope.as_str(), since, head.seq, i64::from(limit) + 1],
        )?;
        let more = rows.len() > limit as usize;
        let mut changes = Vec::with_capacity(rows.len().min(limit as usize));
        for r in rows.iter().take(limit as usize) {
            changes.extend(Change::from_stored(
                r.uint(0)?,
                &r.text(1)?,
                r.text(2)?,
                r.opt_text(3)?,
            ));
        }
        Ok(ChangesRead {
            head,
            changes,
            more,
        })
    })
}

/// Stores a blob under its sha256; answers the name.
pub fn put_blob(c: &mut PgConn, bytes: &[u8]) -> Result<String, StoreError> {
    let name = gongkai_protocol::sha256_hex(bytes);
    c.exec(
        "INSERT INTO blobs(sha256, bytes) VALUES (?1, ?2) ON CONFLICT (sha256) DO NOTHING",
        args![name.as_str(), bytes],
    )?;
    Ok(name)
}

/// A blob's bytes, checked against its name (a damaged row is an error, never served).
pub fn blob(c: &mut PgConn, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
    if !gongkai_protocol::is_blob_name(name) {
        return Ok(None);
    }
    let Some(row) = c.row("SELECT bytes FROM blobs WHERE sha256 = ?1", args![name])? else {
        return Ok(None);
    };
    let bytes = row.opt_bytes(0)?.unwrap_or_default();
    if gongkai_protocol::sha256_hex(&bytes) != name {
        return Err(StoreError::Refused(format!("附件 {name} 已损坏")));
    }
    Ok(Some(bytes))
}

// --- The store ------------------------------------------------------------------------

/// Connections, at most `max` open; a caller waits for one when all are busy.
struct Pool {
    url: String,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<PgConn>,
    open: usize,
}

/// An open slot in the pool: given back (or, if its connection broke, freed) on drop, so
/// a panic in a caller cannot leak a slot.
struct Lease<'p> {
    pool: &'p Pool,
    conn: Option<PgConn>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut st = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
        match self.conn.take() {
            Some(c) if !c.client.is_closed() && !std::thread::panicking() => st.idle.push(c),
            _ => st.open -= 1,
        }
        self.pool.freed.notify_one();
    }
}

impl Pool {
    fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = st.idle.pop() {
                return Ok(Lease {
                    pool: self,
                    conn: Some(c),
                });
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                // The slot is counted before connecting; a failed connect gives it back.
                let mut lease = Lease {
                    pool: self,
                    conn: None,
                };
                lease.conn = Some(PgConn::connect(&self.url)?);
                return Ok(lease);
            }
            st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Heads for the polling hot path, valid while the LISTEN connection is up.
#[derive(Default)]
struct HeadCache {
    live: bool,
    /// Bumped by every notification: a head read before a bump is not cached after it.
    generation: u64,
    heads: HashMap<String, ScopeHead>,
}

pub struct PgStore {
    pool: Pool,
    heads: Arc<Mutex<HeadCache>>,
    /// The last full change-log verification: its key is the log's length and the
    /// minute, so the public /history page does not walk the chain on every view, and a
    /// tampering edit in the database shows within a minute.
    chain: Mutex<Option<((u64, i64), ChainReport)>>,
}

impl PgStore {
    /// Connects, brings the schema up to date, and starts listening for head changes.
    pub fn open(url: &str, max_connections: usize) -> Result<PgStore, StoreError> {
        let mut first = PgConn::connect(url)?;
        migrate(&mut first)?;
        let heads = Arc::new(Mutex::new(HeadCache::default()));
        let weak = Arc::downgrade(&heads);
        let listen_url = url.to_string();
        std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || listen(&listen_url, weak))
            .map_err(StoreError::Blob)?;
        Ok(PgStore {
            pool: Pool {
                url: url.to_string(),
                max: max_connections.max(1),
                state: Mutex::new(PoolState {
                    idle: vec![first],
                    open: 1,
                }),
                freed: Condvar::new(),
            },
            heads,
            chain: Mutex::new(None),
        })
    }

    /// A pooled connection, for the shared record methods (`records.rs`).
    fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|c| f(c))
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|c| f(c))
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut lease = self.pool.lease()?;
        let conn = lease
            .conn
            .as_mut()
            .ok_or_else(|| StoreError::Column("no connection".into()))?;
        f(conn)
    }

    /// Runs a write that may move heads, then forgets this instance's cached heads at
    /// once: its own next poll sees the change without waiting for the notification
    /// (which other instances get within milliseconds of the commit).
    fn writing<T>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let out = self.with(f);
        let mut cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        cache.generation += 1;
        cache.heads.clear();
        out
    }

    /// A publish at a given time (see `SqliteStore::publish_as_at`).
    pub fn publish_as_at(
        &self,
        scope: &ScopeId,
        edits: &[Edit],
        by: &Provenance,
        now: i64,
    ) -> Result<ScopeHead, StoreError> {
        self.writing(|c| publish_as(c, scope, edits, by, now))
    }

    pub fn put_blob(&self, bytes: &[u8]) -> Result<String, StoreError> {
        self.with(|c| put_blob(c, bytes))
    }

    pub fn blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|c| blob(c, name))
    }

    /// True while head changes from other instances reach this one (tests wait on it).
    pub fn listening(&self) -> bool {
        self.heads.lock().map(|h| h.live).unwrap_or(false)
    }
}

/// Keeps a LISTEN connection open and empties the head cache on every notification. While
/// it is down the cache is off (polls read the database), so a lost notification can
/// never leave a stale head behind. Ends when the store is dropped.
fn listen(url: &str, cache: Weak<Mutex<HeadCache>>) {
    let set = |live: bool| -> bool {
        let Some(c) = cache.upgrade() else {
            return false;
        };
        let mut c = c.lock().unwrap_or_else(|p| p.into_inner());
        c.live = live;
        c.generation += 1;
        c.heads.clear();
        true
    };
    loop {
        if let Ok(mut client) = super::sql::pg_connect(url) {
            if client
                .batch_execute(&format!("LISTEN {HEADS_CHANNEL}"))
                .is_ok()
            {
                if !set(true) {
                    return;
                }
                loop {
                    use postgres::fallible_iterator::FallibleIterator;
                    let next = {
                        let mut notes = client.notifications();
                        let mut it = notes.timeout_iter(Duration::from_secs(1));
                        it.next().map(|n| n.map(|n| n.payload().to_string()))
                    };
                    match next {
                        Ok(Some(scope)) => {
                            let Some(c) = cache.upgrade() else { return };
                            let mut c = c.lock().unwrap_or_else(|p| p.into_inner());
                            c.generation += 1;
                            c.heads.remove(&scope);
                        }
                        Ok(None) if cache.strong_count() == 0 => return,
                        Ok(None) if client.is_closed() => break,
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
            }
        }
        if !set(false) {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

impl Store for PgStore {
    fn ensure_scope(&self, scope: &ScopeId, name: &str) -> Result<ScopeHead, StoreError> {
        self.writing(|c| ensure_scope(c, scope, name))
    }

    fn publish_as(
        &self,
        scope: &ScopeId,
        edits: &[Edit],
        by: &Provenance,
    ) -> Result<ScopeHead, StoreError> {
        self.publish_as_at(scope, edits, by, now_unix())
    }

    fn items_of_kind(
        &self,
        scope: &ScopeId,
        kind: ContentKind,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            c.rows(
                "SELECT id, body FROM items WHERE scope = ?1 AND kind = ?2
                   AND body IS NOT NULL ORDER BY id COLLATE \"C\"",
                args![scope.as_str(), kind.key()],
            )?
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .collect()
        })
    }

    fn item_body(
        &self,
        scope: &ScopeId,
        kind: ContentKind,
        id: &str,
    ) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            match c.row(
                "SELECT body FROM items WHERE scope = ?1 AND kind = ?2 AND id = ?3",
                args![scope.as_str(), kind.key(), id],
            )? {
                Some(r) => r.opt_text(0),
                None => Ok(None),
            }
        })
    }

    fn verify_changelog(&self) -> Result<ChainReport, StoreError> {
        let length = self.with(|c| {
            c.row("SELECT n FROM changelog_tail WHERE id = 1", &[])?
                .map(|r| r.uint(0))
                .transpose()
        })?;
        let key = (length.unwrap_or(0), now_unix() / 60);
        let mut cached = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, report)) = cached.as_ref() {
            if *at == key {
                return Ok(report.clone());
            }
        }
        let report = self.with(|c| in_snapshot(c, |c| super::changelog::verify(c)))?;
        *cached = Some((key, report.clone()));
        Ok(report)
    }

    fn head(&self, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
        self.with(|c| head(c, scope))
    }

    fn poll_head(&self, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
        let generation = {
            let cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
            if cache.live {
                if let Some(h) = cache.heads.get(scope.as_str()) {
                    return Ok(h.clone());
                }
            }
            cache.generation
        };
        let head = self.head(scope)?;
        let mut cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        // Cached only if no notification arrived while it was read (it might be older).
        if cache.live && cache.generation == generation {
            cache.heads.insert(scope.to_string(), head.clone());
        }
        Ok(head)
    }

    fn poll_head_now(&self, scope: &ScopeId) -> Option<Result<ScopeHead, StoreError>> {
        let cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .live
            .then(|| cache.heads.get(scope.as_str()).cloned().map(Ok))
            .flatten()
    }

    fn heads(&self) -> Result<Vec<ScopeHead>, StoreError> {
        self.with(|c| {
            let rows = c.rows(
                &format!("SELECT scope, {HEAD_COLUMNS} FROM scopes ORDER BY scope COLLATE \"C\""),
                &[],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let Ok(scope) = ScopeId::parse(&r.text(0)?) else {
                    continue;
                };
                out.push(head_of(&scope, &Row(r.0[1..].to_vec()))?);
            }
            Ok(out)
        })
    }

    fn changes(&self, scope: &ScopeId, since: u64, limit: u32) -> Result<ChangesRead, StoreError> {
        self.with(|c| changes(c, scope, since, limit))
    }

    fn prune_tombstones(&self, scope: &ScopeId, up_to_seq: u64) -> Result<ScopeHead, StoreError> {
        self.writing(|c| {
            in_tx(c, |c| {
                c.row(
                    "SELECT seq FROM scopes WHERE scope = ?1 FOR UPDATE",
                    args![scope.as_str()],
                )?
                .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))?;
                c.exec(
                    "DELETE FROM items WHERE scope = ?1 AND body IS NULL AND seq <= ?2",
                    args![scope.as_str(), up_to_seq],
                )?;
                c.exec(
                    "UPDATE scopes SET floor = GREATEST(floor, ?2) WHERE scope = ?1",
                    args![scope.as_str(), up_to_seq],
                )?;
                notify_head(c, scope)?;
                head(c, scope)
            })
        })
    }

    fn recompute_state_hash(&self, scope: &ScopeId) -> Result<StateHash, StoreError> {
        self.with(|c| recompute_state_hash(c, scope).map(|(h, _)| h))
    }

    fn complaint_transition(
        &self,
        t: &super::Transition,
        calendar: &gongkai_model::calendar::Calendar,
    ) -> Result<gongkai_protocol::complaints::PublicStatus, StoreError> {
        self.writing(|c| {
            let status = super::complaints::transition(c, t, calendar)?;
            if let Some((scope, edit)) = super::complaints::answer_edit(c, &status)? {
                publish_as(c, &scope, &[edit], &Provenance::system(), now_unix())?;
            }
            Ok(status)
        })
    }

    fn review_draft(
        &self,
        id: i64,
        reviewer: &User,
        approve: bool,
        reason: &str,
    ) -> Result<DraftRow, StoreError> {
        let now = now_unix();
        self.writing(|c| {
            in_tx(c, |tx| {
                super::console::review(tx, id, reviewer, approve, reason, now, |tx, s, e, by| {
                    publish_in(tx, s, e, by, now).map(|_| ())
                })
            })
        })
    }

    crate::store::records::shared_record_methods!();
}

// --- Moving a county in ---------------------------------------------------------------

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

/// Every table a county's SQLite file holds, parents before children. The change log's
/// tail and the blobs are filled separately.
const TABLES: &[&str] = &[
    "scopes",
    "items",
    "private_ids",
    "changelog",
    "complaints",
    "complaint_events",
    "complaint_pauses",
    "staff_tokens",
    "users",
    "sessions",
    "login_failures",
    "imports",
    "drafts",
    "draft_edits",
    "cadre_codes",
    "kiosk_sessions",
    "enroll_tokens",
    "kiosks",
    "display_log",
    "fleet_alerts",
    "releases",
    "webhook_outbox",
];

/// Tables whose order of insertion matters (statements order by it): SQLite's implicit
/// rowid moves into the serial column of that name.
const WITH_ROWID: &[&str] = &["complaint_events", "releases"];

/// Serial columns whose sequences must continue after the moved rows.
const SERIALS: &[(&str, &str)] = &[
    ("complaints", "id"),
    ("complaint_events", "rowid"),
    ("users", "id"),
    ("imports", "id"),
    ("drafts", "id"),
    ("fleet_alerts", "id"),
    ("releases", "rowid"),
    ("webhook_outbox", "id"),
];

/// What `migrate-to-postgres` moved, once every count and digest compared equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// Rows per table, in [`TABLES`] order.
    pub tables: Vec<(String, u64)>,
    pub blobs: u64,
}

fn columns(src: &mut rusqlite::Connection, table: &str) -> Result<Vec<String>, StoreError> {
    let mut cols: Vec<String> = src
        .rows(
            "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
            args![table],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_, _>>()?;
    if WITH_ROWID.contains(&table) {
        cols.insert(0, "rowid".into());
    }
    Ok(cols)
}

/// A table's row count and a digest of its rows that does not depend on their order
/// (each row hashed with its values' types, the row hashes sorted, then hashed).
fn table_digest(
    db: &mut dyn Sql,
    table: &str,
    cols: &[String],
) -> Result<(u64, String), StoreError> {
    use sha2::{Digest, Sha256};
    let mut rows = Vec::new();
    db.each(
        &format!("SELECT {} FROM {table}", cols.join(", ")),
        &[],
        &mut |r| {
            let mut h = Sha256::new();
            for v in &r.0 {
                match v {
                    Value::Null => h.update([0u8]),
                    Value::Int(i) => {
                        h.update([1u8]);
                        h.update(i.to_le_bytes());
                    }
                    Value::Text(t) => {
                        h.update([2u8]);
                        h.update((t.len() as u64).to_le_bytes());
                        h.update(t.as_bytes());
                    }
                    Value::Bytes(b) => {
                        h.update([3u8]);
                        h.update((b.len() as u64).to_le_bytes());
                        h.update(b);
                    }
                }
            }
            rows.push(<[u8; 32]>::from(h.finalize()));
            Ok(())
        },
    )?;
    rows.sort_unstable();
    let mut all = Sha256::new();
    for r in &rows {
        all.update(r);
    }
    Ok((rows.len() as u64, hex::encode(all.finalize())))
}

/// Moves a whole county — published content, private IDs, the change log, filings,
/// accounts, drafts, imports, cadre codes, the fleet with its display logs, releases —
/// from its SQLite file and blob directory into an empty PostgreSQL database, in one
/// transaction. Then compares every table's row count and digest, every scope's head
/// with its state hash recomputed from the moved items, and the change log entry by entry
/// with its chain verified; and every blob by PostgreSQL's own sha256. The first
/// difference is an error. Refuses a target that already holds any rows. Run it with the
/// county's server stopped.
pub fn migrate_from_sqlite(
    sqlite: &super::SqliteStore,
    sqlite_path: &std::path::Path,
    blob_dir: &std::path::Path,
    c: &mut PgConn,
) -> Result<Migrated, StoreError> {
    let mut src = gongkai_db::open_reader(sqlite_path)?;
    migrate(c)?;
    for table in TABLES {
        let n = c
            .row(&format!("SELECT count(*) FROM {table}"), &[])?
            .map(|r| r.int(0))
            .transpose()?
            .unwrap_or(0);
        if n > 0 {
            return Err(StoreError::Refused(format!(
                "目标数据库已有内容（{table} 有 {n} 行），不能迁入（请用空数据库）"
            )));
        }
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
    // One read snapshot of the source: the tables are copied as of one moment.
    src.begin_read()?;
    let copied = in_tx(c, |c| {
        let mut out = Vec::new();
        for table in TABLES {
            let cols = columns(&mut src, table)?;
            let insert = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                cols.join(", "),
                (1..=cols.len())
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut n = 0u64;
            let select = format!("SELECT {} FROM {table}", cols.join(", "));
            src.each(&select, &[], &mut |r| {
                c.exec(&insert, &r.0)?;
                n += 1;
                Ok(())
            })?;
            out.push((table.to_string(), n));
        }
        for (table, col) in SERIALS {
            c.rows(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{col}'),
                        (SELECT COALESCE(max({col}), 0) + 1 FROM {table}), false)"
                ),
                &[],
            )?;
        }
        if let Some(last) = c.row(
            "SELECT n, entry_hash FROM changelog ORDER BY n DESC LIMIT 1",
            &[],
        )? {
            c.exec(
                "UPDATE changelog_tail SET n = ?1, hash = ?2 WHERE id = 1",
                args![last.int(0)?, last.text(1)?],
            )?;
        }
        for (name, bytes) in &blobs {
            c.exec(
                "INSERT INTO blobs(sha256, bytes) VALUES (?1, ?2)",
                args![name.as_str(), bytes.as_slice()],
            )?;
        }
        Ok(out)
    });
    let digests = copied.and_then(|copied| {
        let mut digests = Vec::new();
        for table in TABLES {
            let cols = columns(&mut src, table)?;
            digests.push((table, cols.clone(), table_digest(&mut src, table, &cols)?));
        }
        Ok((copied, digests))
    });
    let _ = src.rollback();
    let (tables, digests) = digests?;
    for (table, cols, want) in digests {
        let got = table_digest(c, table, &cols)?;
        if got != want {
            return Err(StoreError::Refused(format!(
                "迁移后核对不一致：{table} 表（{} 行 / 应为 {} 行，或内容不同）",
                got.0, want.0
            )));
        }
    }
    verify_migration(sqlite, c)?;
    // Every blob arrived, and PostgreSQL's own sha256 agrees with every name.
    let r = c
        .row(
            "SELECT count(*), count(*) FILTER (WHERE encode(sha256(bytes), 'hex') <> sha256)
             FROM blobs",
            &[],
        )?
        .ok_or_else(|| StoreError::Column("no count".into()))?;
    let (n, bad) = (r.uint(0)?, r.uint(1)?);
    if n != blobs.len() as u64 || bad != 0 {
        return Err(StoreError::Refused(format!(
            "迁移后核对不一致：附件 {n} 个（应为 {}），其中 {bad} 个与摘要不符",
            blobs.len()
        )));
    }
    Ok(Migrated { tables, blobs: n })
}

/// Compares what moved with where it came from as a kiosk and an auditor see it: heads,
/// state hashes recomputed from the items, the change log and its chain.
fn verify_migration(sqlite: &super::SqliteStore, c: &mut PgConn) -> Result<(), StoreError> {
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
        let b = super::changelog::page(c, after, 10_000)?;
        if a != b {
            return Err(differs(format!("第 {after} 条之后的公开记录")));
        }
        let Some(last) = b.last() else { break };
        prev = gongkai_protocol::changelog::verify_chain(prev, &b)
            .map_err(|e| differs(e.to_string()))?;
        after = last.n;
    }
    Ok(())
}
