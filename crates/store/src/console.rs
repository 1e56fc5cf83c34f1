//! What the console keeps (both back-ends): staff accounts, sessions, failed logins, uploads
//! waiting for preview, and drafts waiting for review. Sessions and login failures live
//! in the database, not in process memory, so any server instance can answer any request.

use super::sql::{args, in_tx, Row, Sql};
use super::{Edit, StoreError};
use gongkai_model::{ContentKind, ScopeId};
use serde::{Deserialize, Serialize};

pub const MIGRATION: &str = r#"
CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    username     TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    office       TEXT NOT NULL,
    pw_hash      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    disabled     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    csrf         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures(key, at);
-- An uploaded list between upload and publish. The file is kept (for re-mapping) and
-- deleted once the import is published or discarded: it holds full ID numbers.
CREATE TABLE imports (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    scope      TEXT NOT NULL,
    list_kind  TEXT NOT NULL,
    filename   TEXT NOT NULL,
    meta       TEXT NOT NULL,
    mapping    TEXT,
    upload     BLOB,
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    draft      INTEGER
);
-- Postings waiting for 保密审查, and their outcome.
CREATE TABLE drafts (
    id          INTEGER PRIMARY KEY,
    scope       TEXT NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    source      TEXT NOT NULL,
    author_id   INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    status      TEXT NOT NULL,
    reviewer_id INTEGER REFERENCES users(id),
    reviewed_at INTEGER,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX drafts_by_status ON drafts(status, scope);
CREATE TABLE draft_edits (
    draft_id   INTEGER NOT NULL REFERENCES drafts(id),
    n          INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    body       TEXT,
    private_id TEXT,
    PRIMARY KEY (draft_id, n)
);
"#;

/// Every rate-limited request sweeps counts older than a day: by time, not by a scan.
pub const MIGRATION_FAILURES_BY_AT: &str =
    "CREATE INDEX login_failures_by_at ON login_failures(at);";

/// Cadre mode on kiosks: one-time codes issued in the console, the kiosk sessions they
/// open, and a client id on drafts so a retried upload from a kiosk is one draft.
pub const MIGRATION_CADRE: &str = r#"
CREATE TABLE cadre_codes (
    code_sha256 TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    scope       TEXT NOT NULL,
    kiosk_id    TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE TABLE kiosk_sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    scope        TEXT NOT NULL,
    kiosk_id     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
ALTER TABLE drafts ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX drafts_by_client ON drafts(client_id);
"#;

pub fn issue_cadre_code(
    db: &mut dyn Sql,
    code_sha256: &str,
    user_id: i64,
    scope: &ScopeId,
    kiosk_id: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.exec(
        "DELETE FROM cadre_codes WHERE expires_at < ?1",
        args![now - 86400],
    )?;
    db.exec(
        "INSERT INTO cadre_codes(code_sha256, user_id, scope, kiosk_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            code_sha256,
            user_id,
            scope.as_str(),
            kiosk_id,
            now,
            expires_at
        ],
    )?;
    Ok(())
}

/// Uses a code once: if it is live, unused, for this village and (if bound) this kiosk,
/// marks it used and opens a kiosk session, in one transaction. Marking is one UPDATE
/// that only an unused code passes, so two kiosks racing with one code (on two server
/// instances) cannot both win.
#[allow(clippy::too_many_arguments)]
pub fn redeem_cadre_code(
    db: &mut dyn Sql,
    code_sha256: &str,
    scope: &ScopeId,
    kiosk_id: &str,
    token_sha256: &str,
    now: i64,
    session_expires: i64,
) -> Result<Option<User>, StoreError> {
    in_tx(db, |tx| {
        let Some(r) = tx.row(
            "UPDATE cadre_codes SET used_at = ?2 WHERE code_sha256 = ?1 AND used_at IS NULL
               AND expires_at > ?2 AND scope = ?3 AND (kiosk_id IS NULL OR kiosk_id = ?4)
             RETURNING user_id",
            args![code_sha256, now, scope.as_str(), kiosk_id],
        )?
        else {
            return Ok(None);
        };
        let user_id = r.int(0)?;
        tx.exec(
            "INSERT INTO kiosk_sessions(token_sha256, user_id, scope, kiosk_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            args![token_sha256, user_id, scope.as_str(), kiosk_id, now, session_expires],
        )?;
        user_by_id(tx, user_id)
    })
}

/// The user, village and kiosk of a live kiosk session.
pub fn kiosk_session(
    db: &mut dyn Sql,
    token_sha256: &str,
    now: i64,
) -> Result<Option<(User, ScopeId, String)>, StoreError> {
    let Some(r) = db.row(
        "SELECT s.user_id, s.scope, s.kiosk_id FROM kiosk_sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_sha256 = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
        args![token_sha256, now],
    )?
    else {
        return Ok(None);
    };
    let (Some(user), Ok(scope)) = (user_by_id(db, r.int(0)?)?, ScopeId::parse(&r.text(1)?)) else {
        return Ok(None);
    };
    Ok(Some((user, scope, r.text(2)?)))
}

/// What a staff account may do. Scope decides where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县政务公开办: publishes anywhere in the county, reviews, answers filings.
    CountyAdmin,
    /// 乡镇审核员: reviews (保密审查) postings from its villages, publishes for the
    /// township, answers its filings.
    TownshipReviewer,
    /// 村干部: drafts notices and lists for its own village; every draft is reviewed.
    VillageCadre,
}

