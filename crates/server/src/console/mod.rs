//! The web console served by the central server: server-rendered pages (maud), a little
//! progressive JavaScript (`console.js`, upload progress only), no inline script or
//! style, so the Content-Security-Policy can be `default-src 'self'`.
//!
//! Every page that changes something is a POST with the session's CSRF token, and every
//! handler checks the user's role and scope on the server before reading or writing:
//! what a user may not touch looks exactly like something that does not exist.

pub mod auth;
mod boards;
mod complaints;
mod disclosures;
mod emergency;
mod exports;
mod finance;
mod fleet;
mod guides;
mod history;
mod holidays;
mod home;
mod imports;
mod notices;
mod overview;
mod reports;
mod review;

use crate::api::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use gongkai_model::{ScopeId, ScopeLevel};
use gongkai_store::{Store, StoreError, User};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::sync::Arc;

pub use auth::Session;
pub use notices::publisher as notices_publisher;

/// The largest request the console accepts (list uploads).
pub fn imports_max_upload() -> usize {
    imports::MAX_UPLOAD
}

const CSS: &str = include_str!("console.css");
const JS: &str = include_str!("console.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::index))
        .route("/scopes", get(overview::index))
        .route("/console.css", get(|| async { asset(CSS, "text/css") }))
        .route(
            "/console.js",
            get(|| async { asset(JS, "text/javascript") }),
        )
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/history", get(history::index))
        .route("/history/{scope}/{kind}/{id}", get(history::item))
        .route("/notices/new", get(notices::new_page))
        .route("/notices", post(notices::create))
        .route("/notices/{scope}/{id}/edit", get(notices::edit_page))
        .route("/notices/{scope}/{id}", post(notices::correct))
        .route("/withdraw/{scope}/{kind}/{id}", post(notices::withdraw))
        .route("/disclosures/new", get(disclosures::new_page))
        .route("/disclosures", post(disclosures::create))
        .route("/boards", get(boards::index))
        .route("/boards/objections", post(boards::register))
        .route("/holidays", get(holidays::index).post(holidays::enter))
        .route("/emergency/new", get(emergency::new_page))
        .route("/emergency", post(emergency::create))
        .route("/fleet", get(fleet::index))
        .route("/fleet/enroll", post(fleet::enroll))
        .route("/fleet/posting", get(fleet::posting))
        .route("/fleet/kiosks/{id}", get(fleet::kiosk))
        .route("/fleet/kiosks/{id}/config", post(fleet::set_config))
        .route(
            "/fleet/kiosks/{id}/screenshot",
            post(fleet::request_screenshot),
        )
        .route(
            "/fleet/kiosks/{id}/screenshot.png",
            get(fleet::screenshot_png),
        )
        .route("/guides/new", get(guides::new_page))
        .route("/guides", post(guides::create))
        .route("/finance/new", get(finance::new_page))
        .route("/finance", post(finance::create))
        .route("/imports/new", get(imports::new_page))
        .route("/imports", post(imports::upload))
        .route("/imports/{id}", get(imports::preview))
        .route("/imports/{id}/mapping", post(imports::remap))
        .route("/imports/{id}/publish", post(imports::publish))
        .route("/imports/{id}/discard", post(imports::discard))
        .route("/review", get(review::queue))
        .route("/review/{id}", get(review::detail).post(review::decide))
        .route("/drafts", get(review::mine))
        .route("/complaints", get(complaints::inbox))
        .route(
            "/complaints/{code}",
            get(complaints::detail).post(complaints::act),
        )
        .route("/exports/complaints.xlsx", get(exports::complaints))
        .route("/reports", get(reports::index))
        .route("/reports/{file}", get(reports::xlsx))
        .route(
            "/kiosk-code",
            get(crate::cadre::code_page).post(crate::cadre::issue_code),
        )
        .route(
            "/exports/subsidy/{scope}/{list}",
            get(exports::subsidy_list),
        )
}

