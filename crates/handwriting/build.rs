// Links Debian's libzinnia (package libzinnia-dev, installed by scripts/setup.sh).
fn main() {
    println!("cargo:rustc-link-lib=dylib=zinnia");
}