impl Role {
    pub fn key(self) -> &'static str {
        match self {
            Role::CountyAdmin => "county_admin",
            Role::TownshipReviewer => "township_reviewer",
            Role::VillageCadre => "village_cadre",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        [
            Role::CountyAdmin,
            Role::TownshipReviewer,
            Role::VillageCadre,
        ]
        .into_iter()
        .find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::CountyAdmin => "县级管理员",
            Role::TownshipReviewer => "乡镇审核员",
            Role::VillageCadre => "村干部",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: ScopeId,
    /// The office whose filings this person answers ("" for none).
    pub office: String,
}

impl User {
    /// True if `scope` is this user's scope or lies under it.
    pub fn covers(&self, scope: &ScopeId) -> bool {
        scope.chain().contains(&self.scope)
    }

    /// Cadres' postings always go through review; others publish directly.
    pub fn publishes_directly(&self) -> bool {
        self.role != Role::VillageCadre
    }

    pub fn may_review(&self, scope: &ScopeId) -> bool {
        self.role != Role::VillageCadre && self.covers(scope)
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: ScopeId,
    pub office: String,
    pub pw_hash: String,
}

fn user_row(r: &Row) -> Result<Option<User>, StoreError> {
    Ok(
        match (Role::from_key(&r.text(3)?), ScopeId::parse(&r.text(4)?)) {
            (Some(role), Ok(scope)) => Some(User {
                id: r.int(0)?,
                username: r.text(1)?,
                display_name: r.text(2)?,
                role,
                scope,
                office: r.text(5)?,
            }),
            _ => None,
        },
    )
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.scope, u.office";

pub fn create_user(db: &mut dyn Sql, u: &NewUser, now: i64) -> Result<i64, StoreError> {
    let r = db
        .row(
            "INSERT INTO users(username, display_name, role, scope, office, pw_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(username) DO UPDATE SET display_name = excluded.display_name,
               role = excluded.role, scope = excluded.scope, office = excluded.office,
               pw_hash = excluded.pw_hash, disabled = 0
             RETURNING id",
            args![
                u.username.as_str(),
                u.display_name.as_str(),
                u.role.key(),
                u.scope.as_str(),
                u.office.as_str(),
                u.pw_hash.as_str(),
                now
            ],
        )?
        .ok_or_else(|| StoreError::Column("no id returned".into()))?;
    r.int(0)
}

/// A user row followed by one more text column (a password hash, a CSRF token).
fn user_and(r: Option<Row>) -> Result<Option<(User, String)>, StoreError> {
    let Some(r) = r else { return Ok(None) };
    Ok(user_row(&r)?.map(|u| (u, r.text(6).unwrap_or_default())))
}

/// The account and its password hash, for login.
pub fn user_for_login(
    db: &mut dyn Sql,
    username: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, u.pw_hash FROM users u WHERE u.username = ?1 AND u.disabled = 0"
    );
    user_and(db.row(&sql, args![username])?)
}

pub fn user_by_id(db: &mut dyn Sql, id: i64) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1");
    match db.row(&sql, args![id])? {
        Some(r) => user_row(&r),
        None => Ok(None),
    }
}

pub fn create_session(
    db: &mut dyn Sql,
    token_sha256: &str,
    user_id: i64,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    // Expired sessions are swept on every login rather than by a timer.
    db.exec("DELETE FROM sessions WHERE expires_at < ?1", args![now])?;
    db.exec(
        "INSERT INTO sessions(token_sha256, user_id, csrf, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        args![token_sha256, user_id, csrf, now, expires_at],
    )?;
    Ok(())
}

/// The live session's user and CSRF token.
pub fn session(
    db: &mut dyn Sql,
    token_sha256: &str,
    now: i64,
) -> Result<Option<(User, String)>, StoreError> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_sha256 = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
    );
    user_and(db.row(&sql, args![token_sha256, now])?)
}

