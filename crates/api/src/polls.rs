//! Polls, the request every kiosk repeats every interval: one scope's head, and the
//! combined poll for every scope a kiosk follows (protocol v1, docs/protocol.md). They have
//! a router and a state of their own ([`Polls`]: what a poll reads, behind one `Arc`), so
//! a poll clones one pointer instead of the whole server state and passes no middleware
//! (there is nothing to compress in a 304).
//!
//! Most polls find nothing changed: the kiosk sends back the ETag it got. [`PollTags`]
//! answers those with 304 while the store's poll version and the signing period are the
//! ones the tag was computed at, without reading a head or a signature.

use crate::error::{blocking, parse_scope, ApiError, ApiPath};
use crate::signer::{combined_etag, etag, Signer};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use gongkai_model::ScopeId;
use gongkai_protocol::{paths, CombinedHeads, MAX_POLLED_SCOPES};
use gongkai_store::{ScopeHead, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a poll reads.
#[derive(Clone)]
pub struct Polls(Arc<PollsInner>);

pub struct PollsInner {
    store: Arc<dyn Store>,
    signer: Arc<Signer>,
    clock: crate::clock::Clock,
    tags: PollTags,
}

impl Polls {
    pub fn new(st: &AppState) -> Polls {
        Polls(Arc::new(PollsInner {
            store: st.store.clone(),
            signer: st.signer.clone(),
            clock: st.clock.clone(),
            tags: PollTags::default(),
        }))
    }
}

/// The poll routes, with their own state.
pub fn routes(st: &AppState) -> Router {
    Router::new()
        .route(paths::SCOPE_HEAD, get(head))
        .route(paths::HEADS, get(heads))
        .with_state(Polls::new(st))
}

/// The ETag each poll (a scope's head, or a combined poll's query) last got, with the
/// store's [`Store::poll_version`] and the signer's period it was computed at: while both
/// are unchanged, so is the answer. Bounded: when full it starts again empty (a county has
/// a few hundred kiosks; a province's instances each see a share).
#[derive(Debug, Default)]
pub struct PollTags {
    tags: Mutex<HashMap<String, (u64, i64, String)>>,
}

impl PollTags {
    const MAX: usize = 200_000;

    /// Whether `key`'s ETag at this `version` and `period` is `tag`.
    pub fn matches(&self, key: &str, version: u64, period: i64, tag: &str) -> bool {
        let tags = self.tags.lock().unwrap_or_else(|p| p.into_inner());
        tags.get(key)
            .is_some_and(|(v, p, t)| *v == version && *p == period && t == tag)
    }

    pub fn put(&self, key: &str, version: u64, period: i64, tag: &str) {
        let mut tags = self.tags.lock().unwrap_or_else(|p| p.into_inner());
        if tags.len() >= Self::MAX && !tags.contains_key(key) {
            tags.clear();
        }
        tags.insert(key.to_string(), (version, period, tag.to_string()));
    }
}

pub async fn head(
    State(polls): State<Polls>,
    ApiPath(code): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = &polls.0;
    if let Some(hit) = p.unchanged(&headers, &code) {
        return Ok(hit);
    }
    let scope = parse_scope(&code)?;
    let (version, now) = (p.store.poll_version(), p.clock.unix());
    let heads = p.heads(vec![scope]).await?;
    let cp = p.signer.checkpoint(&heads[0], now);
    let tag = etag(&cp);
    p.remember(&code, version, now, &tag);
    conditional(&headers, tag, || Json(cp))
}

/// One poll for every scope a kiosk follows (`?scopes=village,township,county`): their
/// signed checkpoints in the order asked, under one ETag that names each, so a kiosk's
/// interval costs one request and, when nothing changed, one 304.
pub async fn heads(
    State(polls): State<Polls>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = &polls.0;
    // Keyed by the query as sent, apart from single heads (whose keys are bare codes).
    let key = format!("?{}", query.as_deref().unwrap_or(""));
    if let Some(hit) = p.unchanged(&headers, &key) {
        return Ok(hit);
    }
    let list = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("scopes="))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                "查询参数有误：缺少 scopes",
            )
        })?;
    // Codes are digits; a client may have escaped the commas.
    let list = list.replace("%2C", ",").replace("%2c", ",");
    let scopes = list
        .split(',')
        .map(|c| parse_scope(c.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    if scopes.len() > MAX_POLLED_SCOPES {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too_many_scopes",
            format!("at most {MAX_POLLED_SCOPES} scopes in one poll"),
        ));
    }
    let (version, now) = (p.store.poll_version(), p.clock.unix());
    let heads = p.heads(scopes).await?;
    let checkpoints: Vec<_> = heads.iter().map(|h| p.signer.checkpoint(h, now)).collect();
    let tag = combined_etag(&checkpoints);
    p.remember(&key, version, now, &tag);
    conditional(&headers, tag, || Json(CombinedHeads { checkpoints }))
}

impl PollsInner {
    /// 304 when the kiosk sent back the tag `key` has at the current poll version and
    /// signing period.
    fn unchanged(&self, headers: &HeaderMap, key: &str) -> Option<Response> {
        let sent = headers.get(header::IF_NONE_MATCH)?;
        let version = self.store.poll_version()?;
        let period = self.signer.period(self.clock.unix());
        self.tags
            .matches(key, version, period, sent.to_str().ok()?)
            .then(|| (StatusCode::NOT_MODIFIED, [(header::ETAG, sent.clone())]).into_response())
    }

    /// Keeps `tag` as `key`'s answer at the store version read before its heads were (so
    /// the tag is never older than what the version says) and `now`'s signing period.
    fn remember(&self, key: &str, version: Option<u64>, now: i64, tag: &str) {
        if let Some(v) = version {
            self.tags.put(key, v, self.signer.period(now), tag);
        }
    }

    /// The heads of `scopes`: answered inline when the store can (no blocking-pool hop);
    /// otherwise on a blocking thread.
    async fn heads(&self, scopes: Vec<ScopeId>) -> Result<Vec<ScopeHead>, ApiError> {
        match self.store.poll_heads_now(&scopes) {
            Some(heads) => Ok(heads?),
            None => {
                let store = self.store.clone();
                blocking(move || scopes.iter().map(|s| store.poll_head(s)).collect()).await
            }
        }
    }
}

/// `304` with the ETag when `If-None-Match` names `tag`, else the body with it.
fn conditional<B: IntoResponse>(
    headers: &HeaderMap,
    tag: String,
    body: impl FnOnce() -> B,
) -> Result<Response, ApiError> {
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let tag_value = HeaderValue::try_from(tag)
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "etag"))?;
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag_value)]).into_response());
    }
    Ok((
        [
            (header::ETAG, tag_value),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body(),
    )
        .into_response())
}
