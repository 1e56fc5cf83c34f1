//! Cadre mode on a kiosk: a cadre unlocks it with a short-lived one-time code issued in
//! the console for them (and optionally that kiosk), then posts a notice with photos.
//! The posting is a draft for the township's review; nothing a cadre sends reaches any
//! screen before it is approved.

use serde::{Deserialize, Serialize};

/// `POST /v1/cadre/unlock`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CadreUnlock {
    pub kiosk_id: String,
    /// The village the kiosk stands in.
    pub scope: String,
    pub code: String,
}

/// The answer to an unlock: a bearer token for this kiosk and person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CadreSession {
    pub token: String,
    pub display_name: String,
    pub scope: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// `POST /v1/cadre/notices` (bearer token): a notice for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CadreNotice {
    /// Chosen by the kiosk; a retried upload with the same id is the same draft.
    pub client_id: String,
    pub title: String,
    /// Plain text, paragraphs separated by new lines.
    pub body: String,
    /// Last day shown (YYYY-MM-DD), if any.
    pub expire_on: Option<String>,
    /// JPEG photos, base64 (already stripped by the kiosk; the server re-encodes anyway).
    pub photos: Vec<String>,
}

/// Where a cadre's posting stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CadreDraftStatus {
    pub id: i64,
    pub title: String,
    /// pending, approved, rejected
    pub status: String,
    /// The reviewer's reason when rejected.
    pub reason: String,
    pub created_at: i64,
}

/// Most photos on one notice.
pub const MAX_PHOTOS: usize = 6;
