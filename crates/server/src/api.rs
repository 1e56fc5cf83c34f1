//! The HTTP API kiosks talk to (sync protocol v1, docs/protocol.md). Errors leave every
//! handler as one JSON shape, `{ code, message }`, built in one place.

use crate::console;
use crate::signer::{etag, Signer};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use gongkai_model::ScopeId;
use gongkai_protocol::{ChangePage, ResetRequired, PROTOCOL_VERSION};
use gongkai_store::blobs::BlobStore;
use gongkai_store::{Store, StoreError};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub signer: Arc<Signer>,
    pub blobs: Arc<BlobStore>,
    /// Largest page a kiosk may ask for.
    pub max_page: u32,
    /// The years of the working-day calendar shipped with Gongkai; deadlines are counted
    /// on it with the county's entered years laid over it (`workdays::calendar`).
    pub calendar: Arc<gongkai_model::calendar::Calendar>,
    /// The county's time limits by kind of filing.
    pub limits: Arc<gongkai_model::complaint::Limits>,
    /// Request rate limits on the public endpoints.
    pub rate: RateLimits,
    /// When kiosks count as offline or behind, and where alerts go.
    pub fleet: crate::fleet::FleetSettings,
    /// The one clock every handler and sweep reads.
    pub clock: crate::clock::Clock,
}

impl AppState {
    /// A server over `store` and `blobs` signing with `signer`, with the defaults `serve`
    /// starts with (pages of 2,000, the official calendar, the statutory time limits, the
    /// default rate limits and fleet thresholds); set other fields with `..AppState::new`.
    pub fn new(store: Arc<dyn Store>, blobs: BlobStore, signer: Signer) -> AppState {
        AppState {
            store,
            signer: Arc::new(signer),
            blobs: Arc::new(blobs),
            max_page: 2000,
            calendar: Arc::new(gongkai_model::calendar::Calendar::official()),
            limits: Arc::new(gongkai_model::complaint::Limits::default()),
            rate: RateLimits::default(),
            fleet: crate::fleet::FleetSettings::default(),
            clock: crate::clock::Clock::system(),
        }
    }
}

/// How many requests the public endpoints take before answering 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Filing uploads per kiosk id per hour: far above what a busy kiosk sends even when
    /// catching up after a week offline (a refused upload stays in the kiosk's outbox
    /// and is retried later, so nothing is lost either way).
    pub uploads_per_hour_kiosk: u32,
    /// Filing uploads per client address per hour.
    pub uploads_per_hour_address: u32,
    /// Code lookups per client address per ten minutes.
    pub lookups_per_10_min: u32,
    /// Kiosk enrollments per client address per ten minutes (a token is 20 characters
    /// from 31, so guessing is hopeless anyway; this keeps the attempts from flooding).
    pub enrolls_per_10_min: u32,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            uploads_per_hour_kiosk: 300,
            uploads_per_hour_address: 1000,
            lookups_per_10_min: 120,
            enrolls_per_10_min: 30,
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::UnknownScope(s) => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_scope",
                format!("未知区域 {s}"),
            ),
            StoreError::Refused(message) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", message)
            }
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

/// `axum::Json` whose rejection (not JSON, wrong shape, wrong content type) is our JSON
/// error like every other, as the OpenAPI document says.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(ApiError::new(
                r.status(),
                "bad_json",
                format!("请求内容不是所要求的 JSON：{}", r.body_text()),
            )),
        }
    }
}

/// `axum::extract::Query` with our JSON error on a bad query string.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => Err(ApiError::new(
                r.status(),
                "bad_query",
                format!("查询参数有误：{}", r.body_text()),
            )),
        }
    }
}

/// `axum::extract::Path` with our JSON error on a bad path segment.
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(r) => Err(ApiError::new(
                r.status(),
                "bad_path",
                format!("地址有误：{}", r.body_text()),
            )),
        }
    }
}

/// The client's address for rate limits: the connection's peer (present when served with
/// `into_make_service_with_connect_info`), else "unknown".
pub struct ClientIp(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<ClientIp, std::convert::Infallible> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

/// Counts one request under each key and refuses with 429 once any is over its limit in
/// the window. Counted in the database, so the limit holds across server instances.
pub async fn rate_limit(
    st: &AppState,
    keys: Vec<(String, u32)>,
    window_secs: i64,
) -> Result<(), ApiError> {
    let store = st.store.clone();
    let over = tokio::task::spawn_blocking(move || -> Result<bool, StoreError> {
        let mut over = false;
        for (key, limit) in keys {
            over |= store.login_failed(&key, window_secs)? > limit;
        }
        Ok(over)
    })
    .await
    .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "任务失败"))??;
    if over {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "请求过于频繁，请稍后再试",
        ));
    }
    Ok(())
}

