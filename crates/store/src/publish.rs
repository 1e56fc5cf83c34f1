//! A publish, whatever the database: which edits change something, the sequence
//! numbers, state hash and item count, the change-log entries, the versions kept when a
//! versioned item is corrected, and the checks every body passes first. Both back-ends
//! run exactly this (SQLite in `sqlite.rs`, PostgreSQL in `pg.rs`) over their own
//! `PublishRows`, so a kiosk cannot tell which one served it (tests/tests/conformance.rs).

use super::{Edit, Provenance, ScopeHead, StoreError};
use gongkai_model::history::{history_id, ItemHistory, PastVersion, VERSIONED};
use gongkai_model::{content::summarize, reading, ContentKind};
use gongkai_protocol::changelog::{LogAction, LogEntry};
use gongkai_protocol::{item_hash, StateHash};

/// An item's row as it stands.
pub struct Current {
    /// None for a withdrawn item (a tombstone).
    pub body: Option<String>,
    pub hash: Option<Vec<u8>>,
    /// When this version was published (unix seconds).
    pub at: i64,
}

/// One row to write.
pub struct RowWrite<'a> {
    pub scope: &'a str,
    pub kind: &'a str,
    pub id: &'a str,
    pub seq: u64,
    pub body: Option<&'a str>,
    pub hash: Option<[u8; 32]>,
    pub now: i64,
}

/// How a back-end reads and writes the rows of a publish, inside its transaction.
pub trait PublishRows {
    fn current(&mut self, scope: &str, kind: &str, id: &str)
        -> Result<Option<Current>, StoreError>;
    fn write(&mut self, row: &RowWrite<'_>) -> Result<(), StoreError>;
    /// The full ID number behind a masked row (never published).
    fn private_id(&mut self, kind: &str, id: &str, number: &str) -> Result<(), StoreError>;
    /// Stores a complete change-log entry.
    fn log(&mut self, entry: &LogEntry) -> Result<(), StoreError>;
}

/// The rows of a publish through the shared SQL layer (the PostgreSQL back-end; SQLite
/// keeps its own, borrowing the connection inside a rusqlite transaction).
pub struct SqlRows<'a, D: super::sql::Sql + ?Sized>(pub &'a mut D);

impl<D: super::sql::Sql + ?Sized> PublishRows for SqlRows<'_, D> {
    fn current(
        &mut self,
        scope: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<Current>, StoreError> {
        match self.0.row(
            "SELECT body, item_hash, updated_at FROM items WHERE scope = ?1 AND kind = ?2 AND id = ?3",
            super::sql::args![scope, kind, id],
        )? {
            Some(r) => Ok(Some(Current {
                body: r.opt_text(0)?,
                hash: r.opt_bytes(1)?,
                at: r.int(2)?,
            })),
            None => Ok(None),
        }
    }

    fn write(&mut self, row: &RowWrite<'_>) -> Result<(), StoreError> {
        self.0.exec(
            "INSERT INTO items(scope, kind, id, seq, body, item_hash, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (scope, kind, id) DO UPDATE SET seq = excluded.seq, body = excluded.body,
                 item_hash = excluded.item_hash, updated_at = excluded.updated_at",
            super::sql::args![
                row.scope,
                row.kind,
                row.id,
                row.seq,
                row.body,
                row.hash.map(|h| h.to_vec()),
                row.now
            ],
        )?;
        Ok(())
    }

    fn private_id(&mut self, kind: &str, id: &str, number: &str) -> Result<(), StoreError> {
        self.0.exec(
            "INSERT INTO private_ids(kind, id, id_number) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, id) DO UPDATE SET id_number = excluded.id_number",
            super::sql::args![kind, id, number],
        )?;
        Ok(())
    }

    fn log(&mut self, e: &LogEntry) -> Result<(), StoreError> {
        self.0.exec(
            "INSERT INTO changelog(n, at, scope, kind, item_id, title, action, seq, content_hash,
                                   actor, draft, prev_hash, entry_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            super::sql::args![
                e.n,
                e.at,
                e.scope.as_str(),
                e.kind.as_str(),
                e.item_id.as_str(),
                e.title.as_str(),
                e.action.key(),
                e.seq,
                e.content_hash.as_str(),
                e.actor.as_str(),
                e.draft,
                e.prev_hash.as_str(),
                e.entry_hash.as_str()
            ],
        )?;
        Ok(())
    }
}

