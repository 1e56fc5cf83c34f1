//! Wire types of sync protocol v1 and their signatures.

use crate::keys::{PublicKey, SigningKey};
use crate::state::StateHash;
use gongkai_model::{ContentKind, ScopeId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const PROTOCOL_VERSION: u32 = 1;

/// What the server vouches for: "scope S, in epoch E, after change N, holds exactly the
/// items whose hashes sum to `state_hash`", valid from `issued_at` to `expires_at`
/// (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub scope: ScopeId,
    /// Bumped when the server's log for the scope is rebuilt; kiosks then re-snapshot.
    pub epoch: u64,
    /// The sequence number of the last change included.
    pub seq: u64,
    pub state_hash: StateHash,
    pub item_count: u64,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl Checkpoint {
    /// The exact bytes that are signed: fixed-width fields behind a domain separator.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        out.extend_from_slice(b"gongkai-checkpoint-v1\0");
        out.extend_from_slice(self.scope.as_str().as_bytes());
        out.push(0);
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.state_hash.0);
        out.extend_from_slice(&self.item_count.to_be_bytes());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        out
    }

    /// Position in the scope's history, for rollback checks.
    pub fn position(&self) -> (u64, u64) {
        (self.epoch, self.seq)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub key_id: String,
    pub signature: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("signed by key {got}, expected {expected}")]
    WrongKey { expected: String, got: String },
    #[error("signature does not verify")]
    BadSignature,
    #[error("response is for scope {got}, expected {expected}")]
    WrongScope { expected: String, got: String },
    #[error("rollback refused: have epoch {have_epoch} seq {have_seq}, got epoch {got_epoch} seq {got_seq}")]
    Rollback {
        have_epoch: u64,
        have_seq: u64,
        got_epoch: u64,
        got_seq: u64,
    },
    #[error("checkpoint expired at {expires_at}, now {now}")]
    Expired { expires_at: i64, now: i64 },
    /// Issued later than the receiver's clock allows: a server clock (or a replay
    /// prepared) in the future.
    #[error("checkpoint issued at {issued_at}, in the future of now {now}")]
    FromTheFuture { issued_at: i64, now: i64 },
    #[error("malformed page: {0}")]
    Malformed(String),
}

impl SignedCheckpoint {
    pub fn sign(checkpoint: Checkpoint, key: &SigningKey) -> SignedCheckpoint {
        let signature = key.sign(&checkpoint.signing_bytes());
        SignedCheckpoint {
            checkpoint,
            key_id: key.public().key_id(),
            signature,
        }
    }

    pub fn verify(&self, key: &PublicKey) -> Result<&Checkpoint, VerifyError> {
        if self.key_id != key.key_id() {
            return Err(VerifyError::WrongKey {
                expected: key.key_id(),
                got: self.key_id.clone(),
            });
        }
        if key.verify(&self.checkpoint.signing_bytes(), &self.signature) {
            Ok(&self.checkpoint)
        } else {
            Err(VerifyError::BadSignature)
        }
    }
}

/// The answer to one combined poll (`GET /v1/heads?scopes=…`): each asked scope's signed
/// checkpoint, in the order asked. Nothing new is signed: each checkpoint carries its own
/// signature, so a kiosk verifies them exactly as single heads. The ETag names all of them,
/// so one `If-None-Match` is answered 304 only when none changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombinedHeads {
    pub checkpoints: Vec<SignedCheckpoint>,
}

/// Most scopes one combined poll may ask about (a kiosk follows village, township and
/// county; a few more are room for a hall that shows several villages).
pub const MAX_POLLED_SCOPES: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Put,
    Delete,
}

/// One entry of a scope's change log. Only the latest change of each item is kept, so a
/// page never carries an item twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub seq: u64,
    pub kind: ContentKind,
    pub id: String,
    pub op: ChangeOp,
    /// The item's JSON body as published, for puts. Kept as text so its hash is exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl Change {
    /// A change as a store keeps it: the item's latest row, `body` None for a
    /// withdrawal. None for a kind this version does not know.
    pub fn from_stored(
        seq: u64,
        kind_key: &str,
        id: String,
        body: Option<String>,
    ) -> Option<Change> {
        Some(Change {
            seq,
            kind: ContentKind::from_key(kind_key)?,
            id,
            op: if body.is_some() {
                ChangeOp::Put
            } else {
                ChangeOp::Delete
            },
            body,
        })
    }
}

/// A page of changes `(since, next]` for one scope, bound to the checkpoint current when
/// the page was read, and signed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePage {
    pub scope: ScopeId,
    pub epoch: u64,
    pub since: u64,
    pub next: u64,
    /// More changes follow `next`; when false, applying this page reaches `checkpoint`.
    pub more: bool,
    pub changes: Vec<Change>,
    pub checkpoint: SignedCheckpoint,
    pub signature: String,
}

/// Answer (HTTP 410) to a kiosk whose cursor the server can no longer serve: its epoch is
/// old or the tombstones it needs were pruned. The kiosk starts again from zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequired {
    pub scope: ScopeId,
    pub epoch: u64,
    pub reason: String,
}

