//! Logins, sessions and CSRF. Passwords are argon2id hashes; a session is a random
//! token in an HttpOnly, SameSite=Strict cookie (Secure behind TLS), stored server-side
//! by its sha256 together with the CSRF token every form must send back. Failed logins
//! are counted in the database per account, so a lock-out holds across instances.

use super::posting::blocking;
use super::shell::{page, ConsoleError, Result};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use gongkai_api::state::AppState;
use gongkai_store::{Store, User};
use maud::{html, Markup};
use serde::Deserialize;

pub const COOKIE: &str = "gk_session";
/// A working day; the console is used at a desk.
const SESSION_SECS: i64 = 8 * 3600;
/// Failed logins allowed per account in `WINDOW_SECS` before it is locked for the rest
/// of the window.
const MAX_FAILURES: u32 = 5;
const WINDOW_SECS: i64 = 15 * 60;
/// Failed logins allowed from one address across all accounts (password spraying).
const MAX_FAILURES_PER_ADDRESS: u32 = 30;

pub fn hash_password(password: &str) -> std::result::Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so a wrong user name
/// costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default())
}

fn random_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A logged-in user on this request.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    token_hash: String,
}

impl Session {
    /// Refuses a POST whose form did not carry this session's CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<()> {
        use subtle_eq::ct_eq;
        if ct_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(ConsoleError::forbidden().for_user(&self.user))
        }
    }
}

/// Constant-time comparison (no early exit on the first differing byte).
mod subtle_eq {
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Not logged in: pages send the browser to the login page and back afterwards.
pub struct LoginRequired(String);

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        let next: String = url_encode(&self.0);
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequestParts<AppState> for Session {
    type Rejection = LoginRequired;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &AppState,
    ) -> std::result::Result<Session, LoginRequired> {
        let next = parts.uri.path().to_string();
        let Some(token) = cookie_value(&parts.headers, COOKIE) else {
            return Err(LoginRequired(next));
        };
        let token_hash = gongkai_api::staff::token_hash(&token);
        let lookup = token_hash.clone();
        let now = st.clock.unix();
        let found = blocking(&st.store, move |s| s.session(&lookup, now)).await;
        match found {
            Ok(Some((user, csrf))) => Ok(Session {
                user,
                csrf,
                token_hash,
            }),
            _ => Err(LoginRequired(next)),
        }
    }
}

/// The session if there is one, for pages that anyone may see.
pub async fn optional(st: &AppState, headers: &HeaderMap) -> Option<Session> {
    let token = cookie_value(headers, COOKIE)?;
    let token_hash = gongkai_api::staff::token_hash(&token);
    let lookup = token_hash.clone();
    let now = st.clock.unix();
    let (user, csrf) = blocking(&st.store, move |s| s.session(&lookup, now))
        .await
        .ok()??;
    Some(Session {
        user,
        csrf,
        token_hash,
    })
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths: never an open redirect to another host.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

fn login_form(next: &str, message: Option<&str>, username: &str) -> Response {
    page(
        "登录",
        None,
        html! {
            @if let Some(m) = message { p.error role="alert" { (m) } }
            form.card method="post" action="/login" {
                input type="hidden" name="next" value=(next);
                label { "用户名" input name="username" value=(username) autocomplete="username" required autofocus; }
                label { "密码" input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { "登录" }
            }
            p.hint { "账号由县政务公开办统一开设。忘记密码请联系县政务公开办重置。" }
        },
    )
}

pub async fn login_page(Query(q): Query<NextQuery>) -> Response {
    login_form(&safe_next(q.next.as_deref()), None, "")
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(st): State<AppState>,
    ip: gongkai_api::error::ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let username = f.username.trim().to_string();
    let key = format!("user:{username}");
    let ip_key = format!("login:ip:{}", ip.0);
    let store = st.store.clone();
    let password = f.password;
    let outcome = tokio::task::spawn_blocking(
        move || -> std::result::Result<LoginOutcome, gongkai_store::StoreError> {
            if store.login_failures(&key, WINDOW_SECS)? >= MAX_FAILURES
                || store.login_failures(&ip_key, WINDOW_SECS)? >= MAX_FAILURES_PER_ADDRESS
            {
                return Ok(LoginOutcome::Locked);
            }
            let found = store.user_for_login(&username)?;
            let ok = match &found {
                Some((_, hash)) => verify_password(&password, hash),
                None => {
                    verify_password(&password, dummy_hash());
                    false
                }
            };
            match (ok, found) {
                (true, Some((user, _))) => {
                    store.clear_login_failures(&key)?;
                    let token = random_token();
                    let csrf = random_token();
                    let expires = st.clock.unix() + SESSION_SECS;
                    store.create_session(
                        &gongkai_api::staff::token_hash(&token),
                        user.id,
                        &csrf,
                        expires,
                    )?;
                    tracing::info!(user = %user.username, "console login");
                    Ok(LoginOutcome::In(token))
                }
                _ => {
                    store.login_failed(&ip_key, WINDOW_SECS)?;
                    let n = store.login_failed(&key, WINDOW_SECS)?;
                    Ok(if n >= MAX_FAILURES {
                        LoginOutcome::Locked
                    } else {
                        LoginOutcome::Wrong(MAX_FAILURES - n)
                    })
                }
            }
        },
    )
    .await;
    let username = f.username.trim();
    match outcome {
        Ok(Ok(LoginOutcome::In(token))) => {
            let secure = is_https(&headers);
            let cookie = format!(
                "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECS}{}",
                if secure { "; Secure" } else { "" }
            );
            let mut resp = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(Ok(LoginOutcome::Wrong(left))) => {
            let mut r = login_form(
                &next,
                Some(&format!(
                    "用户名或密码不正确。再错 {left} 次，该账号将暂停登录 15 分钟。"
                )),
                username,
            );
            *r.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            r
        }
        Ok(Ok(LoginOutcome::Locked)) => {
            let mut r = login_form(
                &next,
                Some(
                    "登录失败次数过多，该账号暂停登录 15 分钟。如非本人操作，请联系县政务公开办。",
                ),
                username,
            );
            *r.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            r
        }
        _ => ConsoleError::from(gongkai_store::StoreError::Refused(
            "登录暂时不可用，请稍后再试".into(),
        ))
        .into_response(),
    }
}

enum LoginOutcome {
    In(String),
    Wrong(u32),
    Locked,
}

/// Behind a TLS-terminating proxy the cookie must be Secure; on plain loopback HTTP
/// (tests, the demo) a browser would drop a Secure cookie.
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}

pub async fn logout(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let hash = session.token_hash.clone();
    blocking(&st.store, move |s| s.delete_session(&hash)).await?;
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("gk_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(resp)
}

/// Creates or resets an account (command line and demo).
pub fn create_user(
    store: &dyn Store,
    username: &str,
    display_name: &str,
    role: gongkai_store::Role,
    scope: &gongkai_model::ScopeId,
    office: &str,
    password: &str,
) -> anyhow::Result<i64> {
    if password.chars().count() < 8 {
        anyhow::bail!("密码至少 8 位");
    }
    let pw_hash = hash_password(password).map_err(anyhow::Error::msg)?;
    Ok(store.create_user(&gongkai_store::NewUser {
        username: username.to_string(),
        display_name: display_name.to_string(),
        role,
        scope: scope.clone(),
        office: office.to_string(),
        pw_hash,
    })?)
}

/// The CSRF field every form carries.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}
