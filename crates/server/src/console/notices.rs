//! 通知公告 from the console: a plain text box (turned into escaped paragraphs, then
//! sanitized like every rich text), publish and expiry dates, and a scope the user
//! covers. A cadre's notice becomes a draft for the township's review; others publish.

use super::{auth::Session, csrf_field, page, paragraphs, scopes_for, ConsoleError, Result};
use crate::api::AppState;
use crate::store::{Edit, NewDraft, Provenance};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{NaiveDate, TimeZone, Utc};
use gongkai_model::{ContentKind, Notice, ScopeId, ScopeLevel};
use maud::html;
use serde::Deserialize;

pub async fn new_page(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = &session.user;
    let scopes = scopes_for(&st, user).await?;
    let today = crate::demo::today();
    Ok(page(
        "发布通知公告",
        Some(user),
        html! {
            @if !user.publishes_directly() {
                p.hint { "提交后由乡镇审核员审核（保密审查），通过后出现在公开屏上。" }
            }
            form.card method="post" action="/notices" {
                (csrf_field(&session))
                label { "发布到"
                    select name="scope" required {
                        @for (code, name) in &scopes {
                            option value=(code.as_str()) { (name) "（" (super::level_label(code)) "）" }
                        }
                    }
                }
                label { "标题" input name="title" maxlength="60" required placeholder="例：关于召开村民代表会议的通知"; }
                label { "正文（每段一行）" textarea name="body" rows="8" required {} }
                div.row {
                    label { "公开日期" input type="date" name="publish_on" value=(today.to_string()) required; }
                    label { "截止日期（可不填）" input type="date" name="expire_on"; }
                }
                button type="submit" {
                    @if user.publishes_directly() { "发布" } @else { "提交审核" }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct NoticeForm {
    csrf: String,
    scope: String,
    title: String,
    body: String,
    publish_on: String,
    #[serde(default)]
    expire_on: String,
}

/// Who a notice is from, by the level of the scope it is posted to.
pub fn publisher(scope: &ScopeId, name: &str) -> String {
    match scope.level() {
        ScopeLevel::Village => format!("{name}村民委员会"),
        ScopeLevel::Township => format!("{name}人民政府"),
        ScopeLevel::County => format!("{name}人民政府办公室"),
    }
}

/// 09:00 Beijing time on a date, as UTC.
fn morning(date: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(1, 0, 0).unwrap_or_default())
}

pub fn new_item_id(prefix: &str) -> String {
    let r: u32 = rand::random();
    format!("{prefix}-{}-{r:08x}", Utc::now().format("%Y%m%d%H%M%S"))
}

pub async fn create(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<NoticeForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
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
    let edit = Edit::put(ContentKind::Notice, new_item_id("notice"), &notice);
    if user.publishes_directly() {
        let by = Provenance::user(&user.display_name);
        super::blocking(&st.store, move |s| s.publish_as(&scope, &[edit], &by))
            .await
            .map_err(|e| e.for_user(&user))?;
        Ok(Redirect::to("/history").into_response())
    } else {
        let draft = NewDraft {
            scope,
            title: notice.title.clone(),
            summary: "通知公告".into(),
            source: "console".into(),
            author_id: user.id,
            edits: vec![edit],
            client_id: None,
        };
        super::blocking(&st.store, move |s| s.submit_draft(&draft))
            .await
            .map_err(|e| e.for_user(&user))?;
        Ok(Redirect::to("/drafts").into_response())
    }
}
