//! Checks a server's public change log from outside, with nothing but HTTP: every
//! entry's hash and link, the county's signature on the log's head, and that the chain
//! ends exactly at the signed head. With a state file it also checks that the log still
//! extends what was verified last time, entry by entry, and names the first entry that
//! changed — the check a rewrite of the database cannot pass, however carefully it
//! re-chains what follows.
#![forbid(unsafe_code)]

use gongkai_protocol::changelog::{verify_chain, LogEntry, SignedLogHead, GENESIS};
use gongkai_protocol::{paths, PublicKey};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Entries per request.
const PAGE: u32 = 1000;

/// What was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub head: String,
    pub key_id: String,
    pub signed_at: i64,
    /// Entries already verified by an earlier run (0 without a state file).
    pub known_before: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("无法从服务器取得记录：{0}")]
    Fetch(String),
    #[error("链首签名无效（{0}）：不是县里的签名密钥签的")]
    Signature(gongkai_protocol::VerifyError),
    #[error("签名公钥编号是 {got}，与指定的 {expected} 不同")]
    WrongKey { expected: String, got: String },
    #[error("第 {n} 号记录：{reason}")]
    Chain { n: u64, reason: String },
    #[error("记录到第 {entries} 号、摘要 {head} 为止，与签名的链首（第 {signed_len} 号、{signed_head}）不符")]
    HeadMismatch {
        entries: u64,
        head: String,
        signed_len: u64,
        signed_head: String,
    },
    #[error("第 {n} 号记录与上次核验时不同（记录被改写过）")]
    Changed { n: u64 },
    #[error("记录只剩 {now} 条，上次核验时有 {before} 条（记录被删减过）")]
    Shortened { now: u64, before: u64 },
    #[error("状态文件 {path}：{message}")]
    State { path: String, message: String },
}

impl Failure {
    /// The first entry that is wrong, where there is one.
    pub fn first_bad_entry(&self) -> Option<u64> {
        match self {
            Failure::Chain { n, .. } | Failure::Changed { n } => Some(*n),
            Failure::Shortened { now, .. } => Some(now + 1),
            _ => None,
        }
    }
}

/// Every entry hash verified by a run, kept for the next.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub key_id: String,
    pub hashes: Vec<String>,
}

fn get<T: serde::de::DeserializeOwned>(
    http: &reqwest::blocking::Client,
    url: &str,
) -> Result<T, Failure> {
    let resp = http
        .get(url)
        .send()
        .map_err(|e| Failure::Fetch(format!("{url}: {e}")))?;
    if !resp.status().is_success() {
        return Err(Failure::Fetch(format!("{url}: {}", resp.status())));
    }
    resp.json()
        .map_err(|e| Failure::Fetch(format!("{url}: {e}")))
}

#[derive(Deserialize)]
struct PubKey {
    public_key: String,
}

/// Verifies the change log at `server`. `key`: the county's public key as published
/// elsewhere (a kiosk's configuration, the printed notice); without it the server's own
/// key is used, which proves the log consistent but not whose it is. `state`: a file
/// kept between runs.
pub fn verify(server: &str, key: Option<&str>, state: Option<&Path>) -> Result<Verified, Failure> {
    let base = server.trim_end_matches('/');
    let http = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| Failure::Fetch(e.to_string()))?;
    let key = match key {
        Some(k) => k.to_string(),
        None => get::<PubKey>(&http, &format!("{base}{}", paths::PUBKEY))?.public_key,
    };
    let key = PublicKey::from_base64(&key).map_err(|e| Failure::Fetch(e.to_string()))?;
    let signed: SignedLogHead = get(&http, &format!("{base}{}", paths::CHANGELOG_HEAD))?;
    let head = signed.verify(&key).map_err(Failure::Signature)?.clone();

    let before = match state {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(path).map_err(|e| Failure::State {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            let s: State = serde_json::from_str(&text).map_err(|e| Failure::State {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            if s.key_id != key.key_id() {
                return Err(Failure::WrongKey {
                    expected: s.key_id,
                    got: key.key_id(),
                });
            }
            s.hashes
        }
        _ => Vec::new(),
    };

    let mut hashes: Vec<String> = Vec::with_capacity(head.len as usize);
    let mut last = (0u64, GENESIS.to_string());
    loop {
        let page: Vec<LogEntry> = get(
            &http,
            &format!("{base}{}?after={}&limit={PAGE}", paths::CHANGELOG, last.0),
        )?;
        if page.is_empty() {
            break;
        }
        let page: Vec<LogEntry> = page.into_iter().filter(|e| e.n <= head.len).collect();
        // Against what was verified before first: a changed entry is named as changed,
        // even when the chain after it was rebuilt to be consistent.
        for e in &page {
            if let Some(old) = before.get(e.n as usize - 1) {
                if *old != e.entry_hash {
                    return Err(Failure::Changed { n: e.n });
                }
            }
        }
        last = verify_chain(last, &page).map_err(|b| Failure::Chain {
            n: b.n,
            reason: b.reason,
        })?;
        hashes.extend(page.iter().map(|e| e.entry_hash.clone()));
        if page.len() < PAGE as usize || last.0 >= head.len {
            break;
        }
    }
    if (before.len() as u64) > last.0 {
        return Err(Failure::Shortened {
            now: last.0,
            before: before.len() as u64,
        });
    }
    if (last.0, last.1.as_str()) != (head.len, head.head.as_str()) {
        return Err(Failure::HeadMismatch {
            entries: last.0,
            head: last.1,
            signed_len: head.len,
            signed_head: head.head,
        });
    }
    if let Some(path) = state {
        let s = State {
            key_id: key.key_id(),
            hashes,
        };
        let text = serde_json::to_string(&s).map_err(|e| Failure::State {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| Failure::State {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
    }
    Ok(Verified {
        entries: last.0,
        head: last.1,
        key_id: key.key_id(),
        signed_at: head.issued_at,
        known_before: before.len() as u64,
    })
}
