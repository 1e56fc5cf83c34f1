//! How requests go wrong, in one place: `ApiError` and the one JSON shape every handler
//! answers with (`{ code, message }`), the extractors that turn bad JSON, queries and
//! paths into it, the client address, rate limits, and running store work off the async
//! workers.

use crate::state::AppState;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gongkai_model::ScopeId;
use gongkai_store::StoreError;

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

pub fn parse_scope(code: &str) -> Result<ScopeId, ApiError> {
    ScopeId::parse(code)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_scope", e.to_string()))
}

pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "任务失败"))?
        .map_err(ApiError::from)
}
