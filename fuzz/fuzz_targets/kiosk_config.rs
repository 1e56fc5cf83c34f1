//! The kiosk configuration parser on any text: a clear error or a checked config, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(c) = gongkai_kiosk::KioskConfig::parse(text, "fuzz.toml") {
            assert!(!c.kiosk_id.is_empty());
            let _ = c.places();
        }
    }
});
