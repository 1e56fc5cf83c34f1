//! Signs checkpoints, and re-uses a signature while it is fresh so that thousands of
//! polling kiosks cost one signature per scope per refresh, not one per request.

use crate::store::ScopeHead;
use gongkai_protocol::{Checkpoint, PublicKey, SignedCheckpoint, SigningKey};
use std::collections::HashMap;
use std::sync::Mutex;

pub struct Signer {
    key: SigningKey,
    /// How long a checkpoint stays valid; a kiosk whose newest checkpoint is older shows
    /// "可能不是最新".
    pub ttl_secs: i64,
    /// A cached checkpoint is re-signed once it is this old, so a kiosk polling a scope
    /// that has not changed still gets a fresh expiry well before the old one runs out.
    pub refresh_secs: i64,
    cache: Mutex<HashMap<String, SignedCheckpoint>>,
}

impl Signer {
    pub fn new(key: SigningKey, ttl_secs: i64) -> Signer {
        Signer {
            key,
            ttl_secs,
            refresh_secs: (ttl_secs / 4).max(1),
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The signed checkpoint for `head` as of `now` (unix seconds).
    pub fn checkpoint(&self, head: &ScopeHead, now: i64) -> SignedCheckpoint {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(cached) = cache.get(head.scope.as_str()) {
            let c = &cached.checkpoint;
            let same_state = c.epoch == head.epoch
                && c.seq == head.seq
                && c.state_hash == head.state_hash
                && c.item_count == head.item_count;
            if same_state && now - c.issued_at < self.refresh_secs && now >= c.issued_at {
                return cached.clone();
            }
        }
        let signed = SignedCheckpoint::sign(
            Checkpoint {
                scope: head.scope.clone(),
                epoch: head.epoch,
                seq: head.seq,
                state_hash: head.state_hash,
                item_count: head.item_count,
                issued_at: now,
                expires_at: now + self.ttl_secs,
            },
            &self.key,
        );
        cache.insert(head.scope.to_string(), signed.clone());
        signed
    }
}

/// The ETag of a signed checkpoint: changes whenever the state or the signature does.
pub fn etag(cp: &SignedCheckpoint) -> String {
    let c = &cp.checkpoint;
    format!("\"{}-{}-{}\"", c.epoch, c.seq, c.issued_at)
}
