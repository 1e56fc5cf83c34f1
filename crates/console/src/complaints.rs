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
use gongkai_model::complaint::{ComplaintKind, ComplaintStatus, TrackingCode};
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
            p {
                a href="/complaints/new" { "代群众登记诉求" }
                " · "
                a href="/exports/complaints.xlsx" { "导出为 Excel" }
            }
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
                                td {
                                    (r.subject)
                                    @if let Some(by) = &r.entered_by { " " span.badge title=(format!("由 {by} 代为登记")) { "代为登记" } }
                                }
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
                @if let Some(by) = gongkai_store::entered_by(&d.kiosk_id) {
                    dt { "代为登记" } dd {
                        @match d.kiosk_id.split_once('@') {
                            Some((_, kiosk)) => { "由 " (by) " 在公开屏 " (kiosk) " 上（村干部模式）代群众登记" }
                            None => { "由 " (by) " 在窗口代群众登记（群众本人未使用公开屏）" }
                        }
                    }
                } @else {
                    dt { "来自公开屏" } dd { (d.kiosk_id) }
                }
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

/// 代为提交: the form a hall clerk or cadre fills for a resident who cannot use the screen
/// (cannot read, cannot type, came to the window or phoned). Only for places the user covers.
pub async fn new_form(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = &session.user;
    let scopes = super::posting::scopes_for(&st, user).await?;
    Ok(page(
        "代群众登记诉求",
        Some(user),
        html! {
            p.hint { "为不便使用公开屏的群众（不识字、不会输入、到窗口或来电反映）登记诉求。登记后给群众查询码回执，办理期限从今天起算；记录中会注明由您代为登记。" }
            form.card.wide method="post" action="/complaints/new" {
                (csrf_field(&session))
                label { "涉及的村或乡镇"
                    select name="scope" required {
                        @for (code, name) in &scopes {
                            option value=(code.as_str()) { (name) "（" (super::shell::level_label(code)) "）" }
                        }
                    }
                }
                label { "类型"
                    select name="kind" required {
                        @for k in ComplaintKind::ALL.iter().filter(|k| **k != ComplaintKind::BoardObjection) {
                            option value=(status_key_of(k)) { (k.label()) }
                        }
                    }
                }
                label { "涉及事项" input name="subject" maxlength="60" placeholder="例如：村道路灯、低保评定"; }
                label { "群众反映的内容（按群众原话记录）" textarea name="text" rows="6" maxlength="2000" required {} }
                div.row {
                    label { "群众姓名" input name="name" maxlength="30" required; }
                    label { "联系电话（可不填）" input name="phone" maxlength="20" inputmode="tel"; }
                }
                button type="submit" { "登记并生成查询码" }
            }
            p.hint { "三榜异议请在“移民三榜”页面对应的榜上登记。" }
        },
    ))
}

fn status_key_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub struct OnBehalfForm {
    csrf: String,
    scope: String,
    kind: String,
    // Missing fields get the page's own Chinese message, not the extractor's.
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

/// Records a filing entered for a resident: the entering user named as its source, the
/// resident's name and phone kept as contact details (staff only, never public), and a
/// receipt with the code to hand over or print.
pub async fn register_on_behalf(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<OnBehalfForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let scope = super::shell::covered_scope(&user, &f.scope)?;
    let bad = |m: &str| ConsoleError::bad(m).for_user(&user);
    let kind: ComplaintKind = serde_json::from_value(serde_json::Value::String(f.kind.clone()))
        .ok()
        .filter(|k| *k != ComplaintKind::BoardObjection)
        .ok_or_else(|| bad("请选择诉求类型"))?;
    let text = f.text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(bad("请填写群众反映的内容（最多 2000 字）"));
    }
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(bad("请填写群众姓名：代为登记须写明为谁登记"));
    }
    let phone: String = f
        .phone
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !phone.is_empty() && (phone.len() > 20 || !phone.chars().all(|c| c.is_ascii_digit())) {
        return Err(bad("联系电话只能填数字"));
    }
    let subject: String = f.subject.trim().chars().take(60).collect();
    let code = TrackingCode::draw(rand::random);
    let upload = gongkai_protocol::complaints::ComplaintUpload {
        client_uuid: format!("console-{}", hex::encode(rand::random::<[u8; 16]>())),
        code: code.clone(),
        kiosk_id: format!("{}{}", gongkai_store::CONSOLE_SOURCE, user.username),
        kind,
        scope: scope.clone(),
        subject: subject.clone(),
        text: text.to_string(),
        sealed_contact: None,
        filed_at: st.clock.unix(),
        cadre_session: None,
    };
    let contact = gongkai_protocol::complaints::Contact {
        name: name.to_string(),
        phone,
    };
    gongkai_api::intake::record(&st, upload, Some(contact))
        .await
        .map_err(|e| ConsoleError::from(e).for_user(&user))?;
    tracing::info!(user = %user.username, code = %code.display(), "filing entered for a resident");
    let c = code.clone();
    let status = super::posting::blocking(&st.store, move |s| s.complaint_status(&c))
        .await
        .map_err(|e| e.for_user(&user))?;
    Ok(page(
        "已代为登记",
        Some(&user),
        html! {
            div.card.receipt {
                h2 { "诉求回执" }
                p { "请把查询码交给群众（可打印本页）。凭查询码可在任一公开屏的“查询办理进度”或拨打电话查询办理情况和答复。" }
                p.code { code { (code.display()) } }
                dl.facts {
                    dt { "类型" } dd { (kind.label()) }
                    @if !subject.is_empty() { dt { "事由" } dd { (subject) } }
                    dt { "为谁登记" } dd { (name) }
                    dt { "登记人" } dd { (user.display_name) "（" (user.username) "）" }
                    @if let Some(s) = &status {
                        dt { "办理单位" } dd { (s.office) }
                        dt { "受理日期" } dd { (s.received_on) }
                        dt { "办理期限" } dd { (s.due_on.as_deref().unwrap_or("")) }
                    }
                }
                button type="button" data-print="" { "打印回执" }
            }
            p {
                @if !user.office.is_empty() || user.role == gongkai_store::Role::CountyAdmin {
                    a href=(format!("/complaints/{}", code.display())) { "查看这件诉求" } " · "
                }
                a href="/complaints/new" { "继续登记" }
            }
        },
    ))
}
