//! A light in-process kiosk for fleet simulations: a thousand of them share one async HTTP
//! client and run as tasks. Each speaks the real protocol — verifies signed checkpoints
//! and change pages with the server key, keeps the state hash of what it holds, has its
//! own ed25519 key, enrolls, and sends signed heartbeats with a signed display log — but
//! keeps content in memory instead of an SQLite cache (the real engine's fleet path is
//! tested with real engines in `tests/fleet.rs`).

use anyhow::{anyhow, bail, Context, Result};
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::displaylog::{genesis, DisplayEntry, DisplayEvent, ShownItem};
use gongkai_protocol::fleet::{
    request_signing_bytes, Enroll, Heartbeat, HeartbeatAck, ScopeReport, KIOSK_HEADER,
    SIGNATURE_HEADER,
};
use gongkai_protocol::{
    item_hash, ChangeOp, ChangePage, CombinedHeads, PublicKey, SignedCheckpoint, SigningKey,
    StateHash,
};
use std::collections::HashMap;

#[derive(Default)]
struct ScopeCopy {
    epoch: u64,
    seq: u64,
    items: HashMap<(ContentKind, String), [u8; 32]>,
    hash: StateHash,
}

pub struct SimKiosk {
    pub id: String,
    scopes: Vec<ScopeId>,
    key: SigningKey,
    copies: HashMap<String, ScopeCopy>,
    /// The combined poll's ETag once every scope reached the heads it named.
    combined_tag: Option<String>,
    counter: u64,
    log: Vec<DisplayEntry>,
    acked: u64,
    /// Emergency items held (kind emergency, any scope).
    pub emergencies: Vec<String>,
    /// Heartbeats stop (the kiosk lost power or network).
    pub silent: bool,
}

impl SimKiosk {
    /// A kiosk at `village` (it follows the village, its township and county).
    pub fn new(id: String, village: &ScopeId) -> SimKiosk {
        SimKiosk {
            id,
            scopes: village.chain(),
            key: SigningKey::generate(),
            copies: HashMap::new(),
            combined_tag: None,
            counter: 0,
            log: Vec::new(),
            acked: 0,
            emergencies: Vec::new(),
            silent: false,
        }
    }

