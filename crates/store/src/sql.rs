//! One way to run SQL on either back-end, so the console, complaint and fleet tables are
//! read and written by the same code on SQLite and on PostgreSQL (the conformance suite
//! then tests one implementation, not two that drift apart).
//!
//! Statements are written once, in the common subset of both dialects, with SQLite's
//! `?N` placeholders; the PostgreSQL connection rewrites them to `$N` and caches the
//! prepared statement. Values cross as [`Value`]: integers, text, bytes or NULL — every
//! column in these tables is one of the four (PostgreSQL integer columns are BIGINT).
//! Where the dialects really differ (row locks, "greater of"), [`Sql::dialect`] says which
//! one this is.

use super::StoreError;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Value {
        // Sequence numbers and counters stay far below i64::MAX.
        Value::Int(v as i64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Bytes(v.to_vec())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Bytes(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// `args![a, b, c]`: statement parameters, each converted into a [`Value`].
macro_rules! args {
    ($($v:expr),* $(,)?) => { &[$($crate::sql::Value::from($v)),*] };
}
pub(crate) use args;

/// One result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn col(&self, i: usize) -> Result<&Value, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Column(format!("no column {i}")))
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.col(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(StoreError::Column(format!(
                "column {i}: integer expected, found {other:?}"
            ))),
        }
    }

    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.opt_int(i)?
            .ok_or_else(|| StoreError::Column(format!("column {i} is NULL")))
    }

    pub fn uint(&self, i: usize) -> Result<u64, StoreError> {
        Ok(self.int(i)?.max(0) as u64)
    }

    pub fn flag(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.opt_int(i)?.unwrap_or(0) != 0)
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.col(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(StoreError::Column(format!(
                "column {i}: text expected, found {other:?}"
            ))),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?
            .ok_or_else(|| StoreError::Column(format!("column {i} is NULL")))
    }

    pub fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, StoreError> {
        match self.col(i)? {
            Value::Null => Ok(None),
            Value::Bytes(v) => Ok(Some(v.clone())),
            other => Err(StoreError::Column(format!(
                "column {i}: bytes expected, found {other:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

pub trait Sql {
    fn dialect(&self) -> Dialect;
    /// Runs a statement; answers the rows it changed.
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    fn row(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
    /// Hands each row to `f` as it arrives, for scans too big to hold at once.
    fn each(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs statements without parameters or results (transaction control, DDL).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// A write transaction. SQLite takes its write lock at once (a read that later wants
    /// to write would otherwise fail instead of waiting); PostgreSQL relies on row locks.
    fn begin(&mut self) -> Result<(), StoreError> {
        self.batch(match self.dialect() {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        })
    }
    /// A read-only transaction over one snapshot.
    fn begin_read(&mut self) -> Result<(), StoreError> {
        self.batch(match self.dialect() {
            Dialect::Sqlite => "BEGIN",
            Dialect::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        })
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        self.batch("COMMIT")
    }
    fn rollback(&mut self) -> Result<(), StoreError> {
        self.batch("ROLLBACK")
    }

    /// What to append to a SELECT whose rows the transaction goes on to change: on
    /// PostgreSQL a concurrent writer of the same rows then waits for this one; SQLite's
    /// write transactions are already serial.
    fn for_update(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
}

/// Runs `f` in a write transaction: committed if it returns Ok, rolled back otherwise.
pub fn in_tx<D: Sql + ?Sized, T>(
    db: &mut D,
    f: impl FnOnce(&mut D) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    db.begin()?;
    finish(db, f)
}

/// Runs `f` in a read-only snapshot.
pub fn in_snapshot<D: Sql + ?Sized, T>(
    db: &mut D,
    f: impl FnOnce(&mut D) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    db.begin_read()?;
    finish(db, f)
}

fn finish<D: Sql + ?Sized, T>(
    db: &mut D,
    f: impl FnOnce(&mut D) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    match f(db) {
        Ok(v) => {
            db.commit()?;
            Ok(v)
        }
        Err(e) => {
            // The error that made us roll back is the one worth reporting.
            let _ = db.rollback();
            Err(e)
        }
    }
}

// --- SQLite -------------------------------------------------------------------------

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Bytes(v) => ValueRef::Blob(v),
        }))
    }
}

fn sqlite_row(r: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Row> {
    use rusqlite::types::ValueRef;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Int(v),
            // No column of these tables is REAL; a stray one is read as an integer.
            ValueRef::Real(v) => Value::Int(v as i64),
            ValueRef::Text(v) => Value::Text(String::from_utf8_lossy(v).into_owned()),
            ValueRef::Blob(v) => Value::Bytes(v.to_vec()),
        });
    }
    Ok(Row(out))
}

impl Sql for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let n = self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))?;
        Ok(n as u64)
    }

    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| sqlite_row(r, n))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn each(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            f(sqlite_row(r, n)?)?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.execute_batch(sql)?;
        Ok(())
    }
}

// --- PostgreSQL ---------------------------------------------------------------------

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        match self {
            Value::Null => Ok(IsNull::Yes),
            // PostgreSQL infers a parameter's type from where it stands (`$1 - 86400` is
            // an int4): the integer is written in whatever width was asked for.
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => v.to_string().to_sql(ty, out),
                _ => Err(format!("an integer cannot be stored as {ty}").into()),
            },
            Value::Text(v) => v.as_str().to_sql(ty, out),
            Value::Bytes(v) => v.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A PostgreSQL connection with its prepared statements, by the SQL they were made from.