fn asset(body: &'static str, mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// A page as the browser gets it: the shell with the navigation the user's role allows,
/// and headers that keep it from being framed or running anything but our own script.
pub fn page(title: &str, user: Option<&User>, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 公开 · 政务村务公开管理平台" }
                link rel="stylesheet" href="/console.css";
                script src="/console.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "公开 · 政务村务公开管理平台" }
                    nav {
                        @if let Some(u) = user {
                            a href="/" { "工作台" }
                            @if u.publishes_directly() {
                                a href="/review" { "审核" }
                            } @else {
                                a href="/drafts" { "我的稿件" }
                            }
                            @if !u.office.is_empty() {
                                a href="/complaints" { "诉求办理" }
                            }
                            @if u.publishes_directly() { a href="/reports" { "考核" } }
                            a href="/fleet" { "公开屏" }
                            a href="/history" { "公开记录" }
                            span.who { (u.display_name) " · " (u.role.label()) }
                            form.inline method="post" action="/logout" {
                                button.link type="submit" { "退出" }
                            }
                        } @else {
                            a href="/history" { "公开记录" }
                            a href="/scopes" { "发布区域" }
                            a href="/login" { "登录" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    let mut resp = markup.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// An error page. Forbidden and missing things both answer 404 with the same words, so
/// probing another village's drafts or filings learns nothing.
#[derive(Debug)]
pub struct ConsoleError {
    status: StatusCode,
    message: String,
    /// Boxed: the error travels through every handler's Result.
    user: Option<Box<User>>,
}

impl ConsoleError {
    pub fn not_found() -> ConsoleError {
        ConsoleError {
            status: StatusCode::NOT_FOUND,
            message: "没有找到，或您没有查看的权限。".into(),
            user: None,
        }
    }

    pub fn bad(message: impl Into<String>) -> ConsoleError {
        ConsoleError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
            user: None,
        }
    }

    pub fn forbidden() -> ConsoleError {
        ConsoleError {
            status: StatusCode::FORBIDDEN,
            message: "页面已过期或请求无效，请返回后刷新页面再试。".into(),
            user: None,
        }
    }

    pub fn for_user(mut self, user: &User) -> ConsoleError {
        self.user = Some(Box::new(user.clone()));
        self
    }
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> ConsoleError {
        match e {
            StoreError::Refused(m) => ConsoleError::bad(m),
            StoreError::BadBody { reason, .. } => ConsoleError::bad(format!("内容有误：{reason}")),
            StoreError::UnmaskedId {
                kind,
                title,
                place,
                masked,
                ..
            } => ConsoleError::bad(format!(
                "{}“{title}”的{place}里有完整的身份证号（{masked}），不能公开。\
                 请只保留前 4 位和后 4 位，中间用 * 代替。",
                kind.label()
            )),
            StoreError::UnknownScope(_) => ConsoleError::not_found(),
            other => {
                tracing::error!(error = %other, "console store error");
                ConsoleError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "服务器内部错误，请稍后再试。已保存的内容不受影响。".into(),
                    user: None,
                }
            }
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "没有找到",
            StatusCode::FORBIDDEN => "请求无效",
            StatusCode::UNPROCESSABLE_ENTITY => "无法完成",
            _ => "出错了",
        };
        let body = html! {
            p.error { (self.message) }
            p { "请用浏览器的“后退”回到上一页，或 " a href="/" { "回到首页" } "。" }
        };
        let mut resp = page(title, self.user.as_deref(), body);
        *resp.status_mut() = self.status;
        resp
    }
}

pub type Result<T> = std::result::Result<T, ConsoleError>;

/// Runs a store call on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&dyn Store) -> std::result::Result<T, StoreError> + Send + 'static,
) -> Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|_| ConsoleError::from(StoreError::Refused("任务失败".into())))?
        .map_err(ConsoleError::from)
}

