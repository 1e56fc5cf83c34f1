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

/// Appended after the first release of the table: one extension per filing, and 补正
/// pauses (open until the clarification arrives).
pub(super) const MIGRATION_ACTIONS: &str = r#"
ALTER TABLE complaints ADD COLUMN extended INTEGER NOT NULL DEFAULT 0;
CREATE TABLE complaint_pauses (
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    from_date    TEXT NOT NULL,
    until_date   TEXT
);
"#;

/// Staff credentials: a bearer token (stored only as its sha256) for a named person and
/// the office whose filings they handle (`*` for the whole county).
pub(super) const MIGRATION_STAFF: &str = r#"
CREATE TABLE staff_tokens (
    token_hash TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    office     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
"#;

/// The working-day limit in force when the filing arrived, kept with it: later changes to
/// the county's limits apply to new filings only.
pub(super) const MIGRATION_LIMIT: &str = "ALTER TABLE complaints ADD COLUMN limit_days INTEGER;";

/// Everything staff see of one filing, contact details and history included.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffDetail {
    pub public: PublicStatus,
    pub text: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub kiosk_id: String,
    pub events: Vec<StaffEvent>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffEvent {
    pub at: i64,
    pub actor: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
}

/// One action an office takes on a filing.
#[derive(Debug, Clone)]
pub struct Transition {
    pub code: TrackingCode,
    pub to: ComplaintStatus,
    /// Who did it (a staff user name); recorded with the time.
    pub actor: String,
    /// Why: required for 不予受理, 已延期 and 补正.
    pub note: String,
    /// The public answer, required for 已答复.
    pub answer: Option<String>,
    pub at: i64,
    /// The working day it happens on (Beijing date).
    pub today: chrono::NaiveDate,
}

/// A filing as staff see it in their lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub code: TrackingCode,
    /// The village, township or county it concerns.
    pub scope: String,
    pub kind: ComplaintKind,
    pub subject: String,
    pub status: ComplaintStatus,
    pub office: String,
    pub received_on: String,
    pub due_on: Option<String>,
}

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
    // Immediate: take the write lock at once, so a concurrent writer makes this wait
    // (busy timeout) instead of failing when a read would have to become a write.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
            contact_name, contact_phone, office, status, filed_at, received_at, received_on, due_on,
            limit_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            u.client_uuid,
            u.code.as_str(),
            u.kiosk_id,
            json_key(&u.kind),
            u.scope.as_str(),
            u.subject,
            u.text,
            f.contact.as_ref().map(|c| c.name.clone()),
            f.contact.as_ref().map(|c| c.phone.clone()),
            f.office,
            json_key(&ComplaintStatus::Accepted),
            u.filed_at,
            f.received_at,
            f.received_on.to_string(),
            f.due_on.to_string(),
            f.limit_days,
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

fn refused(message: &str) -> StoreError {
    StoreError::Refused(message.to_string())
}

