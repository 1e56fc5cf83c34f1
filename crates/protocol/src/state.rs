//! The state hash: one 256-bit value that names the exact set of items in a scope.
//!
//! It is the sum, modulo 2^256, of the hashes of all live items. Adding and removing an
//! item are O(1), so the server updates it on every publish and the kiosk on every apply,
//! and both can say "my content is exactly the state at checkpoint N" by comparing one
//! value. Authenticity comes from the signed pages, not from this sum: it detects a
//! mixed, partial or corrupted cache, and names what a screen shows.

use gongkai_model::ContentKind;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StateHash(pub [u8; 32]);

impl StateHash {
    pub const EMPTY: StateHash = StateHash([0; 32]);

    pub fn add(&mut self, item: &[u8; 32]) {
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let sum = u16::from(self.0[i]) + u16::from(item[i]) + carry;
            self.0[i] = sum as u8;
            carry = sum >> 8;
        }
    }

    pub fn remove(&mut self, item: &[u8; 32]) {
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let mut diff = i16::from(self.0[i]) - i16::from(item[i]) - borrow;
            borrow = 0;
            if diff < 0 {
                diff += 256;
                borrow = 1;
            }
            self.0[i] = diff as u8;
        }
    }

    /// Adds an item named by its kind's key, as stored in a database row. Returns false
    /// (and adds nothing) for a kind this version does not know.
    pub fn add_item(&mut self, kind_key: &str, id: &str, body: &str) -> bool {
        match ContentKind::from_key(kind_key) {
            Some(kind) => {
                self.add(&item_hash(kind, id, body));
                true
            }
            None => false,
        }
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<StateHash> {
        let bytes = hex::decode(text).ok()?;
        <[u8; 32]>::try_from(bytes.as_slice()).ok().map(StateHash)
    }

    pub fn from_slice(bytes: &[u8]) -> Option<StateHash> {
        <[u8; 32]>::try_from(bytes).ok().map(StateHash)
    }
}

impl fmt::Debug for StateHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateHash({})", self.to_hex())
    }
}

impl Serialize for StateHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for StateHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        StateHash::from_hex(&text).ok_or_else(|| serde::de::Error::custom("bad state hash"))
    }
}

/// The hash of one live item. The body is hashed as the exact text the server published.
pub fn item_hash(kind: ContentKind, id: &str, body: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"gongkai-item-v1\0");
    h.update(kind.key().as_bytes());
    h.update([0]);
    h.update(id.as_bytes());
    h.update([0]);
    h.update(body.as_bytes());
    h.finalize().into()
}

/// 内容指纹: eight characters (`1A2B-3C4D`) naming the exact content a screen shows for a
/// place — its scope and every scope above it, nearest first, each with its state hash. A
/// kiosk and a phone page that show the same fingerprint show the same content, which a
/// resident or an auditor can compare by eye; the full hashes are on 发布区域与核验.
pub fn fingerprint<'a>(chain: impl IntoIterator<Item = (&'a str, &'a StateHash)>) -> String {
    let mut h = Sha256::new();
    h.update(b"gongkai-fingerprint-v1\0");
    for (scope, state) in chain {
        h.update(scope.as_bytes());
        h.update([0]);
        h.update(state.0);
    }
    let digest: [u8; 32] = h.finalize().into();
    let hex = hex::encode_upper(&digest[..4]);
    format!("{}-{}", &hex[..4], &hex[4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_any_scope_of_the_chain() {
        let mut village = StateHash::EMPTY;
        let county = StateHash::EMPTY;
        let before = fingerprint([("419901102201", &village), ("419901", &county)]);
        assert_eq!(before.len(), 9);
        assert_eq!(before.as_bytes()[4], b'-');
        village.add(&item_hash(ContentKind::Notice, "a", "{}"));
        let after = fingerprint([("419901102201", &village), ("419901", &county)]);
        assert_ne!(before, after);
        // The same hashes under other scopes are other content.
        assert_ne!(
            after,
            fingerprint([("419901102202", &village), ("419901", &county)])
        );
    }

    #[test]
    fn add_then_remove_is_identity_in_any_order() {
        let a = item_hash(ContentKind::Notice, "a", "{}");
        let b = item_hash(ContentKind::Notice, "b", "{}");
        let mut s = StateHash::EMPTY;
        s.add(&a);
        s.add(&b);
        let mut t = StateHash::EMPTY;
        t.add(&b);
        t.add(&a);
        assert_eq!(s, t);
        s.remove(&a);
        s.remove(&b);
        assert_eq!(s, StateHash::EMPTY);
        // Wrap-around in both directions.
        let mut w = StateHash::EMPTY;
        w.remove(&a);
        w.add(&a);
        assert_eq!(w, StateHash::EMPTY);
    }
}
