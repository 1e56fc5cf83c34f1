//! The Gongkai central server: the router that puts the sync API (`gongkai-api`) and
//! the web console (`gongkai-console`) behind one address, and the demo county. `main.rs`
//! is only the command line around it, so tests run the same server in-process on port 0.
//! The core's modules are re-exported under their names (`gongkai_server::fleet`, …).
//!
//! Architecture invariant: only `router` lists the handlers; nothing below this crate
//! knows the demo.
#![forbid(unsafe_code)]

pub mod demo;
pub mod router;

pub use gongkai_api::{
    api, cadre, clock, datadir, error, fleet, intake, pdf, report, signer, staff, state, text,
    workdays, AppState, Clock, DataDir, RateLimits,
};
pub use gongkai_console as console;
pub use gongkai_public as public;
pub use gongkai_store::{Edit, ScopeHead, SqliteStore, Store, StoreError};
pub use router::router;
