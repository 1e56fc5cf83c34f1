//! Filings (both back-ends): one row each, keyed by the kiosk's client UUID so retries are
//! idempotent, plus a log of every status change (who, when, from, to, why).

use super::sql::{args, in_tx, Row, Sql};
use super::{NewComplaint, StoreError};
use gongkai_model::complaint::{ComplaintKind, ComplaintStatus, TrackingCode};
use gongkai_protocol::complaints::PublicStatus;

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

/// The year without entered holidays a deadline was counted across (NULL: exact), so
/// every surface can say it is provisional, and entering that year recounts it.
pub(super) const MIGRATION_PROVISIONAL: &str =
    "ALTER TABLE complaints ADD COLUMN due_provisional INTEGER;";

/// Everything staff see of one filing, contact details and history included.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StaffDetail {
    pub public: PublicStatus,
    /// The village, township or county it concerns.
    pub scope: String,
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
    /// See [`PublicStatus::due_provisional`].
    pub due_provisional: Option<i32>,
    /// Entered by staff for a resident (代为提交): who entered it.
    pub entered_by: Option<String>,
}

/// Where filings entered by staff come from: `console:USERNAME` in place of a kiosk id.
pub const CONSOLE_SOURCE: &str = "console:";
/// Filings a cadre entered at a kiosk in cadre mode: `cadre:USERNAME@KIOSK`.
pub const CADRE_SOURCE: &str = "cadre:";

/// The user who entered a filing for a resident (代为提交), from its source: at the
/// console's window, or in cadre mode at a kiosk.
pub fn entered_by(kiosk_id: &str) -> Option<String> {
    kiosk_id
        .strip_prefix(CONSOLE_SOURCE)
        .map(str::to_string)
        .or_else(|| {
            kiosk_id
                .strip_prefix(CADRE_SOURCE)
                .and_then(|rest| rest.split_once('@'))
                .map(|(user, _)| user.to_string())
        })
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

pub(super) fn insert(db: &mut dyn Sql, f: &NewComplaint) -> Result<bool, StoreError> {
    in_tx(db, |tx| {
        let u = &f.upload;
        // The client UUID is unique: a retried upload (to this instance or another)
        // inserts nothing and is answered as already received.
        let inserted = tx.row(
            "INSERT INTO complaints(client_uuid, code, kiosk_id, kind, scope, subject, text,
                contact_name, contact_phone, office, status, filed_at, received_at, received_on,
                due_on, limit_days, due_provisional)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT (client_uuid) DO NOTHING RETURNING id",
            args![
                u.client_uuid.as_str(),
                u.code.as_str(),
                u.kiosk_id.as_str(),
                json_key(&u.kind),
                u.scope.as_str(),
                u.subject.as_str(),
                u.text.as_str(),
                f.contact.as_ref().map(|c| c.name.clone()),
                f.contact.as_ref().map(|c| c.phone.clone()),
                f.office.as_str(),
                json_key(&ComplaintStatus::Accepted),
                u.filed_at,
                f.received_at,
                f.received_on.to_string(),
                f.due_on.to_string(),
                f.limit_days,
                f.due_provisional,
            ],
        )?;
        let Some(id) = inserted else {
            return Ok(false);
        };
        tx.exec(
            "INSERT INTO complaint_events(complaint_id, at, actor, from_status, to_status, note)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5)",
            args![
                id.int(0)?,
                f.received_at,
                format!("kiosk:{}", u.kiosk_id),
                json_key(&ComplaintStatus::Accepted),
                format!("自动受理，转{}", f.office)
            ],
        )?;
        Ok(true)
    })
}

