//! The spreadsheet importer on any bytes (xlsx and xls containers, CSV in any encoding):
//! read, guess the columns and check every row for each kind of list, and the village
//! ledger. Never a panic, whatever an office uploads.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gongkai_import::check_as_every_kind(data);
});
