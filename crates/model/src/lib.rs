//! Gongkai's content model: the things a notice board shows and the rules they obey.
//!
//! Architecture invariant: this crate does no I/O (no files, network, clock reads or
//! database); everything here is a pure function of its inputs so it can be used by the
//! server, the kiosk engine and tests alike.
#![forbid(unsafe_code)]

pub mod boards;
pub mod calendar;
pub mod complaint;
pub mod content;
pub mod history;
pub mod idcard;
pub mod money;
pub mod names;
pub mod reading;
pub mod scope;

pub use content::{
    summarize, Attachment, CalendarYear, ContentKind, Disclosure, Emergency, EmergencyLevel,
    FinanceLine, FinanceLineKind, FinanceStatement, Guide, ItemSummary, Notice, RelocationBoard,
    RelocationRow, SubsidyList, SubsidyRow,
};
pub use money::Fen;
pub use scope::{ScopeId, ScopeLevel};
