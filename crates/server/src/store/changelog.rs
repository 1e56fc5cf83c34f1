//! The public, hash-chained change log (SQLite side). Entries are appended inside the
//! publish transaction, so an item never changes without its entry and the chain never
//! has an entry for a change that did not commit.

use super::StoreError;
use gongkai_protocol::changelog::{verify_chain, BrokenLink, LogAction, LogEntry, GENESIS};
use rusqlite::{params, Connection, Transaction};

pub const MIGRATION: &str = r#"
CREATE TABLE changelog (
    n            INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    scope        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    action       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    actor        TEXT NOT NULL,
    draft        INTEGER,
    prev_hash    TEXT NOT NULL,
    entry_hash   TEXT NOT NULL
);
CREATE INDEX changelog_by_item ON changelog(scope, kind, item_id, n);
"#;

/// Stores one complete entry (built and hashed by `publish::apply`); call only inside the
/// publish transaction, so an item never changes without its entry.
pub fn insert(tx: &Transaction<'_>, entry: &LogEntry) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO changelog(n, at, scope, kind, item_id, title, action, seq, content_hash,
                               actor, draft, prev_hash, entry_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        entry.n as i64,
        entry.at,
        entry.scope,
        entry.kind,
        entry.item_id,
        entry.title,
        entry.action.key(),
        entry.seq as i64,
        entry.content_hash,
        entry.actor,
        entry.draft,
        entry.prev_hash,
        entry.entry_hash
    ])?;
    Ok(())
}

const COLUMNS: &str = "n, at, scope, kind, item_id, action, seq, content_hash, actor, draft, \
     prev_hash, entry_hash, title";

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogEntry> {
    let action: String = r.get(5)?;
    Ok(LogEntry {
        n: r.get::<_, i64>(0)? as u64,
        at: r.get(1)?,
        scope: r.get(2)?,
        kind: r.get(3)?,
        item_id: r.get(4)?,
        // An unknown action can only come from an edited row; it is kept as "correct"
        // here and the hash check then reports the row.
        action: LogAction::from_key(&action).unwrap_or(LogAction::Correct),
        seq: r.get::<_, i64>(6)? as u64,
        content_hash: r.get(7)?,
        actor: r.get(8)?,
        draft: r.get(9)?,
        prev_hash: r.get(10)?,
        entry_hash: r.get(11)?,
        title: r.get(12)?,
    })
}

pub fn page(c: &Connection, after: u64, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM changelog WHERE n > ?1 ORDER BY n LIMIT ?2");
    let rows = c
        .prepare_cached(&sql)?
        .query_map(params![after as i64, limit], entry)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The newest entries first, optionally only under one scope (prefix of the code).
pub fn recent(c: &Connection, scope_prefix: &str, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM changelog WHERE scope LIKE ?1 || '%' AND kind <> 'subsidy_row'
         ORDER BY n DESC LIMIT ?2"
    );
    let rows = c
        .prepare_cached(&sql)?
        .query_map(params![scope_prefix, limit], entry)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn item(
    c: &Connection,
    scope: &str,
    kind: &str,
    id: &str,
) -> Result<Vec<LogEntry>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM changelog WHERE scope = ?1 AND kind = ?2 AND item_id = ?3 ORDER BY n"
    );
    let rows = c
        .prepare_cached(&sql)?
        .query_map(params![scope, kind, id], entry)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// What a full verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    pub head: String,
    /// The first broken link of the chain, if any.
    pub broken: Option<BrokenLink>,
    /// Live items whose content does not match their latest log entry (edited in the
    /// database without a publish), as "scope/kind/id".
    pub unlogged: Vec<String>,
}

/// Walks the whole chain in pages, then checks every live item against its latest entry.
pub fn verify(c: &Connection) -> Result<ChainReport, StoreError> {
    let mut last = (0u64, GENESIS.to_string());
    let mut broken = None;
    loop {
        let batch = page(c, last.0, 10_000)?;
        if batch.is_empty() {
            break;
        }
        match verify_chain(last.clone(), &batch) {
            Ok(next) => last = next,
            Err(b) => {
                broken = Some(b);
                break;
            }
        }
    }
    // A chain whose end was cut off verifies; the count of entries must then fall short
    // of the highest sequence in use, which is caught by the item check below.
    let mut unlogged = Vec::new();
    let mut stmt = c.prepare(
        "SELECT i.scope, i.kind, i.id, i.body,
                (SELECT l.content_hash FROM changelog l
                  WHERE l.scope = i.scope AND l.kind = i.kind AND l.item_id = i.id
                  ORDER BY l.n DESC LIMIT 1)
           FROM items i WHERE i.body IS NOT NULL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (s, k, i): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let body: String = r.get(3)?;
        let logged: Option<String> = r.get(4)?;
        // Recomputed from the body, not read from the stored hash column: an edit of the
        // body alone must be found too.
        let hash = gongkai_model::ContentKind::from_key(&k)
            .map(|kind| hex::encode(gongkai_protocol::item_hash(kind, &i, &body)));
        if (hash.is_none() || logged != hash) && unlogged.len() < 100 {
            unlogged.push(format!("{s}/{k}/{i}"));
        }
    }
    Ok(ChainReport {
        entries: last.0,
        head: last.1,
        broken,
        unlogged,
    })
}

/// Entries between two instants (unix seconds, inclusive start, exclusive end), list rows
/// and history items left out: what a quarterly report counts.
pub fn between(c: &Connection, from: i64, to: i64) -> Result<Vec<LogEntry>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM changelog WHERE at >= ?1 AND at < ?2
           AND kind NOT IN ('subsidy_row', 'history', 'answer') ORDER BY n"
    );
    let rows = c
        .prepare_cached(&sql)?
        .query_map(params![from, to], entry)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
