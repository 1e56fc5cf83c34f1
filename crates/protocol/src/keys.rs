//! Ed25519 keys as Gongkai stores and configures them (base64 text).

use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{Signer, Verifier};
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("key is not valid base64")]
    Base64,
    #[error("key must be 32 bytes, got {0}")]
    Length(usize),
    #[error("not a valid ed25519 public key")]
    Invalid,
}

fn decode32(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| KeyError::Base64)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Length(bytes.len()))
}

/// The server's private signing key. Its Debug output never shows the key.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    pub fn generate() -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng))
    }

    pub fn from_base64(text: &str) -> Result<SigningKey, KeyError> {
        Ok(SigningKey(ed25519_dalek::SigningKey::from_bytes(
            &decode32(text)?,
        )))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.to_bytes())
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub fn sign(&self, message: &[u8]) -> String {
        STANDARD.encode(self.0.sign(message).to_bytes())
    }

    /// Opens a sealed box made with [`PublicKey::seal`] for this key.
    pub fn unseal(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        crypto_box::SecretKey::from(self.0.to_scalar_bytes())
            .unseal(sealed)
            .ok()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public().key_id())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    pub fn from_base64(text: &str) -> Result<PublicKey, KeyError> {
        ed25519_dalek::VerifyingKey::from_bytes(&decode32(text)?)
            .map(PublicKey)
            .map_err(|_| KeyError::Invalid)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.to_bytes())
    }

    /// A short name for the key, carried in signatures so a kiosk can say which key a
    /// checkpoint claims to be from.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.0.to_bytes())[..4])
    }

    /// Encrypts `plaintext` so that only the holder of the matching signing key can read
    /// it (a NaCl sealed box to the key's X25519 form). Kiosks use it for residents'
    /// contact details: one configured server key serves to verify and to encrypt, so a
    /// kiosk needs no second key and nothing fetched before it can take a filing offline.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let public = crypto_box::PublicKey::from(self.0.to_montgomery().to_bytes());
        // Sealing only fails if the system RNG does; an empty result is then caught by
        // the server, which cannot open it, rather than leaking the plaintext.
        public
            .seal(&mut rand::rngs::OsRng, plaintext)
            .unwrap_or_default()
    }

    /// Strict verification: rejects malleable and small-order signatures.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> bool {
        let Ok(bytes) = STANDARD.decode(signature_b64) else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else {
            return false;
        };
        self.0.verify_strict(message, &sig).is_ok() && self.0.verify(message, &sig).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_verifies() {
        let k = SigningKey::generate();
        let k2 = SigningKey::from_base64(&k.to_base64()).unwrap_or_else(|e| panic!("{e}"));
        let p = PublicKey::from_base64(&k.public().to_base64()).unwrap_or_else(|e| panic!("{e}"));
        let sig = k2.sign(b"hello");
        assert!(p.verify(b"hello", &sig));
        assert!(!p.verify(b"hellp", &sig));
        assert!(!p.verify(b"hello", "not base64!"));
        assert_eq!(PublicKey::from_base64("AAAA"), Err(KeyError::Length(3)));
        assert!(!format!("{k:?}").contains(&k.to_base64()));
        // Sealed to the public key, opened only with the matching private key.
        let sealed = p.seal("13937012345".as_bytes());
        assert!(!String::from_utf8_lossy(&sealed).contains("13937012345"));
        assert_eq!(k.unseal(&sealed).as_deref(), Some("13937012345".as_bytes()));
        assert_eq!(SigningKey::generate().unseal(&sealed), None);
    }
}
