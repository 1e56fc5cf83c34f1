//! Every configuration file shipped in kiosk-config/ parses, and a broken one is refused
//! with an error that names the field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gongkai_kiosk::KioskConfig;
use gongkai_tests::repo_root;

fn shipped() -> Vec<(String, String)> {
    let dir = repo_root().join("kiosk-config");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_shipped_file_parses() {
    let files = shipped();
    assert!(files.len() >= 2, "kiosk-config/ has no examples");
    for (path, text) in &files {
        let c = KioskConfig::parse(text, path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.place_name().is_empty());
    }
}

#[test]
fn broken_files_name_the_field() {
    let (path, good) = shipped()
        .into_iter()
        .find(|(p, _)| p.contains("village"))
        .unwrap();
    let cases: Vec<(String, &str)> = vec![
        (
            good.replace("server_public_key = \"", "server_public_key = \"x"),
            "`server_public_key`",
        ),
        (
            good.replace("village = \"419901102201\"", "village = \"419901101201\""),
            "`scope.village`",
        ),
        (
            good.replace("township = \"419901102\"", "township = \"41990110\""),
            "`scope.township`",
        ),
        (
            good.replace("orientation = \"landscape\"", "orientation = \"sideways\""),
            "`display.orientation`",
        ),
        (
            good.replace("poll_interval_secs = 30", "poll_interval_secs = \"30\""),
            "poll_interval_secs",
        ),
        (
            good.replace("idle_timeout_secs = 90", "idle_timeout_secs = 1"),
            "`idle_timeout_secs`",
        ),
        (good.replace("https://", "gopher://"), "`server_url`"),
        (good.replace("kiosk_id", "kiosk_name"), "kiosk_name"),
        (
            good.replace("village_name = \"石桥村\"\n", ""),
            "`scope.village_name`",
        ),
    ];
    for (text, field) in cases {
        assert_ne!(text, good, "case for {field} did not change the file");
        let err = KioskConfig::parse(&text, &path).err().unwrap().to_string();
        assert!(err.contains(field), "error {err:?} does not name {field}");
        assert!(err.contains(&path), "error {err:?} does not name the file");
    }
}