pub struct PgConn {
    pub client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client,
            statements: HashMap::new(),
        }
    }

    pub fn connect(url: &str) -> Result<PgConn, StoreError> {
        Ok(PgConn::new(pg_connect(url)?))
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.client.prepare(&dollar_placeholders(sql))?;
        self.statements.insert(sql.to_string(), prepared.clone());
        Ok(prepared)
    }
}

/// Connects to PostgreSQL, over TLS whenever the server offers it (`sslmode=require` in the
/// URL insists on it), verifying the server's certificate and name. Trusted: the public
/// roots, or — as libpq spells it — the CA file in an `sslrootcert=/path` URL parameter
/// (a province's own CA). Instances on several hosts reach the database over the network:
/// passwords, filings and full ID numbers must not cross it in clear.
pub fn pg_connect(url: &str) -> Result<postgres::Client, StoreError> {
    let (url, root) = take_sslrootcert(url);
    let mut roots = rustls::RootCertStore::empty();
    match &root {
        Some(path) => {
            use rustls_pki_types::pem::PemObject;
            let bad =
                |e: String| StoreError::Refused(format!("无法读取数据库 CA 证书 {path}：{e}"));
            for cert in rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| bad(e.to_string()))?
            {
                roots
                    .add(cert.map_err(|e| bad(e.to_string()))?)
                    .map_err(|e| bad(e.to_string()))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StoreError::Refused(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
    Ok(postgres::Client::connect(&url, tls)?)
}

/// Splits libpq's `sslrootcert` parameter off a `postgres://` URL (the driver does not
/// know it): `(url without it, its value)`.
fn take_sslrootcert(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut root = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| match p.strip_prefix("sslrootcert=") {
            Some(v) => {
                root = Some(v.to_string());
                false
            }
            None => !p.is_empty(),
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, root)
}

/// `?1` → `$1`. Statements here never hold a `?` inside a string literal.
pub fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_row(r: &postgres::Row) -> Result<Row, StoreError> {
    use postgres::types::Type;
    let mut out = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(i64::from(v))),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(i64::from(v))),
            Type::BOOL => r
                .try_get::<_, Option<bool>>(i)?
                .map(|v| Value::Int(i64::from(v))),
            Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes),
            // `SELECT pg_notify(…)` and the like answer one column of no value.
            Type::VOID => None,
            _ => r.try_get::<_, Option<String>>(i)?.map(Value::Text),
        };
        out.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(out))
}

fn pg_params(params: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

impl Sql for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        Ok(self.client.execute(&stmt, &pg_params(params))?)
    }

    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        self.client
            .query(&stmt, &pg_params(params))?
            .iter()
            .map(pg_row)
            .collect()
    }

    fn each(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let stmt = self.statement(sql)?;
        let mut rows = self.client.query_raw(&stmt, pg_params(params))?;
        while let Some(r) = rows.next()? {
            f(pg_row(&r)?)?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslrootcert_is_taken_off_the_url() {
        assert_eq!(
            take_sslrootcert("postgres://a@h/db?sslmode=require&sslrootcert=/etc/ca.pem"),
            (
                "postgres://a@h/db?sslmode=require".to_string(),
                Some("/etc/ca.pem".to_string())
            )
        );
        assert_eq!(
            take_sslrootcert("postgres://a@h/db?sslrootcert=/x"),
            ("postgres://a@h/db".to_string(), Some("/x".to_string()))
        );
        assert_eq!(
            take_sslrootcert("postgres://a@h/db"),
            ("postgres://a@h/db".to_string(), None)
        );
    }

    #[test]
    fn placeholders_become_dollar_numbers() {
        assert_eq!(
            dollar_placeholders("SELECT a FROM t WHERE b = ?1 AND c LIKE ?12 || '%'"),
            "SELECT a FROM t WHERE b = $1 AND c LIKE $12 || '%'"
        );
    }

    #[test]
    fn sqlite_rows_come_back_as_values() {
        let mut c = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        c.exec("CREATE TABLE t (a INTEGER, b TEXT, c BLOB)", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        in_tx(&mut c, |c| {
            c.exec(
                "INSERT INTO t VALUES (?1, ?2, ?3)",
                args![7i64, "七", vec![1u8, 2]],
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let r = c
            .row("SELECT a, b, c, NULL FROM t", &[])
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("a row"));
        assert_eq!(r.int(0).ok(), Some(7));
        assert_eq!(r.text(1).ok().as_deref(), Some("七"));
        assert_eq!(r.opt_bytes(2).ok().flatten(), Some(vec![1, 2]));
        assert_eq!(r.opt_text(3).ok(), Some(None));
        assert!(r.text(0).is_err(), "a wrong type is an error, not a panic");
        // A failed transaction leaves nothing behind.
        let failed: Result<(), StoreError> = in_tx(&mut c, |c| {
            c.exec("INSERT INTO t VALUES (8, 'x', NULL)", &[])?;
            Err(StoreError::Refused("no".into()))
        });
        assert!(failed.is_err());
        let n = c
            .row("SELECT count(*) FROM t", &[])
            .ok()
            .flatten()
            .and_then(|r| r.int(0).ok());
        assert_eq!(n, Some(1));
    }
}
