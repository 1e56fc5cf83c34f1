//! Content-addressed blob storage on the file system: a blob's name is its sha256.

use gongkai_protocol::{is_blob_name, sha256_hex};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct BlobStore {
    dir: PathBuf,
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> BlobStore {
        BlobStore { dir: dir.into() }
    }

    /// Where a blob lives; `None` for anything that is not a blob name, so a request can
    /// never reach outside the blob directory.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        is_blob_name(name).then(|| self.dir.join(&name[..2]).join(name))
    }

    /// Stores bytes and returns their name. Written to a temporary file and renamed, so a
    /// crash never leaves a blob whose content does not match its name.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let name = sha256_hex(bytes);
        let Some(path) = self.path(&name) else {
            return Err(std::io::Error::other("bad blob name"));
        };
        if path.exists() {
            return Ok(name);
        }
        let parent = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(parent)?;
        let tmp = parent.join(format!(".{name}.tmp"));
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        Ok(name)
    }
}
