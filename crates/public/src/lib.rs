//! The public pages for residents' phones, under `/m/`: what a village's kiosk shows,
//! readable from anywhere on a cheap phone on a weak connection or inside WeChat's
//! browser. Server-rendered (maud), no login, no JavaScript, one small stylesheet, system
//! fonts; 关怀 choices (大字, 高对比) kept in a cookie.
//!
//! The pages read the same store and sign nothing of their own: every page names the
//! signed checkpoints its content stands at (signature time and 内容指纹, the figures the
//! kiosk shows), lists only what a kiosk of the place would show at this moment (expired
//! notices are gone at the same second), and keeps the kiosk's privacy rules — stricter
//! where a phone is not standing in the village: a subsidy list is searched for the
//! asker's own row by name and ID tail, never browsed, unless its publisher published it
//! whole. Lookups are rate-limited per address like the kiosks' code lookup.
//!
//! Invariant: read-only. Nothing here writes content, and no handler trusts the path: a
//! scope, kind or item that a kiosk of that place would not show answers like a missing
//! page.

#![forbid(unsafe_code)]

mod chart;
mod frame;
mod items;
mod lookup;
mod place;

use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use gongkai_api::state::AppState;
use gongkai_model::ScopeId;
use gongkai_protocol::paths::public;
use gongkai_store::ScopeHead;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where the pages live (the paths themselves are `gongkai_protocol::paths::public`, which
/// kiosks build their QR codes from).
pub const BASE: &str = "/m";

const CSS: &str = include_str!("m.css");

/// Every scope and its name, in code order.
pub(crate) type Directory = Arc<Vec<(ScopeId, String)>>;

/// The state the public pages share: the server's, plus what they keep in memory to
/// answer quickly (both are rebuilt from the store, never a second source of truth).
#[derive(Clone)]
pub struct Public {
    pub(crate) app: AppState,
    /// Every scope's name, for the place chooser: refreshed when a minute old.
    pub(crate) directory: Arc<Mutex<Option<(i64, Directory)>>>,
    /// Each scope's subsidy rows by list and ID tail, for the self-lookup, kept for the
    /// scope's exact head (epoch, seq): a publish makes the next lookup rebuild it.
    pub(crate) rows: Arc<Mutex<HashMap<ScopeId, Arc<lookup::ScopeRows>>>>,
}

pub fn routes(app: &AppState) -> Router {
    let state = Public {
        app: app.clone(),
        directory: Arc::default(),
        rows: Arc::default(),
    };
    Router::new()
        .route("/m", get(|| async { Redirect::permanent("/m/") }))
        .route(public::ROOT, get(place::chooser))
        .route("/m/m.css", get(css))
        .route("/m/prefs", get(prefs))
        .route(public::PLACE, get(place::home))
        .route(public::TRACK_FORM, get(lookup::track_form_page))
        .route(public::TRACK, get(lookup::track))
        .route(public::FIND, post(lookup::find))
        .route(public::LIST, get(items::list))
        .route(public::ITEM, get(items::detail))
        .with_state(state)
}

pub use gongkai_protocol::paths::public::{
    item as item_path, place as place_path, track as track_path,
};

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        CSS,
    )
        .into_response()
}

/// The 关怀 choices a visitor made, from the `m_prefs` cookie.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Prefs {
    pub large: bool,
    pub contrast: bool,
}

const PREFS_COOKIE: &str = "m_prefs";

impl Prefs {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Prefs {
        let mut out = Prefs::default();
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for pair in text.split(';') {
                if let Some(v) = pair.trim().strip_prefix("m_prefs=") {
                    out.large = v.split('.').any(|p| p == "large");
                    out.contrast = v.split('.').any(|p| p == "contrast");
                }
            }
        }
        out
    }

    fn cookie_value(self) -> String {
        let mut parts = Vec::new();
        if self.large {
            parts.push("large");
        }
        if self.contrast {
            parts.push("contrast");
        }
        parts.join(".")
    }
}

#[derive(serde::Deserialize)]
struct PrefsQuery {
    toggle: String,
    #[serde(default)]
    back: String,
}

/// Flips one 关怀 choice and goes back to the page it was chosen on (only ever a page of
/// these public pages: `back` is not an open redirect).
async fn prefs(headers: HeaderMap, Query(q): Query<PrefsQuery>) -> Response {
    let mut p = Prefs::from_headers(&headers);
    match q.toggle.as_str() {
        "large" => p.large = !p.large,
        "contrast" => p.contrast = !p.contrast,
        _ => {}
    }
    let back = if q.back.starts_with("/m/")
        && !q.back.contains("//")
        && !q.back.contains('\\')
        && q.back.is_ascii()
    {
        q.back
    } else {
        "/m/".to_string()
    };
    let cookie = format!(
        "{PREFS_COOKIE}={}; Path=/m; Max-Age=31536000; SameSite=Lax",
        p.cookie_value()
    );
    let mut response = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The heads of a place and every place above it, nearest first: what its kiosk follows.
pub(crate) struct Place {
    pub scope: ScopeId,
    pub chain: Vec<ScopeHead>,
}

impl Place {
    pub fn name(&self) -> &str {
        self.chain.first().map_or("", |h| h.name.as_str())
    }

    pub fn owns(&self, owner: &str) -> Option<&ScopeHead> {
        self.chain.iter().find(|h| h.scope.as_str() == owner)
    }
}
