//! Content-addressed blobs on the kiosk: fetched by sha256, resumed after interruption,
//! verified, and only then renamed into place.

use gongkai_protocol::is_blob_name;
use gongkai_protocol::paths;
use reqwest::blocking::Client;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("not a blob name: {0}")]
    BadName(String),
    #[error("blob {name}: content does not match its hash; discarded")]
    Corrupt { name: String },
    #[error("blob {name}: server answered {status}")]
    Http { name: String, status: u16 },
    #[error("blob download: {0}")]
    Network(String),
    #[error("blob file: {0}")]
    Io(#[from] std::io::Error),
}

pub struct BlobDir {
    dir: PathBuf,
}

impl BlobDir {
    pub fn new(dir: impl Into<PathBuf>) -> BlobDir {
        BlobDir { dir: dir.into() }
    }

    pub fn path(&self, name: &str) -> Option<PathBuf> {
        is_blob_name(name).then(|| self.dir.join(name))
    }

    pub fn has(&self, name: &str) -> bool {
        self.path(name).is_some_and(|p| p.is_file())
    }

    pub fn read(&self, name: &str) -> Result<Vec<u8>, BlobError> {
        let path = self
            .path(name)
            .ok_or_else(|| BlobError::BadName(name.to_string()))?;
        Ok(fs::read(path)?)
    }

    /// Downloads one blob, continuing a partial file if one was left by an earlier try.
    pub fn fetch(&self, http: &Client, base: &url::Url, name: &str) -> Result<(), BlobError> {
        let path = self
            .path(name)
            .ok_or_else(|| BlobError::BadName(name.to_string()))?;
        if path.is_file() {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let part = self.dir.join(format!("{name}.part"));
        let have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let url = base
            .join(paths::relative(&paths::fill(paths::BLOB, &[name])))
            .map_err(|e| BlobError::Network(e.to_string()))?;
        let mut req = http.get(url);
        if have > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let mut resp = req.send().map_err(|e| BlobError::Network(e.to_string()))?;
        let status = resp.status();
        let append = status == reqwest::StatusCode::PARTIAL_CONTENT;
        if !status.is_success() {
            return Err(BlobError::Http {
                name: name.to_string(),
                status: status.as_u16(),
            });
        }
        {
            let mut file = fs::OpenOptions::new()
                .create(true)
                .append(append)
                .write(true)
                .truncate(!append)
                .open(&part)?;
            let mut buf = [0u8; 64 * 1024];
            loop {
                let n = resp
                    .read(&mut buf)
                    .map_err(|e| BlobError::Network(e.to_string()))?;
                if n == 0 {
                    break;
                }
                file.write_all(&buf[..n])?;
            }
            file.sync_all()?;
        }
        if file_sha256_hex(&part)? != name {
            // A wrong or corrupted download is thrown away so the next try starts clean.
            let _ = fs::remove_file(&part);
            return Err(BlobError::Corrupt {
                name: name.to_string(),
            });
        }
        fs::rename(&part, &path)?;
        Ok(())
    }
}

/// Streaming sha256 of a file, so a large attachment is never read whole into memory.
fn file_sha256_hex(path: &Path) -> std::io::Result<String> {
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}
