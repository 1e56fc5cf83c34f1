//! What every handler shares: the server's state (store, signer, attachments, the
//! calendar and limits, the clock) and the request rate limits. Handlers import this;
//! it imports no handler.

use crate::signer::Signer;
use gongkai_store::blobs::BlobStore;
use gongkai_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub signer: Arc<Signer>,
    pub blobs: Arc<BlobStore>,
    /// Largest page a kiosk may ask for.
    pub max_page: u32,
    /// The years of the working-day calendar shipped with Gongkai; deadlines are counted
    /// on it with the county's entered years laid over it (`workdays::calendar`).
    pub calendar: Arc<gongkai_model::calendar::Calendar>,
    /// The county's time limits by kind of filing.
    pub limits: Arc<gongkai_model::complaint::Limits>,
    /// Request rate limits on the public endpoints.
    pub rate: RateLimits,
    /// When kiosks count as offline or behind, and where alerts go.
    pub fleet: FleetSettings,
    /// The one clock every handler and sweep reads.
    pub clock: crate::clock::Clock,
    /// Who must agree before an emergency takes every screen of the county.
    pub takeover: Takeover,
    /// Base URL of the public phone pages as residents reach them (printed boards' QR
    /// codes point there); none: the address the console was reached at.
    pub public_pages_url: Option<Arc<str>>,
}

/// A county-wide emergency takes every screen: a second county account must confirm it
/// within `confirm_secs`, unless the county enabled the single-person path (each use is
/// then marked as such in the change log, and enabling it is logged at start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Takeover {
    pub confirm_secs: i64,
    pub single_person: bool,
}

impl Default for Takeover {
    fn default() -> Takeover {
        Takeover {
            confirm_secs: 30 * 60,
            single_person: false,
        }
    }
}

impl AppState {
    /// A server over `store` and `blobs` signing with `signer`, with the defaults `serve`
    /// starts with (pages of 2,000, the official calendar, the statutory time limits, the
    /// default rate limits and fleet thresholds); set other fields with `..AppState::new`.
    pub fn new(store: Arc<dyn Store>, blobs: BlobStore, signer: Signer) -> AppState {
        AppState {
            store,
            signer: Arc::new(signer),
            blobs: Arc::new(blobs),
            max_page: 2000,
            calendar: Arc::new(gongkai_model::calendar::Calendar::official()),
            limits: Arc::new(gongkai_model::complaint::Limits::default()),
            rate: RateLimits::default(),
            fleet: FleetSettings::default(),
            clock: crate::clock::Clock::system(),
            takeover: Takeover::default(),
            public_pages_url: None,
        }
    }
}

/// How many requests the public endpoints take before answering 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Filing uploads per kiosk id per hour: far above what a busy kiosk sends even when
    /// catching up after a week offline (a refused upload stays in the kiosk's outbox
    /// and is retried later, so nothing is lost either way).
    pub uploads_per_hour_kiosk: u32,
    /// Filing uploads per client address per hour.
    pub uploads_per_hour_address: u32,
    /// Code lookups per client address per ten minutes.
    pub lookups_per_10_min: u32,
    /// Kiosk enrollments per client address per ten minutes (a token is 20 characters
    /// from 31, so guessing is hopeless anyway; this keeps the attempts from flooding).
    pub enrolls_per_10_min: u32,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            uploads_per_hour_kiosk: 300,
            uploads_per_hour_address: 1000,
            lookups_per_10_min: 120,
            enrolls_per_10_min: 30,
        }
    }
}

/// Thresholds and where alerts go.
#[derive(Debug, Clone)]
pub struct FleetSettings {
    /// No heartbeat for this long: offline (default 10 minutes, twenty 30-second polls).
    pub offline_after_secs: i64,
    /// Showing old content for this long: an alert (default 30 minutes).
    pub behind_after_secs: i64,
    /// Where alerts are POSTed as JSON, if anywhere.
    pub webhook: Option<String>,
    /// A kiosk whose app and webview together use more than this raises an alert
    /// (default 600 MiB: room on a 2 GB board).
    pub memory_budget_bytes: u64,
}

impl Default for FleetSettings {
    fn default() -> FleetSettings {
        FleetSettings {
            offline_after_secs: 600,
            behind_after_secs: 1800,
            webhook: None,
            memory_budget_bytes: 600 * 1024 * 1024,
        }
    }
}
