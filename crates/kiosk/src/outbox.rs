//! The complaint outbox: its own SQLite file with synchronous=FULL, so a filing whose code
//! was shown survives a power cut. Uploads are retried with backoff and are idempotent by
//! the client UUID; once the server has acknowledged a filing, the resident's contact
//! details are erased from this file (secure_delete overwrites the freed space).

use gongkai_db::Durability;
use gongkai_model::complaint::TrackingCode;
use gongkai_protocol::complaints::ComplaintUpload;
use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE outbox (
    client_uuid     TEXT PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    uploaded_at     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
);
"#,
    // Notices cadres post from this kiosk, with the unlock token they were made under.
    // Photos are deleted from here once the server has the posting.
    r#"
CREATE TABLE cadre_posts (
    client_id     TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    token         TEXT NOT NULL,
    token_expires INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER,
    refused       TEXT
);
"#,
    // Each filing signed by this kiosk's key when the resident submits it (over the exact
    // payload sent), so one made offline is signed at once. Rows from before are signed
    // when they are next sent.
    "ALTER TABLE outbox ADD COLUMN signature TEXT;",
    // Codes the server reserved for this kiosk, handed out first; and this kiosk's own
    // counter for the codes it makes in its namespace when they run out.
    r#"
CREATE TABLE code_pool (code TEXT PRIMARY KEY);
CREATE TABLE outbox_state (k TEXT PRIMARY KEY, v TEXT NOT NULL);
"#,
];

/// A filing due for upload: the payload exactly as stored (and signed) and its signature.
#[derive(Debug, Clone)]
pub struct Due {
    pub upload: ComplaintUpload,
    pub payload: String,
    pub signature: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Db(#[from] gongkai_db::DbError),
    #[error("outbox database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("outbox entry unreadable: {0}")]
    Corrupt(String),
}

/// What the outbox knows of a filing made at this kiosk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFiling {
    pub code: TrackingCode,
    pub created_at: i64,
    pub uploaded_at: Option<i64>,
    pub attempts: u32,
}

pub struct Outbox {
    conn: Mutex<Connection>,
}

