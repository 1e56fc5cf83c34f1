//! Inputs on which `scripts/fuzz.sh` once found the importer panicking, run through the
//! same steps as the fuzz target. Each must give a result or a Chinese error, never a
//! panic.

#[test]
fn every_input_the_fuzzer_broke_now_reads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        seen += 1;
        gongkai_import::check_as_every_kind(&bytes);
    }
    assert!(seen >= 1, "no regression inputs in {}", dir.display());
}
