//! The public change log: every publish, correction and withdrawal is an entry that
//! commits to the entry before it and to the content it put. Anyone holding the log can
//! recompute the chain; an edited or deleted entry breaks it at that point.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What an entry did to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogAction {
    /// First publication of the item.
    Publish,
    /// A new version of an item that was already public (更正).
    Correct,
    /// The item was taken down (撤回).
    Withdraw,
}

impl LogAction {
    pub fn key(self) -> &'static str {
        match self {
            LogAction::Publish => "publish",
            LogAction::Correct => "correct",
            LogAction::Withdraw => "withdraw",
        }
    }

    pub fn from_key(key: &str) -> Option<LogAction> {
        [LogAction::Publish, LogAction::Correct, LogAction::Withdraw]
            .into_iter()
            .find(|a| a.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            LogAction::Publish => "发布",
            LogAction::Correct => "更正",
            LogAction::Withdraw => "撤回",
        }
    }
}

/// One entry of the log as published at `/v1/changelog`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Position in the log, from 1, without gaps.
    pub n: u64,
    /// Unix seconds.
    pub at: i64,
    pub scope: String,
    pub kind: String,
    pub item_id: String,
    /// The item's title when it was logged (empty for subsidy rows and withdrawals),
    /// so the public record reads as "关于…的通知", not an id.
    pub title: String,
    pub action: LogAction,
    /// The scope sequence number the change got.
    pub seq: u64,
    /// Hex item hash of the new content; empty for a withdrawal.
    pub content_hash: String,
    /// Who published it (user name, or "system" for imports run by the server itself).
    pub actor: String,
    /// The review (草稿) that approved it, if it went through review.
    pub draft: Option<i64>,
    /// Hex hash of the previous entry; 64 zeros for the first.
    pub prev_hash: String,
    pub entry_hash: String,
}

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl LogEntry {
    /// The entry's hash over all its fields and the previous hash. Fields are length
    /// prefixed, so no two different entries hash the same bytes.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(b"gongkai-changelog-v1");
        field(self.prev_hash.as_bytes());
        field(&self.n.to_be_bytes());
        field(&self.at.to_be_bytes());
        field(self.scope.as_bytes());
        field(self.kind.as_bytes());
        field(self.item_id.as_bytes());
        field(self.title.as_bytes());
        field(self.action.key().as_bytes());
        field(&self.seq.to_be_bytes());
        field(self.content_hash.as_bytes());
        field(self.actor.as_bytes());
        field(&self.draft.unwrap_or(-1).to_be_bytes());
        hex::encode(h.finalize())
    }
}

/// Where a chain first fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第 {n} 条记录：{reason}")]
pub struct BrokenLink {
    pub n: u64,
    pub reason: String,
}

/// Walks entries in order and checks numbering, links and hashes, continuing from
/// `prev` (the last verified entry's `(n, hash)`, or `(0, GENESIS)`). Returns the new
/// last `(n, hash)`.
pub fn verify_chain<'a>(
    prev: (u64, String),
    entries: impl IntoIterator<Item = &'a LogEntry>,
) -> Result<(u64, String), BrokenLink> {
    let (mut last_n, mut last_hash) = prev;
    for e in entries {
        let broken = |reason: &str| BrokenLink {
            n: e.n,
            reason: reason.to_string(),
        };
        if e.n != last_n + 1 {
            return Err(BrokenLink {
                n: last_n + 1,
                reason: format!("记录缺失（下一条是第 {} 条）", e.n),
            });
        }
        if e.prev_hash != last_hash {
            return Err(broken("与上一条记录的摘要不衔接"));
        }
        if e.compute_hash() != e.entry_hash {
            return Err(broken("记录内容与其摘要不符（被改动过）"));
        }
        last_n = e.n;
        last_hash = e.entry_hash.clone();
    }
    Ok((last_n, last_hash))
}

