//! Inputs on which `scripts/fuzz.sh` once found the importer panicking, run through the
//! same steps as the fuzz target (read, guess columns, check every row for each kind of
//! list). Each must give a result or a Chinese error, never a panic.

use gongkai_import::{check, check_ledger, guess, read, ListKind};

#[test]
fn every_input_the_fuzzer_broke_now_reads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        seen += 1;
        let Ok(table) = read(&bytes) else { continue };
        for kind in [ListKind::Subsidy, ListKind::Board, ListKind::Ledger] {
            if let Ok(mapping) = guess(&table, kind) {
                if matches!(kind, ListKind::Ledger) {
                    let _ = check_ledger(&table, &mapping, 2026, 3);
                } else {
                    let _ = check(&table, &mapping, kind);
                }
            }
        }
    }
    assert!(seen >= 1, "no regression inputs in {}", dir.display());
}
