//! Pulls each followed scope from the server, verifying every checkpoint and page before
//! anything is stored (sync protocol v1, docs/protocol.md).

use crate::cache::{Cache, CacheError, ScopeState, StagingState};
use gongkai_model::ScopeId;
use gongkai_protocol::paths;
use gongkai_protocol::{
    ChangePage, CombinedHeads, PublicKey, ResetRequired, SignedCheckpoint, VerifyError,
};
use reqwest::blocking::Client;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A checkpoint may claim to be issued this far in the kiosk's future (clock skew).
const CLOCK_SKEW_SECS: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("server unreachable: {0}")]
    Network(String),
    #[error("server answered {status} for {url}")]
    Http { status: u16, url: String },
    #[error("refused data from server: {0}")]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("bad response: {0}")]
    Decode(String),
}

impl SyncError {
    /// True when the failure is the network's, not the data's: the kiosk is offline.
    pub fn is_offline(&self) -> bool {
        matches!(self, SyncError::Network(_))
    }

    /// What staff read on the kiosk's status (and the fleet page) when data is refused:
    /// Chinese, saying what to check.
    pub fn staff_text(&self) -> String {
        let when = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| gongkai_model::calendar::beijing_minute(d.timestamp()))
                .unwrap_or_default()
        };
        match self {
            SyncError::Verify(VerifyError::Expired { expires_at, .. }) => format!(
                "服务器发来的签名已于 {} 过期，没有采用（请检查服务器时钟）；继续显示已核验的内容",
                when(*expires_at)
            ),
            SyncError::Verify(VerifyError::FromTheFuture { issued_at, .. }) => format!(
                "服务器发来的签名时间 {} 晚于本机时间，没有采用（请检查服务器或本机时钟）；继续显示已核验的内容",
                when(*issued_at)
            ),
            SyncError::Verify(VerifyError::Rollback { .. }) => {
                "服务器发来的内容比本机已核验的更旧，没有采用；继续显示已核验的内容".into()
            }
            SyncError::Verify(VerifyError::WrongKey { .. } | VerifyError::BadSignature) => {
                "服务器发来的内容签名不对，没有采用；继续显示已核验的内容".into()
            }
            other => format!("数据校验未通过：{other}"),
        }
    }

    /// The kiosk's storage is full; nothing is wrong with the data.
    pub fn is_storage_full(&self) -> bool {
        matches!(self, SyncError::Cache(c) if c.is_storage_full())
    }
}

impl From<reqwest::Error> for SyncError {
    fn from(e: reqwest::Error) -> SyncError {
        if e.is_decode() {
            SyncError::Decode(e.to_string())
        } else {
            SyncError::Network(e.to_string())
        }
    }
}

/// What one scope's sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeOutcome {
    /// Server said nothing changed (304).
    NotModified,
    /// Same state, newer signature stored.
    Refreshed,
    /// New state applied.
    Updated {
        from_seq: u64,
        to_seq: u64,
        pages: u32,
    },
}

pub struct SyncClient {
    http: Client,
    base: url::Url,
    key: PublicKey,
    page_limit: u32,
    /// The combined poll's ETag and the scopes it was for, once every one of them was
    /// brought to the heads it named.
    combined_tag: Mutex<Option<(String, String)>>,
    /// The server answered 404 to the combined poll (older than this kiosk): poll each
    /// scope's head instead until the app restarts.
    per_scope_only: AtomicBool,
}

/// What one sync of every followed scope did: each scope's outcome, in order; it stops
/// after the first scope the network failed on.
pub type ScopeResults = Vec<(ScopeId, Result<ScopeOutcome, SyncError>)>;