pub(super) fn status(
    db: &mut dyn Sql,
    code: &TrackingCode,
) -> Result<Option<PublicStatus>, StoreError> {
    let Some(r) = db.row(
        "SELECT kind, subject, status, received_on, due_on, answer, office, due_provisional
         FROM complaints WHERE code = ?1",
        args![code.as_str()],
    )?
    else {
        return Ok(None);
    };
    let (Some(kind), Some(status)) = (
        from_key::<ComplaintKind>(&r.text(0)?),
        from_key::<ComplaintStatus>(&r.text(2)?),
    ) else {
        return Ok(None);
    };
    Ok(Some(PublicStatus {
        code: code.clone(),
        kind,
        subject: r.text(1)?,
        status,
        received_on: r.text(3)?,
        due_on: r.opt_text(4)?,
        due_provisional: r.opt_int(7)?.and_then(|y| i32::try_from(y).ok()),
        answer: r.opt_text(5)?,
        office: r.text(6)?,
    }))
}

fn refused(message: &str) -> StoreError {
    StoreError::Refused(message.to_string())
}

pub(super) fn transition(
    db: &mut dyn Sql,
    t: &Transition,
    calendar: &gongkai_model::calendar::Calendar,
) -> Result<PublicStatus, StoreError> {
    in_tx(db, |tx| transition_in(tx, t, calendar))?;
    status(db, &t.code)?.ok_or_else(|| refused("没有这个查询码"))
}

fn transition_in(
    tx: &mut dyn Sql,
    t: &Transition,
    calendar: &gongkai_model::calendar::Calendar,
) -> Result<(), StoreError> {
    // Locked on PostgreSQL: two officers acting on one filing at once go one after the
    // other, the second seeing the first's status.
    let sql = format!(
        "SELECT id, kind, status, received_on, extended, limit_days FROM complaints
         WHERE code = ?1{}",
        tx.for_update()
    );
    let r = tx
        .row(&sql, args![t.code.as_str()])?
        .ok_or_else(|| refused("没有这个查询码"))?;
    let (id, kind, current, received_on, extended, limit_days) = (
        r.int(0)?,
        r.text(1)?,
        r.text(2)?,
        r.text(3)?,
        r.flag(4)?,
        r.opt_int(5)?,
    );
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
    if t.to == ComplaintStatus::Extended {
        if extended {
            return Err(refused("每件只能延期一次"));
        }
        if kind.extension_working_days().is_none() {
            return Err(StoreError::Refused(format!(
                "{}没有延期的规定，请在承诺时限内办结",
                kind.label()
            )));
        }
    }
    let today = t.today.to_string();
    match t.to {
        ComplaintStatus::Clarifying => {
            tx.exec(
                "INSERT INTO complaint_pauses(complaint_id, from_date) VALUES (?1, ?2)",
                args![id, today.as_str()],
            )?;
        }
        _ if from == ComplaintStatus::Clarifying => {
            tx.exec(
                "UPDATE complaint_pauses SET until_date = ?2 WHERE complaint_id = ?1 AND until_date IS NULL",
                args![id, today.as_str()],
            )?;
        }
        _ => {}
    }
    let extended = extended || t.to == ComplaintStatus::Extended;
    let received: chrono::NaiveDate = received_on
        .parse()
        .map_err(|_| refused("受理日期无法识别"))?;
    let (due, provisional) = due_date(tx, id, kind, received, limit_days, extended, calendar)?;
    tx.exec(
        "UPDATE complaints SET status = ?2, extended = ?3, due_on = ?4,
                answer = COALESCE(?5, answer), due_provisional = ?6 WHERE id = ?1",
        args![id, json_key(&t.to), extended, due, answer, provisional],
    )?;
    tx.exec(
        "INSERT INTO complaint_events(complaint_id, at, actor, from_status, to_status, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            id,
            t.at,
            t.actor.as_str(),
            json_key(&from),
            json_key(&t.to),
            t.note.as_str()
        ],
    )?;
    Ok(())
}

