//! The subsidy-row search index: names by character grams, pinyin initials and ID tails,
//! kept in the same transaction as the items it derives from, so search can never
//! disagree with what is shown.

use super::CacheError;
use gongkai_model::idcard;
use gongkai_model::names::{self, NameQuery};
use gongkai_model::SubsidyRow;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

// The gram and initials indexes lead with the list, so a search inside one list (what a
// resident does) is an index range: counted without touching rows, read in rid order
// (the order rows arrived in) without sorting.
pub(super) const MIGRATION: &str = r#"
CREATE TABLE subsidy_rows (
    rid            INTEGER PRIMARY KEY,
    scope          TEXT NOT NULL,
    id             TEXT NOT NULL,
    list_id        TEXT NOT NULL,
    name           TEXT NOT NULL,
    id_masked      TEXT NOT NULL,
    id_tail        TEXT NOT NULL,
    village_name   TEXT NOT NULL,
    household_size INTEGER NOT NULL,
    area_centimu   INTEGER,
    amount         INTEGER NOT NULL,
    UNIQUE (scope, id)
);
CREATE INDEX subsidy_rows_list ON subsidy_rows(list_id, id);
CREATE INDEX subsidy_rows_tail ON subsidy_rows(list_id, id_tail);
CREATE TABLE subsidy_grams (
    list_id TEXT NOT NULL, gram TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (list_id, gram, rid)
) WITHOUT ROWID;
CREATE TABLE subsidy_initials (
    list_id TEXT NOT NULL, key TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (list_id, key, rid)
) WITHOUT ROWID;
"#;

/// Scopes whose rows are shown (and found by ID tail) while the name index — grams and
/// pinyin initials, most of a first sync's writes — is still being built after the merge
/// ([`build_pending`]). Searches by name meanwhile scan the list's rows instead.
pub(super) const MIGRATION_PENDING: &str = r#"
CREATE TABLE subsidy_index_pending (scope TEXT PRIMARY KEY);
"#;

/// A whole snapshot with more subsidy rows than this is shown first and name-indexed
/// afterwards; smaller ones (a village's lists) are indexed in the merge itself.
pub const INLINE_INDEX_MAX_ROWS: i64 = 5_000;

/// Subsidy rows staged for `scope`.
pub(super) fn staged_rows(tx: &Transaction<'_>, scope: &str) -> Result<i64, CacheError> {
    Ok(tx.query_row(
        "SELECT count(*) FROM staging WHERE scope = ?1 AND kind = 'subsidy_row'",
        [scope],
        |r| r.get(0),
    )?)
}

/// Whether `scope`'s name index is still to be built.
pub(super) fn pending(conn: &Connection, scope: &str) -> Result<bool, CacheError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM subsidy_index_pending WHERE scope = ?1")?
        .query_row([scope], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether any scope's name index is still to be built.
pub(super) fn any_pending(conn: &Connection) -> Result<bool, CacheError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM subsidy_index_pending LIMIT 1")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(super) fn mark_pending(tx: &Transaction<'_>, scope: &str) -> Result<(), CacheError> {
    tx.execute(
        "INSERT OR IGNORE INTO subsidy_index_pending(scope) VALUES (?1)",
        [scope],
    )?;
    Ok(())
}

/// Builds the name index of one scope left pending, in one transaction (a search sees
/// either no name index and scans, or the whole of it). Returns the scope and how many
/// rows were indexed; None when nothing was pending.
pub(super) fn build_pending(tx: &Transaction<'_>) -> Result<Option<(String, u64)>, CacheError> {
    let scope: Option<String> = tx
        .query_row("SELECT scope FROM subsidy_index_pending LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(scope) = scope else {
        return Ok(None);
    };
    begin_bulk(tx)?;
    let mut keys = NameKeys::default();
    let mut n = 0u64;
    {
        let mut rows =
            tx.prepare("SELECT rid, list_id, name FROM subsidy_rows WHERE scope = ?1")?;
        let mut rows = rows.query([scope.as_str()])?;
        while let Some(r) = rows.next()? {
            let (rid, list_id, name): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            index_name(tx, &list_id, rid, &name, &mut keys, IndexMode::Bulk)?;
            n += 1;
        }
    }
    finish_bulk(tx)?;
    tx.execute(
        "DELETE FROM subsidy_index_pending WHERE scope = ?1",
        [scope.as_str()],
    )?;
    Ok(Some((scope, n)))
}

