//! The fleet (both back-ends): enrollment tokens, enrolled kiosks with their public keys and
//! latest heartbeat, their display logs (append-only, verified on arrival), remote
//! configuration, screenshots and alerts.

use super::sql::{args, in_tx, Row, Sql};
use super::StoreError;
use gongkai_protocol::changelog::GENESIS;
use gongkai_protocol::displaylog::{DisplayEntry, DisplayEvent};
use gongkai_protocol::fleet::RemoteConfig;

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

/// Alert events waiting for the webhook: kept until it accepts them, so an alert raised
/// while the operations desk's endpoint is down still arrives.
pub const MIGRATION_WEBHOOK: &str = r#"
CREATE TABLE webhook_outbox (
    id           INTEGER PRIMARY KEY,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    delivered_at INTEGER,
    given_up     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_at) WHERE delivered_at IS NULL AND given_up = 0;
"#;

/// Codes that cannot collide: each kiosk's namespace for the codes it makes alone, and
/// the codes reserved for each kiosk to hand out.
pub const MIGRATION_CODES: &str = r#"
ALTER TABLE kiosks ADD COLUMN code_ns INTEGER;
CREATE UNIQUE INDEX kiosks_by_code_ns ON kiosks(code_ns);
CREATE TABLE code_pool (
    code        TEXT PRIMARY KEY,
    kiosk_id    TEXT NOT NULL,
    reserved_at INTEGER NOT NULL
);
"#;

/// The kiosk's code namespace, given `candidate` if it has none and nobody has it.
/// None: the candidate is taken (try another).
pub fn code_namespace(
    db: &mut dyn Sql,
    kiosk_id: &str,
    candidate: u32,
) -> Result<Option<u32>, StoreError> {
    in_tx(db, |tx| {
        if let Some(r) = tx.row(
            "SELECT code_ns FROM kiosks WHERE kiosk_id = ?1 AND code_ns IS NOT NULL",
            args![kiosk_id],
        )? {
            return Ok(Some(r.int(0)? as u32));
        }
        if tx
            .row(
                "SELECT 1 FROM kiosks WHERE code_ns = ?1",
                args![i64::from(candidate)],
            )?
            .is_some()
        {
            return Ok(None);
        }
        tx.exec(
            "UPDATE kiosks SET code_ns = ?2 WHERE kiosk_id = ?1 AND code_ns IS NULL",
            args![kiosk_id, i64::from(candidate)],
        )?;
        Ok(tx
            .row(
                "SELECT code_ns FROM kiosks WHERE kiosk_id = ?1",
                args![kiosk_id],
            )?
            .and_then(|r| r.opt_int(0).ok().flatten())
            .map(|v| v as u32))
    })
}

/// Reserves those of `candidates` that are neither reserved nor used by a filing, for
/// `kiosk_id`; answers the ones reserved.
pub fn reserve_codes(
    db: &mut dyn Sql,
    kiosk_id: &str,
    candidates: &[String],
    now: i64,
) -> Result<Vec<String>, StoreError> {
    in_tx(db, |tx| {
        let mut out = Vec::new();
        for code in candidates {
            let taken = tx
                .row(
                    "SELECT 1 FROM complaints WHERE code = ?1",
                    args![code.as_str()],
                )?
                .is_some();
            if taken {
                continue;
            }
            if tx
                .row(
                    "INSERT INTO code_pool(code, kiosk_id, reserved_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (code) DO NOTHING RETURNING code",
                    args![code.as_str(), kiosk_id, now],
                )?
                .is_some()
            {
                out.push(code.clone());
            }
        }
        Ok(out)
    })
}

/// A kiosk's memory over time, one sample per heartbeat (its trend between restarts).
pub const MIGRATION_MEMORY: &str = r#"
CREATE TABLE kiosk_memory (
    kiosk_id    TEXT NOT NULL,
    at          INTEGER NOT NULL,
    rss_bytes   INTEGER NOT NULL,
    uptime_secs INTEGER NOT NULL
);
CREATE INDEX kiosk_memory_by_kiosk ON kiosk_memory(kiosk_id, at);
"#;

/// How long a queued event is retried before it is given up (it stays in the console).
pub const WEBHOOK_GIVE_UP_SECS: i64 = 3 * 86_400;

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

