//! The public change log as this kiosk last verified it: its length and head hash,
//! signed by the county's key. Each check fetches the signed head and, when it moved,
//! the entries since the anchor (and the anchor entry itself), and checks that the new
//! log extends what was seen. A log that does not — rewritten in the server's database,
//! even re-chained consistently — raises an alarm kept until the log extends the anchor
//! again: shown in the kiosk's status, reported in every heartbeat (the fleet page and
//! the webhook raise it), while the kiosk keeps serving its verified content. The first
//! head seen is taken as it is (there is nothing earlier to compare).

use crate::fleet::Fleet;
use gongkai_protocol::changelog::{extends, LogEntry, SignedLogHead};
use gongkai_protocol::{paths, PublicKey};

/// Most entries fetched per request.
const PAGE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogCheck {
    /// First head seen, kept as the anchor.
    Anchored { len: u64 },
    /// The log extends the anchor; the anchor moved to `len`.
    Extended { len: u64 },
    /// Nothing new.
    Unchanged,
    /// The log does not extend what this kiosk verified before.
    Rewritten { at: u64, why: String },
    /// An older signed head than the anchor (a replay or a lagging instance): ignored.
    Stale,
}

#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error("server unreachable: {0}")]
    Network(String),
    #[error("bad answer: {0}")]
    Decode(String),
    #[error("log head not signed by the county's key: {0}")]
    Verify(#[from] gongkai_protocol::VerifyError),
    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),
}

fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::blocking::Client,
    url: String,
) -> Result<T, AnchorError> {
    let resp = http
        .get(&url)
        .send()
        .map_err(|e| AnchorError::Network(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(AnchorError::Decode(format!("{} for {url}", resp.status())));
    }
    resp.json().map_err(|e| AnchorError::Decode(e.to_string()))
}

/// Checks the server's change log against the anchor kept in `fleet`.
pub fn check(
    http: &reqwest::blocking::Client,
    server: &url::Url,
    key: &PublicKey,
    fleet: &Fleet,
) -> Result<LogCheck, AnchorError> {
    let base = server.as_str().trim_end_matches('/');
    let signed: SignedLogHead = get_json(http, format!("{base}{}", paths::CHANGELOG_HEAD))?;
    let new = signed.verify(key)?.clone();
    let Some((len, head, issued_at)) = fleet.log_anchor()? else {
        fleet.set_log_anchor(new.len, &new.head, new.issued_at)?;
        return Ok(LogCheck::Anchored { len: new.len });
    };
    if new.issued_at < issued_at {
        return Ok(LogCheck::Stale);
    }
    if new.len == len && new.head == head {
        fleet.set_log_anchor(len, &head, new.issued_at)?;
        fleet.set_log_alarm(None)?;
        return Ok(LogCheck::Unchanged);
    }
    // The anchor entry itself and everything after it, up to the signed length.
    let mut entries: Vec<LogEntry> = Vec::new();
    let mut after = len.saturating_sub(1);
    loop {
        let page: Vec<LogEntry> = get_json(
            http,
            format!("{base}{}?after={after}&limit={PAGE}", paths::CHANGELOG),
        )?;
        let Some(last) = page.last().map(|e| e.n) else {
            break;
        };
        entries.extend(page.into_iter().filter(|e| e.n <= new.len));
        if last >= new.len {
            break;
        }
        after = last;
    }
    let (at_anchor, rest) = match entries.first() {
        Some(e) if len > 0 && e.n == len => (Some(&entries[0]), &entries[1..]),
        _ if len > 0 => (None, &entries[..]),
        _ => (None, &entries[..]),
    };
    let outcome = extends((len, &head), at_anchor, rest).and_then(|(n, h)| {
        if (n, h.as_str()) == (new.len, new.head.as_str()) {
            Ok(n)
        } else {
            Err(gongkai_protocol::changelog::BrokenLink {
                n: new.len,
                reason: "签名的链首与记录不符".into(),
            })
        }
    });
    match outcome {
        Ok(n) => {
            fleet.set_log_anchor(n, &new.head, new.issued_at)?;
            fleet.set_log_alarm(None)?;
            Ok(LogCheck::Extended { len: n })
        }
        Err(link) => {
            let why = format!(
                "公开记录与本机第 {len} 号时核验过的不一致：第 {} 号{}。继续显示已核验的内容",
                link.n, link.reason
            );
            tracing::error!(at = link.n, reason = %link.reason, "change log does not extend the anchor");
            fleet.set_log_alarm(Some(&why))?;
            Ok(LogCheck::Rewritten { at: link.n, why })
        }
    }
}