impl SyncClient {
    pub fn new(base: url::Url, key: PublicKey) -> Result<SyncClient, SyncError> {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("gongkai-kiosk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Network(e.to_string()))?;
        Ok(SyncClient {
            http,
            base,
            key,
            page_limit: 1000,
            combined_tag: Mutex::new(None),
            per_scope_only: AtomicBool::new(false),
        })
    }

    pub fn with_page_limit(mut self, limit: u32) -> SyncClient {
        self.page_limit = limit.max(1);
        self
    }

    fn url(&self, path: &str) -> Result<url::Url, SyncError> {
        self.base
            .join(path)
            .map_err(|e| SyncError::Decode(format!("bad URL {path}: {e}")))
    }

    /// Verifies a checkpoint received now against what we hold.
    fn check_fresh(
        &self,
        cp: &SignedCheckpoint,
        scope: &ScopeId,
        have: Option<&ScopeState>,
        now: i64,
    ) -> Result<(), SyncError> {
        let c = cp.verify(&self.key)?;
        if &c.scope != scope {
            return Err(VerifyError::WrongScope {
                expected: scope.to_string(),
                got: c.scope.to_string(),
            }
            .into());
        }
        if c.expires_at <= now {
            return Err(VerifyError::Expired {
                expires_at: c.expires_at,
                now,
            }
            .into());
        }
        if c.issued_at > now + CLOCK_SKEW_SECS {
            return Err(VerifyError::FromTheFuture {
                issued_at: c.issued_at,
                now,
            }
            .into());
        }
        if let Some(have) = have {
            if c.position() < (have.epoch, have.seq) {
                return Err(VerifyError::Rollback {
                    have_epoch: have.epoch,
                    have_seq: have.seq,
                    got_epoch: c.epoch,
                    got_seq: c.seq,
                }
                .into());
            }
        }
        Ok(())
    }

    /// Brings every scope in `scopes` up to the server's heads, asking about all of them in
    /// one combined poll (one 304 when none changed); against a server without it, one
    /// head per scope. `Err` only when the combined poll itself failed.
    pub fn sync_all(
        &self,
        cache: &Cache,
        scopes: &[ScopeId],
        now: i64,
    ) -> Result<ScopeResults, SyncError> {
        let mut results = Vec::with_capacity(scopes.len());
        if self.per_scope_only.load(Ordering::Relaxed) {
            for scope in scopes {
                let r = self.sync_scope(cache, scope, now);
                let offline = r.as_ref().is_err_and(SyncError::is_offline);
                results.push((scope.clone(), r));
                if offline {
                    break;
                }
            }
            return Ok(results);
        }
        let key = scopes
            .iter()
            .map(ScopeId::as_str)
            .collect::<Vec<_>>()
            .join(",");
        let url = self.url(&format!("{}?scopes={key}", paths::relative(paths::HEADS)))?;
        let haves = scopes
            .iter()
            .map(|s| cache.scope_state(s))
            .collect::<Result<Vec<_>, _>>()?;
        let mut req = self.http.get(url.clone());
        let held = self
            .combined_tag
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((for_key, tag)) = held.filter(|_| haves.iter().all(Option::is_some)) {
            if for_key == key {
                req = req.header(reqwest::header::IF_NONE_MATCH, tag);
            }
        }
        let resp = req.send()?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(scopes
                .iter()
                .map(|s| (s.clone(), Ok(ScopeOutcome::NotModified)))
                .collect());
        }
        if resp.status() == StatusCode::NOT_FOUND || resp.status() == StatusCode::METHOD_NOT_ALLOWED
        {
            // A server older than the combined poll; an unknown scope also lands here and
            // is then reported by its own head request.
            tracing::info!("server has no combined poll; polling each scope");
            self.per_scope_only.store(true, Ordering::Relaxed);
            return self.sync_all(cache, scopes, now);
        }
        if !resp.status().is_success() {
            return Err(SyncError::Http {
                status: resp.status().as_u16(),
                url: url.to_string(),
            });
        }
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let heads: CombinedHeads = resp.json()?;
        if heads.checkpoints.len() != scopes.len() {
            return Err(VerifyError::Malformed(format!(
                "asked about {} scopes, got {} checkpoints",
                scopes.len(),
                heads.checkpoints.len()
            ))
            .into());
        }
        let mut all_ok = true;
        for ((scope, head), have) in scopes.iter().zip(&heads.checkpoints).zip(&haves) {
            let unchanged = have.as_ref().is_some_and(|h| h.checkpoint == *head);
            let r = if unchanged {
                Ok(ScopeOutcome::NotModified)
            } else {
                self.check_fresh(head, scope, have.as_ref(), now)
                    .and_then(|()| self.catch_up(cache, scope, head, None, have.as_ref(), now))
            };
            all_ok &= r.is_ok();
            let offline = r.as_ref().is_err_and(SyncError::is_offline);
            results.push((scope.clone(), r));
            if offline {
                break;
            }
        }
        // Only a poll every scope was brought up to may be answered 304 next time;
        // otherwise the next poll fetches the heads again and retries.
        *self.combined_tag.lock().unwrap_or_else(|p| p.into_inner()) =
            etag.filter(|_| all_ok).map(|tag| (key, tag));
        Ok(results)
    }

