//! The kiosk engine: configuration, verified sync into an offline SQLite cache, and the
//! reads every screen is drawn from.
//!
//! Architecture invariant: no Tauri and no UI here; every read answers from the local
//! cache and never touches the network, so the screens work the same offline.
#![forbid(unsafe_code)]

pub mod anchor;
pub mod blobs;
pub mod cache;
mod cadre;
mod complaints;
pub mod config;
mod content;
pub mod fleet;
pub mod ime;
pub mod outbox;
pub mod schedule;
pub mod sync;
pub mod update;
pub mod views;

pub use cache::{Cache, CacheError};
pub use config::{ConfigError, KioskConfig};
pub use content::{attachment_url, ATTACHMENT_SCHEME};
pub use sync::{ScopeOutcome, SyncClient, SyncError};

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};
use gongkai_model::{ContentKind, Disclosure, ScopeId};
use std::path::Path;
use std::sync::Mutex;
use views::{
    CategoryCount, DisclosureView, HomeView, ItemPage, ListEntry, StatusView, Tile, TileKey,
};

#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("item not found")]
    NotFound,
    /// Bad input from the form; the message is for the resident.
    #[error("{0}")]
    Invalid(String),
    #[error("stored item is unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Fleet(#[from] fleet::FleetError),
    #[error(transparent)]
    Anchor(#[from] anchor::AnchorError),
}

#[derive(Debug, Default, Clone)]
struct RuntimeStatus {
    online: bool,
    last_sync_at: Option<i64>,
    problem: Option<String>,
    storage_full: bool,
}

/// What staff see when the cache cannot grow.
const STORAGE_FULL: &str =
    "本机存储空间已满，内容暂停更新。已显示的内容和已提交的投诉不受影响，请联系维护人员清理。";

/// One sync round over all followed scopes.
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub outcomes: Vec<(ScopeId, ScopeOutcome)>,
    pub blobs_fetched: usize,
}

pub struct Kiosk {
    config: KioskConfig,
    cache: Cache,
    client: SyncClient,
    blobs: blobs::BlobDir,
    http: reqwest::blocking::Client,
    status: Mutex<RuntimeStatus>,
    outbox: outbox::Outbox,
    /// Loaded on first use: the dictionary is a few megabytes and many kiosks never type.
    ime: std::sync::OnceLock<Result<ime::Ime, String>>,
    /// The handwriting recognizer, its model loaded on first use.
    handwriting: std::sync::OnceLock<Result<gongkai_handwriting::Recognizer, String>>,
    /// The cadre who unlocked this kiosk, in memory only: a restart locks it.
    cadre: Mutex<Option<cadre::Unlocked>>,
    /// Key pair, display log, heartbeats, remote configuration.
    fleet: fleet::Fleet,
    data_dir: std::path::PathBuf,
    /// What the panel's power was last set to (None: never set by us).
    panel_on: Mutex<Option<bool>>,
    /// When the change log was last checked against the anchor (unix seconds).
    log_checked_at: Mutex<Option<i64>>,
}

/// China Standard Time, in which every date a resident sees is written.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(gongkai_model::calendar::BEIJING_OFFSET_SECS as i32)
        .unwrap_or_else(|| FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()))
}

pub(crate) fn iso(unix: i64) -> Option<String> {
    beijing()
        .timestamp_opt(unix, 0)
        .single()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, false))
}

/// The instant as the cache stores expiry times, for comparisons in SQL.
fn now_key(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, false)
}

