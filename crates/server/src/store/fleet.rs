//! The fleet (SQLite side): enrollment tokens, enrolled kiosks with their public keys and
//! latest heartbeat, their display logs (append-only, verified on arrival), remote
//! configuration, screenshots and alerts.

use super::StoreError;
use gongkai_protocol::changelog::GENESIS;
use gongkai_protocol::displaylog::{DisplayEntry, DisplayEvent};
use gongkai_protocol::fleet::RemoteConfig;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

pub const MIGRATION: &str = r#"
CREATE TABLE enroll_tokens (
    token_sha256 TEXT PRIMARY KEY,
    kiosk_id     TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_by   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE TABLE kiosks (
    kiosk_id          TEXT PRIMARY KEY,
    scope             TEXT NOT NULL,
    public_key        TEXT NOT NULL,
    enrolled_at       INTEGER NOT NULL,
    app_version       TEXT NOT NULL DEFAULT '',
    last_counter      INTEGER NOT NULL DEFAULT 0,
    last_seen_at      INTEGER,
    report            TEXT,
    display_seq       INTEGER NOT NULL DEFAULT 0,
    display_hash      TEXT NOT NULL,
    remote_config     TEXT,
    screenshot_wanted INTEGER,
    screenshot        BLOB,
    screenshot_at     INTEGER
);
CREATE INDEX kiosks_by_scope ON kiosks(scope);
-- Keyed by the kiosk's key too: a kiosk re-enrolled with a new key starts a new log,
-- and the old one stays, verifiable with the key that signed it.
CREATE TABLE display_log (
    kiosk_id  TEXT NOT NULL,
    key       TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    event     TEXT NOT NULL,
    items     TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, key, seq)
);
-- One open alert per kiosk and kind: the unique index makes raising it a race only one
-- server instance wins, so the webhook fires once.
CREATE TABLE fleet_alerts (
    id         INTEGER PRIMARY KEY,
    kiosk_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    raised_at  INTEGER NOT NULL,
    cleared_at INTEGER
);
CREATE UNIQUE INDEX fleet_alerts_open ON fleet_alerts(kiosk_id, kind) WHERE cleared_at IS NULL;
-- Signed kiosk software releases (the package itself is a blob named by its sha256).
CREATE TABLE releases (
    package      TEXT NOT NULL,
    version      TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (package, version)
);
"#;

/// An enrolled kiosk as the server knows it.
#[derive(Debug, Clone)]
pub struct KioskRecord {
    pub kiosk_id: String,
    pub scope: String,
    pub public_key: String,
    pub enrolled_at: i64,
    pub app_version: String,
    pub last_counter: u64,
    pub last_seen_at: Option<i64>,
    /// The last heartbeat's JSON (without its display-log entries).
    pub report: Option<String>,
    /// The last display-log entry held: `(seq, hash)`.
    pub display_seq: u64,
    pub display_hash: String,
    pub remote_config: Option<RemoteConfig>,
    pub screenshot_wanted: Option<i64>,
    pub screenshot_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: i64,
    pub kiosk_id: String,
    /// "offline" or "behind".
    pub kind: String,
    pub detail: String,
    pub raised_at: i64,
    pub cleared_at: Option<i64>,
}

const KIOSK_COLUMNS: &str = "kiosk_id, scope, public_key, enrolled_at, app_version, last_counter,
     last_seen_at, report, display_seq, display_hash, remote_config, screenshot_wanted, screenshot_at";

fn kiosk_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KioskRecord> {
    let config: Option<String> = r.get(10)?;
    Ok(KioskRecord {
        kiosk_id: r.get(0)?,
        scope: r.get(1)?,
        public_key: r.get(2)?,
        enrolled_at: r.get(3)?,
        app_version: r.get(4)?,
        last_counter: r.get::<_, i64>(5)? as u64,
        last_seen_at: r.get(6)?,
        report: r.get(7)?,
        display_seq: r.get::<_, i64>(8)? as u64,
        display_hash: r.get(9)?,
        remote_config: config.and_then(|c| serde_json::from_str(&c).ok()),
        screenshot_wanted: r.get(11)?,
        screenshot_at: r.get(12)?,
    })
}

pub fn issue_enroll_token(
    c: &Connection,
    token_sha256: &str,
    kiosk_id: &str,
    scope: &str,
    created_by: i64,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO enroll_tokens(token_sha256, kiosk_id, scope, created_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![token_sha256, kiosk_id, scope, created_by, now, expires_at],
    )?;
    Ok(())
}