    /// Brings one scope up to the server's head, asking for its head alone. `now` is unix
    /// seconds.
    pub fn sync_scope(
        &self,
        cache: &Cache,
        scope: &ScopeId,
        now: i64,
    ) -> Result<ScopeOutcome, SyncError> {
        let have = cache.scope_state(scope)?;
        let url = self.url(paths::relative(&paths::fill(
            paths::SCOPE_HEAD,
            &[scope.as_str()],
        )))?;
        let mut req = self.http.get(url.clone());
        if let Some(tag) = have.as_ref().and_then(|h| h.etag.as_deref()) {
            req = req.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        let resp = req.send()?;
        if resp.status() == StatusCode::NOT_MODIFIED && have.is_some() {
            return Ok(ScopeOutcome::NotModified);
        }
        if !resp.status().is_success() {
            return Err(SyncError::Http {
                status: resp.status().as_u16(),
                url: url.to_string(),
            });
        }
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let head: SignedCheckpoint = resp.json()?;
        self.check_fresh(&head, scope, have.as_ref(), now)?;
        self.catch_up(cache, scope, &head, etag.as_deref(), have.as_ref(), now)
    }

    /// From a verified head: stores a fresher signature of the state held, or reads the
    /// change pages up to the head and merges them. `etag` is the scope's own head ETag,
    /// kept for its next single-head poll (None after a combined poll).
    fn catch_up(
        &self,
        cache: &Cache,
        scope: &ScopeId,
        head: &SignedCheckpoint,
        etag: Option<&str>,
        have: Option<&ScopeState>,
        now: i64,
    ) -> Result<ScopeOutcome, SyncError> {
        let target = &head.checkpoint;

        if let Some(h) = have {
            if (h.epoch, h.seq) == target.position() {
                if h.state_hash != target.state_hash {
                    return Err(VerifyError::Malformed(
                        "server signs a different state at our position".into(),
                    )
                    .into());
                }
                cache.refresh_checkpoint(head, etag)?;
                return Ok(ScopeOutcome::Refreshed);
            }
        }

        // Resume staging left by an interrupted sync if it still leads from what we hold
        // in the same epoch; otherwise start it again.
        let from_seq = have.map_or(0, |h| h.seq);
        let same_epoch = have.is_some_and(|h| h.epoch == target.epoch);
        let mut staging = match cache.staging_state(scope)? {
            Some(s) if s.epoch == target.epoch && (s.reset || s.base_seq == from_seq) => s,
            _ => {
                let fresh = StagingState {
                    epoch: target.epoch,
                    base_seq: if same_epoch { from_seq } else { 0 },
                    cursor: if same_epoch { from_seq } else { 0 },
                    reset: !same_epoch,
                };
                cache.begin_staging(scope, &fresh)?;
                fresh
            }
        };

        let mut pages = 0u32;
        loop {
            let url = self.url(&format!(
                "{}?epoch={}&since={}&limit={}",
                paths::relative(&paths::fill(paths::SCOPE_CHANGES, &[scope.as_str()])),
                staging.epoch,
                staging.cursor,
                self.page_limit
            ))?;
            let resp = self.http.get(url.clone()).send()?;
            if resp.status() == StatusCode::GONE {
                let reset: ResetRequired = resp.json()?;
                if pages > 0 && staging.reset && staging.cursor == 0 {
                    return Err(SyncError::Decode("server keeps asking for a reset".into()));
                }
                staging = StagingState {
                    epoch: reset.epoch,
                    base_seq: 0,
                    cursor: 0,
                    reset: true,
                };
                cache.begin_staging(scope, &staging)?;
                pages += 1;
                continue;
            }
            if !resp.status().is_success() {
                return Err(SyncError::Http {
                    status: resp.status().as_u16(),
                    url: url.to_string(),
                });
            }
            let page: ChangePage = resp.json()?;
            page.verify(&self.key, scope, staging.epoch, staging.cursor)?;
            self.check_fresh(&page.checkpoint, scope, have, now)?;
            cache.stage_page(scope, &page.changes, page.next)?;
            staging.cursor = page.next;
            pages += 1;
            if !page.more {
                // The page's checkpoint is the state we reached. When it is the very
                // checkpoint the head gave us, keep the head's ETag so the next poll is a
                // cheap 304; otherwise the next poll fetches the head once more.
                let tag = if page.checkpoint == *head { etag } else { None };
                let state = cache.merge_staged(&page.checkpoint, tag)?;
                return Ok(ScopeOutcome::Updated {
                    from_seq,
                    to_seq: state.seq,
                    pages,
                });
            }
        }
    }
}
