//! The server's core as a library: shared state and errors, the one clock, the sync API
//! handlers, filings (intake and the staff API), the fleet, cadre mode's kiosk side,
//! checkpoint signing, the working-day calendar, the 考核 figures and PDF pages. The web
//! console (`gongkai-console`) and the server binary (`gongkai-server`) build on it.
//!
//! Architecture invariant: `state` and `error` import no handler; handlers import them;
//! nothing here knows the console or the demo, and no route is listed here (the binary's
//! router lists them).
#![forbid(unsafe_code)]

pub mod api;
pub mod cadre;
pub mod clock;
pub mod datadir;
pub mod error;
pub mod fleet;
pub mod intake;
pub mod pdf;
pub mod polls;
pub mod report;
pub mod signer;
pub mod staff;
pub mod state;
pub mod text;
pub mod workdays;

pub use clock::Clock;
pub use datadir::DataDir;
pub use state::{AppState, RateLimits};