    pub async fn enroll(&self, http: &reqwest::Client, base: &str, token: &str) -> Result<()> {
        let resp = http
            .post(format!("{base}v1/kiosks/enroll"))
            .json(&Enroll {
                token: token.into(),
                kiosk_id: self.id.clone(),
                public_key: self.key.public().to_base64(),
                app_version: "sim".into(),
            })
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("enroll {}: {}", self.id, resp.status());
        }
        Ok(())
    }

    /// Brings every followed scope to the server's head, verifying as a kiosk does: one
    /// combined poll for all of them (304 while none changed), then pages for each scope
    /// that moved.
    pub async fn poll(
        &mut self,
        http: &reqwest::Client,
        base: &str,
        key: &PublicKey,
    ) -> Result<()> {
        let codes: Vec<&str> = self.scopes.iter().map(ScopeId::as_str).collect();
        let mut req = http.get(format!("{base}v1/heads?scopes={}", codes.join(",")));
        if let Some(tag) = &self.combined_tag {
            req = req.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        let resp = req.send().await?;
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(());
        }
        if !resp.status().is_success() {
            bail!("heads {}: {}", self.id, resp.status());
        }
        let etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let heads: CombinedHeads = resp.json().await?;
        if heads.checkpoints.len() != self.scopes.len() {
            bail!("heads {}: wrong number of checkpoints", self.id);
        }
        for (scope, head) in self.scopes.clone().iter().zip(heads.checkpoints) {
            self.catch_up(http, base, key, scope, head).await?;
        }
        self.combined_tag = etag;
        Ok(())
    }

    async fn catch_up(
        &mut self,
        http: &reqwest::Client,
        base: &str,
        key: &PublicKey,
        scope: &ScopeId,
        head: SignedCheckpoint,
    ) -> Result<()> {
        let copy = self.copies.entry(scope.to_string()).or_default();
        let target = head.verify(key).map_err(|e| anyhow!("{e}"))?.clone();
        if target.epoch != copy.epoch {
            *copy = ScopeCopy {
                epoch: target.epoch,
                ..Default::default()
            };
        }
        while copy.seq < target.seq {
            let page: ChangePage = http
                .get(format!(
                    "{base}v1/scopes/{scope}/changes?epoch={}&since={}&limit=500",
                    copy.epoch, copy.seq
                ))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            page.verify(key, scope, copy.epoch, copy.seq)
                .map_err(|e| anyhow!("{e}"))?;
            for c in &page.changes {
                let k = (c.kind, c.id.clone());
                if let Some(old) = copy.items.remove(&k) {
                    copy.hash.remove(&old);
                }
                if c.op == ChangeOp::Put {
                    let body = c.body.as_deref().context("put without body")?;
                    let h = item_hash(c.kind, &c.id, body);
                    copy.hash.add(&h);
                    copy.items.insert(k, h);
                }
            }
            copy.seq = page.next;
            if !page.more {
                let cp = &page.checkpoint.checkpoint;
                if cp.state_hash != copy.hash {
                    bail!("{}: state hash differs after {scope}", self.id);
                }
                copy.seq = cp.seq;
                break;
            }
        }
        self.emergencies = self
            .copies
            .values()
            .flat_map(|c| c.items.keys())
            .filter(|(k, _)| *k == ContentKind::Emergency)
            .map(|(_, id)| id.clone())
            .collect();
        Ok(())
    }

    /// What it holds of a scope: `(seq, state hash)`.
    pub fn holds(&self, scope: &str) -> Option<(u64, StateHash)> {
        self.copies.get(scope).map(|c| (c.seq, c.hash))
    }

    /// The scopes it follows, most local first.
    pub fn scopes(&self) -> &[ScopeId] {
        &self.scopes
    }

    fn reports(&self) -> Vec<ScopeReport> {
        self.copies
            .iter()
            .map(|(scope, c)| ScopeReport {
                scope: scope.clone(),
                epoch: c.epoch,
                seq: c.seq,
                state_hash: c.hash.to_hex(),
            })
            .collect()
    }

    /// Appends a display-log entry for what it holds.
    pub fn log_display(&mut self, at: i64) {
        let items: Vec<ShownItem> = self
            .copies
            .iter()
            .flat_map(|(scope, c)| {
                c.items.iter().map(move |((kind, id), h)| ShownItem {
                    kind: kind.key().into(),
                    scope: scope.clone(),
                    id: id.clone(),
                    hash: hex_of(h),
                })
            })
            .collect();
        let (seq, hash) = self
            .log
            .last()
            .map(|e| (e.seq, e.hash.clone()))
            .unwrap_or_else(genesis);
        let event = if self.log.is_empty() {
            DisplayEvent::Start
        } else {
            DisplayEvent::Showing
        };
        self.log.push(DisplayEntry::signed(
            &self.id,
            &self.key,
            (seq, &hash),
            at,
            event,
            items,
        ));
    }

    /// Sends a signed heartbeat; `key` signs it (the kiosk's own unless a test forges).
    pub async fn heartbeat_signed_by(
        &mut self,
        http: &reqwest::Client,
        base: &str,
        key: &SigningKey,
    ) -> Result<reqwest::Response> {
        self.counter += 1;
        let hb = Heartbeat {
            kiosk_id: self.id.clone(),
            counter: self.counter,
            sent_at: chrono::Utc::now().timestamp(),
            app_version: "sim".into(),
            uptime_secs: 1,
            rss_bytes: 100 << 20,
            disk_free_bytes: 1 << 30,
            display_on: true,
            last_sync_at: None,
            scopes: self.reports(),
            config_version: 0,
            display_log: self
                .log
                .iter()
                .filter(|e| e.seq > self.acked)
                .cloned()
                .collect(),
            changelog_alarm: None,
            codes_left: None,
        };
        let body = serde_json::to_vec(&hb)?;
        let path = gongkai_protocol::paths::KIOSK_HEARTBEAT;
        let sig = key.sign(&request_signing_bytes(&self.id, path, &body));
        Ok(http
            .post(format!("{base}v1/kiosks/heartbeat"))
            .header(KIOSK_HEADER, &self.id)
            .header(SIGNATURE_HEADER, sig)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?)
    }

    pub async fn heartbeat(&mut self, http: &reqwest::Client, base: &str) -> Result<HeartbeatAck> {
        if self.silent {
            bail!("silent");
        }
        let key = SigningKey::from_base64(&self.key.to_base64()).map_err(|e| anyhow!("{e}"))?;
        let resp = self.heartbeat_signed_by(http, base, &key).await?;
        if !resp.status().is_success() {
            bail!("heartbeat {}: {}", self.id, resp.status());
        }
        let ack: HeartbeatAck = resp.json().await?;
        self.acked = ack.display_log_acked;
        Ok(ack)
    }
}

fn hex_of(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}
