//! Regenerates ui/src/lib/bindings from the Rust types (run from the repository root).
fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ui/src/lib/bindings".to_string());
    let dir = std::path::Path::new(&dir);
    let _ = std::fs::remove_dir_all(dir);
    if let Err(e) = gongkai_kiosk::views::export_bindings(dir) {
        eprintln!("export failed: {e}");
        std::process::exit(1);
    }
    println!("TypeScript bindings written to {}", dir.display());
}
