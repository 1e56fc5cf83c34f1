//! Signs checkpoints, and re-uses a signature while it is fresh so that thousands of
//! polling kiosks cost one signature per scope per refresh, not one per request.

use gongkai_protocol::{Checkpoint, PublicKey, SignedCheckpoint, SigningKey};
use gongkai_store::ScopeHead;
use std::collections::HashMap;
use std::sync::Mutex;

pub struct Signer {
    key: SigningKey,
    /// How long a checkpoint stays valid; a kiosk whose newest checkpoint is older shows
    /// "可能不是最新".
    pub ttl_secs: i64,
    /// A cached checkpoint is re-signed once it is this old (a 24th of its lifetime: an
    /// hour by default), so a kiosk polling a scope that has not changed still gets a
    /// fresh expiry long before the old one runs out, and its "数据更新于" time (the
    /// checkpoint's issue) is never more than this behind.
    pub refresh_secs: i64,
    cache: Mutex<HashMap<String, SignedCheckpoint>>,
}

impl Signer {
    pub fn new(key: SigningKey, ttl_secs: i64) -> Signer {
        Signer {
            key,
            ttl_secs,
            refresh_secs: (ttl_secs / 24).max(1),
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// A secret for another purpose, derived from the signing key under a label (every
    /// instance holding the key derives the same one; knowing it reveals nothing of the
    /// key, and it signs nothing a kiosk would accept).
    pub fn derive_secret(&self, label: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"gongkai-derived-secret-v1\0");
        h.update(label.as_bytes());
        h.update(b"\0");
        h.update(self.key.to_base64().as_bytes());
        h.finalize().into()
    }

    /// The signed checkpoint for `head` as of `now` (unix seconds).
    /// Which signing period `now` falls in: within one, an unchanged head is signed into
    /// the very same checkpoint (and ETag).
    pub fn period(&self, now: i64) -> i64 {
        now.div_euclid(self.refresh_secs)
    }

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
        // Issued at the start of the refresh period, not at `now`: every instance holding
        // this key signs the very same checkpoint (ed25519 is deterministic) within a
        // period, so a kiosk's ETag still matches when the balancer sends its next poll
        // to another instance, and the answer stays a 304.
        let issued_at = now - now.rem_euclid(self.refresh_secs);
        let signed = SignedCheckpoint::sign(
            Checkpoint {
                scope: head.scope.clone(),
                epoch: head.epoch,
                seq: head.seq,
                state_hash: head.state_hash,
                item_count: head.item_count,
                issued_at,
                expires_at: issued_at + self.ttl_secs,
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

/// The ETag of a combined poll: every checkpoint's position and issue time, in the order
/// asked, so it changes when any of them does and is the same from every instance.
pub fn combined_etag(cps: &[SignedCheckpoint]) -> String {
    let mut tag = String::from("\"");
    for (i, cp) in cps.iter().enumerate() {
        let c = &cp.checkpoint;
        if i > 0 {
            tag.push('.');
        }
        tag.push_str(&format!("{}-{}-{}", c.epoch, c.seq, c.issued_at));
    }
    tag.push('"');
    tag
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongkai_model::ScopeId;

    #[test]
    fn instances_with_one_key_sign_the_same_checkpoint_within_a_period() {
        let key = SigningKey::generate();
        let head = ScopeHead {
            scope: ScopeId::parse("419901").unwrap_or_else(|e| panic!("{e}")),
            name: "云溪县".into(),
            epoch: 1,
            seq: 42,
            state_hash: gongkai_protocol::StateHash::EMPTY,
            item_count: 0,
            floor: 0,
        };
        let copy = || SigningKey::from_base64(&key.to_base64()).unwrap_or_else(|e| panic!("{e}"));
        let a = Signer::new(copy(), 86_400);
        let b = Signer::new(copy(), 86_400);
        let period = a.refresh_secs;
        let start = 1_790_000_000 - 1_790_000_000 % period;
        let x = a.checkpoint(&head, start + 5);
        let y = b.checkpoint(&head, start + period - 1);
        assert_eq!(x, y, "same period, same bytes");
        assert_eq!(etag(&x), etag(&y));
        assert!(x.checkpoint.expires_at >= start + 5 + 86_400 - period);
        let z = b.checkpoint(&head, start + period);
        assert_ne!(etag(&x), etag(&z), "a new period is a new checkpoint");
    }
}
