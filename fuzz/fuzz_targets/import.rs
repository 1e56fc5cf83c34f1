//! The spreadsheet importer on any bytes (xlsx and xls containers, CSV in any encoding):
//! read, guess the columns and check every row for each kind of list, and the village
//! ledger. Never a panic, whatever an office uploads.
#![no_main]

use gongkai_import::{check, check_ledger, guess, read, ListKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = read(data) else { return };
    for kind in [ListKind::Subsidy, ListKind::Board, ListKind::Ledger] {
        if let Ok(mapping) = guess(&table, kind) {
            if matches!(kind, ListKind::Ledger) {
                let _ = check_ledger(&table, &mapping, 2026, 3);
            } else {
                let _ = check(&table, &mapping, kind);
            }
        }
    }
});
