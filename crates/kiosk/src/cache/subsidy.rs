//! The subsidy-row search index: names by character grams, pinyin initials and ID tails,
//! kept in the same transaction as the items it derives from, so search can never
//! disagree with what is shown.

use super::CacheError;
use gongkai_model::names::{self, NameQuery};
use gongkai_model::SubsidyRow;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

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
CREATE INDEX subsidy_rows_tail ON subsidy_rows(id_tail);
CREATE TABLE subsidy_grams (gram TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (gram, rid)) WITHOUT ROWID;
CREATE TABLE subsidy_initials (key TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (key, rid)) WITHOUT ROWID;
"#;

/// One found row, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRow {
    pub scope: String,
    pub id: String,
    pub row: SubsidyRow,
}

pub(super) fn remove(tx: &Transaction<'_>, scope: &str, id: &str) -> Result<(), CacheError> {
    let rid: Option<i64> = tx
        .prepare_cached("SELECT rid FROM subsidy_rows WHERE scope = ?1 AND id = ?2")?
        .query_row(params![scope, id], |r| r.get(0))
        .optional()?;
    if let Some(rid) = rid {
        tx.prepare_cached("DELETE FROM subsidy_grams WHERE rid = ?1")?
            .execute([rid])?;
        tx.prepare_cached("DELETE FROM subsidy_initials WHERE rid = ?1")?
            .execute([rid])?;
        tx.prepare_cached("DELETE FROM subsidy_rows WHERE rid = ?1")?
            .execute([rid])?;
    }
    Ok(())
}

pub(super) fn remove_scope(tx: &Transaction<'_>, scope: &str) -> Result<(), CacheError> {
    tx.execute(
        "DELETE FROM subsidy_grams WHERE rid IN (SELECT rid FROM subsidy_rows WHERE scope = ?1)",
        [scope],
    )?;
    tx.execute(
        "DELETE FROM subsidy_initials WHERE rid IN (SELECT rid FROM subsidy_rows WHERE scope = ?1)",
        [scope],
    )?;
    tx.execute("DELETE FROM subsidy_rows WHERE scope = ?1", [scope])?;
    Ok(())
}

/// Indexes one row body (replacing any earlier version). A body that does not parse is
/// left out of the index; it still counts in the state hash, which decides.
pub(super) fn put(
    tx: &Transaction<'_>,
    scope: &str,
    id: &str,
    body: &str,
) -> Result<(), CacheError> {
    remove(tx, scope, id)?;
    let Ok(row) = serde_json::from_str::<SubsidyRow>(body) else {
        return Ok(());
    };
    let tail: String = {
        let chars: Vec<char> = row.id_masked.chars().collect();
        chars[chars.len().saturating_sub(4)..]
            .iter()
            .collect::<String>()
            .to_ascii_uppercase()
    };
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
    let mut gram_stmt =
        tx.prepare_cached("INSERT OR IGNORE INTO subsidy_grams(gram, rid) VALUES (?1, ?2)")?;
    for g in names::grams(&row.name) {
        gram_stmt.execute(params![g, rid])?;
    }
    let mut init_stmt =
        tx.prepare_cached("INSERT OR IGNORE INTO subsidy_initials(key, rid) VALUES (?1, ?2)")?;
    for key in names::initials_variants(&row.name) {
        init_stmt.execute(params![key, rid])?;
    }
    Ok(())
}

/// The next string after every string that starts with `prefix`, for index range scans.
fn prefix_end(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

/// Rows of the given scopes (and list, if any) matching `query`, in list order.
pub(super) fn search(
    conn: &Connection,
    scopes: &[String],
    list_id: Option<&str>,
    query: &str,
    offset: u32,
    limit: u32,
) -> Result<(Vec<FoundRow>, u64), CacheError> {
    let scope_list = vec!["?"; scopes.len()].join(",");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    // `candidates` selects the rids that match the query, using one of the indexes.
    let candidates = match names::classify(query) {
        NameQuery::Empty => String::new(),
        NameQuery::IdTail(t) if t.chars().count() >= 4 => {
            let tail: String = t.chars().skip(t.chars().count() - 4).collect();
            args.push(tail.into());
            "SELECT rid FROM subsidy_rows WHERE id_tail = ?".to_string()
        }
        NameQuery::IdTail(t) => {
            args.push(format!("%{t}").into());
            "SELECT rid FROM subsidy_rows WHERE id_tail LIKE ?".to_string()
        }
        NameQuery::Initials(p) => {
            args.push(p.clone().into());
            args.push(prefix_end(&p).into());
            "SELECT DISTINCT rid FROM subsidy_initials WHERE key >= ? AND key < ?".to_string()
        }
        NameQuery::Name(n) => {
            let first: String = n.chars().take(2).collect();
            args.push(first.into());
            args.push(format!("%{}%", n.replace(['%', '_'], "")).into());
            "SELECT g.rid FROM subsidy_grams g JOIN subsidy_rows r ON r.rid = g.rid
             WHERE g.gram = ? AND r.name LIKE ?"
                .to_string()
        }
    };
    // With a query, start from the few candidate rows its index found (CROSS JOIN keeps
    // SQLite from scanning the whole list in display order instead); without one, walk
    // the list's own index.
    let from = if candidates.is_empty() {
        "subsidy_rows r".to_string()
    } else {
        format!("({candidates}) c CROSS JOIN subsidy_rows r ON r.rid = c.rid")
    };
    let filter = format!("r.scope IN ({scope_list}) AND (? IS NULL OR r.list_id = ?)");
    for s in scopes {
        args.push(s.clone().into());
    }
    let list: rusqlite::types::Value = list_id.map(str::to_string).into();
    args.push(list.clone());
    args.push(list);
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {from} WHERE {filter}"),
        rusqlite::params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    args.push(i64::from(limit).into());
    args.push(i64::from(offset).into());
    let mut stmt = conn.prepare(&format!(
        "SELECT r.scope, r.id, r.list_id, r.name, r.id_masked, r.village_name, r.household_size,
                r.area_centimu, r.amount
         FROM {from} WHERE {filter} ORDER BY r.list_id, r.id LIMIT ? OFFSET ?"
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
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
    })?;
    Ok((rows.collect::<Result<_, _>>()?, total as u64))
}
