//! What a kiosk sends when a resident files something, and what anyone may read back by
//! its tracking code.

use gongkai_model::complaint::{ComplaintKind, ComplaintStatus, TrackingCode};
use gongkai_model::ScopeId;
use serde::{Deserialize, Serialize};

/// One filing, as the kiosk uploads it. Uploading the same `client_uuid` again is a no-op:
/// the kiosk may retry for weeks without creating duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintUpload {
    pub client_uuid: String,
    pub code: TrackingCode,
    pub kiosk_id: String,
    pub kind: ComplaintKind,
    /// The village or township the filing concerns; routes it to an office.
    pub scope: ScopeId,
    /// What it is about, in the resident's words or as prefilled (e.g. the 三榜 board and
    /// household for an objection).
    pub subject: String,
    pub text: String,
    /// Name and phone, when given: a [`Contact`] as JSON, sealed on the kiosk to the
    /// server's key (`PublicKey::seal`), base64. Only the server can read it.
    pub sealed_contact: Option<String>,
    /// When the resident pressed submit, unix seconds, kiosk clock.
    pub filed_at: i64,
    /// 代为提交: entered by a cadre in cadre mode for a resident who could not use the
    /// screen — the sha256 (hex) of that cadre's unlock token. The server checks the
    /// unlock was this kiosk's, valid when the filing was made, and for a place that covers
    /// the filing's; only then is the filing marked as entered by that cadre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadre_session: Option<String>,
}

/// A resident's contact details, only ever sealed on the wire and on the kiosk.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

// Personal data never appears in Debug output or logs.
impl std::fmt::Debug for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Contact(…)")
    }
}

/// The server's answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReceipt {
    pub code: TrackingCode,
    /// False when this `client_uuid` had been received before.
    pub created: bool,
}

/// What anyone may see of a filing by its code: never who filed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub code: TrackingCode,
    pub kind: ComplaintKind,
    pub subject: String,
    pub status: ComplaintStatus,
    /// Received, ISO date.
    pub received_on: String,
    /// The date by which it must be answered (working days), ISO date; none while paused.
    pub due_on: Option<String>,
    /// Set when `due_on` was counted across a year whose holidays were not entered yet
    /// (that year): shown as provisional until the year is entered and it is recounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_provisional: Option<i32>,
    /// The office's public answer, once given.
    pub answer: Option<String>,
    pub office: String,
}

impl Contact {
    pub fn seal(&self, key: &crate::PublicKey) -> String {
        use base64::Engine;
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(key.seal(&json))
    }

    /// Opens sealed contact details with the server's key; `None` if they were not sealed
    /// to it or were tampered with.
    pub fn unseal(sealed: &str, key: &crate::SigningKey) -> Option<Contact> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        serde_json::from_slice(&key.unseal(&bytes)?).ok()
    }
}
