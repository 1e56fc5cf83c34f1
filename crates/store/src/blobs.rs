//! Content-addressed blob storage: a blob's name is its sha256. On the file system (the
//! embedded default, beside the SQLite file) or in the database (PostgreSQL), so every
//! server instance serves every attachment.

use crate::pg::PgStore;
use gongkai_protocol::{is_blob_name, sha256_hex};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct BlobStore {
    dir: PathBuf,
    db: Option<Arc<PgStore>>,
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> BlobStore {
        BlobStore {
            dir: dir.into(),
            db: None,
        }
    }

    /// Blobs in the PostgreSQL database (`blobs` table), checked by sha256 on every read.
    pub fn in_postgres(db: Arc<PgStore>) -> BlobStore {
        BlobStore {
            dir: PathBuf::new(),
            db: Some(db),
        }
    }

    /// Where a blob lives on disk; `None` for anything that is not a blob name (so a
    /// request can never reach outside the blob directory) and for database blobs.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        (self.db.is_none() && is_blob_name(name)).then(|| self.dir.join(&name[..2]).join(name))
    }

    /// A blob's bytes, or None if there is no such blob.
    pub fn get(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        if let Some(db) = &self.db {
            return db.blob(name).map_err(std::io::Error::other);
        }
        let Some(path) = self.path(name) else {
            return Ok(None);
        };
        match fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores bytes and returns their name. On disk it is written to a temporary file and
    /// renamed, so a crash never leaves a blob whose content does not match its name.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        if let Some(db) = &self.db {
            return db.put_blob(bytes).map_err(std::io::Error::other);
        }
        let name = sha256_hex(bytes);
        let Some(path) = self.path(&name) else {
            return Err(std::io::Error::other("bad blob name"));
        };
        if path.exists() {
            return Ok(name);
        }
        let parent = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(parent)?;
        // A temporary name of its own: two requests storing the same file at once must not
        // write into, or rename away, each other's copy.
        let tmp = parent.join(format!(".{name}.{:016x}.tmp", rand::random::<u64>()));
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        Ok(name)
    }
}