fn parse_scope(code: &str) -> Result<ScopeId, ApiError> {
    ScopeId::parse(code)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_scope", e.to_string()))
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "任务失败"))?
        .map_err(ApiError::from)
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/pubkey", get(pubkey))
        .route("/v1/scopes/{scope}/head", get(head))
        .route("/v1/scopes/{scope}/changes", get(changes))
        .route("/v1/blobs/{name}", get(blob))
        .route("/v1/changelog", get(changelog))
        .route(
            "/v1/scopes/{scope}/items/{kind}/{id}/history",
            get(item_history),
        )
        .route("/v1/complaints", axum::routing::post(crate::intake::upload))
        .route("/v1/complaints/{code}", get(crate::intake::lookup))
        .route(
            "/v1/cadre/unlock",
            axum::routing::post(crate::cadre::unlock),
        )
        .route(
            "/v1/cadre/notices",
            axum::routing::post(crate::cadre::post_notice)
                .layer(axum::extract::DefaultBodyLimit::max(48 * 1024 * 1024)),
        )
        .route("/v1/cadre/drafts", get(crate::cadre::my_drafts))
        .route(
            "/v1/kiosks/enroll",
            axum::routing::post(crate::fleet::enroll),
        )
        .route(
            crate::fleet::HEARTBEAT_PATH,
            axum::routing::post(crate::fleet::heartbeat)
                .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .route(
            crate::fleet::SCREENSHOT_PATH,
            axum::routing::post(crate::fleet::screenshot)
                .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024)),
        )
        .route(
            "/v1/kiosks/{id}/display-log",
            get(crate::fleet::display_log),
        )
        .route(
            "/v1/updates/{package}/latest",
            get(crate::fleet::latest_update),
        )
        .route("/v1/staff/complaints", get(crate::staff::list))
        .route("/v1/staff/complaints/{code}", get(crate::staff::detail))
        .route(
            "/v1/staff/complaints/{code}/actions",
            axum::routing::post(crate::staff::act),
        )
        .merge(
            console::routes().layer(axum::extract::DefaultBodyLimit::max(
                console::imports_max_upload(),
            )),
        )
        .with_state(state)
}

/// The API described for clients and for the conformance run (schemathesis).
async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

/// Liveness for the load balancer: 200 only while this instance can reach its database
/// (within two seconds), so an instance cut off from a shared database is taken out of
/// rotation while the others serve.
async fn health(State(st): State<AppState>) -> Response {
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

async fn pubkey(State(st): State<AppState>) -> Json<serde_json::Value> {
    let key = st.signer.public();
    Json(serde_json::json!({ "key_id": key.key_id(), "public_key": key.to_base64() }))
}

async fn head(
    State(st): State<AppState>,
    ApiPath(code): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scope = parse_scope(&code)?;
    // Answered inline when the store can (no blocking-pool hop for the request thousands
    // of kiosks repeat); otherwise on a blocking thread.
    let head = match st.store.poll_head_now(&scope) {
        Some(head) => head?,
        None => {
            let (store, scope) = (st.store.clone(), scope.clone());
            blocking(move || store.poll_head(&scope)).await?
        }
    };
    let cp = st.signer.checkpoint(&head, st.clock.unix());
    let tag = etag(&cp);
    let tag_value = HeaderValue::from_str(&tag)
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "etag"))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag_value)]).into_response());
    }
    Ok((
        [
            (header::ETAG, tag_value),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        Json(cp),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    epoch: u64,
    since: u64,
    limit: Option<u32>,
}

async fn changes(
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
async fn blob(
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
struct LogQuery {
    #[serde(default)]
    after: u64,
    limit: Option<u32>,
}

/// The public change log, oldest first, in pages: anyone can fetch it all and recompute
/// the chain (`gongkai_protocol::changelog::verify_chain`).
async fn changelog(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<Json<Vec<gongkai_protocol::changelog::LogEntry>>, ApiError> {
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let store = st.store.clone();
    Ok(Json(
        blocking(move || store.changelog(q.after, limit)).await?,
    ))
}

/// Every version of one item: when it was published, corrected or withdrawn, by whom.
async fn item_history(
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