fn kiosk_row(r: &Row) -> Result<KioskRecord, StoreError> {
    Ok(KioskRecord {
        kiosk_id: r.text(0)?,
        scope: r.text(1)?,
        public_key: r.text(2)?,
        enrolled_at: r.int(3)?,
        app_version: r.text(4)?,
        last_counter: r.uint(5)?,
        last_seen_at: r.opt_int(6)?,
        report: r.opt_text(7)?,
        display_seq: r.uint(8)?,
        display_hash: r.text(9)?,
        remote_config: r.opt_text(10)?.and_then(|c| serde_json::from_str(&c).ok()),
        screenshot_wanted: r.opt_int(11)?,
        screenshot_at: r.opt_int(12)?,
    })
}

pub fn issue_enroll_token(
    db: &mut dyn Sql,
    token_sha256: &str,
    kiosk_id: &str,
    scope: &str,
    created_by: i64,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    db.exec(
        "INSERT INTO enroll_tokens(token_sha256, kiosk_id, scope, created_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![token_sha256, kiosk_id, scope, created_by, now, expires_at],
    )?;
    Ok(())
}

/// Uses a token once: records the kiosk's key (replacing the key of a kiosk re-enrolled
/// with a fresh token, as when its board is swapped). The same key presented again with
/// the same, already used token is a retry whose answer was lost: it succeeds.
pub fn enroll(
    db: &mut dyn Sql,
    token_sha256: &str,
    kiosk_id: &str,
    public_key: &str,
    app_version: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    in_tx(db, |tx| {
        let sql = format!(
            "SELECT kiosk_id, scope, expires_at, used_at FROM enroll_tokens
             WHERE token_sha256 = ?1{}",
            tx.for_update()
        );
        let Some(t) = tx.row(&sql, args![token_sha256])? else {
            return Ok(None);
        };
        let (for_kiosk, scope, expires_at, used_at) =
            (t.text(0)?, t.text(1)?, t.int(2)?, t.opt_int(3)?);
        if for_kiosk != kiosk_id {
            return Ok(None);
        }
        if used_at.is_some() {
            let same_key = tx.row(
                "SELECT 1 FROM kiosks WHERE kiosk_id = ?1 AND public_key = ?2",
                args![kiosk_id, public_key],
            )?;
            return Ok(same_key.map(|_| scope));
        }
        if expires_at <= now {
            return Ok(None);
        }
        tx.exec(
            "UPDATE enroll_tokens SET used_at = ?2 WHERE token_sha256 = ?1",
            args![token_sha256, now],
        )?;
        tx.exec(
            "INSERT INTO kiosks(kiosk_id, scope, public_key, enrolled_at, app_version, display_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(kiosk_id) DO UPDATE SET scope = excluded.scope,
                 public_key = excluded.public_key, enrolled_at = excluded.enrolled_at,
                 app_version = excluded.app_version, last_counter = 0, display_seq = 0,
                 display_hash = excluded.display_hash",
            args![kiosk_id, scope.as_str(), public_key, now, app_version, GENESIS],
        )?;
        Ok(Some(scope))
    })
}

pub fn kiosk(db: &mut dyn Sql, kiosk_id: &str) -> Result<Option<KioskRecord>, StoreError> {
    db.row(
        &format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE kiosk_id = ?1"),
        args![kiosk_id],
    )?
    .as_ref()
    .map(kiosk_row)
    .transpose()
}

/// Kiosks whose scope lies in `scope_prefix` ("" for all), by id.
pub fn kiosks(db: &mut dyn Sql, scope_prefix: &str) -> Result<Vec<KioskRecord>, StoreError> {
    db.rows(
        &format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE scope LIKE ?1 || '%' ORDER BY kiosk_id"),
        args![scope_prefix],
    )?
    .iter()
    .map(kiosk_row)
    .collect()
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
    /// The kiosk's memory and uptime as reported, kept as a sample for its trend.
    pub rss_bytes: u64,
    pub uptime_secs: u64,
}

/// A kiosk's memory as one heartbeat reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemorySample {
    pub at: i64,
    pub rss_bytes: u64,
    pub uptime_secs: u64,
}

/// How long memory samples are kept: a week between restarts, and a day more.
pub const MEMORY_KEEP_SECS: i64 = 8 * 86_400;

