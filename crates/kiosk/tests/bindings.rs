//! The UI's TypeScript types must be exactly what the Rust types generate today.

use std::collections::BTreeMap;
use std::path::Path;

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ts") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            out.insert(name, std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    out
}

#[test]
fn ui_bindings_are_fresh() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    gongkai_kiosk::views::export_bindings(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
    let fresh = read_dir(tmp.path());
    assert!(!fresh.is_empty());
    assert_eq!(
        read_dir(&committed),
        fresh,
        "ui/src/lib/bindings is stale: run `cargo run -p gongkai-kiosk --bin export-bindings`"
    );
}
