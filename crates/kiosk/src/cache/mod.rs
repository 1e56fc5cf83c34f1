//! The kiosk's offline copy of what the server signed.
//!
//! Architecture invariant: the visible tables (`items`, `scope_state`) only ever change in
//! [`Cache::merge_staged`], one transaction that applies all staged changes of a scope and
//! checks the result against the signed checkpoint's state hash. Pages arriving from the
//! network go to `staging` first (each page with its cursor in one transaction), so a
//! kill at any instant leaves the cache at the previous checkpoint or the next one.

mod subsidy;

pub use subsidy::{Found, FoundRow, PersonHit, COUNT_CAP, INLINE_INDEX_MAX_ROWS};

use gongkai_db::Durability;
use gongkai_model::{content::summarize, ContentKind, ScopeId};
use gongkai_protocol::{item_hash, Change, ChangeOp, SignedCheckpoint, StateHash};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE scope_state (
    scope      TEXT PRIMARY KEY,
    epoch      INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    state_hash BLOB NOT NULL,
    item_count INTEGER NOT NULL,
    checkpoint TEXT NOT NULL,   -- the SignedCheckpoint JSON this state was verified against
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    etag       TEXT
);
CREATE TABLE items (
    scope      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    item_hash  BLOB NOT NULL,
    title      TEXT NOT NULL,
    category   TEXT NOT NULL,
    date       TEXT NOT NULL,
    expires_at TEXT,
    PRIMARY KEY (scope, kind, id)
);
CREATE INDEX items_by_kind ON items(kind, category, date);
CREATE TABLE item_blobs (
    sha256 TEXT NOT NULL,
    scope  TEXT NOT NULL,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    PRIMARY KEY (sha256, scope, kind, id)
);
-- Changes received but not yet applied. body IS NULL is a delete.
CREATE TABLE staging (
    scope TEXT NOT NULL,
    kind  TEXT NOT NULL,
    id    TEXT NOT NULL,
    body  TEXT,
    PRIMARY KEY (scope, kind, id)
);
-- Where staging of a scope stands: from which applied seq, up to which cursor, and
-- whether it replaces the scope entirely (a fresh copy after a reset).
CREATE TABLE staging_state (
    scope    TEXT PRIMARY KEY,
    epoch    INTEGER NOT NULL,
    base_seq INTEGER NOT NULL,
    cursor   INTEGER NOT NULL,
    reset    INTEGER NOT NULL
);
"#,
    subsidy::MIGRATION,
    subsidy::MIGRATION_PENDING,
];

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Db(#[from] gongkai_db::DbError),
    #[error("cache database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("after applying, scope {scope} does not match its checkpoint (state {got}, expected {expected}); changes discarded")]
    StateMismatch {
        scope: String,
        got: String,
        expected: String,
    },
    #[error("stored checkpoint is unreadable: {0}")]
    Corrupt(String),
}

impl CacheError {
    /// The disk (or the cache's size limit) is full.
    pub fn is_storage_full(&self) -> bool {
        match self {
            CacheError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            _ => false,
        }
    }
}

/// The verified position of one scope in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeState {
    pub scope: ScopeId,
    pub epoch: u64,
    pub seq: u64,
    pub state_hash: StateHash,
    pub item_count: u64,
    pub checkpoint: SignedCheckpoint,
    pub etag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingState {
    pub epoch: u64,
    pub base_seq: u64,
    pub cursor: u64,
    pub reset: bool,
}

/// One row of a list, read without parsing bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    pub scope: String,
    pub kind: ContentKind,
    pub id: String,
    pub title: String,
    pub category: String,
    pub date: String,
}

