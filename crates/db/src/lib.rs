//! One way to open a Gongkai SQLite file: WAL, foreign keys, a busy timeout, the
//! durability the caller asks for, and the schema brought up to date by migrations
//! compiled into the binary.
//!
//! Architecture invariant: migrations are append-only. A released migration is never
//! edited; a change is a new entry at the end of the list.
#![forbid(unsafe_code)]

use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database {path} has schema version {found}, newer than this program knows ({known}); refusing to touch it")]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
}

/// How hard a commit must be on disk before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// WAL with synchronous=NORMAL: a power cut may lose the last commits but never
    /// corrupts. Right for caches that can be synced again.
    Normal,
    /// synchronous=FULL: a commit that returned survives a power cut. For anything a
    /// person was told is saved (complaints, outbox).
    Full,
}

/// Opens (creating if needed) the database at `path` and applies `migrations` in order.
pub fn open(
    path: &Path,
    durability: Durability,
    migrations: &[&str],
) -> Result<Connection, DbError> {
    let mut conn = Connection::open(path)?;
    configure(&conn, durability)?;
    migrate(&mut conn, &path.display().to_string(), migrations)?;
    Ok(conn)
}

/// Opens a second connection for reading; it never migrates.
pub fn open_reader(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

fn configure(conn: &Connection, durability: Durability) -> Result<(), DbError> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(
        None,
        "synchronous",
        match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn migrate(conn: &mut Connection, path: &str, migrations: &[&str]) -> Result<(), DbError> {
    let current: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?
        .try_into()
        .unwrap_or(0);
    if current > migrations.len() {
        return Err(DbError::TooNew {
            path: path.to_string(),
            found: current,
            known: migrations.len(),
        });
    }
    for (i, sql) in migrations.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_files() -> Result<(), DbError> {
        let dir = tempfile::tempdir()
            .map_err(|e| DbError::Sqlite(rusqlite::Error::InvalidPath(e.to_string().into())))?;
        let path = dir.path().join("t.sqlite");
        let m = ["CREATE TABLE a(x)", "CREATE TABLE b(y)"];
        drop(open(&path, Durability::Full, &m)?);
        // Re-opening does not re-run migrations (CREATE TABLE would fail).
        let conn = open(&path, Durability::Full, &m)?;
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        assert_eq!(v, 2);
        drop(conn);
        assert!(matches!(
            open(&path, Durability::Full, &m[..1]),
            Err(DbError::TooNew {
                found: 2,
                known: 1,
                ..
            })
        ));
        Ok(())
    }
}