/// Applies `edits` to `head`, appending to the change log after `tail` (`(n, hash)` of
/// its last entry). The caller holds the scope (and the log) for the whole transaction
/// and writes `head` back at the end.
pub fn apply(
    rows: &mut dyn PublishRows,
    head: &mut ScopeHead,
    tail: &mut (u64, String),
    edits: &[Edit],
    by: &Provenance,
    now: i64,
) -> Result<(), StoreError> {
    let scope = head.scope.as_str().to_string();
    // Applies one edit; returns what it replaced when that was a live version of a
    // versioned kind (so its history item can be updated after the loop).
    let mut one = |rows: &mut dyn PublishRows,
                   head: &mut ScopeHead,
                   edit: &Edit|
     -> Result<Option<(String, i64)>, StoreError> {
        let key = edit.kind.key();
        let (old_body, old_hash, old_at) = match rows.current(&scope, key, &edit.id)? {
            Some(c) => (c.body, c.hash, c.at),
            None => (None, None, 0),
        };
        let old_live = old_body.is_some();
        if old_body == edit.body {
            return Ok(None); // Same content again, or deleting what is gone: no change.
        }
        if let Some(h) = old_hash.as_deref().and_then(StateHash::from_slice) {
            if old_live {
                head.state_hash.remove(&h.0);
                head.item_count -= 1;
            }
        }
        let new_hash = edit
            .body
            .as_deref()
            .map(|b| item_hash(edit.kind, &edit.id, b));
        if let Some(h) = &new_hash {
            head.state_hash.add(h);
            head.item_count += 1;
        }
        head.seq += 1;
        let action = match (old_live, edit.body.is_some()) {
            (false, _) => LogAction::Publish,
            (true, true) => LogAction::Correct,
            (true, false) => LogAction::Withdraw,
        };
        // Titles of rows of a list would only repeat the list's; the list has one.
        let title = match (&edit.body, edit.kind) {
            (Some(body), kind) if kind != ContentKind::SubsidyRow => {
                summarize(kind, body).map(|s| s.title).unwrap_or_default()
            }
            _ => String::new(),
        };
        let mut entry = LogEntry {
            n: tail.0 + 1,
            at: now,
            scope: scope.clone(),
            kind: key.to_string(),
            item_id: edit.id.clone(),
            title,
            action,
            seq: head.seq,
            content_hash: new_hash.map(hex::encode).unwrap_or_default(),
            actor: by.actor.clone(),
            draft: by.draft,
            prev_hash: tail.1.clone(),
            entry_hash: String::new(),
        };
        entry.entry_hash = entry.compute_hash();
        rows.log(&entry)?;
        *tail = (entry.n, entry.entry_hash);
        if let Some(number) = &edit.private_id {
            rows.private_id(key, &edit.id, number)?;
        }
        rows.write(&RowWrite {
            scope: &scope,
            kind: key,
            id: &edit.id,
            seq: head.seq,
            body: edit.body.as_deref(),
            hash: new_hash,
            now,
        })?;
        Ok(match old_body {
            Some(b) if action == LogAction::Correct && VERSIONED.contains(&edit.kind) => {
                Some((b, old_at))
            }
            _ => None,
        })
    };
    let mut replaced = Vec::new();
    for edit in edits {
        if let Some((body, at)) = one(rows, head, edit)? {
            replaced.push((edit.kind, edit.id.clone(), body, at));
        }
    }
    // A corrected item's earlier versions, published with the correction so every kiosk
    // can show what changed, offline too.
    for (kind, id, body, at) in replaced {
        let hid = history_id(kind, &id);
        let mut history = rows
            .current(&scope, ContentKind::History.key(), &hid)?
            .and_then(|c| c.body)
            .and_then(|b| serde_json::from_str::<ItemHistory>(&b).ok())
            .unwrap_or(ItemHistory {
                kind,
                id: id.clone(),
                versions: Vec::new(),
            });
        let rfc = |t: i64| {
            chrono::DateTime::from_timestamp(t.max(0), 0)
                .unwrap_or_default()
                .to_rfc3339()
        };
        history.versions.push(PastVersion {
            published_at: rfc(at),
            replaced_at: rfc(now),
            body,
        });
        one(rows, head, &Edit::put(ContentKind::History, hid, &history))?;
    }
    Ok(())
}

fn clean_rich_text(edit: &Edit, body: &str) -> Result<String, StoreError> {
    if !matches!(edit.kind, ContentKind::Disclosure | ContentKind::Notice) {
        return Ok(body.to_string());
    }
    let bad = |e: serde_json::Error| StoreError::BadBody {
        kind: edit.kind,
        id: edit.id.clone(),
        reason: e.to_string(),
    };
    let mut value: serde_json::Value = serde_json::from_str(body).map_err(bad)?;
    if let Some(html) = value.get("body_html").and_then(|v| v.as_str()) {
        let clean = crate::sanitize::clean(html);
        value["body_html"] = serde_json::Value::String(clean);
    }
    serde_json::to_string(&value).map_err(bad)
}

fn check_body(edit: &Edit, body: &str) -> Result<(), StoreError> {
    let bad = |reason: String| StoreError::BadBody {
        kind: edit.kind,
        id: edit.id.clone(),
        reason,
    };
    let summary = summarize(edit.kind, body).map_err(|e| bad(e.source.to_string()))?;
    // A finance statement that does not balance is refused, naming the failing line or
    // the gap, before anything reaches a kiosk.
    if edit.kind == ContentKind::Finance {
        let statement: gongkai_model::FinanceStatement =
            serde_json::from_str(body).map_err(|e| bad(e.to_string()))?;
        statement.check().map_err(|e| bad(e.to_string()))?;
    }
    // A year's holidays are checked line by line before they count any deadline.
    if edit.kind == ContentKind::Calendar {
        let year: gongkai_model::CalendarYear =
            serde_json::from_str(body).map_err(|e| bad(e.to_string()))?;
        gongkai_model::calendar::Calendar::default()
            .add_year(year.year, &year.text)
            .map_err(|e| bad(e.to_string()))?;
    }
    // Only the text a resident reads is searched: a voucher's sha256 may hold 18 digits.
    let found =
        reading::find_unmasked_id(edit.kind, body).map_err(|e| bad(e.source.to_string()))?;
    if let Some(found) = found {
        return Err(StoreError::UnmaskedId {
            kind: edit.kind,
            id: edit.id.clone(),
            title: summary.title,
            place: found.place,
            masked: found.masked,
        });
    }
    Ok(())
}

/// Sanitizes and checks every body before the write lock is taken.
pub fn prepare(edits: &[Edit]) -> Result<Vec<Edit>, StoreError> {
    let mut prepared = Vec::with_capacity(edits.len());
    for edit in edits {
        let mut edit = edit.clone();
        if let Some(body) = &edit.body {
            let clean = clean_rich_text(&edit, body)?;
            check_body(&edit, &clean)?;
            edit.body = Some(clean);
        }
        prepared.push(edit);
    }
    Ok(prepared)
}
