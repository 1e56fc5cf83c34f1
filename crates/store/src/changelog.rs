//! The public, hash-chained change log (reads on both back-ends; SQLite's insert). Entries are appended inside the
//! publish transaction, so an item never changes without its entry and the chain never
//! has an entry for a change that did not commit.

use super::sql::{args, Row, Sql};
use super::StoreError;
use gongkai_protocol::changelog::{verify_chain, BrokenLink, LogAction, LogEntry, GENESIS};
use rusqlite::params;

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
pub fn insert(tx: &rusqlite::Connection, entry: &LogEntry) -> Result<(), StoreError> {
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

pub(super) fn entry(r: &Row) -> Result<LogEntry, StoreError> {
    Ok(LogEntry {
        n: r.uint(0)?,
        at: r.int(1)?,
        scope: r.text(2)?,
        kind: r.text(3)?,
        item_id: r.text(4)?,
        // An unknown action can only come from an edited row; it is kept as "correct"
        // here and the hash check then reports the row.
        action: LogAction::from_key(&r.text(5)?).unwrap_or(LogAction::Correct),
        seq: r.uint(6)?,
        content_hash: r.text(7)?,
        actor: r.text(8)?,
        draft: r.opt_int(9)?,
        prev_hash: r.text(10)?,
        entry_hash: r.text(11)?,
        title: r.text(12)?,
    })
}

fn entries(
    db: &mut dyn Sql,
    sql: &str,
    params: &[super::sql::Value],
) -> Result<Vec<LogEntry>, StoreError> {
    db.rows(sql, params)?.iter().map(entry).collect()
}

/// The last entry's number and hash: what the signed log head says.
pub fn head(db: &mut dyn Sql) -> Result<(u64, String), StoreError> {
    let rows = db.rows(
        "SELECT n, entry_hash FROM changelog ORDER BY n DESC LIMIT 1",
        args![],
    )?;
    match rows.first() {
        Some(r) => Ok((r.uint(0)?, r.text(1)?)),
        None => Ok((0, GENESIS.to_string())),
    }
}

pub fn page(db: &mut dyn Sql, after: u64, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM changelog WHERE n > ?1 ORDER BY n LIMIT ?2");
    entries(db, &sql, args![after, limit])
}

/// Which entries of the public record to show, newest first: under one scope (a code
/// prefix), of one kind, in a time range, before an entry number (the page cursor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter {
    pub scope_prefix: String,
    /// A `ContentKind` key, or empty for every kind.
    pub kind: String,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
    /// Only entries numbered below this (the next page's cursor).
    pub before: Option<u64>,
    pub limit: u32,
}

impl LogFilter {
    /// The newest `limit` entries under a scope prefix.
    pub fn under(scope_prefix: &str, limit: u32) -> LogFilter {
        LogFilter {
            scope_prefix: scope_prefix.to_string(),
            kind: String::new(),
            from: None,
            to: None,
            before: None,
            limit,
        }
    }
}

/// One page of the public record and how many entries match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    pub matching: u64,
    /// The cursor for the next (older) page, if there is one.
    pub next_before: Option<u64>,
}

/// The newest entries first that match a filter (list rows are never listed: their
/// list's entry stands for them).
pub fn recent(db: &mut dyn Sql, f: &LogFilter) -> Result<LogPage, StoreError> {
    const WHERE: &str = "scope LIKE ?1 || '%' AND kind <> 'subsidy_row'
         AND (?2 = '' OR kind = ?2) AND at >= ?3 AND at < ?4";
    let (from, to) = (f.from.unwrap_or(0), f.to.unwrap_or(i64::MAX));
    let before = f.before.map_or(i64::MAX, |b| b.min(i64::MAX as u64) as i64);
    let sql = format!(
        "SELECT {COLUMNS} FROM changelog WHERE {WHERE} AND n < ?5 ORDER BY n DESC LIMIT ?6"
    );
    let entries = entries(
        db,
        &sql,
        args![
            f.scope_prefix.as_str(),
            f.kind.as_str(),
            from,
            to,
            before,
            f.limit + 1
        ],
    )?;
    let matching = db
        .rows(
            &format!("SELECT COUNT(*) FROM changelog WHERE {WHERE}"),
            args![f.scope_prefix.as_str(), f.kind.as_str(), from, to],
        )?
        .first()
        .map(|r| r.uint(0))
        .transpose()?
        .unwrap_or(0);
    let more = entries.len() > f.limit as usize;
    let mut entries = entries;
    entries.truncate(f.limit as usize);
    Ok(LogPage {
        next_before: if more {
            entries.last().map(|e| e.n)
        } else {
            None
        },
        entries,
        matching,
    })
}

pub fn item(
    db: &mut dyn Sql,
    scope: &str,
    kind: &str,
    id: &str,
) -> Result<Vec<LogEntry>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM changelog WHERE scope = ?1 AND kind = ?2 AND item_id = ?3 ORDER BY n"
    );
    entries(db, &sql, args![scope, kind, id])
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
/// Call inside one snapshot, so the chain and the items are of the same moment.
pub fn verify(db: &mut dyn Sql) -> Result<ChainReport, StoreError> {
    let mut last = (0u64, GENESIS.to_string());
    let mut broken = None;
    loop {
        let batch = page(db, last.0, 10_000)?;
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
    db.each(
        "SELECT i.scope, i.kind, i.id, i.body,
                (SELECT l.content_hash FROM changelog l
                  WHERE l.scope = i.scope AND l.kind = i.kind AND l.item_id = i.id
                  ORDER BY l.n DESC LIMIT 1)
           FROM items i WHERE i.body IS NOT NULL",
        &[],
        &mut |r| {
            let (s, k, i) = (r.text(0)?, r.text(1)?, r.text(2)?);
            let body = r.text(3)?;
            let logged = r.opt_text(4)?;
            // Recomputed from the body, not read from the stored hash column: an edit of the
            // body alone must be found too.
            let hash = gongkai_model::ContentKind::from_key(&k)
                .map(|kind| hex::encode(gongkai_protocol::item_hash(kind, &i, &body)));
            if (hash.is_none() || logged != hash) && unlogged.len() < 100 {
                unlogged.push(format!("{s}/{k}/{i}"));
            }
            Ok(())
        },
    )?;
    Ok(ChainReport {
        entries: last.0,
        head: last.1,
        broken,
        unlogged,
    })
}

/// Entries between two instants (unix seconds, inclusive start, exclusive end), list rows
/// and history items left out: what a quarterly report counts.
pub fn between(db: &mut dyn Sql, from: i64, to: i64) -> Result<Vec<LogEntry>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM changelog WHERE at >= ?1 AND at < ?2
           AND kind NOT IN ('subsidy_row', 'history', 'answer') ORDER BY n"
    );
    entries(db, &sql, args![from, to])
}
