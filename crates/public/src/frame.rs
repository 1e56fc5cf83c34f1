//! The frame of every public page: head, the place's name and way back, the 关怀
//! switches, and the footer that names the signed data the page shows. Also how a page
//! fails (in Chinese, with a way back) and the store reads off the async workers.

use super::{Place, Prefs, Public, BASE};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use gongkai_model::calendar::beijing_reading;
use gongkai_model::ScopeId;
use gongkai_store::{Store, StoreError};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::sync::Arc;

/// How a public page fails. Whatever a kiosk of the place would not show is `NotFound`.
#[derive(Debug)]
pub(crate) enum PageError {
    NotFound,
    /// Too many lookups from one address.
    TooMany,
    Store(String),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> PageError {
        match e {
            StoreError::UnknownScope(_) => PageError::NotFound,
            other => PageError::Store(other.to_string()),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "没有找到这一页",
                "这一页不存在，或者内容已经不再公开。请回到首页重新选择。",
            ),
            PageError::TooMany => (
                StatusCode::TOO_MANY_REQUESTS,
                "查询太频繁",
                "同一网络查询次数太多，请十分钟后再试。",
            ),
            PageError::Store(e) => {
                tracing_error(&e);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "暂时无法显示",
                    "服务器暂时出错，请稍后再试。",
                )
            }
        };
        let body = html! {
            h1 { (title) }
            p { (text) }
            p { a.button href={(BASE) "/"} { "回到首页" } }
        };
        let mut r = document(
            title,
            Prefs::default(),
            gongkai_protocol::paths::public::ROOT,
            body,
        )
        .into_response();
        *r.status_mut() = status;
        r
    }
}

fn tracing_error(e: &str) {
    // The store's words are for the log, never for the visitor.
    tracing::warn!("public page: {e}");
}

pub(crate) type PageResult = Result<Response, PageError>;

/// Runs a store read on the blocking pool.
pub(crate) async fn read<T: Send + 'static>(
    st: &Public,
    f: impl FnOnce(&Arc<dyn Store>) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, PageError> {
    let store = st.app.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| PageError::Store(e.to_string()))?
        .map_err(PageError::from)
}

/// The place named in the path, with its chain of heads; a malformed or unknown code is
/// a missing page.
pub(crate) async fn place(st: &Public, code: &str) -> Result<Place, PageError> {
    let scope = ScopeId::parse(code).map_err(|_| PageError::NotFound)?;
    let chain_ids = scope.chain();
    let chain = read(st, move |s| {
        chain_ids
            .iter()
            .map(|id| s.head(id))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    Ok(Place { scope, chain })
}

/// "数据更新于 2026年12月3日 19:30 · 内容指纹 1A2B-3C4D": the oldest signature time among the
/// place's checkpoints as a kiosk gets them now, and the fingerprint of their state
/// hashes — the same two figures the place's kiosk shows when it shows the same content.
pub(crate) fn signed_line(st: &Public, place: &Place) -> (String, String) {
    let now = st.app.clock.unix();
    let oldest = place
        .chain
        .iter()
        .map(|h| st.app.signer.checkpoint(h, now).checkpoint.issued_at)
        .min()
        .unwrap_or(now);
    let fingerprint = gongkai_protocol::fingerprint(
        place
            .chain
            .iter()
            .map(|h| (h.scope.as_str(), &h.state_hash)),
    );
    (beijing_reading(oldest), fingerprint)
}

/// A page of one place: its name, a way back to the place's page, the content, the 关怀
/// switches and the signed footer.
pub(crate) fn page(
    st: &Public,
    place: &Place,
    prefs: Prefs,
    here: &str,
    title: &str,
    body: Markup,
) -> Response {
    let (signed, fingerprint) = signed_line(st, place);
    let home = super::place_path(place.scope.as_str());
    let content = html! {
        nav.place aria-label="所在地区" {
            @for (i, h) in place.chain.iter().rev().enumerate() {
                @if i > 0 { span.sep { " › " } }
                @if h.scope == place.scope && here == home {
                    strong { (h.name) }
                } @else {
                    a href=(super::place_path(h.scope.as_str())) { (h.name) }
                }
            }
        }
        main {
            @if here != home { h1 { (title) } }
            (body)
        }
        footer {
            p.signed {
                "数据更新于 " strong { (signed) }
                " · 内容指纹 " strong.fingerprint { (fingerprint) }
            }
            p.hint { "这是中心服务器签名的时间。与村里公开屏右上角的“数据更新于”和“内容指纹”一致，说明两处内容完全相同。" a href="/scopes" { "怎样核对" } }
        }
    };
    document(title, prefs, here, content).into_response()
}

/// The HTML document around any page: no script, one stylesheet, the 关怀 switches.
pub(crate) fn document(title: &str, prefs: Prefs, here: &str, content: Markup) -> Response {
    let class = match (prefs.large, prefs.contrast) {
        (true, true) => "large contrast",
        (true, false) => "large",
        (false, true) => "contrast",
        (false, false) => "",
    };
    let back = path_query(here);
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="format-detection" content="telephone=no";
                title { (title) " · 政务村务公开" }
                link rel="stylesheet" href={(BASE) "/m.css"};
            }
            body class=(class) {
                nav.care aria-label="关怀模式" {
                    a href={(BASE) "/prefs?toggle=large&back=" (back)} aria-pressed=(prefs.large) { @if prefs.large { "标准字" } @else { "大字" } }
                    a href={(BASE) "/prefs?toggle=contrast&back=" (back)} aria-pressed=(prefs.contrast) { @if prefs.contrast { "标准色" } @else { "高对比" } }
                }
                (content)
            }
        }
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        markup,
    )
        .into_response()
}

/// `here` made safe to carry in a query string.
fn path_query(here: &str) -> String {
    gongkai_protocol::paths::public::encode(here, b"/-_.")
}

/// Sanitized rich text as published (the store's allow-list), to embed as it is.
pub(crate) fn rich(html: &str) -> PreEscaped<String> {
    PreEscaped(gongkai_store::sanitize::clean(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_stays_a_path() {
        assert_eq!(
            path_query("/m/419901?p=2&x=\"y\""),
            "/m/419901%3Fp%3D2%26x%3D%22y%22"
        );
        assert_eq!(path_query("/m/1/%E7"), "/m/1/%25E7");
    }
}
