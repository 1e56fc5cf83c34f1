//! Sync protocol v1 (see docs/protocol.md): the types both sides exchange and the
//! cryptography that lets a kiosk trust them.
//!
//! Architecture invariant: no I/O and no clock reads here. Every signed byte string is
//! built by a function in this crate from structured fields (never from JSON text), so
//! the server and kiosk cannot disagree about what was signed.
#![forbid(unsafe_code)]

pub mod cadre;
pub mod changelog;
pub mod complaints;
pub mod displaylog;
pub mod fleet;
pub mod keys;
pub mod paths;
pub mod state;
pub mod update;
pub mod wire;

pub use keys::{KeyError, PublicKey, SigningKey};
pub use state::{fingerprint, item_hash, StateHash};
pub use wire::{
    Change, ChangeOp, ChangePage, Checkpoint, CombinedHeads, ResetRequired, SignedCheckpoint,
    VerifyError, MAX_POLLED_SCOPES, PROTOCOL_VERSION,
};

/// Lower-case hex sha256 of some bytes: how blobs are named.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// True if `name` is a well-formed blob name (64 lower-case hex digits). Used to refuse
/// path tricks before a blob name touches a file system.
pub fn is_blob_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
