//! The console's page shell and how it says things: the page frame with the navigation
//! a role allows and its security headers, the error page, the CSRF field, dates in
//! Beijing time, and text turned safely into markup.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gongkai_model::{ScopeId, ScopeLevel};
use gongkai_store::{StoreError, User};
use maud::{html, Markup, PreEscaped, DOCTYPE};

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
                            a href="/complaints/new" { "代群众登记" }
                            @if u.publishes_directly() { a href="/reports" { "考核" } }
                            a href="/fleet" { "公开屏" }
                            a href="/history" { "公开记录" }
                            span.who { (u.display_name) " · " (u.role.label()) }
                            form.inline method="post" action="/logout" {
                                button.link type="submit" { "退出" }
                            }
                        } @else {
                            a href="/history" { "公开记录" }
                            a href="/scopes" { "签名与核验" }
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

/// The place a form names, if `user` covers it; otherwise "not found", the same answer as
/// for a place that does not exist, so a form cannot probe what lies outside one's scope.
pub fn covered_scope(user: &User, scope: &str) -> Result<ScopeId> {
    ScopeId::parse(scope)
        .ok()
        .filter(|s| user.covers(s))
        .ok_or_else(|| ConsoleError::not_found().for_user(user))
}

pub fn level_label(scope: &ScopeId) -> &'static str {
    match scope.level() {
        ScopeLevel::County => "县",
        ScopeLevel::Township => "乡镇",
        ScopeLevel::Village => "村",
    }
}

pub use gongkai_api::text::paragraphs;

pub fn raw(html: &str) -> PreEscaped<String> {
    PreEscaped(html.to_string())
}