/// One found row, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRow {
    pub scope: String,
    pub id: String,
    pub row: SubsidyRow,
}

pub(super) fn remove(tx: &Transaction<'_>, scope: &str, id: &str) -> Result<(), CacheError> {
    let old: Option<(i64, String, String)> = tx
        .prepare_cached("SELECT rid, list_id, name FROM subsidy_rows WHERE scope = ?1 AND id = ?2")?
        .query_row(params![scope, id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    if let Some((rid, list_id, name)) = old {
        // Index entries are found through their keys, recomputed from the stored name.
        let mut del_gram = tx.prepare_cached(
            "DELETE FROM subsidy_grams WHERE list_id = ?1 AND gram = ?2 AND rid = ?3",
        )?;
        for g in names::grams(&name) {
            del_gram.execute(params![list_id, g, rid])?;
        }
        let mut del_key = tx.prepare_cached(
            "DELETE FROM subsidy_initials WHERE list_id = ?1 AND key = ?2 AND rid = ?3",
        )?;
        for k in names::initials_variants(&name) {
            del_key.execute(params![list_id, k, rid])?;
        }
        tx.prepare_cached("DELETE FROM subsidy_rows WHERE rid = ?1")?
            .execute([rid])?;
    }
    Ok(())
}

pub(super) fn remove_scope(tx: &Transaction<'_>, scope: &str) -> Result<(), CacheError> {
    let lists = "SELECT DISTINCT list_id FROM subsidy_rows WHERE scope = ?1";
    tx.execute(
        &format!("DELETE FROM subsidy_grams WHERE list_id IN ({lists})"),
        [scope],
    )?;
    tx.execute(
        &format!("DELETE FROM subsidy_initials WHERE list_id IN ({lists})"),
        [scope],
    )?;
    tx.execute("DELETE FROM subsidy_rows WHERE scope = ?1", [scope])?;
    tx.execute(
        "DELETE FROM subsidy_index_pending WHERE scope = ?1",
        [scope],
    )?;
    Ok(())
}

/// Search keys per distinct name, computed once during a merge: names repeat heavily in
/// a county's lists, and pinyin is the costly part. Bounded, so a list of a million
/// different names cannot grow it without end.
#[derive(Default)]
pub(super) struct NameKeys(std::collections::HashMap<String, (Vec<String>, Vec<String>)>);

impl NameKeys {
    const MAX: usize = 50_000;

    fn get(&mut self, name: &str) -> &(Vec<String>, Vec<String>) {
        if !self.0.contains_key(name) {
            if self.0.len() >= Self::MAX {
                self.0.clear();
            }
            self.0.insert(
                name.to_string(),
                (names::grams(name), names::initials_variants(name)),
            );
        }
        &self.0[name]
    }
}

/// Where a merge puts index entries: straight into the indexes (a few changed rows), or,
/// for a whole snapshot into an empty scope, into unindexed temporary tables first and
/// into the indexes in key order at the end ([`finish_bulk`]): B-tree appends instead of
/// a million random inserts. `RowsOnly`: the rows, but no name index (a large snapshot,
/// or a scope whose index is still pending — [`build_pending`] makes it later from the
/// rows then stored); `replace` when earlier versions may exist.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum IndexMode {
    Direct,
    Bulk,
    RowsOnly { replace: bool },
}

pub(super) fn begin_bulk(tx: &Transaction<'_>) -> Result<(), CacheError> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS bulk_grams(list_id TEXT, gram TEXT, rid INTEGER);
         CREATE TEMP TABLE IF NOT EXISTS bulk_initials(list_id TEXT, key TEXT, rid INTEGER);
         DELETE FROM bulk_grams; DELETE FROM bulk_initials;",
    )?;
    Ok(())
}

