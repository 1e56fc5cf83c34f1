//! The Gongkai central server as a library: storage, checkpoint signing, the HTTP API and
//! the demo county. `main.rs` is only the command line around it, so tests run the same
//! server in-process on port 0.
#![forbid(unsafe_code)]

pub mod api;
pub mod blobs;
pub mod cadre;
pub mod clock;
pub mod console;
pub mod datadir;
pub mod demo;
pub mod fleet;
pub mod intake;
pub mod pdf;
pub mod report;
pub mod sanitize;
pub mod signer;
pub mod staff;
pub mod store;
pub mod workdays;

pub use api::{router, AppState};
pub use clock::Clock;
pub use datadir::DataDir;
pub use store::{Edit, ScopeHead, SqliteStore, Store, StoreError};
