//! Signed software updates for kiosks. A release is a Debian package and a manifest
//! signed with the release key (kept offline by the people who build releases, not on
//! the server): the server only passes both on. A kiosk installs nothing whose manifest
//! the release key did not sign, and nothing whose bytes do not hash to the manifest.

use crate::{sha256_hex, PublicKey, SigningKey};
use serde::{Deserialize, Serialize};

/// `GET /v1/updates/latest`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateManifest {
    /// Debian package name, e.g. "gongkai-kiosk".
    pub package: String,
    /// Version as in the package ("0.2.0").
    pub version: String,
    /// File name the package is installed from ("gongkai-kiosk_0.2.0_amd64.deb").
    pub file: String,
    /// Hex sha256 of the package; also its blob name on the server.
    pub sha256: String,
    pub size: u64,
    /// Base64 ed25519 signature by the release key over [`UpdateManifest::signing_bytes`].
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error("update manifest not signed by the release key")]
    BadSignature,
    #[error("update file does not match its manifest (sha256 or size)")]
    WrongBytes,
    #[error("update manifest malformed: {0}")]
    Malformed(&'static str),
}

impl UpdateManifest {
    /// Signs a package's bytes.
    pub fn sign(key: &SigningKey, package: &str, version: &str, file: &str, bytes: &[u8]) -> Self {
        let mut m = UpdateManifest {
            package: package.into(),
            version: version.into(),
            file: file.into(),
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
            signature: String::new(),
        };
        m.signature = key.sign(&m.signing_bytes());
        m
    }

    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = b"gongkai-update-v1\0".to_vec();
        for field in [&self.package, &self.version, &self.file, &self.sha256] {
            out.extend_from_slice(field.as_bytes());
            out.push(0);
        }
        out.extend_from_slice(&self.size.to_be_bytes());
        out
    }

    /// Checks the signature and that the names cannot escape a directory.
    pub fn verify(&self, key: &PublicKey) -> Result<(), UpdateError> {
        let safe = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._+~-".contains(&b))
                && !s.starts_with('.')
        };
        if !safe(&self.package) || !safe(&self.version) || !safe(&self.file) {
            return Err(UpdateError::Malformed("names"));
        }
        if !self.file.ends_with(".deb") {
            return Err(UpdateError::Malformed("not a .deb"));
        }
        if !crate::is_blob_name(&self.sha256) {
            return Err(UpdateError::Malformed("sha256"));
        }
        if !key.verify(&self.signing_bytes(), &self.signature) {
            return Err(UpdateError::BadSignature);
        }
        Ok(())
    }

    /// Checks the signature and the package's bytes.
    pub fn verify_file(&self, key: &PublicKey, bytes: &[u8]) -> Result<(), UpdateError> {
        self.verify(key)?;
        if bytes.len() as u64 != self.size || sha256_hex(bytes) != self.sha256 {
            return Err(UpdateError::WrongBytes);
        }
        Ok(())
    }
}

/// An explicit order from the release key to install an older version (a release that
/// turned out bad): the only way the installer accepts a version not newer than the one
/// installed. Placed beside the staged package as `FILE.deb.downgrade.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DowngradeOrder {
    pub package: String,
    /// The version that may be installed although it is not newer.
    pub version: String,
    /// Why, for the log.
    pub reason: String,
    pub signature: String,
}

impl DowngradeOrder {
    pub fn sign(key: &SigningKey, package: &str, version: &str, reason: &str) -> Self {
        let mut o = DowngradeOrder {
            package: package.into(),
            version: version.into(),
            reason: reason.into(),
            signature: String::new(),
        };
        o.signature = key.sign(&o.signing_bytes());
        o
    }

    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = b"gongkai-downgrade-v1\0".to_vec();
        for field in [&self.package, &self.version, &self.reason] {
            out.extend_from_slice(field.as_bytes());
            out.push(0);
        }
        out
    }

    /// True if the release key signed this order for exactly this package and version.
    pub fn allows(&self, key: &PublicKey, package: &str, version: &str) -> bool {
        self.package == package
            && self.version == version
            && key.verify(&self.signing_bytes(), &self.signature)
    }
}

/// True if `candidate` is a later version than `current` (dot-separated numbers; a
/// part that is not a number compares as 0).
pub fn is_newer(candidate: &str, current: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> {
        v.split(['.', '-', '+', '~'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    let (a, b) = (parts(candidate), parts(current));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x > y;
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_the_release_key_and_the_exact_bytes_pass() {
        let key = SigningKey::generate();
        let deb = b"!<arch>\ndebian-binary".to_vec();
        let m = UpdateManifest::sign(
            &key,
            "gongkai-kiosk",
            "0.2.0",
            "gongkai-kiosk_0.2.0_amd64.deb",
            &deb,
        );
        assert!(m.verify_file(&key.public(), &deb).is_ok());
        let other = SigningKey::generate();
        assert_eq!(m.verify(&other.public()), Err(UpdateError::BadSignature));
        let mut tampered = deb.clone();
        tampered[0] = b'?';
        assert_eq!(
            m.verify_file(&key.public(), &tampered),
            Err(UpdateError::WrongBytes)
        );
        let mut renamed = m.clone();
        renamed.version = "9.9.9".into();
        assert_eq!(
            renamed.verify(&key.public()),
            Err(UpdateError::BadSignature)
        );
        let mut escape = m.clone();
        escape.file = "../../etc/passwd.deb".into();
        assert!(matches!(
            escape.verify(&key.public()),
            Err(UpdateError::Malformed(_))
        ));
    }

    #[test]
    fn versions_compare_by_number() {
        assert!(is_newer("0.10.0", "0.9.3"));
        assert!(is_newer("1.0.1", "1.0"));
        assert!(!is_newer("1.0", "1.0.0"));
        assert!(!is_newer("0.1.0", "0.2.0"));
    }
}
