//! The Gongkai central server as a library: checkpoint signing, the HTTP API, the web
//! console and the demo county, over the storage of `gongkai-store`. `main.rs` is only
//! the command line around it, so tests run the same server in-process on port 0.
//!
//! Architecture invariant: `state` and `error` import no handler; handlers import them;
//! only `router` lists the handlers.
#![forbid(unsafe_code)]

pub mod api;
pub mod cadre;
pub mod clock;
pub mod console;
pub mod datadir;
pub mod demo;
pub mod error;
pub mod fleet;
pub mod intake;
pub mod pdf;
pub mod report;
pub mod router;
pub mod signer;
pub mod staff;
pub mod state;
pub mod workdays;

pub use clock::Clock;
pub use datadir::DataDir;
pub use gongkai_store::{Edit, ScopeHead, SqliteStore, Store, StoreError};
pub use router::router;
pub use state::{AppState, RateLimits};