pub fn delete_session(db: &mut dyn Sql, token_sha256: &str) -> Result<(), StoreError> {
    db.exec(
        "DELETE FROM sessions WHERE token_sha256 = ?1",
        args![token_sha256],
    )?;
    Ok(())
}

/// Records a failed login and returns how many failures `key` has since `since`.
pub fn login_failed(db: &mut dyn Sql, key: &str, now: i64, since: i64) -> Result<u32, StoreError> {
    db.exec(
        "INSERT INTO login_failures(key, at) VALUES (?1, ?2)",
        args![key, now],
    )?;
    failures_since(db, key, since)
}

pub fn failures_since(db: &mut dyn Sql, key: &str, since: i64) -> Result<u32, StoreError> {
    db.exec(
        "DELETE FROM login_failures WHERE at < ?1",
        args![since - 86400],
    )?;
    let n = db
        .row(
            "SELECT count(*) FROM login_failures WHERE key = ?1 AND at >= ?2",
            args![key, since],
        )?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub fn clear_failures(db: &mut dyn Sql, key: &str) -> Result<(), StoreError> {
    db.exec("DELETE FROM login_failures WHERE key = ?1", args![key])?;
    Ok(())
}
/// An upload between preview and publish.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub id: i64,
    pub user_id: i64,
    pub scope: ScopeId,
    /// "subsidy" or "board".
    pub list_kind: String,
    pub filename: String,
    /// JSON: programme, year, issuer, or board round and dates.
    pub meta: String,
    /// JSON of `gongkai_import::Mapping`, once guessed or chosen.
    pub mapping: Option<String>,
    pub upload: Option<Vec<u8>>,
    /// preview, submitted (in review), published, discarded.
    pub status: String,
    pub created_at: i64,
    pub draft: Option<i64>,
}

pub fn save_import(db: &mut dyn Sql, r: &ImportRecord) -> Result<i64, StoreError> {
    db.row(
        "INSERT INTO imports(user_id, scope, list_kind, filename, meta, mapping, upload, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'preview', ?8) RETURNING id",
        args![
            r.user_id,
            r.scope.as_str(),
            r.list_kind.as_str(),
            r.filename.as_str(),
            r.meta.as_str(),
            r.mapping.clone(),
            r.upload.clone(),
            r.created_at
        ],
    )?
    .ok_or_else(|| StoreError::Column("no id returned".into()))?
    .int(0)
}

pub fn import(db: &mut dyn Sql, id: i64) -> Result<Option<ImportRecord>, StoreError> {
    let Some(r) = db.row(
        "SELECT id, user_id, scope, list_kind, filename, meta, mapping, upload, status,
                created_at, draft
           FROM imports WHERE id = ?1",
        args![id],
    )?
    else {
        return Ok(None);
    };
    let Ok(scope) = ScopeId::parse(&r.text(2)?) else {
        return Ok(None);
    };
    Ok(Some(ImportRecord {
        id: r.int(0)?,
        user_id: r.int(1)?,
        scope,
        list_kind: r.text(3)?,
        filename: r.text(4)?,
        meta: r.text(5)?,
        mapping: r.opt_text(6)?,
        upload: r.opt_bytes(7)?,
        status: r.text(8)?,
        created_at: r.int(9)?,
        draft: r.opt_int(10)?,
    }))
}

pub fn set_import_mapping(db: &mut dyn Sql, id: i64, mapping: &str) -> Result<(), StoreError> {
    db.exec(
        "UPDATE imports SET mapping = ?2 WHERE id = ?1 AND status = 'preview'",
        args![id, mapping],
    )?;
    Ok(())
}

/// Ends an import: the file with its full ID numbers is deleted (secure_delete is on).
pub fn finish_import(
    db: &mut dyn Sql,
    id: i64,
    status: &str,
    draft: Option<i64>,
) -> Result<(), StoreError> {
    db.exec(
        "UPDATE imports SET status = ?2, upload = NULL, draft = ?3 WHERE id = ?1",
        args![id, status, draft],
    )?;
    Ok(())
}