pub(super) fn finish_bulk(tx: &Transaction<'_>) -> Result<(), CacheError> {
    tx.execute_batch(
        "INSERT OR IGNORE INTO subsidy_grams(list_id, gram, rid)
             SELECT list_id, gram, rid FROM bulk_grams ORDER BY list_id, gram, rid;
         INSERT OR IGNORE INTO subsidy_initials(list_id, key, rid)
             SELECT list_id, key, rid FROM bulk_initials ORDER BY list_id, key, rid;
         DELETE FROM bulk_grams; DELETE FROM bulk_initials;",
    )?;
    Ok(())
}

/// Indexes one row body (replacing any earlier version). A body that does not parse is
/// left out of the index; it still counts in the state hash, which decides.
pub(super) fn put(
    tx: &Transaction<'_>,
    scope: &str,
    id: &str,
    body: &str,
    keys: &mut NameKeys,
    mode: IndexMode,
) -> Result<(), CacheError> {
    // In a fresh snapshot the scope was emptied first: there is no earlier version.
    if matches!(
        mode,
        IndexMode::Direct | IndexMode::RowsOnly { replace: true }
    ) {
        remove(tx, scope, id)?;
    }
    let Ok(row) = serde_json::from_str::<SubsidyRow>(body) else {
        return Ok(());
    };
    let tail = idcard::tail(&row.id_masked);
    tx.prepare_cached(
        "INSERT INTO subsidy_rows(scope, id, list_id, name, id_masked, id_tail, village_name,
                                  household_size, area_centimu, amount)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        scope,
        id,
        row.list_id,
        row.name,
        row.id_masked,
        tail,
        row.village_name,
        row.household_size,
        row.area_centimu,
        row.amount.0
    ])?;
    let rid = tx.last_insert_rowid();
    index_name(tx, &row.list_id, rid, &row.name, keys, mode)
}

/// The name index entries of one row: its character grams and pinyin initials.
fn index_name(
    tx: &Transaction<'_>,
    list_id: &str,
    rid: i64,
    name: &str,
    keys: &mut NameKeys,
    mode: IndexMode,
) -> Result<(), CacheError> {
    let (gram_sql, init_sql) = match mode {
        IndexMode::RowsOnly { .. } => return Ok(()),
        IndexMode::Direct => (
            "INSERT OR IGNORE INTO subsidy_grams(list_id, gram, rid) VALUES (?1, ?2, ?3)",
            "INSERT OR IGNORE INTO subsidy_initials(list_id, key, rid) VALUES (?1, ?2, ?3)",
        ),
        IndexMode::Bulk => (
            "INSERT INTO temp.bulk_grams(list_id, gram, rid) VALUES (?1, ?2, ?3)",
            "INSERT INTO temp.bulk_initials(list_id, key, rid) VALUES (?1, ?2, ?3)",
        ),
    };
    let (grams, initials) = keys.get(name);
    let mut gram_stmt = tx.prepare_cached(gram_sql)?;
    for g in grams {
        gram_stmt.execute(params![list_id, g, rid])?;
    }
    let mut init_stmt = tx.prepare_cached(init_sql)?;
    for key in initials {
        init_stmt.execute(params![list_id, key, rid])?;
    }
    Ok(())
}

/// The next string after every string that starts with `prefix`, for index range scans.
fn prefix_end(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

/// Counting initials matches stops here: short initials ("zw") can match tens of
/// thousands of rows, and "2000 户以上" tells a resident all they need (type more).
pub const COUNT_CAP: u64 = 2000;

/// What a search found: a page of rows, how many match, and whether that count is only a
/// lower bound (more than [`COUNT_CAP`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub rows: Vec<FoundRow>,
    pub total: u64,
    pub total_is_lower_bound: bool,
}

/// The columns [`found_row`] reads, first in a query's select list.
const ROW_COLUMNS: &str = "r.scope, r.id, r.list_id, r.name, r.id_masked, r.village_name,
                           r.household_size, r.area_centimu, r.amount";

/// A found row from the first columns of a query ([`ROW_COLUMNS`]).
fn found_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FoundRow> {
    Ok(FoundRow {
        scope: r.get(0)?,
        id: r.get(1)?,
        row: SubsidyRow {
            list_id: r.get(2)?,
            name: r.get(3)?,
            id_masked: r.get(4)?,
            village_name: r.get(5)?,
            household_size: r.get(6)?,
            area_centimu: r.get(7)?,
            amount: gongkai_model::Fen(r.get(8)?),
        },
    })
}