impl Kiosk {
    /// Opens the kiosk's cache in `data_dir` (created if missing).
    pub fn open(config: KioskConfig, data_dir: &Path) -> Result<Kiosk, KioskError> {
        std::fs::create_dir_all(data_dir).map_err(|source| KioskError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let cache = Cache::open_limited(&data_dir.join("cache.sqlite"), config.cache_max_mib)?;
        let client = SyncClient::new(config.server_url.clone(), config.server_public_key)?;
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .map_err(|e| SyncError::Network(e.to_string()))?;
        // The outbox is its own file, so a damaged cache can be thrown away and synced
        // again without touching what residents filed.
        let outbox = outbox::Outbox::open(&data_dir.join("outbox.sqlite"))?;
        let fleet = fleet::Fleet::open(data_dir, &config.kiosk_id)?;
        Ok(Kiosk {
            fleet,
            data_dir: data_dir.to_path_buf(),
            cadre: Mutex::new(None),
            ime: std::sync::OnceLock::new(),
            handwriting: std::sync::OnceLock::new(),
            outbox,
            blobs: blobs::BlobDir::new(data_dir.join("blobs")),
            config,
            cache,
            client,
            http,
            status: Mutex::new(RuntimeStatus::default()),
            panel_on: Mutex::new(None),
            log_checked_at: Mutex::new(None),
        })
    }

    /// Chinese words for pinyin letters typed on the screen keyboard.
    pub fn pinyin_candidates(
        &self,
        input: &str,
        limit: usize,
    ) -> Result<Vec<ime::Candidate>, KioskError> {
        Ok(self.ime()?.candidates(input, limit.clamp(1, 50)))
    }

    /// What usually follows the character just written by hand (phrase continuation).
    pub fn continuations(
        &self,
        last: &str,
        limit: usize,
    ) -> Result<Vec<ime::Candidate>, KioskError> {
        Ok(self.ime()?.continuations(last, limit.clamp(1, 50)))
    }

    /// The likeliest characters for strokes drawn on the writing pad (`width` × `height`
    /// pixels), best first.
    pub fn handwriting(
        &self,
        strokes: &[Vec<[f32; 2]>],
        width: f32,
        height: f32,
        limit: usize,
    ) -> Result<Vec<String>, KioskError> {
        let recognizer = self.handwriting.get_or_init(|| {
            let path = std::env::var_os("GONGKAI_HANDWRITING_MODEL")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| gongkai_handwriting::DEFAULT_MODEL.into());
            gongkai_handwriting::Recognizer::open(&path).map_err(|e| e.to_string())
        });
        let recognizer = recognizer.as_ref().map_err(|e| {
            tracing::warn!(error = %e, "handwriting model unavailable");
            KioskError::Invalid("本机未安装手写识别模型，请用拼音输入或到窗口办理".into())
        })?;
        // A finger's worth of strokes: no character has hundreds.
        if strokes.len() > 64 || strokes.iter().any(|s| s.len() > 2000) {
            return Err(KioskError::Invalid("笔画太多，请点“重写”后再写".into()));
        }
        let strokes: Vec<Vec<gongkai_handwriting::Point>> = strokes
            .iter()
            .map(|s| {
                s.iter()
                    .map(|&[x, y]| gongkai_handwriting::Point { x, y })
                    .collect()
            })
            .collect();
        let found = recognizer
            .classify(&strokes, width, height, limit.clamp(1, 20))
            .map_err(|e| KioskError::Invalid(format!("手写识别出错：{e}")))?;
        Ok(found.into_iter().map(|c| c.character).collect())
    }

