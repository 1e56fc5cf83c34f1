//! The sync endpoints kiosks talk to (protocol v1, docs/protocol.md): health, the
//! public key, change pages, blobs, the public change log and item histories (heads are
//! in `polls.rs`).

use crate::error::{blocking, parse_scope, ApiError, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gongkai_protocol::{paths, ChangePage, ResetRequired, PROTOCOL_VERSION};
use serde::Deserialize;

/// The API described for clients and for the conformance run (schemathesis).
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

/// Liveness for the load balancer: 200 only while this instance can reach its database
/// (within two seconds), so an instance cut off from a shared database is taken out of
/// rotation while the others serve.
pub async fn health(State(st): State<AppState>) -> Response {
    let store = st.store.clone();
    let ping = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        tokio::task::spawn_blocking(move || store.ping()),
    )
    .await;
    let ok = matches!(ping, Ok(Ok(Ok(()))));
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({ "ok": ok, "protocol": PROTOCOL_VERSION })),
    )
        .into_response()
}

pub async fn pubkey(State(st): State<AppState>) -> Json<serde_json::Value> {
    let key = st.signer.public();
    Json(serde_json::json!({ "key_id": key.key_id(), "public_key": key.to_base64() }))
}

#[derive(Debug, Deserialize)]
pub struct ChangesQuery {
    epoch: u64,
    since: u64,
    limit: Option<u32>,
}

pub async fn changes(
    State(st): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> Result<Response, ApiError> {
    let scope = parse_scope(&code)?;
    let limit = q.limit.unwrap_or(st.max_page).clamp(1, st.max_page);
    let store = st.store.clone();
    let scope2 = scope.clone();
    let read = blocking(move || store.changes(&scope2, q.since, limit)).await?;
    let head = &read.head;
    let stale_epoch = q.since != 0 && q.epoch != head.epoch;
    let below_floor = q.since != 0 && q.since < head.floor;
    let ahead = q.since > head.seq;
    if stale_epoch || below_floor || ahead {
        let reason = if stale_epoch {
            "epoch changed"
        } else if below_floor {
            "cursor older than retained tombstones"
        } else {
            "cursor ahead of server"
        };
        let body = ResetRequired {
            scope,
            epoch: head.epoch,
            reason: reason.into(),
        };
        return Ok((StatusCode::GONE, Json(body)).into_response());
    }
    let cp = st.signer.checkpoint(head, st.clock.unix());
    let next = if read.more {
        read.changes.last().map_or(q.since, |c| c.seq)
    } else {
        head.seq
    };
    let page = ChangePage {
        scope,
        epoch: head.epoch,
        since: q.since,
        next,
        more: read.more,
        changes: read.changes,
        checkpoint: cp,
        signature: String::new(),
    }
    .signed(st.signer.key());
    Ok(Json(page).into_response())
}

/// Serves a blob, from a byte offset when asked (`Range: bytes=N-`) so an interrupted
/// download resumes instead of starting again.
pub async fn blob(
    State(st): State<AppState>,
    ApiPath(name): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "no_blob", "文件不存在");
    let blobs = st.blobs.clone();
    let bytes = tokio::task::spawn_blocking(move || blobs.get(&name))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "任务失败"))?
        .map_err(|e| {
            // A damaged blob is never served; the kiosk keeps what it has and retries.
            tracing::error!("blob: {e}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "blob_unavailable",
                "文件暂时无法读取",
            )
        })?
        .ok_or_else(not_found)?;
    let total = bytes.len();
    let start = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<usize>().ok());
    let immutable = HeaderValue::from_static("public, max-age=31536000, immutable");
    match start {
        Some(start) if start > total => Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "bad_range",
            "范围无效",
        )),
        Some(start) => {
            let range = format!("bytes {start}-{}/{total}", total.saturating_sub(1));
            Ok((
                StatusCode::PARTIAL_CONTENT,
                [
                    (
                        header::CONTENT_RANGE,
                        HeaderValue::from_str(&range).unwrap_or(immutable.clone()),
                    ),
                    (header::CACHE_CONTROL, immutable),
                ],
                Body::from(bytes[start..].to_vec()),
            )
                .into_response())
        }
        None => Ok(([(header::CACHE_CONTROL, immutable)], Body::from(bytes)).into_response()),
    }
}

#[derive(Debug, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    after: u64,
    limit: Option<u32>,
}

/// The public change log, oldest first, in pages: anyone can fetch it all and recompute
/// the chain (`gongkai_protocol::changelog::verify_chain`).
pub async fn changelog(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<(HeaderMap, Json<Vec<gongkai_protocol::changelog::LogEntry>>), ApiError> {
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let store = st.store.clone();
    let (entries, (len, _)) =
        blocking(move || Ok((store.changelog(q.after, limit)?, store.changelog_head()?))).await?;
    // Says whether there is more, without changing the body old readers parse: the log's
    // length, and (RFC 8288) a link to the next page while this one is not the last.
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        headers.insert("x-changelog-length", v);
    }
    if let Some(last) = entries.last().filter(|e| e.n < len) {
        let next = format!(
            "<{}?after={}&limit={limit}>; rel=\"next\"",
            paths::CHANGELOG,
            last.n
        );
        if let Ok(v) = HeaderValue::from_str(&next) {
            headers.insert(axum::http::header::LINK, v);
        }
    }
    Ok((headers, Json(entries)))
}

/// `GET /v1/changelog/head`: the log's length and last hash, signed now — the anchor
/// kiosks keep and `gongkai-verify` checks.
pub async fn changelog_head(
    State(st): State<AppState>,
) -> Result<Json<gongkai_protocol::changelog::SignedLogHead>, ApiError> {
    let store = st.store.clone();
    let (len, head) = blocking(move || store.changelog_head()).await?;
    Ok(Json(gongkai_protocol::changelog::SignedLogHead::sign(
        gongkai_protocol::changelog::LogHead {
            len,
            head,
            issued_at: st.clock.unix(),
        },
        st.signer.key(),
    )))
}

/// Every version of one item: when it was published, corrected or withdrawn, by whom.
pub async fn item_history(
    State(st): State<AppState>,
    ApiPath((scope, kind, id)): ApiPath<(String, String, String)>,
) -> Result<Json<Vec<gongkai_protocol::changelog::LogEntry>>, ApiError> {
    let scope = parse_scope(&scope)?;
    let kind = gongkai_model::ContentKind::from_key(&kind)
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "bad_kind", "未知内容类型"))?;
    let store = st.store.clone();
    Ok(Json(
        blocking(move || store.item_history(&scope, kind, &id)).await?,
    ))
}