/// One list a person was found on: the list's scope, title, publication date and the
/// end of its posting (if set), and the person's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonHit {
    pub list_scope: String,
    pub list_title: String,
    pub list_date: String,
    pub list_expires_at: Option<String>,
    pub found: FoundRow,
}

/// 查我的补贴: the rows of one person on every subsidy list in `scopes` that is still
/// shown at `now_key`, found by the ID tail through each list's tail index and kept only
/// where the name matches too ([`names::same_person`]). Also answers how many lists were searched.
pub(super) fn find_person(
    conn: &Connection,
    scopes: &[String],
    now_key: &str,
    asked: &NameQuery,
    id_tail: &str,
) -> Result<(Vec<PersonHit>, u64), CacheError> {
    let placeholders = vec!["?"; scopes.len()].join(",");
    let lists = format!(
        "FROM items i WHERE i.kind = 'subsidy_list' AND i.scope IN ({placeholders})
         AND (i.expires_at IS NULL OR i.expires_at > ?)"
    );
    let mut args: Vec<Value> = scopes.iter().map(|s| Value::Text(s.clone())).collect();
    args.push(now_key.to_string().into());
    let searched: i64 = conn.query_row(
        &format!("SELECT count(*) {lists}"),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let tail = idcard::tail(id_tail);
    if tail.chars().count() != 4 || matches!(asked, NameQuery::IdTail(_) | NameQuery::Empty) {
        return Ok((Vec::new(), searched as u64));
    }
    args.push(tail.into());
    // CROSS JOIN keeps the lists outside: a handful of lists, each one index probe.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS}, i.scope, i.title, i.date, i.expires_at
         FROM (SELECT i.id, i.scope, i.title, i.date, i.expires_at {lists}) i
         CROSS JOIN subsidy_rows r ON r.list_id = i.id AND r.id_tail = ?
         ORDER BY i.date DESC, r.rid"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
        Ok(PersonHit {
            found: found_row(r)?,
            list_scope: r.get(9)?,
            list_title: r.get(10)?,
            list_date: r.get(11)?,
            list_expires_at: r.get(12)?,
        })
    })?;
    let mut hits = Vec::new();
    for hit in rows {
        let hit = hit?;
        if names::same_person(asked, &hit.found.row.name) {
            hits.push(hit);
        }
    }
    Ok((hits, searched as u64))
}

