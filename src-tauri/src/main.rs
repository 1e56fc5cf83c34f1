// No console window on Windows release builds; the kiosk is the whole screen.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    gongkai_kiosk_app::run();
}