pub(crate) fn new_uuid() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl Outbox {
    pub fn open(path: &Path) -> Result<Outbox, OutboxError> {
        let conn = gongkai_db::open(path, Durability::Full, MIGRATIONS)?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        Ok(Outbox {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Saves a filing durably and returns its code. `make` builds the upload from the
    /// fresh UUID and code. Only after the commit returns may the code be shown.
    ///
    /// The code is one the server reserved for this kiosk when there is one left; else
    /// the next of this kiosk's own namespace (`namespace`, given at enrollment); only a
    /// kiosk never enrolled draws a random one. Reserved and namespaced codes cannot
    /// collide with any other kiosk's, so a code shown always reaches the server.
    pub fn submit(
        &self,
        now: i64,
        make: impl Fn(String, TrackingCode) -> ComplaintUpload,
        sign: impl Fn(&[u8]) -> String,
        namespace: Option<u32>,
    ) -> Result<TrackingCode, OutboxError> {
        let conn = self.lock();
        loop {
            let pooled: Option<String> = conn
                .query_row(
                    "DELETE FROM code_pool WHERE code = (SELECT code FROM code_pool LIMIT 1)
                     RETURNING code",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            let code = match (pooled.and_then(|c| TrackingCode::parse(&c).ok()), namespace) {
                // A code reserved by an older server may end in a symbol: not handed out.
                (Some(code), _) if code.is_typeable() => code,
                (Some(_), _) => continue,
                (None, Some(ns)) => {
                    let n: u32 = conn
                        .query_row(
                            "SELECT v FROM outbox_state WHERE k = 'ns_counter'",
                            [],
                            |r| r.get::<_, String>(0),
                        )
                        .optional()?
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    conn.execute(
                        "INSERT INTO outbox_state(k, v) VALUES ('ns_counter', ?1)
                         ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                        [(n + 1).to_string()],
                    )?;
                    match TrackingCode::namespaced(ns, n) {
                        Some(code) => code,
                        None => continue, // not typeable: the next counter
                    }
                }
                (None, None) => TrackingCode::draw(|| rand::rngs::OsRng.next_u64()),
            };
            let taken: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM outbox WHERE code = ?1",
                    [code.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                continue; // unique per kiosk, whatever the network
            }
            let upload = make(new_uuid(), code.clone());
            let payload =
                serde_json::to_string(&upload).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
            let signature = sign(payload.as_bytes());
            conn.execute(
                "INSERT INTO outbox(client_uuid, code, payload, created_at, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![upload.client_uuid, code.as_str(), payload, now, signature],
            )?;
            return Ok(code);
        }
    }

    /// Filings not yet acknowledged whose next attempt is due, oldest first.
    pub fn due(&self, now: i64) -> Result<Vec<Due>, OutboxError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT payload, signature FROM outbox
             WHERE uploaded_at IS NULL AND next_attempt_at <= ?1 ORDER BY created_at",
        )?;
        let rows = stmt.query_map([now], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        rows.map(|row| {
            let (payload, signature) = row?;
            Ok(Due {
                upload: serde_json::from_str(&payload)
                    .map_err(|e| OutboxError::Corrupt(e.to_string()))?,
                payload,
                signature,
            })
        })
        .collect()
    }

    /// Keeps codes the server reserved for this kiosk.
    pub fn add_codes(&self, codes: &[String]) -> Result<(), OutboxError> {
        let conn = self.lock();
        for c in codes {
            if TrackingCode::parse(c).is_ok() {
                conn.execute("INSERT OR IGNORE INTO code_pool(code) VALUES (?1)", [c])?;
            }
        }
        Ok(())
    }

    /// Reserved codes left to hand out.
    pub fn codes_left(&self) -> Result<u32, OutboxError> {
        Ok(self
            .lock()
            .query_row("SELECT count(*) FROM code_pool", [], |r| r.get::<_, i64>(0))?
            .max(0) as u32)
    }

    /// Signs a filing saved before filings were signed, once, before it is sent.
    pub fn set_signature(&self, client_uuid: &str, signature: &str) -> Result<(), OutboxError> {
        self.lock().execute(
            "UPDATE outbox SET signature = ?2 WHERE client_uuid = ?1 AND signature IS NULL",
            params![client_uuid, signature],
        )?;
        Ok(())
    }

    /// The server has it: mark it sent and erase even the sealed contact details.
    pub fn acknowledged(&self, client_uuid: &str, now: i64) -> Result<(), OutboxError> {
        let conn = self.lock();
        let payload: Option<String> = conn
            .query_row(
                "SELECT payload FROM outbox WHERE client_uuid = ?1",
                [client_uuid],
                |r| r.get(0),
            )
            .optional()?;
        let Some(payload) = payload else {
            return Ok(());
        };
        let mut upload: ComplaintUpload =
            serde_json::from_str(&payload).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
        upload.sealed_contact = None;
        let stripped =
            serde_json::to_string(&upload).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
        conn.execute(
            "UPDATE outbox SET uploaded_at = ?2, payload = ?3, last_error = NULL WHERE client_uuid = ?1",
            params![client_uuid, now, stripped],
        )?;
        // Fold the WAL back so the old page with the phone number leaves the WAL file too.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// A failed attempt: try again after a delay that doubles up to an hour.
    pub fn failed(&self, client_uuid: &str, now: i64, error: &str) -> Result<(), OutboxError> {
        let conn = self.lock();
        let attempts: i64 = conn
            .query_row(
                "SELECT attempts FROM outbox WHERE client_uuid = ?1",
                [client_uuid],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        let delay = (30i64 << attempts.min(7)).min(3600);
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
             WHERE client_uuid = ?1",
            params![client_uuid, now + delay, error],
        )?;
        Ok(())
    }

    /// Makes every waiting filing due now (the network just came back).
    pub fn retry_now(&self) -> Result<(), OutboxError> {
        self.lock().execute(
            "UPDATE outbox SET next_attempt_at = 0 WHERE uploaded_at IS NULL",
            [],
        )?;
        Ok(())
    }

    pub fn local(&self, code: &TrackingCode) -> Result<Option<LocalFiling>, OutboxError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT created_at, uploaded_at, attempts FROM outbox WHERE code = ?1",
                [code.as_str()],
                |r| {
                    Ok(LocalFiling {
                        code: code.clone(),
                        created_at: r.get(0)?,
                        uploaded_at: r.get(1)?,
                        attempts: r.get::<_, i64>(2)? as u32,
                    })
                },
            )
            .optional()?)
    }

    pub fn waiting(&self) -> Result<u32, OutboxError> {
        Ok(self.lock().query_row(
            "SELECT count(*) FROM outbox WHERE uploaded_at IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as u32)
    }
}

impl Outbox {
    /// Saves a cadre's notice durably before any upload is tried.
    pub fn put_cadre_post(
        &self,
        notice: &gongkai_protocol::cadre::CadreNotice,
        token: &str,
        token_expires: i64,
        now: i64,
    ) -> Result<(), OutboxError> {
        let payload =
            serde_json::to_string(notice).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
        self.lock().execute(
            "INSERT OR IGNORE INTO cadre_posts(client_id, title, payload, token, token_expires, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![notice.client_id, notice.title, payload, token, token_expires, now],
        )?;
        Ok(())
    }

    /// Postings not yet sent whose unlock is still valid, oldest first.
    pub fn due_cadre_posts(
        &self,
        now: i64,
    ) -> Result<Vec<(gongkai_protocol::cadre::CadreNotice, String)>, OutboxError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT payload, token FROM cadre_posts
             WHERE sent_at IS NULL AND refused IS NULL AND token_expires > ?1 ORDER BY created_at",
        )?;
        let rows = stmt.query_map([now], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (payload, token) = row?;
            let notice =
                serde_json::from_str(&payload).map_err(|e| OutboxError::Corrupt(e.to_string()))?;
            out.push((notice, token));
        }
        Ok(out)
    }

    pub fn cadre_post_sent(&self, client_id: &str, now: i64) -> Result<(), OutboxError> {
        self.lock().execute(
            "UPDATE cadre_posts SET sent_at = ?2, payload = '', token = '' WHERE client_id = ?1",
            params![client_id, now],
        )?;
        Ok(())
    }

    pub fn cadre_post_refused(
        &self,
        client_id: &str,
        why: &str,
        now: i64,
    ) -> Result<(), OutboxError> {
        self.lock().execute(
            "UPDATE cadre_posts SET refused = ?2, sent_at = ?3, payload = '', token = ''
             WHERE client_id = ?1",
            params![client_id, why, now],
        )?;
        Ok(())
    }

    /// Titles and times of postings still waiting to be sent.
    pub fn waiting_cadre_titles(&self) -> Result<Vec<(String, i64)>, OutboxError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT title, created_at FROM cadre_posts WHERE sent_at IS NULL ORDER BY created_at DESC",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