/// Rows of one list matching `query`. Rows found by name or ID come in the order they
/// arrived (rid); by initials, grouped by initials; the whole list in id order.
pub(super) fn search(
    conn: &Connection,
    list_id: &str,
    query: &str,
    offset: u32,
    limit: u32,
) -> Result<Found, CacheError> {
    if any_pending(conn)? {
        if let q @ (NameQuery::Name(_) | NameQuery::Initials(_)) = names::classify(query) {
            return scan(conn, list_id, &q, offset, limit);
        }
    }
    let list_id_value = || Value::Text(list_id.to_string());
    // `matches` yields the rids of matching rows in rid order, from an index of this list.
    let (matches, mut args): (String, Vec<Value>) = match names::classify(query) {
        NameQuery::Empty => (String::new(), vec![]),
        NameQuery::IdTail(t) if t.chars().count() >= 4 => {
            let tail = idcard::tail(&t);
            (
                "SELECT rid FROM subsidy_rows WHERE list_id = ? AND id_tail = ?".into(),
                vec![list_id_value(), tail.into()],
            )
        }
        NameQuery::IdTail(t) => (
            "SELECT rid FROM subsidy_rows WHERE list_id = ? AND id_tail LIKE ?".into(),
            vec![list_id_value(), format!("%{t}").into()],
        ),
        NameQuery::Initials(p) => (
            "SELECT DISTINCT rid FROM subsidy_initials WHERE list_id = ? AND key >= ? AND key < ?"
                .into(),
            vec![list_id_value(), p.clone().into(), prefix_end(&p).into()],
        ),
        NameQuery::Name(n) if n.chars().count() <= 2 => (
            "SELECT rid FROM subsidy_grams WHERE list_id = ? AND gram = ?".into(),
            vec![list_id_value(), n.into()],
        ),
        NameQuery::Name(n) => {
            let first: String = n.chars().take(2).collect();
            (
                "SELECT g.rid FROM subsidy_grams g JOIN subsidy_rows r ON r.rid = g.rid
                 WHERE g.list_id = ? AND g.gram = ? AND r.name LIKE ?"
                    .into(),
                vec![
                    list_id_value(),
                    first.into(),
                    format!("%{}%", n.replace(['%', '_'], "")).into(),
                ],
            )
        }
    };
    let capped = matches!(names::classify(query), NameQuery::Initials(_));
    let columns = ROW_COLUMNS;
    let (total, sql): (i64, String) = if matches.is_empty() {
        args.push(list_id_value());
        let total = conn.query_row(
            "SELECT count(*) FROM subsidy_rows WHERE list_id = ?",
            [list_id],
            |r| r.get(0),
        )?;
        (
            total,
            format!("SELECT {columns} FROM subsidy_rows r WHERE r.list_id = ? ORDER BY r.id LIMIT ? OFFSET ?"),
        )
    } else if capped {
        // Index order (initials, then rid) lets DISTINCT stream, so both the capped count
        // and the page stop early instead of collecting every match.
        let total = conn.query_row(
            &format!("SELECT count(*) FROM ({matches} LIMIT {})", COUNT_CAP + 1),
            rusqlite::params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        (
            total,
            format!(
                "SELECT {columns} FROM ({matches} LIMIT ? OFFSET ?) c
                 CROSS JOIN subsidy_rows r ON r.rid = c.rid"
            ),
        )
    } else {
        let total = conn.query_row(
            &format!("SELECT count(*) FROM ({matches})"),
            rusqlite::params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        (
            total,
            format!(
                "SELECT {columns} FROM ({matches} ORDER BY 1 LIMIT ? OFFSET ?) c
                 CROSS JOIN subsidy_rows r ON r.rid = c.rid ORDER BY c.rid"
            ),
        )
    };
    args.push(i64::from(limit).into());
    args.push(i64::from(offset).into());
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), found_row)?;
    let total = total as u64;
    Ok(Found {
        rows: rows.collect::<Result<_, _>>()?,
        total: if capped { total.min(COUNT_CAP) } else { total },
        total_is_lower_bound: capped && total > COUNT_CAP,
    })
}

/// [`search`] by name or initials without the name index (while it is being built): every
/// row of the list read in arrival order and matched the way the index would match it, so
/// the answer — rows, order, count — is the same, only slower.
fn scan(
    conn: &Connection,
    list_id: &str,
    query: &NameQuery,
    offset: u32,
    limit: u32,
) -> Result<Found, CacheError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS}, r.rid FROM subsidy_rows r WHERE r.list_id = ?1 ORDER BY r.rid"
    ))?;
    let rows = stmt.query_map([list_id], |r| Ok((found_row(r)?, r.get::<_, i64>(9)?)))?;
    // (the key the index would find it under first, arrival order, the row)
    let mut hits: Vec<(String, i64, FoundRow)> = Vec::new();
    for row in rows {
        let (found, rid) = row?;
        let name = found.row.name.as_str();
        let key = match query {
            NameQuery::Initials(p) => names::initials_variants(name)
                .into_iter()
                .filter(|k| k.starts_with(p.as_str()))
                .min(),
            NameQuery::Name(n) if n.chars().count() <= 2 => {
                names::grams(name).iter().any(|g| g == n).then(String::new)
            }
            NameQuery::Name(n) => {
                let first: String = n.chars().take(2).collect();
                let whole = n.replace(['%', '_'], "");
                (names::grams(name).contains(&first) && name.contains(&whole)).then(String::new)
            }
            NameQuery::IdTail(_) | NameQuery::Empty => None,
        };
        if let Some(key) = key {
            hits.push((key, rid, found));
        }
    }
    hits.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let capped = matches!(query, NameQuery::Initials(_));
    let total = hits.len() as u64;
    Ok(Found {
        rows: hits
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(_, _, f)| f)
            .collect(),
        total: if capped { total.min(COUNT_CAP) } else { total },
        total_is_lower_bound: capped && total > COUNT_CAP,
    })
}
