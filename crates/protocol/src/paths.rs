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

/// The public pages for residents' phones (served by `gongkai-public`), which kiosks link
/// to by QR code and printed boards by their own.
pub mod public {
    /// The root: choosing a county, township and village.
    pub const ROOT: &str = "/m/";
    /// A place's page.
    pub const PLACE: &str = "/m/{scope}";
    /// One kind's list for a place.
    pub const LIST: &str = "/m/{scope}/{kind}";
    /// One item as the place's kiosk shows it, published by `owner` (the place or one
    /// above it).
    pub const ITEM: &str = "/m/{scope}/{kind}/{owner}/{id}";
    /// 查询办理进度: the form, and one filing's status.
    pub const TRACK_FORM: &str = "/m/{scope}/track";
    pub const TRACK: &str = "/m/{scope}/track/{code}";
    /// 查我的补贴 (POST).
    pub const FIND: &str = "/m/{scope}/find";

    use gongkai_model::ContentKind;

    /// The kinds a resident reads on the phone pages, in the kiosk's home order.
    pub const KINDS: [ContentKind; 6] = [
        ContentKind::Notice,
        ContentKind::Disclosure,
        ContentKind::Finance,
        ContentKind::RelocationBoard,
        ContentKind::SubsidyList,
        ContentKind::Guide,
    ];

    /// One path segment, percent-encoded: item ids may hold Chinese or punctuation.
    pub fn segment(text: &str) -> String {
        encode(text, b"-_.~")
    }

    /// `text` percent-encoded except ASCII letters, digits and the bytes in `keep`.
    pub fn encode(text: &str, keep: &[u8]) -> String {
        let mut out = String::with_capacity(text.len());
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || keep.contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    pub fn place(scope: &str) -> String {
        super::fill(PLACE, &[&segment(scope)])
    }

    pub fn list(place: &str, kind: &str) -> String {
        super::fill(LIST, &[&segment(place), &segment(kind)])
    }

    pub fn track_form(place: &str) -> String {
        super::fill(TRACK_FORM, &[&segment(place)])
    }

    pub fn find(place: &str) -> String {
        super::fill(FIND, &[&segment(place)])
    }

    pub fn item(place: &str, kind: &str, owner: &str, id: &str) -> String {
        super::fill(
            ITEM,
            &[
                &segment(place),
                &segment(kind),
                &segment(owner),
                &segment(id),
            ],
        )
    }

    pub fn track(place: &str, code: &str) -> String {
        super::fill(TRACK, &[&segment(place), &segment(code)])
    }

    /// `path` under a public base URL ("https://gk.yunxi.gov.cn" or with a trailing
    /// slash or sub-path).
    pub fn absolute(base: &str, path: &str) -> String {
        format!("{}{}", base.trim_end_matches('/'), path)
    }
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
        assert_eq!(
            public::item(
                "419901102201",
                "subsidy_list",
                "419901102201",
                "dibao-2026-石桥村"
            ),
            "/m/419901102201/subsidy_list/419901102201/dibao-2026-%E7%9F%B3%E6%A1%A5%E6%9D%91"
        );
        assert_eq!(
            public::absolute(
                "https://gk.example.cn/",
                &public::track("419901102201", "K7Q39XW2M")
            ),
            "https://gk.example.cn/m/419901102201/track/K7Q39XW2M"
        );
        assert_eq!(public::segment("a/b?c"), "a%2Fb%3Fc");
        for p in ALL {
            assert!(p.starts_with("/v1/"), "{p}");
            let holes = p.matches('{').count();
            let filled = fill(p, &vec!["x"; holes]);
            assert!(!filled.contains('{') && !filled.contains('}'), "{filled}");
        }
    }
}