/// A filing's due date, counted from receipt on the calendar: its limit, the extension
/// its kind allows if it was extended, and no counting while a 补正 is open (no date
/// then). With it, the year without entered holidays it was counted across, if any.
fn due_date(
    tx: &mut dyn Sql,
    id: i64,
    kind: ComplaintKind,
    received: chrono::NaiveDate,
    limit_days: Option<i64>,
    extended: bool,
    calendar: &gongkai_model::calendar::Calendar,
) -> Result<(Option<String>, Option<i32>), StoreError> {
    let mut pauses = Vec::new();
    let mut open_pause = false;
    for r in tx.rows(
        "SELECT from_date, until_date FROM complaint_pauses WHERE complaint_id = ?1",
        args![id],
    )? {
        match (r.text(0)?.parse(), r.opt_text(1)?.map(|b| b.parse())) {
            (Ok(a), Some(Ok(b))) => pauses.push((a, b)),
            _ => open_pause = true,
        }
    }
    if open_pause {
        return Ok((None, None));
    }
    let limit = limit_days
        .and_then(|d| u32::try_from(d).ok())
        .unwrap_or_else(|| kind.limit_working_days())
        + if extended {
            kind.extension_working_days().unwrap_or(0)
        } else {
            0
        };
    let due = calendar.add_working_days(received, limit, &pauses);
    Ok((Some(due.date.to_string()), due.missing_year))
}

/// Counts every open filing's deadline again on `calendar`; a move is recorded as an
/// event (same status, why in the note). Returns the codes whose deadline moved.
pub(super) fn recount(
    db: &mut dyn Sql,
    calendar: &gongkai_model::calendar::Calendar,
    at: i64,
    actor: &str,
) -> Result<Vec<TrackingCode>, StoreError> {
    in_tx(db, |tx| {
        let open = tx.rows(
            "SELECT id, code, kind, status, received_on, extended, limit_days, due_on,
                    due_provisional
             FROM complaints",
            args![],
        )?;
        let mut moved = Vec::new();
        for r in open {
            let (Some(kind), Some(status)) = (
                from_key::<ComplaintKind>(&r.text(2)?),
                from_key::<ComplaintStatus>(&r.text(3)?),
            ) else {
                continue;
            };
            let Ok(received) = r.text(4)?.parse::<chrono::NaiveDate>() else {
                continue;
            };
            if status.is_final() {
                continue;
            }
            let id = r.int(0)?;
            let (before, was) = (
                r.opt_text(7)?,
                r.opt_int(8)?.and_then(|y| i32::try_from(y).ok()),
            );
            let (due, provisional) =
                due_date(tx, id, kind, received, r.opt_int(6)?, r.flag(5)?, calendar)?;
            if (due.as_ref(), provisional) == (before.as_ref(), was) {
                continue;
            }
            tx.exec(
                "UPDATE complaints SET due_on = ?2, due_provisional = ?3 WHERE id = ?1",
                args![id, due.clone(), provisional],
            )?;
            let note = match (&before, &due) {
                (Some(b), Some(d)) if b != d => {
                    format!("按新录入的节假日安排重新计算，办理期限由 {b} 改为 {d}")
                }
                _ => "按新录入的节假日安排重新计算，办理期限不变".to_string(),
            };
            tx.exec(
                "INSERT INTO complaint_events(complaint_id, at, actor, from_status, to_status, note)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                args![id, at, actor, json_key(&status), note],
            )?;
            if let Ok(code) = TrackingCode::parse(&r.text(1)?) {
                moved.push(code);
            }
        }
        Ok(moved)
    })
}

pub(super) fn list(db: &mut dyn Sql, office: Option<&str>) -> Result<Vec<StaffRow>, StoreError> {
    let rows = db.rows(
        "SELECT code, kind, subject, status, office, received_on, due_on, scope, due_provisional,
                substr(text, 1, 40), kiosk_id
         FROM complaints
         WHERE (CAST(?1 AS TEXT) IS NULL OR office = ?1) ORDER BY due_on IS NULL, due_on, id",
        args![office],
    )?;
    let mut out = Vec::new();
    for r in rows {
        let (Ok(code), Some(kind), Some(status)) = (
            TrackingCode::parse(&r.text(0)?),
            from_key(&r.text(1)?),
            from_key(&r.text(3)?),
        ) else {
            continue;
        };
        out.push(StaffRow {
            code,
            scope: r.text(7)?,
            kind,
            subject: gongkai_model::complaint::subject_or_excerpt(&r.text(2)?, &r.text(9)?),
            status,
            office: r.text(4)?,
            received_on: r.text(5)?,
            due_on: r.opt_text(6)?,
            due_provisional: r.opt_int(8)?.and_then(|y| i32::try_from(y).ok()),
            entered_by: entered_by(&r.text(10)?),
        });
    }
    Ok(out)
}