/// A kiosk's memory samples since `since`, oldest first.
pub fn memory_samples(
    db: &mut dyn Sql,
    kiosk_id: &str,
    since: i64,
) -> Result<Vec<MemorySample>, StoreError> {
    db.rows(
        "SELECT at, rss_bytes, uptime_secs FROM kiosk_memory
         WHERE kiosk_id = ?1 AND at >= ?2 ORDER BY at",
        args![kiosk_id, since],
    )?
    .iter()
    .map(|r| {
        Ok(MemorySample {
            at: r.int(0)?,
            rss_bytes: r.uint(1)?,
            uptime_secs: r.uint(2)?,
        })
    })
    .collect()
}

/// Saves a heartbeat the caller has verified. Returns false (nothing written) when the
/// counter is not newer or the log moved meanwhile.
pub fn save_heartbeat(db: &mut dyn Sql, w: &HeartbeatWrite<'_>) -> Result<bool, StoreError> {
    in_tx(db, |tx| {
        let (last, hash) = w
            .entries
            .last()
            .map(|e| (e.seq, e.hash.clone()))
            .unwrap_or((w.after_seq, String::new()));
        // One conditional UPDATE: a stale counter or a log that moved meanwhile (another
        // instance took a heartbeat of this kiosk) changes nothing.
        let changed = tx.exec(
            "UPDATE kiosks SET last_counter = ?2, last_seen_at = ?3, report = ?4, app_version = ?5,
                 display_seq = ?6, display_hash = CASE WHEN ?7 = '' THEN display_hash ELSE ?7 END
             WHERE kiosk_id = ?1 AND last_counter < ?2 AND display_seq = ?8",
            args![
                w.kiosk_id,
                w.counter,
                w.now,
                w.report,
                w.app_version,
                last,
                hash,
                w.after_seq
            ],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        tx.exec(
            "INSERT INTO kiosk_memory(kiosk_id, at, rss_bytes, uptime_secs) VALUES (?1, ?2, ?3, ?4)",
            args![w.kiosk_id, w.now, w.rss_bytes, w.uptime_secs],
        )?;
        tx.exec(
            "DELETE FROM kiosk_memory WHERE kiosk_id = ?1 AND at < ?2",
            args![w.kiosk_id, w.now - MEMORY_KEEP_SECS],
        )?;
        for e in w.entries {
            tx.exec(
                "INSERT INTO display_log(kiosk_id, key, seq, at, event, items, prev_hash, hash, signature)
                 VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                args![
                    w.kiosk_id,
                    e.seq,
                    e.at,
                    e.event.key(),
                    serde_json::to_string(&e.items).unwrap_or_else(|_| "[]".into()),
                    e.prev_hash.as_str(),
                    e.hash.as_str(),
                    e.signature.as_str(),
                    w.key
                ],
            )?;
        }
        Ok(true)
    })
}

/// The keys a kiosk's display logs were signed with, oldest log first.
pub fn display_keys(db: &mut dyn Sql, kiosk_id: &str) -> Result<Vec<String>, StoreError> {
    db.rows(
        "SELECT key FROM display_log WHERE kiosk_id = ?1 GROUP BY key ORDER BY MIN(at)",
        args![kiosk_id],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// The display log a kiosk signed with `key`, from `from_seq` on, in order.
pub fn display_log(
    db: &mut dyn Sql,
    kiosk_id: &str,
    key: &str,
    from_seq: u64,
    limit: u32,
) -> Result<Vec<DisplayEntry>, StoreError> {
    db.rows(
        "SELECT seq, at, event, items, prev_hash, hash, signature FROM display_log
         WHERE kiosk_id = ?1 AND key = ?4 AND seq >= ?2 ORDER BY seq LIMIT ?3",
        args![kiosk_id, from_seq, limit, key],
    )?
    .iter()
    .map(|r| {
        Ok(DisplayEntry {
            seq: r.uint(0)?,
            at: r.int(1)?,
            // An unknown event or unreadable item list is kept as found and fails
            // verification, rather than being silently dropped.
            event: DisplayEvent::from_key(&r.text(2)?).unwrap_or(DisplayEvent::Alive),
            items: serde_json::from_str(&r.text(3)?).unwrap_or_default(),
            prev_hash: r.text(4)?,
            hash: r.text(5)?,
            signature: r.text(6)?,
        })
    })
    .collect()
}

pub fn set_remote_config(
    db: &mut dyn Sql,
    kiosk_id: &str,
    config: &RemoteConfig,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(config).map_err(|e| StoreError::Refused(e.to_string()))?;
    db.exec(
        "UPDATE kiosks SET remote_config = ?2 WHERE kiosk_id = ?1",
        args![kiosk_id, json],
    )?;
    Ok(())
}

pub fn want_screenshot(db: &mut dyn Sql, kiosk_id: &str, now: i64) -> Result<(), StoreError> {
    db.exec(
        "UPDATE kiosks SET screenshot_wanted = ?2 WHERE kiosk_id = ?1",
        args![kiosk_id, now],
    )?;
    Ok(())
}

pub fn save_screenshot(
    db: &mut dyn Sql,
    kiosk_id: &str,
    png: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    db.exec(
        "UPDATE kiosks SET screenshot = ?2, screenshot_at = ?3, screenshot_wanted = NULL
         WHERE kiosk_id = ?1",
        args![kiosk_id, png, now],
    )?;
    Ok(())
}

pub fn screenshot(db: &mut dyn Sql, kiosk_id: &str) -> Result<Option<(Vec<u8>, i64)>, StoreError> {
    match db.row(
        "SELECT screenshot, screenshot_at FROM kiosks WHERE kiosk_id = ?1 AND screenshot IS NOT NULL",
        args![kiosk_id],
    )? {
        Some(r) => Ok(Some((r.opt_bytes(0)?.unwrap_or_default(), r.int(1)?))),
        None => Ok(None),
    }
}

/// Opens an alert unless one of the kind is open for the kiosk. True if this call opened it.
pub fn raise_alert(
    db: &mut dyn Sql,
    kiosk_id: &str,
    kind: &str,
    detail: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db.exec(
        // The NOT EXISTS skips the usual case without an insert (on PostgreSQL a refused
        // insert still uses up a serial number); the unique index settles a race.
        "INSERT INTO fleet_alerts(kiosk_id, kind, detail, raised_at)
         SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM fleet_alerts
             WHERE kiosk_id = ?1 AND kind = ?2 AND cleared_at IS NULL)
         ON CONFLICT DO NOTHING",
        args![kiosk_id, kind, detail, now],
    )?;
    Ok(n == 1)
}

/// Closes an open alert. True if there was one.
pub fn clear_alert(
    db: &mut dyn Sql,
    kiosk_id: &str,
    kind: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = db.exec(
        "UPDATE fleet_alerts SET cleared_at = ?3 WHERE kiosk_id = ?1 AND kind = ?2 AND cleared_at IS NULL",
        args![kiosk_id, kind, now],
    )?;
    Ok(n == 1)
}

/// Open alerts and those cleared since `since`, newest first.
pub fn alerts(db: &mut dyn Sql, since: i64) -> Result<Vec<Alert>, StoreError> {
    db.rows(
        "SELECT id, kiosk_id, kind, detail, raised_at, cleared_at FROM fleet_alerts
         WHERE cleared_at IS NULL OR cleared_at >= ?1 ORDER BY raised_at DESC, id DESC LIMIT 500",
        args![since],
    )?
    .iter()
    .map(|r| {
        Ok(Alert {
            id: r.int(0)?,
            kiosk_id: r.text(1)?,
            kind: r.text(2)?,
            detail: r.text(3)?,
            raised_at: r.int(4)?,
            cleared_at: r.opt_int(5)?,
        })
    })
    .collect()
}

/// When the scope first changed after `seq`: how long a kiosk at `seq` has been behind.
pub fn first_change_after(
    db: &mut dyn Sql,
    scope: &str,
    seq: u64,
) -> Result<Option<i64>, StoreError> {
    match db.row(
        "SELECT MIN(at) FROM changelog WHERE scope = ?1 AND seq > ?2",
        args![scope, seq],
    )? {
        Some(r) => r.opt_int(0),
        None => Ok(None),
    }
}

pub fn publish_release(
    db: &mut dyn Sql,
    package: &str,
    version: &str,
    manifest_json: &str,
    now: i64,
) -> Result<(), StoreError> {
    db.exec(
        "INSERT INTO releases(package, version, manifest, published_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(package, version) DO UPDATE SET manifest = excluded.manifest,
             published_at = excluded.published_at",
        args![package, version, manifest_json, now],
    )?;
    Ok(())
}

/// The manifest of the release published last for `package`.
pub fn latest_release(db: &mut dyn Sql, package: &str) -> Result<Option<String>, StoreError> {
    match db.row(
        "SELECT manifest FROM releases WHERE package = ?1
         ORDER BY published_at DESC, rowid DESC LIMIT 1",
        args![package],
    )? {
        Some(r) => Ok(Some(r.text(0)?)),
        None => Ok(None),
    }
}

/// Enrollment tokens issued for kiosks under `scope_prefix`, not used and not expired:
/// kiosks the office expects to come up. `(kiosk_id, scope, created_at, expires_at)`.
pub fn pending_enrollments(
    db: &mut dyn Sql,
    scope_prefix: &str,
    now: i64,
) -> Result<Vec<(String, String, i64, i64)>, StoreError> {
    db.rows(
        "SELECT kiosk_id, scope, created_at, expires_at FROM enroll_tokens
         WHERE used_at IS NULL AND expires_at > ?2 AND scope LIKE ?1 || '%'
         ORDER BY created_at DESC LIMIT 200",
        args![scope_prefix, now],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?, r.int(2)?, r.int(3)?)))
    .collect()
}

