// Only the commands listed here get permissions generated, and the capability in
// capabilities/kiosk.json allows exactly these: nothing else is reachable from the UI.
const COMMANDS: &[&str] = &[
    "home",
    "categories",
    "list_items",
    "disclosure",
    "finance",
    "guide",
    "notice",
    "relocation",
    "subsidy_list",
    "subsidy_rows",
    "my_subsidies",
    "attachment_url",
    "phone_url",
    "read_aloud",
    "submit_complaint",
    "complaint_status",
    "pinyin_candidates",
    "handwriting",
    "continuations",
    "stop_reading",
    "cadre_unlock",
    "cadre_status",
    "cadre_lock",
    "usb_photos",
    "cadre_submit",
    "cadre_drafts",
    "panel_power",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e}"));
}
