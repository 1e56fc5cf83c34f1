//! Filings in SQLite: one row each, keyed by the kiosk's client UUID so retries are
//! idempotent, plus a log of every status change (who, when, from, to, why).

use super::{NewComplaint, StoreError};
use gongkai_model::complaint::{ComplaintKind, ComplaintStatus, TrackingCode};
use gongkai_protocol::complaints::PublicStatus;
use rusqlite::{params, Connection, OptionalExtension};

pub(super) const MIGRATION: &str = r#"
CREATE TABLE complaints (
    id            INTEGER PRIMARY KEY,
    client_uuid   TEXT NOT NULL UNIQUE,
    code          TEXT NOT NULL UNIQUE,
    kiosk_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    subject       TEXT NOT NULL,
    text          TEXT NOT NULL,
    contact_name  TEXT,
    contact_phone TEXT,
    office        TEXT NOT NULL,
    status        TEXT NOT NULL,
    filed_at      INTEGER NOT NULL,
    received_at   INTEGER NOT NULL,
    received_on   TEXT NOT NULL,
    due_on        TEXT,
    answer        TEXT
);
CREATE TABLE complaint_events (
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
"#;

fn json_key<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn from_key<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(key.to_string())).ok()
}

pub(super) fn insert(conn: &mut Connection, f: &NewComplaint) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let u = &f.upload;
    let exists: Option<i64> = tx
        .query_row(
            "SELECT id FROM complaints WHERE client_uuid = ?1",
            [&u.client_uuid],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_some() {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO complaints(client_uuid, code, kiosk_id, kind, scope, subject, text,
            contact_name, contact_phone, office, status, filed_at, received_at, received_on, due_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            u.client_uuid,
            u.code.as_str(),
            u.kiosk_id,
            json_key(&u.kind),
            u.scope.as_str(),
            u.subject,
            u.text,
            u.contact.as_ref().map(|c| c.name.clone()),
            u.contact.as_ref().map(|c| c.phone.clone()),
            f.office,
            json_key(&ComplaintStatus::Accepted),
            u.filed_at,
            f.received_at,
            f.received_on.to_string(),
            f.due_on.to_string(),
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO complaint_events(complaint_id, at, actor, from_status, to_status, note)
         VALUES (?1, ?2, ?3, NULL, ?4, ?5)",
        params![
            id,
            f.received_at,
            format!("kiosk:{}", u.kiosk_id),
            json_key(&ComplaintStatus::Accepted),
            format!("自动受理，转{}", f.office)
        ],
    )?;
    tx.commit()?;
    Ok(true)
}

pub(super) fn status(
    conn: &Connection,
    code: &TrackingCode,
) -> Result<Option<PublicStatus>, StoreError> {
    let row = conn
        .query_row(
            "SELECT kind, subject, status, received_on, due_on, answer, office
             FROM complaints WHERE code = ?1",
            [code.as_str()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .optional()?;
    Ok(row.and_then(
        |(kind, subject, status, received_on, due_on, answer, office)| {
            Some(PublicStatus {
                code: code.clone(),
                kind: from_key::<ComplaintKind>(&kind)?,
                subject,
                status: from_key::<ComplaintStatus>(&status)?,
                received_on,
                due_on,
                answer,
                office,
            })
        },
    ))
}
