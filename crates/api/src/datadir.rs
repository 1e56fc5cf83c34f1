//! The server's data directory: its database, signing key and blobs.
//!
//! ```text
//! DIR/server.sqlite      content, change logs, private IDs
//! DIR/keys/signing.key   ed25519 private key (base64), mode 0600
//! DIR/keys/signing.pub   the public key kiosks are configured with
//! DIR/blobs/ab/abcd…     content-addressed attachments
//! ```

use anyhow::{bail, Context};
use gongkai_protocol::SigningKey;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join("server.sqlite")
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.root.join("blobs")
    }

    fn key_path(&self) -> PathBuf {
        self.root.join("keys").join("signing.key")
    }

    /// Creates the directory and a fresh key pair. Refuses to overwrite an existing key:
    /// replacing it would make every kiosk reject the server.
    pub fn init(&self) -> anyhow::Result<SigningKey> {
        fs::create_dir_all(self.root.join("keys"))
            .with_context(|| format!("creating {}", self.root.display()))?;
        fs::create_dir_all(self.blob_dir())?;
        if self.key_path().exists() {
            bail!(
                "{} already has a signing key; use a new directory for a new demo",
                self.root.display()
            );
        }
        let key = SigningKey::generate();
        write_private(&self.key_path(), &key.to_base64())?;
        fs::write(
            self.root.join("keys").join("signing.pub"),
            key.public().to_base64() + "\n",
        )?;
        Ok(key)
    }

    pub fn load_key(&self) -> anyhow::Result<SigningKey> {
        let path = self.key_path();
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {} (run `gongkai-server demo` or `keygen` first)",
                path.display()
            )
        })?;
        SigningKey::from_base64(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    #[cfg(not(unix))]
    fs::write(path, text)?;
    Ok(())
}
