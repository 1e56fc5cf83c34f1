//! The protocol decoders a kiosk or the server runs on bytes from the network: change
//! pages and checkpoints (then verified against a key), heartbeats, display logs (then
//! verified and turned into coverage), remote settings and release manifests. None may
//! panic; every verification of random input must fail.
#![no_main]

use gongkai_model::ScopeId;
use gongkai_protocol::displaylog::{genesis, on_screen, verify_display_log, DisplayEntry};
use gongkai_protocol::fleet::{DisplayHours, Heartbeat, SignedRemoteConfig};
use gongkai_protocol::update::UpdateManifest;
use gongkai_protocol::{ChangePage, PublicKey, SignedCheckpoint, SigningKey};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        SigningKey::from_base64("7yRDzEitOpeLZIQX5S9AiCMNegsKcq1NKXTw/o/YI+o=")
            .map(|k| k.public())
            .unwrap_or_else(|_| SigningKey::generate().public())
    })
}

fuzz_target!(|data: &[u8]| {
    let scope = ScopeId::parse("419901102201").ok();
    if let (Ok(page), Some(scope)) = (serde_json::from_slice::<ChangePage>(data), scope.as_ref()) {
        assert!(page.verify(key(), scope, page.epoch, page.since).is_err());
    }
    if let Ok(cp) = serde_json::from_slice::<SignedCheckpoint>(data) {
        assert!(cp.verify(key()).is_err());
    }
    if let Ok(hb) = serde_json::from_slice::<Heartbeat>(data) {
        let _ = verify_display_log(&hb.kiosk_id, key(), genesis(), &hb.display_log);
        let _ = on_screen(
            &hb.display_log,
            "relocation_board",
            "419901102201",
            "b",
            hb.sent_at,
        );
    }
    if let Ok(entries) = serde_json::from_slice::<Vec<DisplayEntry>>(data) {
        let _ = on_screen(&entries, "finance", "419901102201", "f", 0);
    }
    if let Ok(c) = serde_json::from_slice::<SignedRemoteConfig>(data) {
        assert!(!c.verify(key(), "419901102201-01"));
    }
    if let Ok(m) = serde_json::from_slice::<UpdateManifest>(data) {
        assert!(m.verify_file(key(), data).is_err());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(h) = DisplayHours::parse(text) {
            let _ = h.is_on(0);
            let _ = h.label();
        }
    }
});