/// The public change log's length and last entry hash, signed with the county's key:
/// the anchor kiosks and verifiers keep. A log rewritten in the database — even one
/// re-chained consistently after the change — no longer extends what they saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHead {
    /// Number of entries (the last entry's `n`); 0 for an empty log.
    pub len: u64,
    /// The last entry's `entry_hash` (GENESIS for an empty log).
    pub head: String,
    pub issued_at: i64,
}

impl LogHead {
    /// The exact bytes that are signed, behind their own domain separator (never
    /// mistaken for a checkpoint's).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(112);
        out.extend_from_slice(b"gongkai-changelog-head-v1\0");
        out.extend_from_slice(&self.len.to_be_bytes());
        out.extend_from_slice(self.head.as_bytes());
        out.push(0);
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out
    }
}

/// `GET /v1/changelog/head`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedLogHead {
    pub log: LogHead,
    pub key_id: String,
    pub signature: String,
}

impl SignedLogHead {
    pub fn sign(log: LogHead, key: &crate::SigningKey) -> SignedLogHead {
        let signature = key.sign(&log.signing_bytes());
        SignedLogHead {
            log,
            key_id: key.public().key_id(),
            signature,
        }
    }

    pub fn verify(&self, key: &crate::PublicKey) -> Result<&LogHead, crate::VerifyError> {
        if self.key_id != key.key_id() {
            return Err(crate::VerifyError::WrongKey {
                expected: key.key_id(),
                got: self.key_id.clone(),
            });
        }
        if key.verify(&self.log.signing_bytes(), &self.signature) {
            Ok(&self.log)
        } else {
            Err(crate::VerifyError::BadSignature)
        }
    }
}

/// How a newer log relates to an anchor `(len, head)` that was verified before, given
/// the entries after the anchor (and the entry at the anchor itself, when the log has
/// one): the new log extends it, or the first entry where it does not.
pub fn extends(
    anchor: (u64, &str),
    at_anchor: Option<&LogEntry>,
    after: &[LogEntry],
) -> Result<(u64, String), BrokenLink> {
    let (len, head) = anchor;
    if len > 0 {
        match at_anchor {
            Some(e) if e.n == len && e.entry_hash == head => {}
            Some(e) => {
                return Err(BrokenLink {
                    n: e.n,
                    reason: "与此前核验过的记录不同（记录被改写过）".into(),
                })
            }
            None => {
                return Err(BrokenLink {
                    n: len,
                    reason: "此前核验过的记录不见了（记录被删减过）".into(),
                })
            }
        }
    }
    verify_chain((len, head.to_string()), after)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chain(len: u64) -> Vec<LogEntry> {
        let mut prev = GENESIS.to_string();
        (1..=len)
            .map(|n| {
                let mut e = LogEntry {
                    n,
                    at: 1_700_000_000 + n as i64,
                    scope: "419901".into(),
                    kind: "notice".into(),
                    item_id: format!("n{n}"),
                    title: "停水通知".into(),
                    action: LogAction::Publish,
                    seq: n,
                    content_hash: "ab".repeat(32),
                    actor: "县政务公开办".into(),
                    draft: None,
                    prev_hash: prev.clone(),
                    entry_hash: String::new(),
                };
                e.entry_hash = e.compute_hash();
                prev = e.entry_hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let (n, hash) = verify_chain((0, GENESIS.into()), &c).unwrap();
        assert_eq!(n, 5);
        assert_eq!(hash, c[4].entry_hash);
    }

    #[test]
    fn edited_deleted_and_relinked_entries_are_found() {
        let mut c = chain(5);
        c[2].actor = "someone else".into();
        assert_eq!(verify_chain((0, GENESIS.into()), &c).unwrap_err().n, 3);

        let mut c = chain(5);
        c.remove(3);
        let err = verify_chain((0, GENESIS.into()), &c).unwrap_err();
        assert_eq!(err.n, 4);

        // Re-hashing an edited entry does not help: the next link no longer matches.
        let mut c = chain(5);
        c[1].content_hash = "cd".repeat(32);
        c[1].entry_hash = c[1].compute_hash();
        assert_eq!(verify_chain((0, GENESIS.into()), &c).unwrap_err().n, 3);
    }
}
