//! 通知公告 from the console: a plain text box (turned into escaped paragraphs, then
//! sanitized like every rich text), publish and expiry dates, and a scope the user
//! covers. A cadre's notice becomes a draft for the township's review; others publish.

use super::auth::csrf_field;
use super::auth::Session;
use super::posting::scopes_for;
use super::shell::{covered_scope, page, paragraphs, ConsoleError, Result};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{NaiveDate, TimeZone, Utc};
use gongkai_api::state::AppState;
use gongkai_model::{ContentKind, Notice, ScopeId};
use gongkai_store::{Edit, NewDraft};
use maud::html;
use serde::Deserialize;

pub async fn new_page(session: Session, State(st): State<AppState>) -> Result<Response> {
    let today = st.clock.today();
    let values = NoticeForm {
        publish_on: today.to_string(),
        ..NoticeForm::default()
    };
    notice_form(&st, &session, &values).await
}

/// The new-notice form, empty or with what the clerk wrote (back from the preview).
async fn notice_form(st: &AppState, session: &Session, v: &NoticeForm) -> Result<Response> {
    let user = &session.user;
    let scopes = scopes_for(st, user).await?;
    Ok(page(
        "发布通知公告",
        Some(user),
        html! {
            @if !user.publishes_directly() {
                p.hint { "提交后由乡镇审核员审核（保密审查），通过后出现在公开屏上。" }
            }
            form.card method="post" action="/notices" {
                (csrf_field(session))
                label { "发布到"
                    select name="scope" required {
                        @for (code, name) in &scopes {
                            option value=(code.as_str()) selected[code.as_str() == v.scope] { (name) "（" (super::shell::level_label(code)) "）" }
                        }
                    }
                }
                label { "标题" input name="title" maxlength="60" required placeholder="例：关于召开村民代表会议的通知" value=(v.title); }
                label { "正文（每段一行）" textarea name="body" rows="8" required { (v.body) } }
                div.row {
                    label { "公开日期" input type="date" name="publish_on" value=(v.publish_on) required; }
                    label { "截止日期（可不填）" input type="date" name="expire_on" value=(v.expire_on); }
                }
                input type="hidden" name="step" value="preview";
                button type="submit" { "预览" }
            }
        },
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct NoticeForm {
    csrf: String,
    scope: String,
    title: String,
    body: String,
    publish_on: String,
    #[serde(default)]
    expire_on: String,
    /// "preview" (the default: nothing is published without being seen first), "edit"
    /// (back to the form) or "confirm".
    #[serde(default)]
    step: String,
}

pub use gongkai_api::text::publisher;

/// 09:00 Beijing time on a date, as UTC.
fn morning(date: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(1, 0, 0).unwrap_or_default())
}

/// A new item's id: the time it was made (for a person reading ids) and random bits.
pub fn new_item_id(prefix: &str, now: chrono::DateTime<Utc>) -> String {
    let r: u32 = rand::random();
    format!("{prefix}-{}-{r:08x}", now.format("%Y%m%d%H%M%S"))
}

pub async fn create(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<NoticeForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    if f.step == "edit" {
        return notice_form(&st, &session, &f).await;
    }
    let user = session.user.clone();
    let bad = |m: &str| ConsoleError::bad(m).for_user(&user);
    let scope = ScopeId::parse(&f.scope).map_err(|_| bad("请选择发布到哪里"))?;
    let scopes = scopes_for(&st, &user).await?;
    let Some((_, scope_name)) = scopes.iter().find(|(c, _)| *c == scope) else {
        return Err(ConsoleError::not_found().for_user(&user));
    };
    let title = f.title.trim();
    if title.is_empty() || f.body.trim().is_empty() {
        return Err(bad("标题和正文都要填写"));
    }
    let publish_on: NaiveDate = f.publish_on.parse().map_err(|_| bad("公开日期格式不对"))?;
    let expire_at = match f.expire_on.trim() {
        "" => None,
        d => {
            let date: NaiveDate = d.parse().map_err(|_| bad("截止日期格式不对"))?;
            if date < publish_on {
                return Err(bad("截止日期不能早于公开日期"));
            }
            // Shown through the whole last day.
            Some(morning(date) + chrono::Duration::hours(15))
        }
    };
    let notice = Notice {
        title: title.to_string(),
        publisher: publisher(&scope, scope_name),
        body_html: paragraphs(&f.body),
        publish_at: morning(publish_on),
        expire_at,
        images: vec![],
    };
    if f.step != "confirm" {
        return preview(&st, &session, &f, &scope, scope_name, &notice).await;
    }
    let edit = Edit::put(
        ContentKind::Notice,
        new_item_id("notice", st.clock.now()),
        &notice,
    );
    let title = notice.title.clone();
    super::posting::publish_or_submit(&st, &user, scope, vec![edit], title, "通知公告".into()).await
}

/// What residents will see and where, before anything is sent: confirm, or go back to
/// the form with everything as written.
async fn preview(
    st: &AppState,
    session: &Session,
    f: &NoticeForm,
    scope: &ScopeId,
    scope_name: &str,
    notice: &Notice,
) -> Result<Response> {
    let user = &session.user;
    let body = serde_json::to_string(notice).unwrap_or_default();
    let reach = super::item::reach(st, scope).await?;
    let hidden = |step: &'static str| {
        html! {
            (csrf_field(session))
            input type="hidden" name="scope" value=(f.scope);
            input type="hidden" name="title" value=(f.title);
            input type="hidden" name="body" value=(f.body);
            input type="hidden" name="publish_on" value=(f.publish_on);
            input type="hidden" name="expire_on" value=(f.expire_on);
            input type="hidden" name="step" value=(step);
        }
    };
    Ok(page(
        "预览通知公告",
        Some(user),
        html! {
            p.waiting role="status" data-testid="reach" {
                @if !user.publishes_directly() { "提交后先由乡镇审核员审核，通过后" }
                (super::item::reach_line(scope_name, &reach))
            }
            @if let Some(d) = super::item::dates(ContentKind::Notice, &body, None) { p { (d) } }
            h2 { "群众在公开屏上看到的样子" }
            div.resident-frame { (super::item::resident_view(ContentKind::Notice, &body, &[])) }
            form.inline method="post" action="/notices" {
                (hidden("confirm"))
                button type="submit" { @if user.publishes_directly() { "确认发布" } @else { "确认提交审核" } }
            }
            form.inline method="post" action="/notices" {
                (hidden("edit"))
                button.secondary type="submit" { "返回修改" }
            }
        },
    ))
}

/// The live notice, if the user covers its scope.
async fn live_notice(
    st: &AppState,
    user: &gongkai_store::User,
    scope: &str,
    id: &str,
) -> Result<(ScopeId, Notice)> {
    let scope = covered_scope(user, scope)?;
    let (sc, i) = (scope.clone(), id.to_string());
    let body = super::posting::blocking(&st.store, move |s| {
        s.item_body(&sc, ContentKind::Notice, &i)
    })
    .await?
    .ok_or_else(|| ConsoleError::not_found().for_user(user))?;
    let notice =
        serde_json::from_str(&body).map_err(|_| ConsoleError::not_found().for_user(user))?;
    Ok((scope, notice))
}

/// Paragraphs of sanitized HTML back to the plain text the form edits.
fn plain_text(html: &str) -> String {
    gongkai_model::history::text_lines(
        ContentKind::Notice,
        &serde_json::json!({
            "title": "", "publisher": "", "body_html": html,
            "publish_at": "2000-01-01T00:00:00Z", "expire_at": null
        })
        .to_string(),
    )
    .into_iter()
    .skip(1) // the empty title line
    .collect::<Vec<_>>()
    .join("\n")
}

/// 更正: the notice in the form, to be changed and sent for review.
pub async fn edit_page(
    session: Session,
    State(st): State<AppState>,
    axum::extract::Path((scope, id)): axum::extract::Path<(String, String)>,
) -> Result<Response> {
    let user = &session.user;
    let (scope, n) = live_notice(&st, user, &scope, &id).await?;
    let to_date = |t: chrono::DateTime<Utc>| gongkai_model::calendar::beijing_date(t).to_string();
    Ok(page(
        "更正通知",
        Some(user),
        html! {
            p.hint { "更正会先送审核（保密审查），审核通过后替换公开屏上的内容。原来的版本会保留在修改记录里，群众可以看到改了什么。" }
            form.card method="post" action=(format!("/notices/{}/{}", scope, id)) {
                (csrf_field(&session))
                label { "标题" input name="title" maxlength="60" required value=(n.title); }
                label { "正文（每段一行）" textarea name="body" rows="8" required { (plain_text(&n.body_html)) } }
                div.row {
                    label { "公开日期" input type="date" name="publish_on" value=(to_date(n.publish_at)) required; }
                    label { "截止日期（可不填）" input type="date" name="expire_on" value=(n.expire_at.map(to_date).unwrap_or_default()); }
                }
                label { "更正说明（审核人会看到）" input name="why" required placeholder="例：会议时间改为28日下午"; }
                button type="submit" { "提交审核" }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct CorrectionForm {
    csrf: String,
    title: String,
    body: String,
    publish_on: String,
    #[serde(default)]
    expire_on: String,
    #[serde(default)]
    why: String,
}

pub async fn correct(
    session: Session,
    State(st): State<AppState>,
    axum::extract::Path((scope, id)): axum::extract::Path<(String, String)>,
    Form(f): Form<CorrectionForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let bad = |m: &str| ConsoleError::bad(m).for_user(&user);
    let (scope, old) = live_notice(&st, &user, &scope, &id).await?;
    if f.title.trim().is_empty() || f.body.trim().is_empty() {
        return Err(bad("标题和正文都要填写"));
    }
    if f.why.trim().is_empty() {
        return Err(bad("请写明更正说明"));
    }
    let publish_on: NaiveDate = f.publish_on.parse().map_err(|_| bad("公开日期格式不对"))?;
    let expire_at = match f.expire_on.trim() {
        "" => None,
        d => Some(
            morning(d.parse().map_err(|_| bad("截止日期格式不对"))?) + chrono::Duration::hours(15),
        ),
    };
    let notice = Notice {
        title: f.title.trim().to_string(),
        publisher: old.publisher.clone(),
        body_html: paragraphs(&f.body),
        publish_at: morning(publish_on),
        expire_at,
        images: old.images.clone(),
    };
    let draft = NewDraft {
        scope,
        title: format!("更正：{}", notice.title),
        summary: format!("更正 · {}", f.why.trim()),
        source: "console".into(),
        author_id: user.id,
        edits: vec![Edit::put(ContentKind::Notice, id, &notice)],
        client_id: None,
    };
    let draft_id = super::posting::blocking(&st.store, move |s| s.submit_draft(&draft))
        .await
        .map_err(|e| e.for_user(&user))?;
    Ok(Redirect::to(&format!("/review/{draft_id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    csrf: String,
    #[serde(default)]
    why: String,
}

/// Kinds a console user may withdraw one by one.
const WITHDRAWABLE: &[ContentKind] = &[
    ContentKind::Notice,
    ContentKind::Disclosure,
    ContentKind::Guide,
    ContentKind::RelocationBoard,
    ContentKind::Finance,
];

/// 撤回: a draft that removes an item, reviewed like any other change.
pub async fn withdraw(
    session: Session,
    State(st): State<AppState>,
    axum::extract::Path((scope, kind, id)): axum::extract::Path<(String, String, String)>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let not_found = || ConsoleError::not_found().for_user(&user);
    let scope = covered_scope(&user, &scope)?;
    let kind = ContentKind::from_key(&kind)
        .filter(|k| WITHDRAWABLE.contains(k))
        .ok_or_else(not_found)?;
    if f.why.trim().is_empty() {
        return Err(ConsoleError::bad("请写明撤回原因").for_user(&user));
    }
    let (sc, i) = (scope.clone(), id.clone());
    let body = super::posting::blocking(&st.store, move |s| s.item_body(&sc, kind, &i))
        .await?
        .ok_or_else(not_found)?;
    let title = gongkai_model::summarize(kind, &body)
        .map(|s| s.title)
        .unwrap_or_else(|_| id.clone());
    let draft = NewDraft {
        scope,
        title: format!("撤回：{title}"),
        summary: format!("撤回 · {}", f.why.trim()),
        source: "console".into(),
        author_id: user.id,
        edits: vec![Edit::delete(kind, id)],
        client_id: None,
    };
    let draft_id = super::posting::blocking(&st.store, move |s| s.submit_draft(&draft))
        .await
        .map_err(|e| e.for_user(&user))?;
    Ok(Redirect::to(&format!("/review/{draft_id}")).into_response())
}