pub struct Cache {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

fn lock(m: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves SQLite's own transaction rolled back; the
    // connection itself is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Cache {
    pub fn open(path: &Path) -> Result<Cache, CacheError> {
        Cache::open_limited(path, None)
    }

    /// Opens the cache with a size limit in MiB (protects a small SD card shared with
    /// the system): writes past it fail as "storage full", like a full disk.
    pub fn open_limited(path: &Path, max_mib: Option<u64>) -> Result<Cache, CacheError> {
        let writer = gongkai_db::open(path, Durability::Normal, MIGRATIONS)?;
        if let Some(mib) = max_mib {
            let page: i64 = writer.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            let pages = (mib as i64 * 1024 * 1024) / page.max(512);
            writer.pragma_update(None, "max_page_count", pages)?;
        }
        let reader = gongkai_db::open_reader(path)?;
        Ok(Cache {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn scope_state(&self, scope: &ScopeId) -> Result<Option<ScopeState>, CacheError> {
        read_scope_state(&lock(&self.reader), scope)
    }

    /// Stores a newer signature for the state we already hold (same epoch and seq).
    pub fn refresh_checkpoint(
        &self,
        cp: &SignedCheckpoint,
        etag: Option<&str>,
    ) -> Result<(), CacheError> {
        let json = serde_json::to_string(cp).map_err(|e| CacheError::Corrupt(e.to_string()))?;
        let c = &cp.checkpoint;
        lock(&self.writer).execute(
            "UPDATE scope_state SET checkpoint = ?2, issued_at = ?3, expires_at = ?4, etag = ?5
             WHERE scope = ?1 AND epoch = ?6 AND seq = ?7 AND state_hash = ?8 AND issued_at <= ?3",
            params![
                c.scope.as_str(),
                json,
                c.issued_at,
                c.expires_at,
                etag,
                c.epoch as i64,
                c.seq as i64,
                c.state_hash.0.to_vec()
            ],
        )?;
        Ok(())
    }

    pub fn staging_state(&self, scope: &ScopeId) -> Result<Option<StagingState>, CacheError> {
        read_staging(&lock(&self.writer), scope)
    }

    /// Starts staging a scope afresh, throwing away anything staged before.
    pub fn begin_staging(&self, scope: &ScopeId, state: &StagingState) -> Result<(), CacheError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM staging WHERE scope = ?1", [scope.as_str()])?;
        tx.execute(
            "INSERT OR REPLACE INTO staging_state(scope, epoch, base_seq, cursor, reset)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                scope.as_str(),
                state.epoch as i64,
                state.base_seq as i64,
                state.cursor as i64,
                state.reset
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Stages one verified page and moves the staging cursor, in one transaction.
    pub fn stage_page(
        &self,
        scope: &ScopeId,
        changes: &[Change],
        next_cursor: u64,
    ) -> Result<(), CacheError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO staging(scope, kind, id, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for c in changes {
                let body = match c.op {
                    ChangeOp::Put => c.body.as_deref(),
                    ChangeOp::Delete => None,
                };
                stmt.execute(params![scope.as_str(), c.kind.key(), c.id, body])?;
            }
        }
        tx.execute(
            "UPDATE staging_state SET cursor = ?2 WHERE scope = ?1",
            params![scope.as_str(), next_cursor as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Applies everything staged for the scope and records `cp` as its checkpoint, in one
    /// transaction, only if the result hashes to exactly what `cp` signs. On mismatch
    /// nothing visible changes and the staging is discarded.
    pub fn merge_staged(
        &self,
        cp: &SignedCheckpoint,
        etag: Option<&str>,
    ) -> Result<ScopeState, CacheError> {
        let scope = &cp.checkpoint.scope;
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let staging = read_staging(&tx, scope)?
            .ok_or_else(|| CacheError::Corrupt(format!("nothing staged for {scope}")))?;
        let current = read_scope_state(&tx, scope)?;
        // A whole snapshot into an empty scope (first sync, or a reset) has no earlier
        // versions to look up, and builds its search index in bulk.
        let fresh = !matches!((&current, staging.reset), (Some(_), false));
        // A large snapshot is shown first and name-indexed afterwards (build_pending_index):
        // most of its writes are the index, and residents should not wait for it.
        let mode = if fresh
            && subsidy::staged_rows(&tx, scope.as_str())? > subsidy::INLINE_INDEX_MAX_ROWS
        {
            subsidy::IndexMode::RowsOnly { replace: false }
        } else if fresh {
            subsidy::begin_bulk(&tx)?;
            subsidy::IndexMode::Bulk
        } else if subsidy::pending(&tx, scope.as_str())? {
            subsidy::IndexMode::RowsOnly { replace: true }
        } else {
            subsidy::IndexMode::Direct
        };
        let mut name_keys = subsidy::NameKeys::default();
        let (mut hash, mut count) = match (&current, staging.reset) {
            (Some(s), false) => (s.state_hash, s.item_count),
            _ => {
                tx.execute("DELETE FROM items WHERE scope = ?1", [scope.as_str()])?;
                tx.execute("DELETE FROM item_blobs WHERE scope = ?1", [scope.as_str()])?;
                subsidy::remove_scope(&tx, scope.as_str())?;
                (StateHash::EMPTY, 0)
            }
        };
        {
            let mut staged = tx.prepare("SELECT kind, id, body FROM staging WHERE scope = ?1")?;
            let mut old_stmt = tx.prepare_cached(
                "SELECT item_hash FROM items WHERE scope = ?1 AND kind = ?2 AND id = ?3",
            )?;
            let mut put_stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO items(scope, kind, id, body, item_hash, title, category, date, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            let mut del_stmt =
                tx.prepare_cached("DELETE FROM items WHERE scope = ?1 AND kind = ?2 AND id = ?3")?;
            let mut del_blobs = tx.prepare_cached(
                "DELETE FROM item_blobs WHERE scope = ?1 AND kind = ?2 AND id = ?3",
            )?;
            let mut add_blob = tx.prepare_cached(
                "INSERT OR IGNORE INTO item_blobs(sha256, scope, kind, id) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut rows = staged.query([scope.as_str()])?;
            while let Some(r) = rows.next()? {
                let kind_key: String = r.get(0)?;
                let id: String = r.get(1)?;
                let body: Option<String> = r.get(2)?;
                let Some(kind) = ContentKind::from_key(&kind_key) else {
                    // A kind this version does not know cannot be shown; it still counts
                    // towards the state hash, so the check below will fail loudly.
                    continue;
                };
                if !fresh {
                    let old: Option<Vec<u8>> = old_stmt
                        .query_row(params![scope.as_str(), kind_key, id], |r| r.get(0))
                        .optional()?;
                    if let Some(old) = old.as_deref().and_then(StateHash::from_slice) {
                        hash.remove(&old.0);
                        count -= 1;
                    }
                    del_blobs.execute(params![scope.as_str(), kind_key, id])?;
                }
                match body {
                    Some(body) => {
                        let h = item_hash(kind, &id, &body);
                        hash.add(&h);
                        count += 1;
                        // The server checked every body before publishing; a body we
                        // cannot summarize is still stored so the hash check decides.
                        let s = summarize(kind, &body).ok();
                        let (title, category, date, expires) = match &s {
                            Some(s) => (
                                s.title.as_str(),
                                s.category.as_str(),
                                s.date.as_str(),
                                s.expires_at.as_deref(),
                            ),
                            None => ("", "", "", None),
                        };
                        put_stmt.execute(params![
                            scope.as_str(),
                            kind_key,
                            id,
                            body,
                            h.to_vec(),
                            title,
                            category,
                            date,
                            expires
                        ])?;
                        for sha in s.iter().flat_map(|s| s.blobs.iter()) {
                            add_blob.execute(params![sha, scope.as_str(), kind_key, id])?;
                        }
                        if kind == ContentKind::SubsidyRow {
                            subsidy::put(&tx, scope.as_str(), &id, &body, &mut name_keys, mode)?;
                        }
                    }
                    None => {
                        del_stmt.execute(params![scope.as_str(), kind_key, id])?;
                        if kind == ContentKind::SubsidyRow {
                            subsidy::remove(&tx, scope.as_str(), &id)?;
                        }
                    }
                }
            }
        }
        match mode {
            subsidy::IndexMode::Bulk => subsidy::finish_bulk(&tx)?,
            subsidy::IndexMode::RowsOnly { replace: false } => {
                subsidy::mark_pending(&tx, scope.as_str())?
            }
            _ => {}
        }
        let c = &cp.checkpoint;
        if hash != c.state_hash || count != c.item_count || staging.epoch != c.epoch {
            let err = CacheError::StateMismatch {
                scope: scope.to_string(),
                got: hash.to_hex(),
                expected: c.state_hash.to_hex(),
            };
            drop(tx); // roll back every visible change
            self.discard_staging_locked(&mut conn, scope)?;
            return Err(err);
        }
        let json = serde_json::to_string(cp).map_err(|e| CacheError::Corrupt(e.to_string()))?;
        tx.execute(
            "INSERT OR REPLACE INTO scope_state(scope, epoch, seq, state_hash, item_count, checkpoint, issued_at, expires_at, etag)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                scope.as_str(),
                c.epoch as i64,
                c.seq as i64,
                c.state_hash.0.to_vec(),
                c.item_count as i64,
                json,
                c.issued_at,
                c.expires_at,
                etag
            ],
        )?;
        clear_staging(&tx, scope)?;
        tx.commit()?;
        drop(conn);
        self.scope_state(scope)?
            .ok_or_else(|| CacheError::Corrupt("scope state vanished after merge".into()))
    }

    pub fn discard_staging(&self, scope: &ScopeId) -> Result<(), CacheError> {
        let mut conn = lock(&self.writer);
        self.discard_staging_locked(&mut conn, scope)
    }

    fn discard_staging_locked(
        &self,
        conn: &mut Connection,
        scope: &ScopeId,
    ) -> Result<(), CacheError> {
        let tx = conn.transaction()?;
        clear_staging(&tx, scope)?;
        tx.commit()?;
        Ok(())
    }

    /// Recomputes a scope's state hash from the visible items (audits and tests).
    pub fn recompute_state_hash(&self, scope: &ScopeId) -> Result<(StateHash, u64), CacheError> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare("SELECT kind, id, body FROM items WHERE scope = ?1")?;
        let mut rows = stmt.query([scope.as_str()])?;
        let mut hash = StateHash::EMPTY;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let (kind, id, body): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            n += u64::from(hash.add_item(&kind, &id, &body));
        }
        Ok((hash, n))
    }

    // ---- reads for the screens ----

    /// Number of shown items of a kind in the given scopes, leaving out expired ones.
    pub fn count(
        &self,
        kind: ContentKind,
        scopes: &[ScopeId],
        now_iso: &str,
    ) -> Result<u64, CacheError> {
        let conn = lock(&self.reader);
        let mut total = 0u64;
        let mut stmt = conn.prepare_cached(
            "SELECT count(*) FROM items WHERE kind = ?1 AND scope = ?2
             AND (expires_at IS NULL OR expires_at > ?3)",
        )?;
        for s in scopes {
            total += stmt.query_row(params![kind.key(), s.as_str(), now_iso], |r| {
                r.get::<_, i64>(0)
            })? as u64;
        }
        Ok(total)
    }

    /// The items with a posting obligation (三榜, finance statements, subsidy lists) that
    /// are on this kiosk's boards now: what its display log records.
    pub fn posted_items(
        &self,
        scopes: &[ScopeId],
        now_iso: &str,
    ) -> Result<Vec<gongkai_protocol::displaylog::ShownItem>, CacheError> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare_cached(
            "SELECT kind, id, item_hash FROM items WHERE scope = ?1
             AND kind IN ('relocation_board', 'finance', 'subsidy_list')
             AND (expires_at IS NULL OR expires_at > ?2)",
        )?;
        let mut out = Vec::new();
        for s in scopes {
            let rows = stmt.query_map(params![s.as_str(), now_iso], |r| {
                Ok(gongkai_protocol::displaylog::ShownItem {
                    kind: r.get(0)?,
                    scope: s.as_str().to_string(),
                    id: r.get(1)?,
                    hash: hex::encode(r.get::<_, Vec<u8>>(2)?),
                })
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Categories of a kind with their item counts, largest first.
    pub fn categories(
        &self,
        kind: ContentKind,
        scopes: &[ScopeId],
        now_iso: &str,
    ) -> Result<Vec<(String, u64)>, CacheError> {
        let conn = lock(&self.reader);
        let placeholders = vec!["?"; scopes.len()].join(",");
        let sql = format!(
            "SELECT category, count(*) FROM items WHERE kind = ? AND scope IN ({placeholders})
             AND (expires_at IS NULL OR expires_at > ?) GROUP BY category ORDER BY count(*) DESC, category"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut args: Vec<String> = vec![kind.key().to_string()];
        args.extend(scopes.iter().map(|s| s.to_string()));
        args.push(now_iso.to_string());
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A page of items of a kind, newest first, optionally in one category.
    pub fn list(
        &self,
        kind: ContentKind,
        scopes: &[ScopeId],
        category: Option<&str>,
        now_iso: &str,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<ItemRow>, u64), CacheError> {
        let conn = lock(&self.reader);
        let placeholders = vec!["?"; scopes.len()].join(",");
        let filter = format!(
            "kind = ? AND scope IN ({placeholders}) AND (expires_at IS NULL OR expires_at > ?)
             AND (? IS NULL OR category = ?)"
        );
        let mut args: Vec<Option<String>> = vec![Some(kind.key().to_string())];
        args.extend(scopes.iter().map(|s| Some(s.to_string())));
        args.push(Some(now_iso.to_string()));
        args.push(category.map(str::to_string));
        args.push(category.map(str::to_string));
        let total: i64 = conn.query_row(
            &format!("SELECT count(*) FROM items WHERE {filter}"),
            rusqlite::params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let mut page_args = args.clone();
        page_args.push(Some(limit.to_string()));
        page_args.push(Some(offset.to_string()));
        let mut stmt = conn.prepare(&format!(
            "SELECT scope, id, title, category, date FROM items WHERE {filter}
             ORDER BY date DESC, id LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)"
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(page_args.iter()), |r| {
            Ok(ItemRow {
                scope: r.get(0)?,
                kind,
                id: r.get(1)?,
                title: r.get(2)?,
                category: r.get(3)?,
                date: r.get(4)?,
            })
        })?;
        Ok((rows.collect::<Result<_, _>>()?, total as u64))
    }

    /// The body of one item, looked up in the given scopes (most local first).
    pub fn body(
        &self,
        kind: ContentKind,
        id: &str,
        scopes: &[ScopeId],
    ) -> Result<Option<(ScopeId, String)>, CacheError> {
        let conn = lock(&self.reader);
        let mut stmt = conn
            .prepare_cached("SELECT body FROM items WHERE scope = ?1 AND kind = ?2 AND id = ?3")?;
        for s in scopes {
            if let Some(body) = stmt
                .query_row(params![s.as_str(), kind.key(), id], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?
            {
                return Ok(Some((s.clone(), body)));
            }
        }
        Ok(None)
    }

    /// Builds the name index of every scope a large first sync left without one, each in
    /// its own transaction; returns how many rows were indexed. Reads go on meanwhile
    /// (searches scan until each commit).
    pub fn build_pending_index(&self) -> Result<u64, CacheError> {
        let mut total = 0;
        loop {
            let mut conn = lock(&self.writer);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            match subsidy::build_pending(&tx)? {
                Some((scope, n)) => {
                    tx.commit()?;
                    tracing::info!(%scope, rows = n, "subsidy name index built");
                    total += n;
                }
                None => return Ok(total),
            }
        }
    }

    /// Whether some subsidy list is shown before its name index is ready (the screen
    /// says 名单索引建立中; searches by name are slower meanwhile, never different).
    pub fn index_pending(&self) -> Result<bool, CacheError> {
        subsidy::any_pending(&lock(&self.reader))
    }

    /// Rows of one subsidy list matching a resident's search text: part of a name, pinyin
    /// initials, or the end of the ID number; and how many match.
    pub fn search_subsidy(
        &self,
        list_id: &str,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Found, CacheError> {
        subsidy::search(&lock(&self.reader), list_id, query, offset, limit)
    }

    /// 查我的补贴: one person's rows on every subsidy list of `scopes` still shown at
    /// `now_key` (see [`subsidy::find_person`]), and how many lists were searched.
    pub fn find_person(
        &self,
        scopes: &[ScopeId],
        now_key: &str,
        asked: &gongkai_model::names::NameQuery,
        id_tail: &str,
    ) -> Result<(Vec<subsidy::PersonHit>, u64), CacheError> {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        subsidy::find_person(&lock(&self.reader), &scopes, now_key, asked, id_tail)
    }

    /// Blobs referenced by visible items.
    pub fn referenced_blobs(&self) -> Result<Vec<String>, CacheError> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare("SELECT DISTINCT sha256 FROM item_blobs ORDER BY sha256")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Forgets everything staged for a scope (inside the caller's transaction).
fn clear_staging(conn: &Connection, scope: &ScopeId) -> Result<(), CacheError> {
    conn.execute("DELETE FROM staging WHERE scope = ?1", [scope.as_str()])?;
    conn.execute(
        "DELETE FROM staging_state WHERE scope = ?1",
        [scope.as_str()],
    )?;
    Ok(())
}

fn read_staging(conn: &Connection, scope: &ScopeId) -> Result<Option<StagingState>, CacheError> {
    Ok(conn
        .query_row(
            "SELECT epoch, base_seq, cursor, reset FROM staging_state WHERE scope = ?1",
            [scope.as_str()],
            |r| {
                Ok(StagingState {
                    epoch: r.get::<_, i64>(0)? as u64,
                    base_seq: r.get::<_, i64>(1)? as u64,
                    cursor: r.get::<_, i64>(2)? as u64,
                    reset: r.get(3)?,
                })
            },
        )
        .optional()?)
}

fn read_scope_state(conn: &Connection, scope: &ScopeId) -> Result<Option<ScopeState>, CacheError> {
    let row = conn
        .query_row(
            "SELECT epoch, seq, state_hash, item_count, checkpoint, etag FROM scope_state WHERE scope = ?1",
            [scope.as_str()],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, i64>(3)? as u64,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((epoch, seq, hash, item_count, cp_json, etag)) = row else {
        return Ok(None);
    };
    let checkpoint: SignedCheckpoint =
        serde_json::from_str(&cp_json).map_err(|e| CacheError::Corrupt(e.to_string()))?;
    Ok(Some(ScopeState {
        scope: scope.clone(),
        epoch,
        seq,
        state_hash: StateHash::from_slice(&hash)
            .ok_or_else(|| CacheError::Corrupt("state hash length".into()))?,
        item_count,
        checkpoint,
        etag,
    }))
}
