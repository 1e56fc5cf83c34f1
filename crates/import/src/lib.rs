//! Imports of lists offices keep in spreadsheets: 补贴名单 and 移民三榜 boards.
//!
//! `table::read` turns .xlsx/.xls/.csv bytes into rows; `check::guess` finds the header
//! and maps columns; `check::check` checks every row and reports every problem in
//! Chinese. Nothing here publishes: the server publishes a checked file only when it has
//! no errors, in one transaction, so a bad file never leaves a half-imported list.
#![forbid(unsafe_code)]

pub mod check;
pub mod ledger;
pub mod table;

pub use check::{
    check, guess, Checked, Field, ImportRow, ListKind, MapError, Mapping, RowError, Skipped,
};
pub use ledger::{check_ledger, parse_date, CheckedLedger, LedgerLine};
pub use table::{read, Cell, ReadError, Row, Table};

/// Every step an upload can go through — read, guess the columns, check every row — for
/// each kind of list, answering how many rows were checked. For fuzzing and its
/// regression inputs: whatever the bytes, this must return, never panic.
pub fn check_as_every_kind(bytes: &[u8]) -> usize {
    let Ok(table) = read(bytes) else { return 0 };
    let mut rows = 0;
    for kind in [ListKind::Subsidy, ListKind::Board, ListKind::Ledger] {
        if let Ok(mapping) = guess(&table, kind) {
            rows += if matches!(kind, ListKind::Ledger) {
                check_ledger(&table, &mapping, 2026, 3).lines.len()
            } else {
                check(&table, &mapping, kind).rows.len()
            };
        }
    }
    rows
}