/// Queues one event (its JSON) for the webhook, due at once.
pub fn queue_webhook(db: &mut dyn Sql, body: &str, now: i64) -> Result<(), StoreError> {
    db.exec(
        "INSERT INTO webhook_outbox(body, created_at, next_at) VALUES (?1, ?2, ?2)",
        args![body, now],
    )?;
    Ok(())
}

/// Claims up to `limit` due events until `lease_until` (so another instance does not send
/// them meanwhile), counting the attempt: `(id, body, attempts)`, oldest first.
pub fn claim_webhooks(
    db: &mut dyn Sql,
    now: i64,
    lease_until: i64,
    limit: u32,
) -> Result<Vec<(i64, String, u32)>, StoreError> {
    // The outer conditions are checked again on PostgreSQL after waiting for a row another
    // instance is claiming: it then no longer qualifies and is skipped.
    let mut rows = db
        .rows(
            "UPDATE webhook_outbox SET next_at = ?2, attempts = attempts + 1
             WHERE next_at <= ?1 AND delivered_at IS NULL AND given_up = 0 AND id IN (
                 SELECT id FROM webhook_outbox
                 WHERE next_at <= ?1 AND delivered_at IS NULL AND given_up = 0
                 ORDER BY id LIMIT ?3)
             RETURNING id, body, attempts",
            args![now, lease_until, limit],
        )?
        .iter()
        .map(|r| {
            Ok((
                r.int(0)?,
                r.text(1)?,
                u32::try_from(r.int(2)?).unwrap_or(u32::MAX),
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    rows.sort_by_key(|r| r.0);
    Ok(rows)
}

/// Records a delivery: done, or due again at `retry_at` — or given up once the event is
/// older than [`WEBHOOK_GIVE_UP_SECS`].
pub fn webhook_result(
    db: &mut dyn Sql,
    id: i64,
    delivered: bool,
    now: i64,
    retry_at: i64,
) -> Result<(), StoreError> {
    if delivered {
        db.exec(
            "UPDATE webhook_outbox SET delivered_at = ?2 WHERE id = ?1",
            args![id, now],
        )?;
    } else {
        db.exec(
            "UPDATE webhook_outbox SET next_at = ?2,
                 given_up = CASE WHEN created_at < ?3 THEN 1 ELSE 0 END
             WHERE id = ?1",
            args![id, retry_at, now - WEBHOOK_GIVE_UP_SECS],
        )?;
    }
    Ok(())
}

/// Events still waiting for the webhook (not delivered, not given up).
pub fn webhooks_waiting(db: &mut dyn Sql) -> Result<u64, StoreError> {
    match db.row(
        "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL AND given_up = 0",
        &[],
    )? {
        Some(r) => r.uint(0),
        None => Ok(0),
    }
}
