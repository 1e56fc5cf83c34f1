//! What the console keeps (SQLite side): staff accounts, sessions, failed logins, uploads
//! waiting for preview, and drafts waiting for review. Sessions and login failures live
//! in the database, not in process memory, so any server instance can answer any request.

use super::{Edit, StoreError};
use gongkai_model::{ContentKind, ScopeId};
use rusqlite::{params, Connection, OptionalExtension};
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
    c: &Connection,
    code_sha256: &str,
    user_id: i64,
    scope: &ScopeId,
    kiosk_id: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM cadre_codes WHERE expires_at < ?1 - 86400",
        [now],
    )?;
    c.execute(
        "INSERT INTO cadre_codes(code_sha256, user_id, scope, kiosk_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
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
/// marks it used and opens a kiosk session, in one transaction.
#[allow(clippy::too_many_arguments)]
pub fn redeem_cadre_code(
    c: &mut Connection,
    code_sha256: &str,
    scope: &ScopeId,
    kiosk_id: &str,
    token_sha256: &str,
    now: i64,
    session_expires: i64,
) -> Result<Option<User>, StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let user_id: Option<i64> = tx
        .query_row(
            "SELECT user_id FROM cadre_codes WHERE code_sha256 = ?1 AND used_at IS NULL
               AND expires_at > ?2 AND scope = ?3 AND (kiosk_id IS NULL OR kiosk_id = ?4)",
            params![code_sha256, now, scope.as_str(), kiosk_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE cadre_codes SET used_at = ?2 WHERE code_sha256 = ?1",
        params![code_sha256, now],
    )?;
    tx.execute(
        "INSERT INTO kiosk_sessions(token_sha256, user_id, scope, kiosk_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            token_sha256,
            user_id,
            scope.as_str(),
            kiosk_id,
            now,
            session_expires
        ],
    )?;
    let user = user_by_id(&tx, user_id)?;
    tx.commit()?;
    Ok(user)
}

/// The user, village and kiosk of a live kiosk session.
pub fn kiosk_session(
    c: &Connection,
    token_sha256: &str,
    now: i64,
) -> Result<Option<(User, ScopeId, String)>, StoreError> {
    let found: Option<(i64, String, String)> = c
        .query_row(
            "SELECT s.user_id, s.scope, s.kiosk_id FROM kiosk_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_sha256 = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
            params![token_sha256, now],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((user_id, scope, kiosk)) = found else {
        return Ok(None);
    };
    let (Some(user), Ok(scope)) = (user_by_id(c, user_id)?, ScopeId::parse(&scope)) else {
        return Ok(None);
    };
    Ok(Some((user, scope, kiosk)))
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

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<User>> {
    let role: String = r.get(3)?;
    let scope: String = r.get(4)?;
    Ok(match (Role::from_key(&role), ScopeId::parse(&scope)) {
        (Some(role), Ok(scope)) => Some(User {
            id: r.get(0)?,
            username: r.get(1)?,
            display_name: r.get(2)?,
            role,
            scope,
            office: r.get(5)?,
        }),
        _ => None,
    })
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.scope, u.office";

pub fn create_user(c: &Connection, u: &NewUser, now: i64) -> Result<i64, StoreError> {
    c.execute(
        "INSERT INTO users(username, display_name, role, scope, office, pw_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(username) DO UPDATE SET display_name = excluded.display_name,
           role = excluded.role, scope = excluded.scope, office = excluded.office,
           pw_hash = excluded.pw_hash, disabled = 0",
        params![
            u.username,
            u.display_name,
            u.role.key(),
            u.scope.as_str(),
            u.office,
            u.pw_hash,
            now
        ],
    )?;
    Ok(c.query_row(
        "SELECT id FROM users WHERE username = ?1",
        [&u.username],
        |r| r.get(0),
    )?)
}

/// The account and its password hash, for login.
pub fn user_for_login(
    c: &Connection,
    username: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, u.pw_hash FROM users u WHERE u.username = ?1 AND u.disabled = 0"
    );
    let found = c
        .query_row(&sql, [username], |r| {
            Ok((user_row(r)?, r.get::<_, String>(6)?))
        })
        .optional()?;
    Ok(found.and_then(|(u, h)| u.map(|u| (u, h))))
}

pub fn user_by_id(c: &Connection, id: i64) -> Result<Option<User>, StoreError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1");
    Ok(c.query_row(&sql, [id], user_row).optional()?.flatten())
}

pub fn create_session(
    c: &Connection,
    token_sha256: &str,
    user_id: i64,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    // Expired sessions are swept on every login rather than by a timer.
    c.execute("DELETE FROM sessions WHERE expires_at < ?1", [now])?;
    c.execute(
        "INSERT INTO sessions(token_sha256, user_id, csrf, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_sha256, user_id, csrf, now, expires_at],
    )?;
    Ok(())
}

/// The live session's user and CSRF token.
pub fn session(
    c: &Connection,
    token_sha256: &str,
    now: i64,
) -> Result<Option<(User, String)>, StoreError> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_sha256 = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
    );
    let found = c
        .query_row(&sql, params![token_sha256, now], |r| {
            Ok((user_row(r)?, r.get::<_, String>(6)?))
        })
        .optional()?;
    Ok(found.and_then(|(u, csrf)| u.map(|u| (u, csrf))))
}