pub(super) fn transition(
    conn: &mut Connection,
    t: &Transition,
    calendar: &gongkai_model::calendar::Calendar,
) -> Result<PublicStatus, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let row: Option<(i64, String, String, String, bool, Option<u32>)> = tx
        .query_row(
            "SELECT id, kind, status, received_on, extended, limit_days FROM complaints WHERE code = ?1",
            [t.code.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    let (id, kind, current, received_on, extended, limit_days) =
        row.ok_or_else(|| refused("没有这个查询码"))?;
    let kind: ComplaintKind = from_key(&kind).ok_or_else(|| refused("类别无法识别"))?;
    let from: ComplaintStatus = from_key(&current).ok_or_else(|| refused("状态无法识别"))?;
    if !from.can_move_to(t.to) {
        return Err(StoreError::Refused(format!(
            "不能从“{}”改为“{}”",
            from.label(),
            t.to.label()
        )));
    }
    let needs_note = matches!(
        t.to,
        ComplaintStatus::Rejected | ComplaintStatus::Extended | ComplaintStatus::Clarifying
    );
    if needs_note && t.note.trim().is_empty() {
        return Err(refused("请写明理由"));
    }
    let answer = t.answer.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if t.to == ComplaintStatus::Answered && answer.is_none() {
        return Err(refused("请填写答复内容"));
    }
    if t.to == ComplaintStatus::Extended && extended {
        return Err(refused("每件只能延期一次"));
    }
    let today = t.today.to_string();
    match t.to {
        ComplaintStatus::Clarifying => {
            tx.execute(
                "INSERT INTO complaint_pauses(complaint_id, from_date) VALUES (?1, ?2)",
                params![id, today],
            )?;
        }
        _ if from == ComplaintStatus::Clarifying => {
            tx.execute(
                "UPDATE complaint_pauses SET until_date = ?2 WHERE complaint_id = ?1 AND until_date IS NULL",
                params![id, today],
            )?;
        }
        _ => {}
    }
    let extended = extended || t.to == ComplaintStatus::Extended;
    // The due date, recounted from receipt on the calendar: the limit, one extension of
    // 20 working days, and no counting while a 补正 is open.
    let mut pauses = Vec::new();
    let mut open_pause = false;
    {
        let mut stmt = tx.prepare(
            "SELECT from_date, until_date FROM complaint_pauses WHERE complaint_id = ?1",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        for r in rows {
            let (a, b) = r?;
            match (a.parse(), b.map(|b| b.parse())) {
                (Ok(a), Some(Ok(b))) => pauses.push((a, b)),
                _ => open_pause = true,
            }
        }
    }
    let received: chrono::NaiveDate = received_on
        .parse()
        .map_err(|_| refused("受理日期无法识别"))?;
    let limit =
        limit_days.unwrap_or_else(|| kind.limit_working_days()) + if extended { 20 } else { 0 };
    let due = (!open_pause).then(|| {
        calendar
            .add_working_days(received, limit, &pauses)
            .date
            .to_string()
    });
    tx.execute(
        "UPDATE complaints SET status = ?2, extended = ?3, due_on = ?4,
                answer = COALESCE(?5, answer) WHERE id = ?1",
        params![id, json_key(&t.to), extended, due, answer],
    )?;
    tx.execute(
        "INSERT INTO complaint_events(complaint_id, at, actor, from_status, to_status, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, t.at, t.actor, json_key(&from), json_key(&t.to), t.note],
    )?;
    tx.commit()?;
    status(conn, &t.code)?.ok_or_else(|| refused("没有这个查询码"))
}

pub(super) fn list(conn: &Connection, office: Option<&str>) -> Result<Vec<StaffRow>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT code, kind, subject, status, office, received_on, due_on, scope FROM complaints
         WHERE (?1 IS NULL OR office = ?1) ORDER BY due_on IS NULL, due_on, id",
    )?;
    let rows = stmt.query_map([office], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for r in rows {
        let (code, kind, subject, status, office, received_on, due_on, scope) = r?;
        let (Ok(code), Some(kind), Some(status)) = (
            TrackingCode::parse(&code),
            from_key(&kind),
            from_key(&status),
        ) else {
            continue;
        };
        out.push(StaffRow {
            code,
            scope,
            kind,
            subject,
            status,
            office,
            received_on,
            due_on,
        });
    }
    Ok(out)
}

/// The scope a filing concerns, where its public answer is published.
pub(super) fn scope_of(
    conn: &Connection,
    code: &TrackingCode,
) -> Result<Option<gongkai_model::ScopeId>, StoreError> {
    let scope: Option<String> = conn
        .query_row(
            "SELECT scope FROM complaints WHERE code = ?1",
            [code.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(scope.and_then(|s| gongkai_model::ScopeId::parse(&s).ok()))
}

pub(super) fn put_staff_token(
    conn: &Connection,
    hash: &str,
    name: &str,
    office: &str,
    at: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO staff_tokens(token_hash, name, office, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![hash, name, office, at],
    )?;
    Ok(())
}

pub(super) fn staff_by_token(
    conn: &Connection,
    hash: &str,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT name, office FROM staff_tokens WHERE token_hash = ?1 AND revoked = 0",
            [hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub(super) fn detail(
    conn: &Connection,
    code: &TrackingCode,
) -> Result<Option<StaffDetail>, StoreError> {
    let Some(public) = status(conn, code)? else {
        return Ok(None);
    };
    let (id, text, contact_name, contact_phone, kiosk_id): (
        i64,
        String,
        Option<String>,
        Option<String>,
        String,
    ) = conn.query_row(
        "SELECT id, text, contact_name, contact_phone, kiosk_id FROM complaints WHERE code = ?1",
        [code.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut stmt = conn.prepare(
        "SELECT at, actor, from_status, to_status, note FROM complaint_events WHERE complaint_id = ?1 ORDER BY rowid",
    )?;
    let events = stmt
        .query_map([id], |r| {
            Ok(StaffEvent {
                at: r.get(0)?,
                actor: r.get(1)?,
                from_status: r.get(2)?,
                to_status: r.get(3)?,
                note: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(StaffDetail {
        public,
        text,
        contact_name,
        contact_phone,
        kiosk_id,
        events,
    }))
}