/// The scopes a user may post to, with names, county first.
pub async fn scopes_for(st: &AppState, user: &User) -> Result<Vec<(ScopeId, String)>> {
    let user = user.clone();
    blocking(&st.store, move |s| {
        Ok(s.heads()?
            .into_iter()
            .filter(|h| user.covers(&h.scope))
            .map(|h| (h.scope, h.name))
            .collect())
    })
    .await
}

pub fn level_label(scope: &ScopeId) -> &'static str {
    match scope.level() {
        ScopeLevel::County => "县",
        ScopeLevel::Township => "乡镇",
        ScopeLevel::Village => "村",
    }
}

/// Beijing time for display.
pub fn beijing(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            (t + chrono::Duration::seconds(gongkai_model::calendar::BEIJING_OFFSET_SECS))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Publishes directly when the user may and nothing in `edits` replaces public content;
/// otherwise queues a draft for 保密审查 — every correction is reviewed, whoever sends it.
/// Answers with where to go next: the public record, or the draft.
pub async fn publish_or_submit(
    st: &AppState,
    user: &User,
    scope: ScopeId,
    edits: Vec<gongkai_store::Edit>,
    title: String,
    summary: String,
) -> Result<Response> {
    let u = user.clone();
    let draft = blocking(&st.store, move |s| {
        let replaces = edits
            .iter()
            .any(|e| s.item_body(&scope, e.kind, &e.id).ok().flatten().is_some());
        if u.publishes_directly() && !replaces {
            s.publish_as(
                &scope,
                &edits,
                &gongkai_store::Provenance::user(&u.display_name),
            )?;
            return Ok(None);
        }
        let draft = gongkai_store::NewDraft {
            scope,
            title,
            summary,
            source: "console".into(),
            author_id: u.id,
            edits,
            client_id: None,
        };
        s.submit_draft(&draft).map(Some)
    })
    .await
    .map_err(|e| e.for_user(user))?;
    let to = match draft {
        None => "/history".to_string(),
        Some(id) => format!("/review/{id}"),
    };
    Ok(axum::response::Redirect::to(&to).into_response())
}

/// A multipart form read whole: text fields, and files `(field, file name, bytes)` for the
/// named file fields (empty file inputs left out). A broken or oversized upload is a
/// Chinese error, never a half-read form.
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl Upload {
    /// Reads the form and checks its CSRF token against the session.
    pub async fn read(
        mut multipart: axum::extract::Multipart,
        file_fields: &[&str],
        session: &Session,
    ) -> Result<Upload> {
        let user = &session.user;
        let broken = || ConsoleError::bad("上传中断或文件过大，请重试").for_user(user);
        let mut out = Upload {
            fields: Default::default(),
            files: Vec::new(),
        };
        while let Some(field) = multipart.next_field().await.map_err(|_| broken())? {
            let name = field.name().unwrap_or_default().to_string();
            if file_fields.contains(&name.as_str()) {
                let file = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| broken())?;
                if !bytes.is_empty() {
                    out.files.push((name, file, bytes.to_vec()));
                }
            } else {
                out.fields
                    .insert(name, field.text().await.map_err(|_| broken())?);
            }
        }
        session.check_csrf(&out.get("csrf"))?;
        Ok(out)
    }

    /// A text field, trimmed ("" when absent).
    pub fn get(&self, key: &str) -> String {
        self.fields
            .get(key)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// The files sent in one field.
    pub fn take(&mut self, field: &str) -> Vec<(String, Vec<u8>)> {
        let (mine, rest) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|(f, _, _)| f == field);
        self.files = rest;
        mine.into_iter().map(|(_, n, b)| (n, b)).collect()
    }
}

/// The CSRF field every form carries.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// Text as paragraphs of escaped HTML (notices typed in a plain text box).
pub fn paragraphs(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("<p>{}</p>", maud::html! { (l) }.into_string()))
        .collect()
}

pub fn raw(html: &str) -> PreEscaped<String> {
    PreEscaped(html.to_string())
}