/// Uses a token once: records the kiosk's key (replacing the key of a kiosk re-enrolled
/// with a fresh token, as when its board is swapped). The same key presented again with
/// the same, already used token is a retry whose answer was lost: it succeeds.
pub fn enroll(
    c: &mut Connection,
    token_sha256: &str,
    kiosk_id: &str,
    public_key: &str,
    app_version: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let token: Option<(String, String, i64, Option<i64>)> = tx
        .query_row(
            "SELECT kiosk_id, scope, expires_at, used_at FROM enroll_tokens WHERE token_sha256 = ?1",
            [token_sha256],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((for_kiosk, scope, expires_at, used_at)) = token else {
        return Ok(None);
    };
    if for_kiosk != kiosk_id {
        return Ok(None);
    }
    if used_at.is_some() {
        let same_key: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM kiosks WHERE kiosk_id = ?1 AND public_key = ?2",
                params![kiosk_id, public_key],
                |r| r.get(0),
            )
            .optional()?;
        return Ok(same_key.map(|_| scope));
    }
    if expires_at <= now {
        return Ok(None);
    }
    tx.execute(
        "UPDATE enroll_tokens SET used_at = ?2 WHERE token_sha256 = ?1",
        params![token_sha256, now],
    )?;
    tx.execute(
        "INSERT INTO kiosks(kiosk_id, scope, public_key, enrolled_at, app_version, display_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(kiosk_id) DO UPDATE SET scope = excluded.scope,
             public_key = excluded.public_key, enrolled_at = excluded.enrolled_at,
             app_version = excluded.app_version, last_counter = 0, display_seq = 0,
             display_hash = excluded.display_hash",
        params![kiosk_id, scope, public_key, now, app_version, GENESIS],
    )?;
    tx.commit()?;
    Ok(Some(scope))
}

pub fn kiosk(c: &Connection, kiosk_id: &str) -> Result<Option<KioskRecord>, StoreError> {
    Ok(c.query_row(
        &format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE kiosk_id = ?1"),
        [kiosk_id],
        kiosk_row,
    )
    .optional()?)
}

/// Kiosks whose scope lies in `scope_prefix` ("" for all), by id.
pub fn kiosks(c: &Connection, scope_prefix: &str) -> Result<Vec<KioskRecord>, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {KIOSK_COLUMNS} FROM kiosks WHERE substr(scope, 1, length(?1)) = ?1 ORDER BY kiosk_id"
    ))?;
    let rows = stmt
        .query_map([scope_prefix], kiosk_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// What a verified heartbeat changes.
pub struct HeartbeatWrite<'a> {
    pub kiosk_id: &'a str,
    /// The key that signed the entries (the kiosk's current key).
    pub key: &'a str,
    pub counter: u64,
    pub now: i64,
    pub app_version: &'a str,
    pub report: &'a str,
    /// The display-log position the entries continue from (checked again here, so two
    /// instances taking heartbeats of one kiosk cannot interleave its log).
    pub after_seq: u64,
    pub entries: &'a [DisplayEntry],
}