/// A posting for review: what it would publish, where, by whom.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub scope: ScopeId,
    pub title: String,
    /// One line for the queue: "通知 · 3 张照片", "补贴名单 · 5,200 户".
    pub summary: String,
    /// "console" or "kiosk:<kiosk id>".
    pub source: String,
    pub author_id: i64,
    pub edits: Vec<Edit>,
    /// Set by kiosks: a second submission with the same id is the same draft.
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftRow {
    pub id: i64,
    pub scope: String,
    pub scope_name: String,
    pub title: String,
    pub summary: String,
    pub source: String,
    pub author: String,
    pub author_id: i64,
    pub created_at: i64,
    /// pending, approved, rejected
    pub status: String,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<i64>,
    pub reason: String,
}

pub fn insert_draft(db: &mut dyn Sql, d: &NewDraft, now: i64) -> Result<i64, StoreError> {
    in_tx(db, |tx| {
        if let Some(client_id) = &d.client_id {
            let sql = format!(
                "SELECT id FROM drafts WHERE client_id = ?1{}",
                tx.for_update()
            );
            if let Some(r) = tx.row(&sql, args![client_id])? {
                return r.int(0);
            }
        }
        // A kiosk's retry racing its first upload on another instance meets the unique
        // client id: nothing is inserted, and the first draft is the answer.
        let inserted = tx.row(
            "INSERT INTO drafts(scope, title, summary, source, author_id, created_at, status, client_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)
             ON CONFLICT (client_id) DO NOTHING RETURNING id",
            args![
                d.scope.as_str(),
                d.title.as_str(),
                d.summary.as_str(),
                d.source.as_str(),
                d.author_id,
                now,
                d.client_id.clone()
            ],
        )?;
        let id = match inserted {
            Some(r) => r.int(0)?,
            None => {
                return tx
                    .row(
                        "SELECT id FROM drafts WHERE client_id = ?1",
                        args![d.client_id.clone()],
                    )?
                    .ok_or_else(|| StoreError::Column("draft vanished".into()))?
                    .int(0)
            }
        };
        for (n, e) in d.edits.iter().enumerate() {
            tx.exec(
                "INSERT INTO draft_edits(draft_id, n, kind, item_id, body, private_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                args![
                    id,
                    n as i64,
                    e.kind.key(),
                    e.id.as_str(),
                    e.body.clone(),
                    e.private_id.clone()
                ],
            )?;
        }
        Ok(id)
    })
}

const DRAFT_COLUMNS: &str =
    "d.id, d.scope, coalesce(s.name, d.scope), d.title, d.summary, d.source,
    a.display_name, d.author_id, d.created_at, d.status, r.display_name, d.reviewed_at, d.reason";

fn draft_row(r: &Row) -> Result<DraftRow, StoreError> {
    Ok(DraftRow {
        id: r.int(0)?,
        scope: r.text(1)?,
        scope_name: r.text(2)?,
        title: r.text(3)?,
        summary: r.text(4)?,
        source: r.text(5)?,
        author: r.text(6)?,
        author_id: r.int(7)?,
        created_at: r.int(8)?,
        status: r.text(9)?,
        reviewer: r.opt_text(10)?,
        reviewed_at: r.opt_int(11)?,
        reason: r.text(12)?,
    })
}

const DRAFT_FROM: &str = "FROM drafts d JOIN users a ON a.id = d.author_id
    LEFT JOIN users r ON r.id = d.reviewer_id LEFT JOIN scopes s ON s.scope = d.scope";

fn draft_rows(
    db: &mut dyn Sql,
    sql: &str,
    params: &[super::sql::Value],
) -> Result<Vec<DraftRow>, StoreError> {
    db.rows(sql, params)?.iter().map(draft_row).collect()
}

/// Drafts under a scope-code prefix, pending first then newest.
pub fn drafts(
    db: &mut dyn Sql,
    scope_prefix: &str,
    limit: u32,
) -> Result<Vec<DraftRow>, StoreError> {
    let sql = format!(
        "SELECT {DRAFT_COLUMNS} {DRAFT_FROM} WHERE d.scope LIKE ?1 || '%'
         ORDER BY d.status <> 'pending', d.id DESC LIMIT ?2"
    );
    draft_rows(db, &sql, args![scope_prefix, limit])
}

