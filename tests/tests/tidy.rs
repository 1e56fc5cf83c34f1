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
    let found: Vec<String> = ["api", "console", "server"]
        .iter()
        .flat_map(|c| mentions(c, &["demo::today", "beijing_today", "Utc::now"]))
        .filter(|l| !l.contains("/src/demo/") && !l.contains("/src/clock.rs"))
        .collect();
    assert!(
        found.is_empty(),
        "server code reaches into the demo:\n{}",
        found.join("\n")
    );
}

/// Every protocol path in `gongkai_protocol::paths` is routed by the server: a kiosk
/// building its request from a constant reaches a handler, never axum's bare 404.
#[test]
fn the_server_routes_every_protocol_path() {
    use gongkai_protocol::paths;
    let tmp = tempfile::tempdir().unwrap();
    let server = gongkai_tests::TestServer::demo(tmp.path()).unwrap();
    let http = reqwest::blocking::Client::new();
    for pattern in paths::ALL {
        let holes = pattern.matches('{').count();
        let path = paths::fill(pattern, &vec!["419901"; holes]);
        let url = format!("{}{}", server.url().trim_end_matches('/'), path);
        let get = http.get(&url).send().unwrap();
        let status = get.status().as_u16();
        let body = get.text().unwrap_or_default();
        let routed = status == 405 || status != 404 || !body.is_empty();
        assert!(routed, "{pattern}: {status} {body:?}");
    }
}

/// The `[dependencies]` of a crate's Cargo.toml (names only).
fn dependencies(manifest: &str) -> Vec<String> {
    let text = std::fs::read_to_string(gongkai_tests::repo_root().join(manifest)).unwrap();
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some((name, _)) = line.split_once('=') {
                deps.push(name.trim().to_string());
            }
        }
    }
    deps
}

/// The crate graph the code map promises: nothing under crates/ but the shell knows
/// Tauri; kiosk and server never depend on each other; storage knows no HTTP; model and
/// protocol depend on no other Gongkai crate but model.
#[test]
fn crates_depend_only_downwards() {
    let crates = [
        "model", "protocol", "db", "store", "kiosk", "server", "import", "photo",
    ];
    for c in crates {
        let deps = dependencies(&format!("crates/{c}/Cargo.toml"));
        assert!(
            !deps.iter().any(|d| d.starts_with("tauri")),
            "crates/{c} depends on Tauri: {deps:?}"
        );
        let forbidden: &[&str] = match c {
            "model" => &[
                "gongkai-protocol",
                "gongkai-store",
                "gongkai-kiosk",
                "gongkai-server",
                "gongkai-db",
            ],
            "protocol" => &[
                "gongkai-store",
                "gongkai-kiosk",
                "gongkai-server",
                "gongkai-db",
            ],
            "store" => &["gongkai-kiosk", "gongkai-server", "axum", "reqwest", "maud"],
            "kiosk" => &[
                "gongkai-server",
                "gongkai-store",
                "gongkai-api",
                "gongkai-console",
            ],
            "api" => &["gongkai-console", "gongkai-server", "gongkai-kiosk", "maud"],
            "console" => &["gongkai-server", "gongkai-kiosk"],
            "server" => &["gongkai-kiosk"],
            _ => &[],
        };
        for f in forbidden {
            assert!(!deps.iter().any(|d| d == f), "crates/{c} depends on {f}");
        }
    }
}

/// Model and protocol read no files either: they are pure functions of their inputs.
#[test]
fn model_and_protocol_touch_no_files() {
    let io = ["std::fs", "File::open", "File::create", "read_to_string("];
    for krate in ["model", "protocol"] {
        let found: Vec<String> = mentions(krate, &io)
            .into_iter()
            .filter(|l| !l.contains("/tests/"))
            .collect();
        assert!(
            found.is_empty(),
            "crates/{krate} does I/O:\n{}",
            found.join("\n")
        );
    }
}

/// The console and the server's core are production code: they take nothing from the
/// demo county (which lives in the binary's crate, above them).
#[test]
fn the_console_does_not_import_the_demo() {
    let found: Vec<String> = ["api", "console"]
        .iter()
        .flat_map(|c| mentions(c, &["demo::"]))
        .collect();
    assert!(
        found.is_empty(),
        "the console reaches into the demo:\n{}",
        found.join("\n")
    );
}

fn read(path: &str) -> String {
    std::fs::read_to_string(gongkai_tests::repo_root().join(path)).unwrap()
}

/// The quoted words between `start` and the next `end` in `text`.
fn quoted_between(text: &str, start: &str, end: &str) -> Vec<String> {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} not found"));
    let rest = &text[from + start.len()..];
    let block = &rest[..rest.find(end).unwrap_or(rest.len())];
    block
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The kiosk's Tauri commands have one source, `COMMANDS` in src-tauri/build.rs (which
/// generates their permissions); the handler list, the capability and the UI's `invoke`
/// calls must name exactly those.
#[test]
fn kiosk_commands_are_listed_once() {
    let mut source = quoted_between(&read("src-tauri/build.rs"), "const COMMANDS", "];");
    source.sort();
    assert!(source.len() > 10, "{source:?}");

    let lib = read("src-tauri/src/lib.rs");
    let from = lib.find("generate_handler![").unwrap();
    let block = &lib[from..from + lib[from..].find("])").unwrap()];
    let mut handlers: Vec<String> = block
        .split("commands::")
        .skip(1)
        .map(|s| {
            s.split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    handlers.sort();
    assert_eq!(
        handlers, source,
        "generate_handler! in src-tauri/src/lib.rs"
    );

    let mut allowed: Vec<String> = quoted_between(
        &read("src-tauri/capabilities/kiosk.json"),
        "\"permissions\"",
        "]",
    )
    .into_iter()
    .map(|p| p.trim_start_matches("allow-").replace('-', "_"))
    .collect();
    allowed.sort();
    assert_eq!(allowed, source, "src-tauri/capabilities/kiosk.json");

    let api = read("ui/src/lib/api.ts");
    let mut invoked: Vec<String> = api
        .split("invoke")
        .skip(1)
        .filter_map(|s| s.split('"').nth(1).map(str::to_string))
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    invoked.sort();
    invoked.dedup();
    assert_eq!(invoked, source, "invoke calls in ui/src/lib/api.ts");
}
