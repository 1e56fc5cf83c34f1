//! 诉求办理: an office's inbox over the staff API's logic (same visibility rule: an
//! office sees its own filings and its sub-offices'), one filing with its history, and
//! the actions the state machine allows from where it stands.

use super::auth::csrf_field;
use super::auth::Session;
use super::shell::{page, ConsoleError, Result};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use gongkai_api::staff::{self, Action, Staff};
use gongkai_api::state::AppState;
use gongkai_model::calendar::beijing_minute;
use gongkai_model::complaint::{ComplaintStatus, TrackingCode};
use gongkai_store::User;
use maud::html;
use serde::Deserialize;

/// The staff identity a console user acts as. County admins see every office.
pub fn staff_of(user: &User) -> Staff {
    Staff {
        name: user.display_name.clone(),
        office: match user.role {
            gongkai_store::Role::CountyAdmin => None,
            _ => Some(user.office.clone()),
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    view: Option<String>,
}

pub async fn inbox(
    session: Session,
    State(st): State<AppState>,
    Query(q): Query<InboxQuery>,
) -> Result<Response> {
    let user = &session.user;
    if user.office.is_empty() && user.role != gongkai_store::Role::CountyAdmin {
        return Err(ConsoleError::not_found().for_user(user));
    }
    let view = q.view.unwrap_or_else(|| "all".into());
    let rows = staff::listed(&st, staff_of(user), &view).await?;
    let tab = |key: &str, label: &str| {
        html! { a.tab.active[view == key] href=(format!("/complaints?view={key}")) { (label) } }
    };
    Ok(page(
        "诉求办理",
        Some(user),
        html! {
            p.hint { "按办理期限排序，最早到期的在前。期限按工作日计算（法定节假日和调休已计入），补正期间暂停计时。" }
            nav.tabs { (tab("all", "全部")) (tab("overdue", "已超期")) (tab("due_soon", "3 个工作日内到期")) }
            p { a href="/exports/complaints.xlsx" { "导出为 Excel" } }
            @if rows.is_empty() {
                p.empty { "没有需要办理的诉求。" }
            } @else {
                table {
                    thead { tr { th { "查询码" } th { "类型" } th { "事由" } th { "办理单位" } th { "受理日期" } th { "办理期限" } th { "状态" } } }
                    tbody {
                        @for r in &rows {
                            tr.overdue[r.overdue] {
                                td { a href=(format!("/complaints/{}", r.code)) { code { (r.code) } } }
                                td { (r.kind) }
                                td { (r.subject) }
                                td { (r.office) }
                                td { (r.received_on) }
                                td {
                                    (r.due_on.as_deref().unwrap_or("（补正中，暂停）"))
                                    @if let Some(note) = &r.due_note { br; small.hint { (note) } }
                                    @if r.overdue { " " span.badge.warn { "已超期" } }
                                    @else if r.due_soon { " " span.badge { "即将到期" } }
                                }
                                td { (r.status) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn parse_code(code: &str, user: &User) -> Result<TrackingCode> {
    TrackingCode::parse(code).map_err(|_| ConsoleError::not_found().for_user(user))
}

/// What an office can do next, with the words on the button.
fn next_actions(from: ComplaintStatus) -> Vec<(ComplaintStatus, &'static str)> {
    use ComplaintStatus::*;
    [
        (InProgress, "开始办理"),
        (Clarifying, "请群众补正（暂停计时）"),
        (Extended, "延期（须写明理由）"),
        (Answered, "答复"),
        (Closed, "办结"),
        (Rejected, "不予受理（须写明理由）"),
    ]
    .into_iter()
    .filter(|(to, _)| from.can_move_to(*to))
    .collect()
}

pub async fn detail(
    session: Session,
    State(st): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response> {
    let user = &session.user;
    let code = parse_code(&code, user)?;
    let d = staff::detail_for(&st, staff_of(user), code)
        .await?
        .ok_or_else(|| ConsoleError::not_found().for_user(user))?;
    let p = &d.public;
    let actions = next_actions(p.status);
    Ok(page(
        &format!("诉求 {}", p.code.display()),
        Some(user),
        html! {
            dl.facts {
                dt { "类型" } dd { (p.kind.label()) }
                dt { "事由" } dd { (gongkai_model::complaint::subject_or_excerpt(&p.subject, &d.text)) }
                dt { "状态" } dd { (p.status.label()) }
                dt { "办理单位" } dd { (p.office) }
                dt { "受理日期" } dd { (p.received_on) }
                dt { "办理期限" } dd {
                    (p.due_on.as_deref().unwrap_or("（补正中，暂停计时）"))
                    @if let Some(year) = p.due_provisional { br; small.hint { (gongkai_model::calendar::provisional_note(year)) } }
                }
                dt { "来自公开屏" } dd { (d.kiosk_id) }
                dt { "联系人" } dd { (d.contact_name.as_deref().unwrap_or("（未留）")) }
                dt { "联系电话" } dd { (d.contact_phone.as_deref().unwrap_or("（未留）")) }
            }
            h2 { "群众反映的内容" }
            blockquote { (d.text) }
            @if let Some(a) = &p.answer {
                h2 { "已公开的答复" }
                blockquote { (a) }
            }
            @if !actions.is_empty() {
                h2 { "办理" }
                form.card method="post" action=(format!("/complaints/{}", p.code.display())) {
                    (csrf_field(&session))
                    fieldset {
                        legend { "下一步" }
                        @for (i, (to, label)) in actions.iter().enumerate() {
                            label.choice {
                                input type="radio" name="to" value=(status_key(*to)) required checked[i == 0];
                                (label)
                            }
                        }
                    }
                    label { "办理说明（内部记录；延期、不予受理时必填）" textarea name="note" rows="3" {} }
                    label { "答复内容（选择“答复”时必填，将在公开屏上公开，请勿写入个人信息）" textarea name="answer" rows="5" {} }
                    button type="submit" { "提交" }
                }
            }
            h2 { "办理记录" }
            table {
                thead { tr { th { "时间" } th { "经办人" } th { "状态变化" } th { "说明" } } }
                tbody {
                    @for e in &d.events {
                        tr {
                            td { (beijing_minute(e.at)) }
                            td { (e.actor) }
                            td { (e.from_status.as_deref().map(status_label).unwrap_or("")) " → " (status_label(&e.to_status)) }
                            td { (e.note) }
                        }
                    }
                }
            }
        },
    ))
}

fn status_key(s: ComplaintStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn status_label(key: &str) -> &'static str {
    serde_json::from_value::<ComplaintStatus>(serde_json::Value::String(key.into()))
        .map(|s| s.label())
        .unwrap_or("")
}

#[derive(Debug, Deserialize)]
pub struct ActForm {
    csrf: String,
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    answer: String,
}

pub async fn act(
    session: Session,
    State(st): State<AppState>,
    Path(code): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = &session.user;
    let code = parse_code(&code, user)?;
    let to: ComplaintStatus = serde_json::from_value(serde_json::Value::String(f.to))
        .map_err(|_| ConsoleError::bad("请选择下一步").for_user(user))?;
    if matches!(to, ComplaintStatus::Extended | ComplaintStatus::Rejected)
        && f.note.trim().is_empty()
    {
        return Err(ConsoleError::bad("延期或不予受理必须写明理由").for_user(user));
    }
    let answer = f.answer.trim();
    if to == ComplaintStatus::Answered && answer.is_empty() {
        return Err(ConsoleError::bad("请填写答复内容").for_user(user));
    }
    if let Some(found) = gongkai_model::idcard::find_full_ids(answer).first() {
        return Err(ConsoleError::bad(format!(
            "答复将公开，不能包含完整身份证号（{}）",
            found.masked
        ))
        .for_user(user));
    }
    let action = Action {
        to,
        note: f.note.trim().to_string(),
        answer: (!answer.is_empty()).then(|| answer.to_string()),
    };
    let display = code.display();
    staff::act_as(&st, staff_of(user), code, action)
        .await
        .map_err(|e| ConsoleError::from(e).for_user(user))?
        .ok_or_else(|| ConsoleError::not_found().for_user(user))?;
    Ok(Redirect::to(&format!("/complaints/{display}")).into_response())
}