impl ChangePage {
    /// The digest that the page signature covers: every field but the signature itself.
    fn digest(&self) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(b"gongkai-page-v1\0");
        h.update(self.scope.as_str().as_bytes());
        h.update([0]);
        h.update(self.epoch.to_be_bytes());
        h.update(self.since.to_be_bytes());
        h.update(self.next.to_be_bytes());
        h.update([u8::from(self.more)]);
        h.update((self.changes.len() as u64).to_be_bytes());
        for c in &self.changes {
            h.update(c.seq.to_be_bytes());
            h.update(c.kind.key().as_bytes());
            h.update([0]);
            h.update((c.id.len() as u64).to_be_bytes());
            h.update(c.id.as_bytes());
            match (&c.op, &c.body) {
                (ChangeOp::Put, Some(body)) => {
                    h.update([1]);
                    h.update((body.len() as u64).to_be_bytes());
                    h.update(body.as_bytes());
                }
                (ChangeOp::Put, None) => h.update([2]),
                (ChangeOp::Delete, _) => h.update([3]),
            }
        }
        h.update(self.checkpoint.checkpoint.signing_bytes());
        h.update(self.checkpoint.signature.as_bytes());
        h.finalize().to_vec()
    }

    /// Signs the page; build it with an empty `signature` and call this last.
    pub fn signed(mut self, key: &SigningKey) -> ChangePage {
        self.signature = key.sign(&self.digest());
        self
    }

    /// Checks everything a kiosk must know before staging this page: the signatures, that
    /// it answers the question asked (scope, epoch, cursor), and that it is well formed.
    pub fn verify(
        &self,
        key: &PublicKey,
        scope: &ScopeId,
        epoch: u64,
        since: u64,
    ) -> Result<&Checkpoint, VerifyError> {
        let cp = self.checkpoint.verify(key)?;
        if !key.verify(&self.digest(), &self.signature) {
            return Err(VerifyError::BadSignature);
        }
        if &self.scope != scope || &cp.scope != scope {
            return Err(VerifyError::WrongScope {
                expected: scope.to_string(),
                got: cp.scope.to_string(),
            });
        }
        if self.epoch != epoch || cp.epoch != epoch || self.since != since {
            return Err(VerifyError::Malformed(format!(
                "asked for epoch {epoch} since {since}, got epoch {} since {}",
                self.epoch, self.since
            )));
        }
        let mut last = since;
        for c in &self.changes {
            if c.seq <= last {
                return Err(VerifyError::Malformed(
                    "sequence numbers not increasing".into(),
                ));
            }
            last = c.seq;
            match (c.op, &c.body) {
                (ChangeOp::Put, None) => {
                    return Err(VerifyError::Malformed(format!("put {} without body", c.id)))
                }
                (ChangeOp::Delete, Some(_)) => {
                    return Err(VerifyError::Malformed(format!("delete {} with body", c.id)))
                }
                _ => {}
            }
        }
        if last > self.next || self.next > cp.seq {
            return Err(VerifyError::Malformed("next out of range".into()));
        }
        if !self.more && self.next != cp.seq {
            return Err(VerifyError::Malformed(
                "last page does not reach its checkpoint".into(),
            ));
        }
        Ok(cp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> ScopeId {
        ScopeId::parse("411122").unwrap_or_else(|e| panic!("{e}"))
    }

    fn checkpoint(seq: u64) -> Checkpoint {
        Checkpoint {
            scope: scope(),
            epoch: 1,
            seq,
            state_hash: StateHash::EMPTY,
            item_count: 0,
            issued_at: 100,
            expires_at: 200,
        }
    }

    fn page(key: &SigningKey, body: &str) -> ChangePage {
        let cp = SignedCheckpoint::sign(checkpoint(2), key);
        let changes = vec![
            Change {
                seq: 1,
                kind: ContentKind::Notice,
                id: "n1".into(),
                op: ChangeOp::Put,
                body: Some(body.into()),
            },
            Change {
                seq: 2,
                kind: ContentKind::Notice,
                id: "n0".into(),
                op: ChangeOp::Delete,
                body: None,
            },
        ];
        ChangePage {
            scope: scope(),
            epoch: 1,
            since: 0,
            next: 2,
            more: false,
            changes,
            checkpoint: cp,
            signature: String::new(),
        }
        .signed(key)
    }

    #[test]
    fn a_signed_page_verifies_and_any_edit_breaks_it() {
        let key = SigningKey::generate();
        let p = page(&key, "{}");
        assert!(p.verify(&key.public(), &scope(), 1, 0).is_ok());

        let mut tampered = p.clone();
        tampered.changes[0].body = Some("{\"x\":1}".into());
        assert_eq!(
            tampered.verify(&key.public(), &scope(), 1, 0),
            Err(VerifyError::BadSignature)
        );

        let mut moved = p.clone();
        moved.checkpoint.checkpoint.seq = 3;
        assert_eq!(
            moved.verify(&key.public(), &scope(), 1, 0),
            Err(VerifyError::BadSignature)
        );

        let other = SigningKey::generate();
        assert!(matches!(
            p.verify(&other.public(), &scope(), 1, 0),
            Err(VerifyError::WrongKey { .. })
        ));
        // Asked for a different cursor: a replayed page does not answer the question.
        assert!(matches!(
            p.verify(&key.public(), &scope(), 1, 1),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn json_round_trip_keeps_signatures_valid() {
        let key = SigningKey::generate();
        let p = page(&key, "{\"title\":\"通知\"}");
        let text = serde_json::to_string(&p).unwrap_or_default();
        let back: ChangePage = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert!(back.verify(&key.public(), &scope(), 1, 0).is_ok());
    }
}
