//! The URL paths of protocol v1, written once. The server's router routes these patterns
//! and every kiosk client builds its requests from them; a signed request's path is part
//! of what is signed, so the two sides must never drift apart.
//!
//! Patterns are axum's (`{scope}`); [`fill`] puts values in. Clients join the path to the
//! configured server URL without its leading slash ([`relative`]), so a server behind a
//! path prefix still works.

pub const HEALTH: &str = "/v1/health";
pub const OPENAPI: &str = "/v1/openapi.json";
pub const PUBKEY: &str = "/v1/pubkey";
pub const SCOPE_HEAD: &str = "/v1/scopes/{scope}/head";
/// Every followed scope's head in one poll: `?scopes=village,township,county`.
pub const HEADS: &str = "/v1/heads";
pub const SCOPE_CHANGES: &str = "/v1/scopes/{scope}/changes";
pub const BLOB: &str = "/v1/blobs/{name}";
pub const CHANGELOG: &str = "/v1/changelog";
pub const CHANGELOG_HEAD: &str = "/v1/changelog/head";
pub const ITEM_HISTORY: &str = "/v1/scopes/{scope}/items/{kind}/{id}/history";
pub const COMPLAINTS: &str = "/v1/complaints";
pub const COMPLAINT: &str = "/v1/complaints/{code}";
pub const CADRE_UNLOCK: &str = "/v1/cadre/unlock";
pub const CADRE_NOTICES: &str = "/v1/cadre/notices";
pub const CADRE_DRAFTS: &str = "/v1/cadre/drafts";
pub const KIOSK_ENROLL: &str = "/v1/kiosks/enroll";
pub const KIOSK_HEARTBEAT: &str = "/v1/kiosks/heartbeat";
pub const KIOSK_SCREENSHOT: &str = "/v1/kiosks/screenshot";
pub const KIOSK_DISPLAY_LOG: &str = "/v1/kiosks/{id}/display-log";
pub const UPDATE_LATEST: &str = "/v1/updates/{package}/latest";
pub const STAFF_COMPLAINTS: &str = "/v1/staff/complaints";
pub const STAFF_COMPLAINT: &str = "/v1/staff/complaints/{code}";
pub const STAFF_COMPLAINT_ACTIONS: &str = "/v1/staff/complaints/{code}/actions";

/// Every path, for the test that the server routes each one.
pub const ALL: &[&str] = &[
    HEALTH,
    OPENAPI,
    PUBKEY,
    SCOPE_HEAD,
    HEADS,
    SCOPE_CHANGES,
    BLOB,
    CHANGELOG,
    CHANGELOG_HEAD,
    ITEM_HISTORY,
    COMPLAINTS,
    COMPLAINT,
    CADRE_UNLOCK,
    CADRE_NOTICES,
    CADRE_DRAFTS,
    KIOSK_ENROLL,
    KIOSK_HEARTBEAT,
    KIOSK_SCREENSHOT,
    KIOSK_DISPLAY_LOG,
    UPDATE_LATEST,
    STAFF_COMPLAINTS,
    STAFF_COMPLAINT,
    STAFF_COMPLAINT_ACTIONS,
];

/// `pattern` with its `{…}` segments replaced by `values`, in order. A value is put in
/// as given: callers pass codes, ids and names that are URL-safe by construction.
pub fn fill(pattern: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut values = values.iter();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str(values.next().copied().unwrap_or(""));
        rest = &rest[close.min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// A path as a client joins it to the server URL (no leading slash).
pub fn relative(path: &str) -> &str {
    path.trim_start_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_fill_in_order() {
        assert_eq!(fill(SCOPE_HEAD, &["419901"]), "/v1/scopes/419901/head");
        assert_eq!(
            fill(ITEM_HISTORY, &["419901", "notice", "n-1"]),
            "/v1/scopes/419901/items/notice/n-1/history"
        );
        assert_eq!(fill(HEALTH, &[]), HEALTH);
        assert_eq!(relative(KIOSK_HEARTBEAT), "v1/kiosks/heartbeat");
        for p in ALL {
            assert!(p.starts_with("/v1/"), "{p}");
            let holes = p.matches('{').count();
            let filled = fill(p, &vec!["x"; holes]);
            assert!(!filled.contains('{') && !filled.contains('}'), "{filled}");
        }
    }
}