pub fn delete_session(c: &Connection, token_sha256: &str) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM sessions WHERE token_sha256 = ?1",
        [token_sha256],
    )?;
    Ok(())
}

/// Records a failed login and returns how many failures `key` has since `since`.
pub fn login_failed(c: &Connection, key: &str, now: i64, since: i64) -> Result<u32, StoreError> {
    c.execute(
        "INSERT INTO login_failures(key, at) VALUES (?1, ?2)",
        params![key, now],
    )?;
    failures_since(c, key, since)
}

pub fn failures_since(c: &Connection, key: &str, since: i64) -> Result<u32, StoreError> {
    c.execute("DELETE FROM login_failures WHERE at < ?1 - 86400", [since])?;
    Ok(c.query_row(
        "SELECT count(*) FROM login_failures WHERE key = ?1 AND at >= ?2",
        params![key, since],
        |r| r.get(0),
    )?)
}

pub fn clear_failures(c: &Connection, key: &str) -> Result<(), StoreError> {
    c.execute("DELETE FROM login_failures WHERE key = ?1", [key])?;
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

pub fn save_import(c: &Connection, r: &ImportRecord) -> Result<i64, StoreError> {
    c.execute(
        "INSERT INTO imports(user_id, scope, list_kind, filename, meta, mapping, upload, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'preview', ?8)",
        params![
            r.user_id,
            r.scope.as_str(),
            r.list_kind,
            r.filename,
            r.meta,
            r.mapping,
            r.upload,
            r.created_at
        ],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn import(c: &Connection, id: i64) -> Result<Option<ImportRecord>, StoreError> {
    let found = c
        .query_row(
            "SELECT id, user_id, scope, list_kind, filename, meta, mapping, upload, status,
                    created_at, draft
               FROM imports WHERE id = ?1",
            [id],
            |r| {
                let scope: String = r.get(2)?;
                Ok(ScopeId::parse(&scope).ok().map(|scope| ImportRecord {
                    id: r.get(0).unwrap_or_default(),
                    user_id: r.get(1).unwrap_or_default(),
                    scope,
                    list_kind: r.get(3).unwrap_or_default(),
                    filename: r.get(4).unwrap_or_default(),
                    meta: r.get(5).unwrap_or_default(),
                    mapping: r.get(6).unwrap_or_default(),
                    upload: r.get(7).unwrap_or_default(),
                    status: r.get(8).unwrap_or_default(),
                    created_at: r.get(9).unwrap_or_default(),
                    draft: r.get(10).unwrap_or_default(),
                }))
            },
        )
        .optional()?;
    Ok(found.flatten())
}

pub fn set_import_mapping(c: &Connection, id: i64, mapping: &str) -> Result<(), StoreError> {
    c.execute(
        "UPDATE imports SET mapping = ?2 WHERE id = ?1 AND status = 'preview'",
        params![id, mapping],
    )?;
    Ok(())
}

/// Ends an import: the file with its full ID numbers is deleted (secure_delete is on).
pub fn finish_import(
    c: &Connection,
    id: i64,
    status: &str,
    draft: Option<i64>,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE imports SET status = ?2, upload = NULL, draft = ?3 WHERE id = ?1",
        params![id, status, draft],
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

pub fn insert_draft(c: &mut Connection, d: &NewDraft, now: i64) -> Result<i64, StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Some(client_id) = &d.client_id {
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM drafts WHERE client_id = ?1",
                [client_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
    }
    tx.execute(
        "INSERT INTO drafts(scope, title, summary, source, author_id, created_at, status, client_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
        params![
            d.scope.as_str(),
            d.title,
            d.summary,
            d.source,
            d.author_id,
            now,
            d.client_id
        ],
    )?;
    let id = tx.last_insert_rowid();
    {
        let mut stmt = tx.prepare(
            "INSERT INTO draft_edits(draft_id, n, kind, item_id, body, private_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (n, e) in d.edits.iter().enumerate() {
            stmt.execute(params![
                id,
                n as i64,
                e.kind.key(),
                e.id,
                e.body,
                e.private_id
            ])?;
        }
    }
    tx.commit()?;
    Ok(id)
}

const DRAFT_COLUMNS: &str =
    "d.id, d.scope, coalesce(s.name, d.scope), d.title, d.summary, d.source,
    a.display_name, d.author_id, d.created_at, d.status, r.display_name, d.reviewed_at, d.reason";

fn draft_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DraftRow> {
    Ok(DraftRow {
        id: r.get(0)?,
        scope: r.get(1)?,
        scope_name: r.get(2)?,
        title: r.get(3)?,
        summary: r.get(4)?,
        source: r.get(5)?,
        author: r.get(6)?,
        author_id: r.get(7)?,
        created_at: r.get(8)?,
        status: r.get(9)?,
        reviewer: r.get(10)?,
        reviewed_at: r.get(11)?,
        reason: r.get(12)?,
    })
}

const DRAFT_FROM: &str = "FROM drafts d JOIN users a ON a.id = d.author_id
    LEFT JOIN users r ON r.id = d.reviewer_id LEFT JOIN scopes s ON s.scope = d.scope";

/// Drafts under a scope-code prefix, pending first then newest.
pub fn drafts(c: &Connection, scope_prefix: &str, limit: u32) -> Result<Vec<DraftRow>, StoreError> {
    let sql = format!(
        "SELECT {DRAFT_COLUMNS} {DRAFT_FROM} WHERE d.scope LIKE ?1 || '%'
         ORDER BY d.status <> 'pending', d.id DESC LIMIT ?2"
    );
    let rows = c
        .prepare(&sql)?
        .query_map(params![scope_prefix, limit], draft_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Drafts one person wrote (a cadre sees their own, with the reviewer's reason).
pub fn drafts_by(c: &Connection, author_id: i64, limit: u32) -> Result<Vec<DraftRow>, StoreError> {
    let sql = format!(
        "SELECT {DRAFT_COLUMNS} {DRAFT_FROM} WHERE d.author_id = ?1 ORDER BY d.id DESC LIMIT ?2"
    );
    let rows = c
        .prepare(&sql)?
        .query_map(params![author_id, limit], draft_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn draft(c: &Connection, id: i64) -> Result<Option<(DraftRow, Vec<Edit>)>, StoreError> {
    let sql = format!("SELECT {DRAFT_COLUMNS} {DRAFT_FROM} WHERE d.id = ?1");
    let Some(row) = c.query_row(&sql, [id], draft_row).optional()? else {
        return Ok(None);
    };
    let edits = draft_edits(c, id)?;
    Ok(Some((row, edits)))
}

pub fn draft_edits(c: &Connection, id: i64) -> Result<Vec<Edit>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT kind, item_id, body, private_id FROM draft_edits WHERE draft_id = ?1 ORDER BY n",
    )?;
    let rows = stmt.query_map([id], |r| {
        let kind: String = r.get(0)?;
        Ok((kind, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    let mut edits = Vec::new();
    for row in rows {
        let (kind, id, body, private_id): (String, String, Option<String>, Option<String>) = row?;
        if let Some(kind) = ContentKind::from_key(&kind) {
            edits.push(Edit {
                kind,
                id,
                body,
                private_id,
            });
        }
    }
    Ok(edits)
}

/// Marks a pending draft reviewed; false if it was not pending (someone else was first).
pub fn mark_reviewed(
    c: &Connection,
    id: i64,
    reviewer_id: i64,
    approve: bool,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = c.execute(
        "UPDATE drafts SET status = ?2, reviewer_id = ?3, reviewed_at = ?4, reason = ?5
         WHERE id = ?1 AND status = 'pending'",
        params![
            id,
            if approve { "approved" } else { "rejected" },
            reviewer_id,
            now,
            reason
        ],
    )?;
    if n == 1 {
        // The draft's rows (full ID numbers among them) are not kept after review.
        c.execute(
            "UPDATE draft_edits SET private_id = NULL WHERE draft_id = ?1",
            [id],
        )?;
    }
    Ok(n == 1)
}
