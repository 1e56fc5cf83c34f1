//! The Gongkai central server as a library: checkpoint signing, the HTTP API, the web
//! console and the demo county, over the storage of `gongkai-store`. `main.rs` is only the command line around it, so tests run the same
//! server in-process on port 0.
#![forbid(unsafe_code)]

pub mod api;
pub mod cadre;
pub mod clock;
pub mod console;
pub mod datadir;
pub mod demo;
pub mod fleet;
pub mod intake;
pub mod pdf;
pub mod report;
pub mod signer;
pub mod staff;
pub mod workdays;

pub use api::{router, AppState};
pub use clock::Clock;
pub use datadir::DataDir;
pub use gongkai_store::{Edit, ScopeHead, SqliteStore, Store, StoreError};
