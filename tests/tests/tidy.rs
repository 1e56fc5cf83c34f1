//! Architecture invariants that can be read off the source (rust-analyzer's tidy.rs in
//! spirit): checked as ordinary tests so a change that breaks one fails the suite.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Lines of `crates/<krate>` that mention any of `needles`, outside comments.
fn mentions(krate: &str, needles: &[&str]) -> Vec<String> {
    let root = gongkai_tests::repo_root().join("crates").join(krate);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if needles.iter().any(|n| code.contains(n)) {
                found.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    found
}

/// DESIGN invariant 9: model and protocol are pure functions of their inputs; the time
/// is passed in by whoever calls them.
#[test]
fn model_and_protocol_read_no_clock() {
    let clock = ["Utc::now", "SystemTime::now", "Local::now", "Instant::now"];
    for krate in ["model", "protocol"] {
        let found = mentions(krate, &clock);
        assert!(
            found.is_empty(),
            "crates/{krate} reads the clock:\n{}",
            found.join("\n")
        );
    }
}

/// Production code takes "today" from its clock, never from the demo county.
#[test]
fn today_comes_from_the_clock() {
    let found: Vec<String> = mentions("server", &["demo::today", "beijing_today"])
        .into_iter()
        .filter(|l| !l.contains("/src/demo/"))
        .collect();
    assert!(
        found.is_empty(),
        "server code reaches into the demo:\n{}",
        found.join("\n")
    );
}
