//! Published content on PostgreSQL: scopes, publish with commit-ordered sequence
//! numbers (the scope row lock, then the change-log tail lock), heads, change pages read
//! in one snapshot, and blobs.

use super::*;

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
pub(super) fn notify_head(c: &mut PgConn, scope: &ScopeId) -> Result<(), StoreError> {
    c.rows(
        &format!("SELECT pg_notify('{HEADS_CHANNEL}', ?1)"),
        args![scope.as_str()],
    )?;
    Ok(())
}

pub(super) const HEADS_CHANNEL: &str = "gongkai_heads";

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
    let prepared = crate::publish::prepare(edits)?;
    in_tx(c, |c| publish_in(c, scope, &prepared, by, now))
}

/// The body of a publish inside the caller's transaction (a review publishes and marks
/// its draft in one).
pub(super) fn publish_in(
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
        rows: crate::publish::SqlRows(&mut *c),
        log: Vec::new(),
    };
    let mut provisional = (0, String::new());
    crate::publish::apply(&mut rows, &mut head, &mut provisional, prepared, by, now)?;
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
pub(super) struct Buffered<'a> {
    pub(super) rows: crate::publish::SqlRows<'a, PgConn>,
    pub(super) log: Vec<LogEntry>,
}

impl crate::publish::PublishRows for Buffered<'_> {
    fn current(
        &mut self,
        scope: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<crate::publish::Current>, StoreError> {
        self.rows.current(scope, kind, id)
    }

    fn write(&mut self, row: &crate::publish::RowWrite<'_>) -> Result<(), StoreError> {
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
pub(super) fn insert_log(
    c: &mut PgConn,
    log: &[LogEntry],
    tail: (u64, String),
) -> Result<(), StoreError> {
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

pub(super) const HEAD_COLUMNS: &str = "name, epoch, seq, state_hash, item_count, floor";

pub(super) fn head_of(scope: &ScopeId, row: &Row) -> Result<ScopeHead, StoreError> {
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
