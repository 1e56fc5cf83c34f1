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

use super::{Edit, StoreError};
use gongkai_model::ScopeId;
use gongkai_protocol::{item_hash, Change, ChangeOp, StateHash};
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

/// Applies `edits` in one transaction; returns the scope's new seq.
pub fn publish(
    c: &mut Client,
    scope: &ScopeId,
    edits: &[Edit],
    now: i64,
) -> Result<u64, StoreError> {
    let mut tx = c.transaction()?;
    // The scope's row lock: publishers of this scope queue here, so numbering follows
    // commit order.
    let row = tx
        .query_opt(
            "SELECT seq, state_hash, item_count FROM scopes WHERE scope = $1 FOR UPDATE",
            &[&scope.as_str()],
        )?
        .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))?;
    let mut seq: i64 = row.get(0);
    let hash_bytes: Vec<u8> = row.get(1);
    let mut hash = StateHash::from_slice(&hash_bytes).unwrap_or_default();
    let mut count: i64 = row.get(2);
    let old_stmt =
        tx.prepare("SELECT body, item_hash FROM items WHERE scope = $1 AND kind = $2 AND id = $3")?;
    let put_stmt = tx.prepare(
        "INSERT INTO items(scope, kind, id, seq, body, item_hash, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (scope, kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body,
             item_hash = excluded.item_hash, updated_at = excluded.updated_at",
    )?;
    for e in edits {
        let key = e.kind.key();
        let old = tx.query_opt(&old_stmt, &[&scope.as_str(), &key, &e.id])?;
        let (old_body, old_hash): (Option<String>, Option<Vec<u8>>) = match &old {
            Some(r) => (r.get(0), r.get(1)),
            None => (None, None),
        };
        // As on SQLite: the same content again, or deleting what is gone, is no change
        // and takes no number.
        if old_body == e.body {
            continue;
        }
        if old_body.is_some() {
            if let Some(old) = old_hash.as_deref().and_then(StateHash::from_slice) {
                hash.remove(&old.0);
                count -= 1;
            }
        }
        seq += 1;
        let new_hash = e.body.as_deref().map(|b| item_hash(e.kind, &e.id, b));
        if let Some(h) = &new_hash {
            hash.add(h);
            count += 1;
        }
        tx.execute(
            &put_stmt,
            &[
                &scope.as_str(),
                &key,
                &e.id,
                &seq,
                &e.body,
                &new_hash.map(|h| h.to_vec()),
                &now,
            ],
        )?;
    }
    tx.execute(
        "UPDATE scopes SET seq = $2, state_hash = $3, item_count = $4 WHERE scope = $1",
        &[&scope.as_str(), &seq, &hash.0.to_vec(), &count],
    )?;
    tx.commit()?;
    Ok(seq as u64)
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
        let body: Option<String> = r.get(3);
        let Some(kind) = gongkai_model::ContentKind::from_key(&kind) else {
            continue;
        };
        out.push(Change {
            seq: r.get::<_, i64>(0) as u64,
            kind,
            id: r.get(2),
            op: if body.is_some() {
                ChangeOp::Put
            } else {
                ChangeOp::Delete
            },
            body,
        });
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
