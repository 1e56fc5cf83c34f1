//! Fleet operations between a kiosk and the server: enrollment, signed heartbeats and
//! the signed remote configuration a heartbeat's answer carries.
//!
//! Requests from a kiosk are signed with the kiosk's own key over the exact body bytes
//! (plus a domain tag, the kiosk id and the path); the server verifies those bytes before
//! it parses them, so nothing about JSON formatting can make the two sides disagree.

use crate::displaylog::DisplayEntry;
use crate::{PublicKey, SigningKey};
use serde::{Deserialize, Serialize};

/// The header naming the kiosk that signed a request.
pub const KIOSK_HEADER: &str = "x-gongkai-kiosk";
/// The header carrying the base64 ed25519 signature of [`request_signing_bytes`].
pub const SIGNATURE_HEADER: &str = "x-gongkai-signature";

/// What a kiosk signs for a request to `path` with `body`.
pub fn request_signing_bytes(kiosk_id: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    out.extend_from_slice(b"gongkai-kiosk-request-v1\0");
    out.extend_from_slice(kiosk_id.as_bytes());
    out.push(0);
    out.extend_from_slice(path.as_bytes());
    out.push(0);
    out.extend_from_slice(body);
    out
}

/// `POST /v1/kiosks/enroll`: a new kiosk presents the one-time token from the console
/// and its public key. The private key was made on the kiosk and never leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enroll {
    pub token: String,
    pub kiosk_id: String,
    pub public_key: String,
    pub app_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub kiosk_id: String,
    /// The scope the console enrolled the kiosk for.
    pub scope: String,
    /// The kiosk's own namespace for the codes it makes when its reserved ones run out
    /// (`TrackingCode::namespaced`). Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_ns: Option<u32>,
}

/// Where one followed scope stands on the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeReport {
    pub scope: String,
    pub epoch: u64,
    pub seq: u64,
    /// Hex state hash of the content in the kiosk's cache for this scope: what it shows.
    pub state_hash: String,
}

/// `POST /v1/kiosks/heartbeat`, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub kiosk_id: String,
    /// Strictly increasing per kiosk (kept on disk): a replayed heartbeat is refused
    /// without trusting the kiosk's clock.
    pub counter: u64,
    /// Unix seconds by the kiosk's clock.
    pub sent_at: i64,
    pub app_version: String,
    pub uptime_secs: u64,
    pub rss_bytes: u64,
    pub disk_free_bytes: u64,
    pub display_on: bool,
    pub last_sync_at: Option<i64>,
    pub scopes: Vec<ScopeReport>,
    /// Version of the remote configuration in force (0: none).
    pub config_version: u64,
    /// Display-log entries the server has not acknowledged yet, in order.
    pub display_log: Vec<DisplayEntry>,
    /// Set while the public change log does not extend what this kiosk verified before
    /// (why, in Chinese). Absent from kiosks that do not check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changelog_alarm: Option<String>,
    /// Reserved codes the kiosk has left; the server tops them up. Absent from kiosks
    /// that do not use reserved codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes_left: Option<u32>,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatAck {
    /// The last display-log entry the server holds; the kiosk resends anything after it.
    pub display_log_acked: u64,
    /// A newer remote configuration, if there is one.
    pub config: Option<SignedRemoteConfig>,
    /// The console asked for a screenshot (`POST /v1/kiosks/screenshot`, PNG body).
    pub screenshot_requested: bool,
    pub server_time: i64,
    /// Tracking codes reserved for this kiosk (unique on the server, never used by a
    /// filing): it hands them out before making its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
}

/// The hours the screen is lit, in Beijing time; outside them it is dark until touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayHours {
    /// Minutes after midnight when the screen turns on.
    pub on_minute: u16,
    /// Minutes after midnight when it turns off (may be before `on_minute`: across midnight).
    pub off_minute: u16,
}

impl DisplayHours {
    /// Whether the screen should be lit at `minute` after midnight.
    pub fn is_on(&self, minute: u16) -> bool {
        if self.on_minute == self.off_minute {
            return true;
        }
        if self.on_minute < self.off_minute {
            (self.on_minute..self.off_minute).contains(&minute)
        } else {
            minute >= self.on_minute || minute < self.off_minute
        }
    }