/// Drafts one person wrote (a cadre sees their own, with the reviewer's reason).
pub fn drafts_by(
    db: &mut dyn Sql,
    author_id: i64,
    limit: u32,
) -> Result<Vec<DraftRow>, StoreError> {
    let sql = format!(
        "SELECT {DRAFT_COLUMNS} {DRAFT_FROM} WHERE d.author_id = ?1 ORDER BY d.id DESC LIMIT ?2"
    );
    draft_rows(db, &sql, args![author_id, limit])
}

pub fn draft(db: &mut dyn Sql, id: i64) -> Result<Option<(DraftRow, Vec<Edit>)>, StoreError> {
    let sql = format!("SELECT {DRAFT_COLUMNS} {DRAFT_FROM} WHERE d.id = ?1");
    let Some(row) = draft_rows(db, &sql, args![id])?.into_iter().next() else {
        return Ok(None);
    };
    let edits = draft_edits(db, id)?;
    Ok(Some((row, edits)))
}

pub fn draft_edits(db: &mut dyn Sql, id: i64) -> Result<Vec<Edit>, StoreError> {
    let mut edits = Vec::new();
    for r in db.rows(
        "SELECT kind, item_id, body, private_id FROM draft_edits WHERE draft_id = ?1 ORDER BY n",
        args![id],
    )? {
        if let Some(kind) = ContentKind::from_key(&r.text(0)?) {
            edits.push(Edit {
                kind,
                id: r.text(1)?,
                body: r.opt_text(2)?,
                private_id: r.opt_text(3)?,
            });
        }
    }
    Ok(edits)
}

/// Marks a pending draft reviewed; false if it was not pending (someone else was first).
pub fn mark_reviewed(
    db: &mut dyn Sql,
    id: i64,
    reviewer_id: i64,
    approve: bool,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db.exec(
        "UPDATE drafts SET status = ?2, reviewer_id = ?3, reviewed_at = ?4, reason = ?5
         WHERE id = ?1 AND status = 'pending'",
        args![
            id,
            if approve { "approved" } else { "rejected" },
            reviewer_id,
            now,
            reason
        ],
    )?;
    if n == 1 {
        // The draft's rows (full ID numbers among them) are not kept after review.
        db.exec(
            "UPDATE draft_edits SET private_id = NULL WHERE draft_id = ?1",
            args![id],
        )?;
    }
    Ok(n == 1)
}

/// 保密审查 on either back-end, in the caller's write transaction: checks, marks the
/// draft, and — if approved — publishes it through `publish` (the back-end's own publish
/// in the same transaction), logged as the author's with the reviewer named.
pub fn review<D: Sql>(
    tx: &mut D,
    id: i64,
    reviewer: &User,
    approve: bool,
    reason: &str,
    now: i64,
    publish: impl FnOnce(&mut D, &ScopeId, &[Edit], &super::Provenance) -> Result<(), StoreError>,
) -> Result<DraftRow, StoreError> {
    let refused = |m: &str| StoreError::Refused(m.to_string());
    let Some((row, edits)) = draft(tx, id)? else {
        return Err(refused("没有这份待审稿件"));
    };
    if row.status != "pending" {
        return Err(refused("这份稿件已经审核过了"));
    }
    if row.author_id == reviewer.id {
        return Err(refused("不能审核自己提交的稿件，请由另一位审核员审核"));
    }
    if !approve && reason.trim().is_empty() {
        return Err(refused("退回时请写明原因，提交人会看到"));
    }
    // Two reviewers at once: the second one's UPDATE finds the draft no longer pending.
    if !mark_reviewed(tx, id, reviewer.id, approve, reason.trim(), now)? {
        return Err(refused("这份稿件已经审核过了"));
    }
    if approve {
        let scope =
            ScopeId::parse(&row.scope).map_err(|e| StoreError::UnknownScope(e.to_string()))?;
        let by = super::Provenance {
            actor: format!("{}（审核：{}）", row.author, reviewer.display_name),
            draft: Some(id),
        };
        publish(tx, &scope, &edits, &by)?;
    }
    tx.exec(
        "UPDATE imports SET status = ?2, upload = NULL WHERE draft = ?1",
        args![id, if approve { "published" } else { "rejected" }],
    )?;
    draft(tx, id)?
        .map(|(r, _)| r)
        .ok_or_else(|| refused("没有这份待审稿件"))
}
