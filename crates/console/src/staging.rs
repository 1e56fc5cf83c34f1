//! Nothing is published unseen. A posting form (disclosure, finance statement, guide,
//! emergency) first answers with a preview: what residents will see, rendered from the
//! very edits that will be published, and where it goes (how many kiosks, which places).
//! Only the confirmation publishes (or submits for review).
//!
//! The edits travel in the preview page as a sealed token (JSON with an HMAC from a
//! secret derived from the server's signing key), so the confirmation publishes exactly
//! what was shown, any instance behind the balancer can take it, and nobody can change
//! it in between. Attachments and photos are already in the blob store by then
//! (content-addressed), so only their hashes travel. A token is for its user and
//! expires after an hour.

use super::auth::{csrf_field, Session};
use super::shell::{page, ConsoleError, Result};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine;
use gongkai_api::state::AppState;
use gongkai_model::{ContentKind, ScopeId};
use gongkai_store::{Edit, Provenance};
use hmac::{KeyInit, Mac};
use maud::html;
use serde::{Deserialize, Serialize};

type HmacSha256 = hmac::Hmac<sha2_11::Sha256>;

/// A county-wide emergency waiting for its second account is a draft from this source.
pub const EMERGENCY_SOURCE: &str = "emergency";
/// The start of its summary (the review pages word it by this).
pub const EMERGENCY_SUMMARY: &str = "紧急通知";

/// How long a preview can be confirmed.
const TTL_SECS: i64 = 3_600;

#[derive(Debug, Serialize, Deserialize)]
struct Staged {
    user_id: i64,
    scope: String,
    /// (kind key, id, body).
    edits: Vec<(String, String, Option<String>)>,
    title: String,
    summary: String,
    /// An emergency: published at once by a county or township user, never a draft.
    emergency: bool,
    expires_at: i64,
}

fn mac(st: &AppState) -> HmacSha256 {
    let secret = st.signer.derive_secret("console-staged-posting");
    // A 32-byte key is always accepted.
    HmacSha256::new_from_slice(&secret).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
}

