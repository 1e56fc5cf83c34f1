//! The kiosk's side of fleet operations: its own key pair (made here, never sent
//! anywhere), enrollment with the console's one-time token, the signed display log
//! (proof of posting), signed heartbeats, the server's signed remote configuration and
//! screenshots on request.
//!
//! State lives in `fleet.sqlite` (synchronous=FULL) beside the cache: the display log is
//! an append-only record, never thrown away with a damaged cache.

use gongkai_db::Durability;
use gongkai_protocol::displaylog::{
    genesis, DisplayEntry, DisplayEvent, ShownItem, ALIVE_EVERY_SECS,
};
use gongkai_protocol::fleet::{
    request_signing_bytes, Enroll, Enrolled, Heartbeat, HeartbeatAck, RemoteConfig,
    SignedRemoteConfig, KIOSK_HEADER, SIGNATURE_HEADER,
};
use gongkai_protocol::paths;
use gongkai_protocol::{PublicKey, SigningKey};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE display_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    event     TEXT NOT NULL,
    items     TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE fleet_state (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL
);
"#];

/// Most display-log entries sent in one heartbeat (a kiosk back after weeks offline
/// catches up over several).
const MAX_ENTRIES_PER_HEARTBEAT: usize = 2_000;
/// Acknowledged entries older than this are pruned locally; the server keeps them.
const KEEP_LOCAL_SECS: i64 = 90 * 86_400;

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Db(#[from] gongkai_db::DbError),
    #[error("fleet database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("kiosk key file {path}: {message}")]
    Key { path: String, message: String },
    #[error("server unreachable: {0}")]
    Network(String),
    /// The server answered with an error; `code` is its machine-readable code.
    #[error("server refused ({status}, {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
}

/// What a fleet round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetReport {
    pub enrolled: bool,
    pub heartbeat_sent: bool,
    pub entries_acked: u64,
    pub config_applied: Option<u64>,
    pub screenshot_sent: bool,
}

pub struct Fleet {
    conn: Mutex<Connection>,
    key: SigningKey,
    kiosk_id: String,
    /// Whether this process has written its start entry, and the screen state it last
    /// logged.
    logged: Mutex<Option<bool>>,
    started: std::time::Instant,
    /// The remote configuration in force, kept in memory: every home-screen refresh
    /// (every few seconds) reads it three times. Loaded at open, replaced on a newer one.
    remote: Mutex<Option<RemoteConfig>>,
}