    fn ime(&self) -> Result<&ime::Ime, KioskError> {
        let ime = self.ime.get_or_init(|| {
            let path = std::env::var_os("GONGKAI_PINYIN_DICT")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| ime::DEFAULT_DICT.into());
            ime::Ime::load(&path).map_err(|e| format!("{}: {e}", path.display()))
        });
        match ime {
            Ok(ime) => Ok(ime),
            Err(e) => {
                tracing::warn!(error = %e, "pinyin dictionary unavailable");
                Err(KioskError::Invalid(
                    "本机未安装拼音词库，请使用常用语或到窗口办理".into(),
                ))
            }
        }
    }

    pub fn config(&self) -> &KioskConfig {
        &self.config
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    pub fn blobs(&self) -> &blobs::BlobDir {
        &self.blobs
    }

    /// The scopes this kiosk follows, most local first.
    /// The public phone pages' base URL: the signed remote setting, else the file's.
    pub fn public_url(&self) -> Option<String> {
        self.fleet
            .remote_config()
            .and_then(|r| r.public_url)
            .or_else(|| self.config.public_url.clone())
    }

    /// `path` on the public phone pages, when the kiosk knows where they are.
    pub(crate) fn phone_path(&self, path: &str) -> Option<String> {
        self.public_url()
            .map(|base| gongkai_protocol::paths::public::absolute(&base, path))
    }

    /// The phone page of one item as this kiosk's place shows it (手机查看), for a QR code
    /// on its screen; none without a public base URL, or for a kind the phone does not show.
    pub fn phone_url(&self, kind: ContentKind, owner: &str, id: &str) -> Option<String> {
        use gongkai_protocol::paths::public;
        let scopes = self.followed_scopes();
        let place = scopes.first()?;
        if !public::KINDS.contains(&kind) || !scopes.iter().any(|s| s.as_str() == owner) {
            return None;
        }
        self.phone_path(&public::item(place.as_str(), kind.key(), owner, id))
    }

    pub fn followed_scopes(&self) -> Vec<ScopeId> {
        self.config
            .places()
            .into_iter()
            .map(|p| p.scope.clone())
            .collect()
    }

    pub(crate) fn scope_name(&self, code: &str) -> String {
        self.config
            .places()
            .into_iter()
            .find(|p| p.scope.as_str() == code)
            .map_or_else(|| code.to_string(), |p| p.name.clone())
    }

    pub fn fleet(&self) -> &fleet::Fleet {
        &self.fleet
    }

    /// Seconds between polls: the county's remote setting, else the configuration file.
    pub fn poll_interval_secs(&self) -> u64 {
        self.fleet
            .remote_config()
            .and_then(|r| r.poll_interval_secs)
            .unwrap_or(self.config.poll_interval_secs)
            .clamp(5, 86_400)
    }

    pub fn idle_timeout_secs(&self) -> u64 {
        self.fleet
            .remote_config()
            .and_then(|r| r.idle_timeout_secs)
            .unwrap_or(self.config.idle_timeout_secs)
            .clamp(15, 3_600)
    }

    /// Whether the screen is lit at `now` (display hours, Beijing time; always if none).
    pub fn display_on(&self, now: DateTime<Utc>) -> bool {
        use chrono::Timelike;
        let hours = self
            .fleet
            .remote_config()
            .and_then(|r| r.display_hours)
            .or(self.config.display_hours);
        let local = now.with_timezone(&beijing());
        hours.is_none_or(|h| h.is_on((local.hour() * 60 + local.minute()) as u16))
    }

    /// Powers the panel off or on with the configured programs (`[display] power_off` /
    /// `power_on`), when that changes what it was last set to. The screen calls this as
    /// it goes dark at night and as a touch (or morning) wakes it. True if a program ran.
    pub fn set_panel_power(&self, on: bool) -> Result<bool, KioskError> {
        let Some((off_cmd, on_cmd)) = &self.config.display_power else {
            return Ok(false);
        };
        let mut last = self.panel_on.lock().unwrap_or_else(|p| p.into_inner());
        if *last == Some(on) {
            return Ok(false);
        }
        let argv = if on { on_cmd } else { off_cmd };
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| KioskError::Invalid("no display power program".into()))?;
        let status = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map_err(|e| KioskError::Invalid(format!("{program}: {e}")))?;
        if !status.success() {
            // Left unrecorded, so the next change of state tries again.
            return Err(KioskError::Invalid(format!("{program} failed: {status}")));
        }
        *last = Some(on);
        Ok(true)
    }

    /// Where this kiosk stands in each followed scope: what its screen shows.
    pub fn scope_reports(&self) -> Result<Vec<gongkai_protocol::fleet::ScopeReport>, KioskError> {
        let mut out = Vec::new();
        for scope in self.followed_scopes() {
            if let Some(s) = self.cache.scope_state(&scope)? {
                out.push(gongkai_protocol::fleet::ScopeReport {
                    scope: scope.as_str().to_string(),
                    epoch: s.epoch,
                    seq: s.seq,
                    state_hash: s.state_hash.to_hex(),
                });
            }
        }
        Ok(out)
    }

    /// One fleet round, after a sync: logs what the screen shows, enrolls if it has a
    /// token and is not enrolled, sends a signed heartbeat with the unacknowledged
    /// display log, applies a newer signed configuration and sends a screenshot if asked.
    pub fn fleet_round(&self, now: DateTime<Utc>) -> Result<fleet::FleetReport, KioskError> {
        let at = now.timestamp();
        let screen_on = self.display_on(now);
        let items = self
            .cache
            .posted_items(&self.followed_scopes(), &now_key(now))?;
        self.fleet.log_display(at, screen_on, &items)?;
        let mut report = fleet::FleetReport::default();
        if !self.fleet.is_enrolled()? {
            let Some(token) = &self.config.enrollment_token else {
                return Ok(report);
            };
            self.fleet
                .enroll(&self.http, &self.config.server_url, token)?;
            report.enrolled = true;
        }
        let scopes = self.scope_reports()?;
        let last_sync_at = self.status.lock().ok().and_then(|s| s.last_sync_at);
        let before = self.fleet.remote_config().map_or(0, |c| c.version);
        let ack = self.fleet.heartbeat(
            &self.http,
            &self.config.server_url,
            &self.config.server_public_key,
            at,
            |counter, display_log, config_version| gongkai_protocol::fleet::Heartbeat {
                kiosk_id: self.config.kiosk_id.clone(),
                counter,
                sent_at: at,
                app_version: env!("CARGO_PKG_VERSION").to_string(),
                uptime_secs: self.fleet.uptime_secs(),
                rss_bytes: fleet::rss_bytes(),
                disk_free_bytes: fleet::disk_free_bytes(&self.data_dir),
                display_on: screen_on,
                last_sync_at,
                scopes,
                config_version,
                display_log,
                changelog_alarm: self.fleet.log_alarm().ok().flatten(),
                codes_left: self.outbox.codes_left().ok(),
            },
        )?;
        report.heartbeat_sent = true;
        report.entries_acked = ack.display_log_acked;
        self.outbox.add_codes(&ack.codes)?;
        let after = self.fleet.remote_config().map_or(0, |c| c.version);
        if after != before {
            report.config_applied = Some(after);
        }
        if ack.screenshot_requested {
            let command = fleet::screenshot_command(self.config.screenshot_command.as_ref());
            match self
                .fleet
                .send_screenshot(&self.http, &self.config.server_url, &command)
            {
                Ok(()) => report.screenshot_sent = true,
                Err(e) => tracing::warn!(error = %e, "screenshot failed"),
            }
        }
        Ok(report)
    }

    /// Looks for a newer release signed by the configured release key and stages it for
    /// the installer. Nothing happens without `update_public_key`.
    pub fn check_update(&self) -> Result<Option<String>, update::UpdateCheckError> {
        let Some(key) = &self.config.update_public_key else {
            return Ok(None);
        };
        update::check(
            &self.http,
            &self.config.server_url,
            key,
            env!("CARGO_PKG_VERSION"),
            &self.data_dir,
        )
    }

    /// Syncs every followed scope, then fetches any blob the shown items need.
    /// Stops at the first network failure (the kiosk is offline); a scope whose data is
    /// refused does not stop the others.
    pub fn sync_once(&self, now: DateTime<Utc>) -> Result<SyncReport, KioskError> {
        let mut outcomes = Vec::new();
        let mut refused: Option<SyncError> = None;
        let scopes = self.followed_scopes();
        let results = match self.client.sync_all(&self.cache, &scopes, now.timestamp()) {
            Ok(results) => results,
            // The combined poll itself failed: the same handling as a failed head.
            Err(e) => scopes
                .first()
                .map(|s| (s.clone(), Err(e)))
                .into_iter()
                .collect(),
        };
        for (scope, result) in results {
            match result {
                Ok(o) => outcomes.push((scope, o)),
                Err(e) if e.is_offline() => {
                    self.set_status(false, None, Some(format!("无法连接服务器：{e}")));
                    return Err(e.into());
                }
                Err(e) if e.is_storage_full() => {
                    // The merge was one transaction: it rolled back, the screen keeps
                    // the last verified checkpoint. Filings live in another file.
                    tracing::warn!(%scope, error = %e, "storage full");
                    self.set_status(true, Some(now.timestamp()), Some(STORAGE_FULL.into()));
                    return Err(e.into());
                }
                Err(e) => {
                    tracing::warn!(%scope, error = %e, "sync refused");
                    refused.get_or_insert(e);
                }
            }
        }
        // Reached the server: anything residents filed goes first, waiting or not.
        if self.status.lock().map(|s| !s.online).unwrap_or(true) {
            self.outbox.retry_now()?;
        }
        if let Err(e) = self.upload_outbox(now) {
            tracing::warn!(error = %e, "complaint upload failed");
        }
        if let Err(e) = self.upload_cadre_posts(now) {
            tracing::warn!(error = %e, "cadre posting upload failed");
        }
        // A large first sync is already on screen; its lists' name index comes now,
        // after the filings went out (searches by name scan until it is ready).
        if let Err(e) = self.cache.build_pending_index() {
            tracing::warn!(error = %e, "building the subsidy name index failed");
        }
        let mut blobs_fetched = 0;
        for name in self.cache.referenced_blobs()? {
            if !self.blobs.has(&name) {
                match self.blobs.fetch(&self.http, &self.config.server_url, &name) {
                    Ok(()) => blobs_fetched += 1,
                    Err(e) => tracing::warn!(blob = %name, error = %e, "blob fetch failed"),
                }
            }
        }
        match refused {
            Some(e) => {
                self.set_status(true, Some(now.timestamp()), Some(e.staff_text()));
                Err(e.into())
            }
            None => {
                self.set_status(true, Some(now.timestamp()), None);
                self.check_changelog_due(now);
                Ok(SyncReport {
                    outcomes,
                    blobs_fetched,
                })
            }
        }
    }

    /// How often a sync also checks the public change log against the anchor: one small
    /// signed request, and entries only when the log moved.
    const LOG_CHECK_SECS: i64 = 300;

    fn check_changelog_due(&self, now: DateTime<Utc>) {
        let due = {
            let last = self
                .log_checked_at
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            last.is_none_or(|t| now.timestamp() - t >= Self::LOG_CHECK_SECS)
        };
        if due {
            if let Err(e) = self.check_changelog(now) {
                tracing::warn!(error = %e, "change log check failed");
            }
        }
    }

    /// Checks the server's public change log against the anchor this kiosk keeps
    /// (`anchor::check`).
    pub fn check_changelog(&self, now: DateTime<Utc>) -> Result<anchor::LogCheck, KioskError> {
        let outcome = anchor::check(
            &self.http,
            &self.config.server_url,
            &self.config.server_public_key,
            &self.fleet,
        )?;
        *self
            .log_checked_at
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(now.timestamp());
        Ok(outcome)
    }

    fn set_status(&self, online: bool, synced_at: Option<i64>, problem: Option<String>) {
        let full = problem.as_deref() == Some(STORAGE_FULL);
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        s.online = online;
        if synced_at.is_some() {
            s.last_sync_at = synced_at;
        }
        s.problem = problem;
        s.storage_full = full;
    }

    pub fn status(&self, now: DateTime<Utc>) -> Result<StatusView, KioskError> {
        let rt = self
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut oldest: Option<i64> = None;
        let mut stale = false;
        let mut complete = true;
        let mut chain = Vec::new();
        for scope in self.followed_scopes() {
            match self.cache.scope_state(&scope)? {
                Some(s) => {
                    let c = &s.checkpoint.checkpoint;
                    chain.push((c.scope.to_string(), c.state_hash));
                    oldest = Some(oldest.map_or(c.issued_at, |o| o.min(c.issued_at)));
                    stale |= c.expires_at <= now.timestamp();
                }
                None => complete = false,
            }
        }
        Ok(StatusView {
            online: rt.online,
            last_sync_at: rt.last_sync_at.and_then(iso),
            data_as_of: if complete { oldest.and_then(iso) } else { None },
            fingerprint: complete
                .then(|| gongkai_protocol::fingerprint(chain.iter().map(|(s, h)| (s.as_str(), h)))),
            stale: stale || !complete,
            // A rewritten public record is said until the log extends the anchor again.
            problem: rt.problem.or(self.fleet.log_alarm()?),
            storage_full: rt.storage_full,
            display_on: self.display_on(now),
        })
    }

    pub fn home(&self, now: DateTime<Utc>) -> Result<HomeView, KioskError> {
        let scopes = self.followed_scopes();
        let key = now_key(now);
        let count = |kind| self.cache.count(kind, &scopes, &key).map(|n| n as u32);
        let tile = |key, label: &str, hint: &str, count| Tile {
            key,
            label: label.into(),
            hint: hint.into(),
            count,
        };
        let tiles = vec![
            tile(
                TileKey::Disclosure,
                "公开目录",
                "政府信息、政策文件",
                count(ContentKind::Disclosure)?,
            ),
            tile(
                TileKey::Finance,
                "村务财务",
                "收支明细、每月公开",
                count(ContentKind::Finance)?,
            ),
            tile(
                TileKey::Subsidy,
                "补贴名单",
                "查自己的补贴",
                count(ContentKind::SubsidyList)?,
            ),
            tile(
                TileKey::Relocation,
                "移民三榜",
                "移民公示、提异议",
                count(ContentKind::RelocationBoard)?,
            ),
            tile(
                TileKey::Guide,
                "办事指南",
                "要带什么、去哪办",
                count(ContentKind::Guide)?,
            ),
            tile(
                TileKey::Notice,
                "通知公告",
                "最新通知",
                count(ContentKind::Notice)?,
            ),
            tile(
                TileKey::Complaint,
                "我要投诉",
                "投诉、举报、建议、申请公开",
                0,
            ),
        ];
        let c = &self.config;
        Ok(HomeView {
            kiosk_id: c.kiosk_id.clone(),
            places: c
                .places()
                .into_iter()
                .map(|p| views::PlaceView {
                    scope: p.scope.to_string(),
                    name: p.name.clone(),
                })
                .collect(),
            place_name: c.place_name().to_string(),
            county_name: c.county.name.clone(),
            township_name: c.township.as_ref().map(|p| p.name.clone()),
            village_name: c.village.as_ref().map(|p| p.name.clone()),
            tiles,
            status: self.status(now)?,
            idle_timeout_secs: self.idle_timeout_secs() as u32,
            orientation: c.orientation,
            care_mode_default: self
                .fleet
                .remote_config()
                .and_then(|r| r.care_mode_default)
                .unwrap_or(c.care_mode_default),
            emergency: self.emergency(now)?,
        })
    }

    /// The emergency notice that takes the screen now: in force by this kiosk's own clock
    /// (published, not expired — offline too), the gravest first, then the newest.
    pub fn emergency(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<views::EmergencyView>, KioskError> {
        let page = self.list(ContentKind::Emergency, None, 0, 50, now)?;
        let mut best: Option<(gongkai_model::Emergency, String)> = None;
        for e in page.entries {
            let Ok((_, item)) =
                self.item::<gongkai_model::Emergency>(ContentKind::Emergency, &e.scope, &e.id)
            else {
                continue;
            };
            if item.publish_at > now || item.expire_at <= now {
                continue;
            }
            let better = best
                .as_ref()
                .is_none_or(|(b, _)| (item.level, item.publish_at) > (b.level, b.publish_at));
            if better {
                best = Some((item, e.id));
            }
        }
        Ok(best.map(|(e, id)| views::EmergencyView {
            id,
            level_label: e.level.label().to_string(),
            level: e.level,
            title: e.title,
            paragraphs: e
                .body
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            issuer: e.issuer,
            expire_at: iso(e.expire_at.timestamp()).unwrap_or_default(),
        }))
    }

    pub fn categories(
        &self,
        kind: ContentKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<CategoryCount>, KioskError> {
        Ok(self
            .cache
            .categories(kind, &self.followed_scopes(), &now_key(now))?
            .into_iter()
            .map(|(category, count)| CategoryCount {
                category,
                count: count as u32,
            })
            .collect())
    }

    pub fn list(
        &self,
        kind: ContentKind,
        category: Option<&str>,
        offset: u32,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<ItemPage, KioskError> {
        let (rows, total) = self.cache.list(
            kind,
            &self.followed_scopes(),
            category,
            &now_key(now),
            offset,
            limit.clamp(1, 200),
        )?;
        Ok(ItemPage {
            entries: rows
                .into_iter()
                .map(|r| ListEntry {
                    scope_name: self.scope_name(&r.scope),
                    scope: r.scope,
                    id: r.id,
                    title: r.title,
                    category: r.category,
                    date: r.date,
                })
                .collect(),
            total: total as u32,
            offset,
            data_as_of: self.status(now)?.data_as_of,
        })
    }

    pub fn disclosure(&self, scope: &str, id: &str) -> Result<DisclosureView, KioskError> {
        let (scope, item): (_, Disclosure) = self.item(ContentKind::Disclosure, scope, id)?;
        Ok(DisclosureView {
            versions: self.versions(ContentKind::Disclosure, &scope, id),
            id: id.to_string(),
            scope_name: self.scope_name(scope.as_str()),
            item,
        })
    }
}