fn seal(st: &AppState, staged: &Staged) -> String {
    let json = serde_json::to_vec(staged).unwrap_or_default();
    let mut m = mac(st);
    m.update(&json);
    let tag = hex::encode(m.finalize().into_bytes());
    format!(
        "{}.{tag}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    )
}

fn open(st: &AppState, token: &str) -> Option<Staged> {
    let (body, tag) = token.split_once('.')?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .ok()?;
    let mut m = mac(st);
    m.update(&json);
    m.verify_slice(&hex::decode(tag).ok()?).ok()?;
    serde_json::from_slice(&json).ok()
}

/// The form a posting came from, by its action (`/guides`): its page is the action with
/// `/new`, and "返回修改" fills it back from what the page kept under the action.
pub struct Back(pub &'static str);

/// Answers a posting form with its preview and a confirmation button.
#[allow(clippy::too_many_arguments)]
pub async fn preview(
    st: &AppState,
    session: &Session,
    scope: &ScopeId,
    edits: Vec<Edit>,
    title: String,
    summary: String,
    emergency: bool,
    back: Back,
) -> Result<Response> {
    let user = &session.user;
    if edits.iter().any(|e| e.private_id.is_some()) {
        // Full ID numbers never leave the server, not even inside a sealed token.
        return Err(ConsoleError::bad("这类内容不能预览后发布").for_user(user));
    }
    let first = edits
        .first()
        .map(|e| (e.kind, e.body.clone().unwrap_or_default()));
    let staged = Staged {
        user_id: user.id,
        scope: scope.to_string(),
        edits: edits
            .into_iter()
            .map(|e| (e.kind.key().to_string(), e.id, e.body))
            .collect(),
        title: title.clone(),
        summary,
        emergency,
        expires_at: st.clock.unix() + TTL_SECS,
    };
    let token = seal(st, &staged);
    let reach = super::item::reach(st, scope).await?;
    let scope_name = {
        let sc = scope.clone();
        super::posting::blocking(&st.store, move |s| s.head(&sc))
            .await?
            .name
    };
    let reviewed = !emergency && !user.publishes_directly();
    let two_person = emergency
        && scope.level() == gongkai_model::ScopeLevel::County
        && !st.takeover.single_person;
    Ok(page(
        &format!("预览：{title}"),
        Some(user),
        html! {
            p.waiting role="status" data-testid="reach" {
                @if reviewed { "提交后先由乡镇审核员审核，通过后" }
                @if two_person { "全县紧急通知须另一位县级账号在 " (st.takeover.confirm_secs / 60) " 分钟内确认，确认后立即" }
                @else if emergency { "紧急通知不经审核，确认后立即" }
                (super::item::reach_line(&scope_name, &reach))
            }
            @if let Some((kind, body)) = &first {
                @if let Some(d) = super::item::dates(*kind, body, Some(st.clock.unix())) { p { (d) } }
                h2 { "群众在公开屏上看到的样子" }
                div.resident-frame { (super::item::resident_view(*kind, body, &[])) }
            }
            form.inline method="post" action="/postings/confirm" {
                (csrf_field(session))
                input type="hidden" name="staged" value=(token);
                button type="submit" {
                    @if two_person { "提交另一位县级账号确认" } @else if emergency { "确认立即发布" } @else if reviewed { "确认提交审核" } @else { "确认发布" }
                }
            }
            a.button.secondary href=(format!("{}/new", back.0)) data-back=(back.0) { "返回修改" }
            p.hint { "预览 1 小时内有效；返回修改不会发布任何内容。" }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    staged: String,
}

/// POST /postings/confirm: publishes (or submits) exactly what the preview showed.
pub async fn confirm(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let staged = open(&st, &f.staged)
        .filter(|s| s.user_id == user.id)
        .ok_or_else(|| ConsoleError::bad("预览已失效，请重新填写后预览").for_user(&user))?;
    if staged.expires_at < st.clock.unix() {
        return Err(
            ConsoleError::bad("预览已超过 1 小时，请重新填写后预览，以免发布过时的内容")
                .for_user(&user),
        );
    }
    // The user's rights are checked again now, not trusted from the preview.
    let scope = ScopeId::parse(&staged.scope)
        .ok()
        .filter(|s| user.covers(s) && (!staged.emergency || user.publishes_directly()))
        .ok_or_else(|| ConsoleError::not_found().for_user(&user))?;
    let edits: Vec<Edit> = staged
        .edits
        .into_iter()
        .filter_map(|(kind, id, body)| {
            Some(Edit {
                kind: ContentKind::from_key(&kind)?,
                id,
                body,
                private_id: None,
            })
        })
        .collect();
    if staged.emergency && scope.level() == gongkai_model::ScopeLevel::County {
        if !st.takeover.single_person {
            // Every screen of the county: a second county account confirms it (review
            // queue, within the window); both names go into the change log.
            let minutes = st.takeover.confirm_secs / 60;
            let draft = gongkai_store::NewDraft {
                scope: scope.clone(),
                title: staged.title.clone(),
                summary: format!(
                    "{EMERGENCY_SUMMARY} · 全县所有公开屏 · 须另一位县级账号在 {minutes} 分钟内确认"
                ),
                source: EMERGENCY_SOURCE.into(),
                author_id: user.id,
                edits,
                client_id: None,
            };
            let id = super::posting::blocking(&st.store, move |s| s.submit_draft(&draft))
                .await
                .map_err(|e| e.for_user(&user))?;
            tracing::warn!(user = %user.username, draft = id, "county-wide emergency awaits a second account");
            return Ok(Redirect::to(&format!("/review/{id}")).into_response());
        }
        let by = Provenance::user(&format!(
            "{}（单人发布：县里已启用单人通道）",
            user.display_name
        ));
        super::posting::blocking(&st.store, move |s| s.publish_as(&scope, &edits, &by))
            .await
            .map_err(|e| e.for_user(&user))?;
        tracing::warn!(user = %user.username, title = %staged.title, "county-wide emergency published by one person");
        return Ok(Redirect::to("/history").into_response());
    }
    if staged.emergency {
        let by = Provenance::user(&user.display_name);
        super::posting::blocking(&st.store, move |s| s.publish_as(&scope, &edits, &by))
            .await
            .map_err(|e| e.for_user(&user))?;
        tracing::warn!(user = %user.username, title = %staged.title, "emergency notice published");
        return Ok(Redirect::to("/history").into_response());
    }
    super::posting::publish_or_submit(&st, &user, scope, edits, staged.title, staged.summary).await
}