    /// Parses "06:30-22:00".
    pub fn parse(text: &str) -> Option<DisplayHours> {
        let (a, b) = text.trim().split_once('-')?;
        let minute = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        Some(DisplayHours {
            on_minute: minute(a)?,
            off_minute: minute(b)?,
        })
    }

    pub fn label(&self) -> String {
        format!(
            "{:02}:{:02}-{:02}:{:02}",
            self.on_minute / 60,
            self.on_minute % 60,
            self.off_minute / 60,
            self.off_minute % 60
        )
    }
}

/// Settings the county office sets from the console for one kiosk. Absent fields keep
/// the kiosk's own configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteConfig {
    /// The kiosk it is for: a configuration cannot be replayed onto another kiosk.
    pub kiosk_id: String,
    /// Increases with every change: a kiosk never goes back to an older one.
    pub version: u64,
    pub poll_interval_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    pub display_hours: Option<DisplayHours>,
    pub care_mode_default: Option<bool>,
    /// The base URL of the public phone pages (`https://gk.yunxi.gov.cn`), which the
    /// kiosk's QR codes point into. Signed only when set, so configurations signed before
    /// it existed still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

impl RemoteConfig {
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = b"gongkai-remote-config-v1\0".to_vec();
        out.extend_from_slice(self.kiosk_id.as_bytes());
        out.push(0);
        out.extend_from_slice(&self.version.to_be_bytes());
        let opt = |out: &mut Vec<u8>, v: Option<u64>| match v {
            Some(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_be_bytes());
            }
            None => out.push(0),
        };
        opt(&mut out, self.poll_interval_secs);
        opt(&mut out, self.idle_timeout_secs);
        opt(
            &mut out,
            self.display_hours
                .map(|h| (u64::from(h.on_minute) << 16) | u64::from(h.off_minute)),
        );
        opt(&mut out, self.care_mode_default.map(u64::from));
        if let Some(url) = &self.public_url {
            out.extend_from_slice(b"\0public_url\0");
            out.extend_from_slice(url.as_bytes());
        }
        out
    }

    pub fn sign(self, key: &SigningKey) -> SignedRemoteConfig {
        let signature = key.sign(&self.signing_bytes());
        SignedRemoteConfig {
            config: self,
            signature,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRemoteConfig {
    pub config: RemoteConfig,
    pub signature: String,
}

impl SignedRemoteConfig {
    /// True if the server's key signed it for `kiosk_id`.
    pub fn verify(&self, server: &PublicKey, kiosk_id: &str) -> bool {
        self.config.kiosk_id == kiosk_id
            && server.verify(&self.config.signing_bytes(), &self.signature)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn display_hours_wrap_midnight() {
        let day = DisplayHours::parse("06:30-22:00").unwrap();
        assert!(day.is_on(6 * 60 + 30));
        assert!(!day.is_on(22 * 60));
        assert!(!day.is_on(3 * 60));
        let night_shift = DisplayHours::parse("20:00-02:00").unwrap();
        assert!(night_shift.is_on(23 * 60));
        assert!(night_shift.is_on(60));
        assert!(!night_shift.is_on(12 * 60));
        assert_eq!(night_shift.label(), "20:00-02:00");
        assert!(DisplayHours::parse("25:00-02:00").is_none());
        assert!(DisplayHours::parse("夜里").is_none());
    }

    #[test]
    fn remote_config_is_bound_to_key_kiosk_and_fields() {
        let key = SigningKey::generate();
        let c = RemoteConfig {
            kiosk_id: "k-01".into(),
            version: 3,
            poll_interval_secs: Some(60),
            idle_timeout_secs: None,
            display_hours: DisplayHours::parse("06:00-22:00"),
            care_mode_default: Some(true),
            public_url: None,
        }
        .sign(&key);
        assert!(c.verify(&key.public(), "k-01"));
        // The base URL is signed too, once set.
        let mut moved = c.clone();
        moved.config.public_url = Some("https://evil.example".into());
        assert!(!moved.verify(&key.public(), "k-01"));
        assert!(!c.verify(&key.public(), "k-02"));
        assert!(!c.verify(&SigningKey::generate().public(), "k-01"));
        let mut changed = c.clone();
        changed.config.poll_interval_secs = Some(5);
        assert!(!changed.verify(&key.public(), "k-01"));
    }
}