/// The kiosk's private key: read from `path`, or made and written there (mode 0600,
/// written to a temporary file and renamed, so a power cut leaves the old or new key).
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, FleetError> {
    let err = |message: String| FleetError::Key {
        path: path.display().to_string(),
        message,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => SigningKey::from_base64(&text).map_err(|e| err(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let key = SigningKey::generate();
            let tmp = path.with_extension("tmp");
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| err(e.to_string()))?;
            f.write_all(key.to_base64().as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| err(e.to_string()))?;
            std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))?;
            Ok(key)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

impl Fleet {
    pub fn open(data_dir: &Path, kiosk_id: &str) -> Result<Fleet, FleetError> {
        let key = load_or_create_key(&data_dir.join("kiosk.key"))?;
        let conn = gongkai_db::open(&data_dir.join("fleet.sqlite"), Durability::Full, MIGRATIONS)?;
        let fleet = Fleet {
            conn: Mutex::new(conn),
            key,
            kiosk_id: kiosk_id.to_string(),
            logged: Mutex::new(None),
            started: std::time::Instant::now(),
            remote: Mutex::new(None),
        };
        // A log signed by another key (the key file was lost and remade) cannot be
        // continued: this key starts its own, after enrolling again.
        let me = fleet.public_key().to_base64();
        if fleet.get("log_key")?.as_deref() != Some(me.as_str()) {
            let c = fleet.lock();
            c.execute("DELETE FROM display_log", [])?;
            c.execute(
                "DELETE FROM fleet_state WHERE k IN ('acked', 'enrolled_key')",
                [],
            )?;
            drop(c);
            fleet.set("log_key", &me)?;
        }
        let stored = fleet
            .get("remote_config")?
            .and_then(|t| serde_json::from_str(&t).ok());
        *fleet.remote.lock().unwrap_or_else(|p| p.into_inner()) = stored;
        Ok(fleet)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    fn get(&self, k: &str) -> Result<Option<String>, FleetError> {
        Ok(self
            .lock()
            .query_row("SELECT v FROM fleet_state WHERE k = ?1", [k], |r| r.get(0))
            .optional()?)
    }

    fn set(&self, k: &str, v: &str) -> Result<(), FleetError> {
        self.lock().execute(
            "INSERT INTO fleet_state(k, v) VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            params![k, v],
        )?;
        Ok(())
    }

    /// This kiosk's namespace for the codes it makes alone (given at enrollment).
    pub fn code_ns(&self) -> Option<u32> {
        self.get("code_ns")
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok())
    }

    /// The change log as last verified: `(len, head, issued_at)`.
    pub fn log_anchor(&self) -> Result<Option<(u64, String, i64)>, FleetError> {
        let Some(v) = self.get("log_anchor")? else {
            return Ok(None);
        };
        let mut parts = v.splitn(3, ' ');
        let (Some(len), Some(head), Some(at)) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(None);
        };
        Ok(len
            .parse()
            .ok()
            .zip(at.parse().ok())
            .map(|(len, at)| (len, head.to_string(), at)))
    }

    pub fn set_log_anchor(&self, len: u64, head: &str, issued_at: i64) -> Result<(), FleetError> {
        self.set("log_anchor", &format!("{len} {head} {issued_at}"))
    }

    /// Why the change log no longer extends the anchor, if it does not.
    pub fn log_alarm(&self) -> Result<Option<String>, FleetError> {
        Ok(self.get("log_alarm")?.filter(|s| !s.is_empty()))
    }

    pub fn set_log_alarm(&self, why: Option<&str>) -> Result<(), FleetError> {
        self.set("log_alarm", why.unwrap_or(""))
    }

    pub fn is_enrolled(&self) -> Result<bool, FleetError> {
        Ok(self.get("enrolled_key")?.as_deref() == Some(self.public_key().to_base64().as_str()))
    }

    /// The remote configuration in force, if the server sent one.
    pub fn remote_config(&self) -> Option<RemoteConfig> {
        self.remote
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn last_entry(&self, c: &Connection) -> Result<(u64, String, i64, Option<String>), FleetError> {
        let last: Option<(i64, String, i64)> = c
            .query_row(
                "SELECT seq, hash, at FROM display_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let items: Option<String> = c
            .query_row(
                "SELECT items FROM display_log WHERE event IN ('start', 'showing', 'screen_on')
                 ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match last {
            Some((seq, hash, at)) => (seq as u64, hash, at, items),
            None => {
                let (s, h) = genesis();
                (s, h, i64::MIN, None)
            }
        })
    }

    fn append(
        &self,
        c: &Connection,
        at: i64,
        event: DisplayEvent,
        items: &[ShownItem],
    ) -> Result<(), FleetError> {
        let (seq, hash, last_at, _) = self.last_entry(c)?;
        // Never before the entry it follows, whatever the clock did meanwhile.
        let at = at.max(last_at);
        let e = DisplayEntry::signed(
            &self.kiosk_id,
            &self.key,
            (seq, &hash),
            at,
            event,
            items.to_vec(),
        );
        c.execute(
            "INSERT INTO display_log(seq, at, event, items, prev_hash, hash, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                e.seq as i64,
                e.at,
                e.event.key(),
                serde_json::to_string(&e.items).unwrap_or_else(|_| "[]".into()),
                e.prev_hash,
                e.hash,
                e.signature
            ],
        )?;
        Ok(())
    }

    /// Records what the screen shows at `now`: a start entry once per process, an entry
    /// when the screen turns off or on or the posted items change, else an alive entry
    /// every [`ALIVE_EVERY_SECS`].
    pub fn log_display(
        &self,
        now: i64,
        screen_on: bool,
        items: &[ShownItem],
    ) -> Result<(), FleetError> {
        let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
        let c = self.lock();
        let (_, _, last_at, last_items) = self.last_entry(&c)?;
        let items_json = serde_json::to_string(items).unwrap_or_default();
        match *logged {
            None => {
                self.append(&c, now, DisplayEvent::Start, items)?;
                if !screen_on {
                    self.append(&c, now, DisplayEvent::ScreenOff, &[])?;
                }
            }
            Some(was_on) if was_on != screen_on => {
                if screen_on {
                    self.append(&c, now, DisplayEvent::ScreenOn, items)?;
                } else {
                    self.append(&c, now, DisplayEvent::ScreenOff, &[])?;
                }
            }
            Some(_) if last_items.as_deref() != Some(items_json.as_str()) => {
                self.append(&c, now, DisplayEvent::Showing, items)?;
            }
            Some(_) if now - last_at >= ALIVE_EVERY_SECS => {
                self.append(&c, now, DisplayEvent::Alive, &[])?;
            }
            Some(_) => {}
        }
        *logged = Some(screen_on);
        Ok(())
    }

    /// Entries after `after`, oldest first.
    pub fn entries_after(&self, after: u64, limit: usize) -> Result<Vec<DisplayEntry>, FleetError> {
        let c = self.lock();
        let mut stmt = c.prepare(
            "SELECT seq, at, event, items, prev_hash, hash, signature FROM display_log
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
            let event: String = r.get(2)?;
            let items: String = r.get(3)?;
            Ok(DisplayEntry {
                seq: r.get::<_, i64>(0)? as u64,
                at: r.get(1)?,
                event: DisplayEvent::from_key(&event).unwrap_or(DisplayEvent::Alive),
                items: serde_json::from_str(&items).unwrap_or_default(),
                prev_hash: r.get(4)?,
                hash: r.get(5)?,
                signature: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn acked(&self) -> u64 {
        self.get("acked")
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Enrolls with the token unless already enrolled with this key.
    pub fn enroll(
        &self,
        http: &reqwest::blocking::Client,
        server: &url::Url,
        token: &str,
    ) -> Result<Enrolled, FleetError> {
        let req = Enroll {
            token: token.to_string(),
            kiosk_id: self.kiosk_id.clone(),
            public_key: self.public_key().to_base64(),
            app_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let url = join(server, paths::relative(paths::KIOSK_ENROLL))?;
        let resp = http
            .post(url)
            .json(&req)
            .send()
            .map_err(|e| FleetError::Network(e.to_string()))?;
        let enrolled: Enrolled = answer(resp)?;
        if let Some(ns) = enrolled.code_ns {
            self.set("code_ns", &ns.to_string())?;
        }
        self.set("enrolled_key", &req.public_key)?;
        tracing::info!(scope = %enrolled.scope, "kiosk enrolled");
        Ok(enrolled)
    }

    /// This kiosk's signature of `body` for `path` (the value of the signature header).
    pub fn sign_body(&self, path: &str, body: &[u8]) -> String {
        self.key
            .sign(&request_signing_bytes(&self.kiosk_id, path, body))
    }

    /// The two headers that sign `body` for `path` as this kiosk.
    pub fn sign_request(&self, path: &str, body: &[u8]) -> [(&'static str, String); 2] {
        [
            (KIOSK_HEADER, self.kiosk_id.clone()),
            (
                SIGNATURE_HEADER,
                self.key
                    .sign(&request_signing_bytes(&self.kiosk_id, path, body)),
            ),
        ]
    }

    /// Signs and POSTs `body` to `path`.
    fn post_signed(
        &self,
        http: &reqwest::blocking::Client,
        server: &url::Url,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<reqwest::blocking::Response, FleetError> {
        let sig = self
            .key
            .sign(&request_signing_bytes(&self.kiosk_id, path, &body));
        http.post(join(server, path.trim_start_matches('/'))?)
            .header(KIOSK_HEADER, &self.kiosk_id)
            .header(SIGNATURE_HEADER, sig)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .map_err(|e| FleetError::Network(e.to_string()))
    }

    /// Sends one heartbeat built by `build` (given the counter, the entries to send and
    /// the config version) and takes in the answer: acknowledged entries, a newer remote
    /// configuration (only if the server's key signed it for this kiosk), a screenshot
    /// request.
    pub fn heartbeat(
        &self,
        http: &reqwest::blocking::Client,
        server: &url::Url,
        server_key: &PublicKey,
        now: i64,
        build: impl FnOnce(u64, Vec<DisplayEntry>, u64) -> Heartbeat,
    ) -> Result<HeartbeatAck, FleetError> {
        // Counter: never below the clock in milliseconds, so a kiosk whose state file was
        // restored from an old copy still moves forward.
        let last: u64 = self
            .get("counter")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let counter = (last + 1).max((now.max(0) as u64) * 1000);
        self.set("counter", &counter.to_string())?;
        let entries = self.entries_after(self.acked(), MAX_ENTRIES_PER_HEARTBEAT)?;
        let version = self.remote_config().map_or(0, |c| c.version);
        let hb = build(counter, entries, version);
        let body = serde_json::to_vec(&hb).map_err(|e| FleetError::Network(e.to_string()))?;
        let resp = self.post_signed(
            http,
            server,
            paths::KIOSK_HEARTBEAT,
            body,
            "application/json",
        )?;
        let ack: HeartbeatAck = match answer(resp) {
            Err(FleetError::Refused { code, .. }) if code == "unknown_kiosk" => {
                // The server no longer knows this key: enroll again (with a new token).
                self.lock()
                    .execute("DELETE FROM fleet_state WHERE k = 'enrolled_key'", [])?;
                return Err(FleetError::Refused {
                    status: 401,
                    code,
                    message: "本机未注册，请在管理平台生成注册码".into(),
                });
            }
            other => other?,
        };
        self.set("acked", &ack.display_log_acked.to_string())?;
        self.lock().execute(
            "DELETE FROM display_log WHERE seq <= ?1 AND at < ?2",
            params![ack.display_log_acked as i64, now - KEEP_LOCAL_SECS],
        )?;
        if let Some(config) = &ack.config {
            self.take_config(config, server_key)?;
        }
        Ok(ack)
    }

    /// Keeps a remote configuration if it is signed for this kiosk and newer.
    pub fn take_config(
        &self,
        config: &SignedRemoteConfig,
        server_key: &PublicKey,
    ) -> Result<bool, FleetError> {
        let current = self.remote_config().map_or(0, |c| c.version);
        if !config.verify(server_key, &self.kiosk_id) {
            tracing::warn!("remote configuration with a bad signature refused");
            return Ok(false);
        }
        if config.config.version <= current {
            return Ok(false);
        }
        let json = serde_json::to_string(&config.config).unwrap_or_default();
        self.set("remote_config", &json)?;
        *self.remote.lock().unwrap_or_else(|p| p.into_inner()) = Some(config.config.clone());
        tracing::info!(
            version = config.config.version,
            "remote configuration applied"
        );
        Ok(true)
    }

    /// Takes a screenshot with `command` and sends it.
    pub fn send_screenshot(
        &self,
        http: &reqwest::blocking::Client,
        server: &url::Url,
        command: &[String],
    ) -> Result<(), FleetError> {
        let png = take_screenshot(command).map_err(|e| FleetError::Refused {
            status: 0,
            code: "screenshot".into(),
            message: e,
        })?;
        let resp = self.post_signed(http, server, paths::KIOSK_SCREENSHOT, png, "image/png")?;
        if !resp.status().is_success() {
            return answer::<serde_json::Value>(resp).map(|_| ());
        }
        Ok(())
    }
}

fn join(server: &url::Url, path: &str) -> Result<url::Url, FleetError> {
    server
        .join(path)
        .map_err(|e| FleetError::Network(e.to_string()))
}

fn answer<T: serde::de::DeserializeOwned>(
    resp: reqwest::blocking::Response,
) -> Result<T, FleetError> {
    let status = resp.status();
    if status.is_success() {
        return resp.json().map_err(|e| FleetError::Network(e.to_string()));
    }
    let body: serde_json::Value = resp.json().unwrap_or_default();
    Err(FleetError::Refused {
        status: status.as_u16(),
        code: body["code"].as_str().unwrap_or_default().to_string(),
        message: body["message"].as_str().unwrap_or_default().to_string(),
    })
}

/// The screenshot program: the configured one, else grim under Wayland (cage), else
/// ImageMagick's import on X.
pub fn screenshot_command(configured: Option<&Vec<String>>) -> Vec<String> {
    if let Some(c) = configured {
        return c.clone();
    }
    if std::env::var_os("WAYLAND_DISPLAY").is_some() {
        return vec!["grim".into(), "-".into()];
    }
    ["import", "-window", "root", "png:-"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn take_screenshot(command: &[String]) -> Result<Vec<u8>, String> {
    let (program, args) = command.split_first().ok_or("no screenshot program")?;
    let out = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() || !out.stdout.starts_with(b"\x89PNG") {
        return Err(format!("{program} did not write a PNG"));
    }
    Ok(out.stdout)
}

/// Resident memory of this process and its children (the WebKit web and network
/// processes run as children of the app), in bytes.
pub fn rss_bytes() -> u64 {
    let me = std::process::id();
    let rss_of = |pid: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .unwrap_or(0)
            * 1024
    };
    let mut total = rss_of(me);
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let parent = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    // The command name may hold spaces: fields start after the last ')'.
                    let rest = s.rsplit_once(')')?.1;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                });
            if parent == Some(me) {
                total += rss_of(pid);
            }
        }
    }
    total
}

/// Free space for the kiosk's data, in bytes.
pub fn disk_free_bytes(dir: &Path) -> u64 {
    rustix::fs::statvfs(dir)
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        .unwrap_or(0)
}

/// Where the fleet files are, for tests that tamper with them.
pub fn fleet_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("fleet.sqlite")
}
