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
    /// Name and phone, when given. (To be sealed to the server's key on the kiosk.)
    pub contact: Option<Contact>,
    /// When the resident pressed submit, unix seconds, kiosk clock.
    pub filed_at: i64,
}

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
    /// The office's public answer, once given.
    pub answer: Option<String>,
    pub office: String,
}