/// The scope a filing concerns, where its public answer is published.
pub(super) fn scope_of(
    db: &mut dyn Sql,
    code: &TrackingCode,
) -> Result<Option<gongkai_model::ScopeId>, StoreError> {
    let scope = db.row(
        "SELECT scope FROM complaints WHERE code = ?1",
        args![code.as_str()],
    )?;
    Ok(match scope {
        Some(r) => gongkai_model::ScopeId::parse(&r.text(0)?).ok(),
        None => None,
    })
}

/// The public answer a final status puts on the boards of the filing's scope (so the
/// code shows it there even offline), or None: 举报 stay off the boards, and open
/// filings have no answer yet.
pub(super) fn answer_edit(
    db: &mut dyn Sql,
    status: &PublicStatus,
) -> Result<Option<(gongkai_model::ScopeId, super::Edit)>, StoreError> {
    if !status.status.is_final() || status.kind == ComplaintKind::Report {
        return Ok(None);
    }
    let Some(scope) = scope_of(db, &status.code)? else {
        return Ok(None);
    };
    let answer = gongkai_model::content::Answer {
        code: status.code.clone(),
        kind: status.kind,
        subject: status.subject.clone(),
        status: status.status,
        office: status.office.clone(),
        received_on: status.received_on.clone(),
        due_on: status.due_on.clone(),
        due_provisional: status.due_provisional,
        answer: status.answer.clone(),
    };
    let edit = super::Edit::put(
        gongkai_model::ContentKind::Answer,
        status.code.as_str(),
        &answer,
    );
    Ok(Some((scope, edit)))
}

pub(super) fn put_staff_token(
    db: &mut dyn Sql,
    hash: &str,
    name: &str,
    office: &str,
    at: i64,
) -> Result<(), StoreError> {
    db.exec(
        "INSERT INTO staff_tokens(token_hash, name, office, created_at) VALUES (?1, ?2, ?3, ?4)",
        args![hash, name, office, at],
    )?;
    Ok(())
}

pub(super) fn staff_by_token(
    db: &mut dyn Sql,
    hash: &str,
) -> Result<Option<(String, String)>, StoreError> {
    match db.row(
        "SELECT name, office FROM staff_tokens WHERE token_hash = ?1 AND revoked = 0",
        args![hash],
    )? {
        Some(r) => Ok(Some((r.text(0)?, r.text(1)?))),
        None => Ok(None),
    }
}

fn event(r: &Row) -> Result<StaffEvent, StoreError> {
    Ok(StaffEvent {
        at: r.int(0)?,
        actor: r.text(1)?,
        from_status: r.opt_text(2)?,
        to_status: r.text(3)?,
        note: r.text(4)?,
    })
}

pub(super) fn detail(
    db: &mut dyn Sql,
    code: &TrackingCode,
) -> Result<Option<StaffDetail>, StoreError> {
    let Some(public) = status(db, code)? else {
        return Ok(None);
    };
    let Some(r) = db.row(
        "SELECT id, text, contact_name, contact_phone, kiosk_id, scope FROM complaints WHERE code = ?1",
        args![code.as_str()],
    )?
    else {
        return Ok(None);
    };
    // Events in the order they were recorded (`rowid`: SQLite's own, a BIGSERIAL of that
    // name on PostgreSQL).
    let events = db
        .rows(
            "SELECT at, actor, from_status, to_status, note FROM complaint_events
             WHERE complaint_id = ?1 ORDER BY rowid",
            args![r.int(0)?],
        )?
        .iter()
        .map(event)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(StaffDetail {
        public,
        text: r.text(1)?,
        contact_name: r.opt_text(2)?,
        contact_phone: r.opt_text(3)?,
        kiosk_id: r.text(4)?,
        scope: r.text(5)?,
        events,
    }))
}
