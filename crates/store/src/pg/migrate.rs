//! `migrate-to-postgres`: a whole county moved from its SQLite file and blob directory
//! into an empty PostgreSQL database, then compared table by table.

use super::*;

// --- Moving a county in ---------------------------------------------------------------

/// The blobs of a data directory's blob store: `(name, path)` of every file named by a
/// sha256, two levels deep as `BlobStore` keeps them.
pub(super) fn blob_files(dir: &std::path::Path) -> Vec<(String, std::path::PathBuf)> {
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
pub(super) const TABLES: &[&str] = &[
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
    "code_pool",
    "kiosk_memory",
    "display_log",
    "fleet_alerts",
    "releases",
    "webhook_outbox",
];

/// Tables whose order of insertion matters (statements order by it): SQLite's implicit
/// rowid moves into the serial column of that name.
pub(super) const WITH_ROWID: &[&str] = &["complaint_events", "releases"];

/// Serial columns whose sequences must continue after the moved rows.
pub(super) const SERIALS: &[(&str, &str)] = &[
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

pub(super) fn columns(
    src: &mut rusqlite::Connection,
    table: &str,
) -> Result<Vec<String>, StoreError> {
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
pub(super) fn table_digest(
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
    sqlite: &crate::SqliteStore,
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
pub(super) fn verify_migration(
    sqlite: &crate::SqliteStore,
    c: &mut PgConn,
) -> Result<(), StoreError> {
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
        let b = crate::changelog::page(c, after, 10_000)?;
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