/// Saves a heartbeat the caller has verified. Returns false (nothing written) when the
/// counter is not newer or the log moved meanwhile.
pub fn save_heartbeat(c: &mut Connection, w: &HeartbeatWrite<'_>) -> Result<bool, StoreError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (last, hash) = w
        .entries
        .last()
        .map(|e| (e.seq, e.hash.clone()))
        .unwrap_or((w.after_seq, String::new()));
    let changed = tx.execute(
        "UPDATE kiosks SET last_counter = ?2, last_seen_at = ?3, report = ?4, app_version = ?5,
             display_seq = ?6, display_hash = CASE WHEN ?7 = '' THEN display_hash ELSE ?7 END
         WHERE kiosk_id = ?1 AND last_counter < ?2 AND display_seq = ?8",
        params![
            w.kiosk_id,
            w.counter as i64,
            w.now,
            w.report,
            w.app_version,
            last as i64,
            hash,
            w.after_seq as i64
        ],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    {
        let mut ins = tx.prepare(
            "INSERT INTO display_log(kiosk_id, key, seq, at, event, items, prev_hash, hash, signature)
             VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for e in w.entries {
            ins.execute(params![
                w.kiosk_id,
                e.seq as i64,
                e.at,
                e.event.key(),
                serde_json::to_string(&e.items).unwrap_or_else(|_| "[]".into()),
                e.prev_hash,
                e.hash,
                e.signature,
                w.key
            ])?;
        }
    }
    tx.commit()?;
    Ok(true)
}

/// The keys a kiosk's display logs were signed with, oldest log first.
pub fn display_keys(c: &Connection, kiosk_id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        c.prepare("SELECT key FROM display_log WHERE kiosk_id = ?1 GROUP BY key ORDER BY MIN(at)")?;
    let rows = stmt
        .query_map([kiosk_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The display log a kiosk signed with `key`, from `from_seq` on, in order.
pub fn display_log(
    c: &Connection,
    kiosk_id: &str,
    key: &str,
    from_seq: u64,
    limit: u32,
) -> Result<Vec<DisplayEntry>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT seq, at, event, items, prev_hash, hash, signature FROM display_log
         WHERE kiosk_id = ?1 AND key = ?4 AND seq >= ?2 ORDER BY seq LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![kiosk_id, from_seq as i64, limit, key])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let event: String = r.get(2)?;
        let items: String = r.get(3)?;
        out.push(DisplayEntry {
            seq: r.get::<_, i64>(0)? as u64,
            at: r.get(1)?,
            // An unknown event or unreadable item list is kept as found and fails
            // verification, rather than being silently dropped.
            event: DisplayEvent::from_key(&event).unwrap_or(DisplayEvent::Alive),
            items: serde_json::from_str(&items).unwrap_or_default(),
            prev_hash: r.get(4)?,
            hash: r.get(5)?,
            signature: r.get(6)?,
        });
    }
    Ok(out)
}

pub fn set_remote_config(
    c: &Connection,
    kiosk_id: &str,
    config: &RemoteConfig,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(config).map_err(|e| StoreError::Refused(e.to_string()))?;
    c.execute(
        "UPDATE kiosks SET remote_config = ?2 WHERE kiosk_id = ?1",
        params![kiosk_id, json],
    )?;
    Ok(())
}

pub fn want_screenshot(c: &Connection, kiosk_id: &str, now: i64) -> Result<(), StoreError> {
    c.execute(
        "UPDATE kiosks SET screenshot_wanted = ?2 WHERE kiosk_id = ?1",
        params![kiosk_id, now],
    )?;
    Ok(())
}

pub fn save_screenshot(
    c: &Connection,
    kiosk_id: &str,
    png: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE kiosks SET screenshot = ?2, screenshot_at = ?3, screenshot_wanted = NULL
         WHERE kiosk_id = ?1",
        params![kiosk_id, png, now],
    )?;
    Ok(())
}

pub fn screenshot(c: &Connection, kiosk_id: &str) -> Result<Option<(Vec<u8>, i64)>, StoreError> {
    Ok(c.query_row(
        "SELECT screenshot, screenshot_at FROM kiosks WHERE kiosk_id = ?1 AND screenshot IS NOT NULL",
        [kiosk_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

/// Opens an alert unless one of the kind is open for the kiosk. True if this call opened it.
pub fn raise_alert(
    c: &Connection,
    kiosk_id: &str,
    kind: &str,
    detail: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = c.execute(
        "INSERT OR IGNORE INTO fleet_alerts(kiosk_id, kind, detail, raised_at) VALUES (?1, ?2, ?3, ?4)",
        params![kiosk_id, kind, detail, now],
    )?;
    Ok(n == 1)
}

/// Closes an open alert. True if there was one.
pub fn clear_alert(
    c: &Connection,
    kiosk_id: &str,
    kind: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = c.execute(
        "UPDATE fleet_alerts SET cleared_at = ?3 WHERE kiosk_id = ?1 AND kind = ?2 AND cleared_at IS NULL",
        params![kiosk_id, kind, now],
    )?;
    Ok(n == 1)
}

/// Open alerts and those cleared since `since`, newest first.
pub fn alerts(c: &Connection, since: i64) -> Result<Vec<Alert>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT id, kiosk_id, kind, detail, raised_at, cleared_at FROM fleet_alerts
         WHERE cleared_at IS NULL OR cleared_at >= ?1 ORDER BY raised_at DESC, id DESC LIMIT 500",
    )?;
    let rows = stmt
        .query_map([since], |r| {
            Ok(Alert {
                id: r.get(0)?,
                kiosk_id: r.get(1)?,
                kind: r.get(2)?,
                detail: r.get(3)?,
                raised_at: r.get(4)?,
                cleared_at: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// When the scope first changed after `seq`: how long a kiosk at `seq` has been behind.
pub fn first_change_after(
    c: &Connection,
    scope: &str,
    seq: u64,
) -> Result<Option<i64>, StoreError> {
    Ok(c.query_row(
        "SELECT MIN(at) FROM changelog WHERE scope = ?1 AND seq > ?2",
        params![scope, seq as i64],
        |r| r.get(0),
    )?)
}

pub fn publish_release(
    c: &Connection,
    package: &str,
    version: &str,
    manifest_json: &str,
    now: i64,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO releases(package, version, manifest, published_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(package, version) DO UPDATE SET manifest = excluded.manifest,
             published_at = excluded.published_at",
        params![package, version, manifest_json, now],
    )?;
    Ok(())
}

/// The manifest of the release published last for `package`.
pub fn latest_release(c: &Connection, package: &str) -> Result<Option<String>, StoreError> {
    Ok(c.query_row(
        "SELECT manifest FROM releases WHERE package = ?1 ORDER BY published_at DESC, rowid DESC LIMIT 1",
        [package],
        |r| r.get(0),
    )
    .optional()?)
}

/// Enrollment tokens issued for kiosks under `scope_prefix`, not used and not expired:
/// kiosks the office expects to come up. `(kiosk_id, scope, created_at, expires_at)`.
pub fn pending_enrollments(
    c: &Connection,
    scope_prefix: &str,
    now: i64,
) -> Result<Vec<(String, String, i64, i64)>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT kiosk_id, scope, created_at, expires_at FROM enroll_tokens
         WHERE used_at IS NULL AND expires_at > ?2 AND substr(scope, 1, length(?1)) = ?1
         ORDER BY created_at DESC LIMIT 200",
    )?;
    let rows = stmt
        .query_map(params![scope_prefix, now], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
