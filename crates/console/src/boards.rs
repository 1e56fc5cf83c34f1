//! 移民三榜 in the console: each relocation village's boards with their posting periods
//! and where they stand, the objections raised against them (from kiosks, or registered
//! here when they come in at the window or by letter) and what became of each. An
//! objection is a filing of kind 三榜异议, answered in 诉求办理 like any other, so its
//! outcome is public by its code.

use super::auth::csrf_field;
use super::auth::Session;
use super::posting::scopes_for;
use super::shell::{covered_scope, page, ConsoleError, Result};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use gongkai_api::state::AppState;
use gongkai_model::boards::{posting, PostingStatus};
use gongkai_model::complaint::{ComplaintKind, TrackingCode};
use gongkai_model::{ContentKind, RelocationBoard, ScopeId, ScopeLevel};
use gongkai_protocol::complaints::{ComplaintUpload, Contact};
use maud::html;
use serde::Deserialize;

pub async fn index(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = session.user.clone();
    let villages: Vec<(ScopeId, String)> = scopes_for(&st, &user)
        .await?
        .into_iter()
        .filter(|(s, _)| s.level() == ScopeLevel::Village)
        .collect();
    let (boards, objections) = super::posting::blocking(&st.store, move |s| {
        let mut boards = Vec::new();
        for (scope, name) in &villages {
            for (id, body) in s.items_of_kind(scope, ContentKind::RelocationBoard)? {
                if let Ok(b) = serde_json::from_str::<RelocationBoard>(&body) {
                    boards.push((scope.clone(), name.clone(), id, b));
                }
            }
        }
        let objections: Vec<_> = s
            .complaints(None)?
            .into_iter()
            .filter(|r| r.kind == ComplaintKind::BoardObjection)
            .filter(|r| villages.iter().any(|(v, _)| v.as_str() == r.scope))
            .collect();
        Ok((boards, objections))
    })
    .await?;
    let today = st.clock.today();
    let staff = super::complaints::staff_of(&user);
    Ok(page(
        "移民三榜与异议",
        Some(&user),
        html! {
            p.hint { "三榜（移民身份确认、实物指标及补偿、人口核定）由“导入名单”按榜上传，户编号在三榜间保持不变，公开屏据此显示每一榜相对上一榜的变化。群众在公开屏上提出的异议和在窗口、信函收到的异议都列在下面，答复后公开。" }
            @if boards.is_empty() { p.empty { "您负责的村还没有三榜。" } }
            @for (scope, village, id, b) in &boards {
                @let (status, days) = posting(b, today);
                @let raised: Vec<_> = objections.iter().filter(|o| o.scope == scope.as_str() && o.subject.contains(&b.title)).collect();
                section.card.wide {
                    h2 { (b.title) }
                    p {
                        (village) " · 第" (b.round) "榜 · " (b.rows.len()) " 户 · 公示期 " (b.posting_from) " 至 " (b.posting_until) " · "
                        @match status {
                            PostingStatus::Upcoming => span.badge { "未开始" },
                            PostingStatus::Posting => span.badge.pending { "公示中，剩 " (days) " 天" },
                            PostingStatus::Ended => span.badge { "公示期已结束" },
                        }
                        " · " a href=(format!("/history/{}/relocation_board/{}", scope, id)) { "公开记录" }
                    }
                    p { "异议受理：" (b.objection_place) " · " (b.objection_phone) }
                    @if raised.is_empty() {
                        p.empty { "没有收到异议。" }
                    } @else {
                        table {
                            thead { tr { th { "查询码" } th { "事由" } th { "受理日期" } th { "办理期限" } th { "结果" } } }
                            tbody {
                                @for o in &raised {
                                    tr {
                                        td { @if staff.may_see(&o.office) { a href=(format!("/complaints/{}", o.code.display())) { code { (o.code.display()) } } } @else { code { (o.code.display()) } } }
                                        td { (o.subject) }
                                        td { (o.received_on) }
                                        td { (o.due_on.as_deref().unwrap_or("（补正中）")) }
                                        td { (o.status.label()) }
                                    }
                                }
                            }
                        }
                    }
                    details {
                        summary { "登记窗口或信函收到的异议" }
                        form method="post" action="/boards/objections" {
                            (csrf_field(&session))
                            input type="hidden" name="scope" value=(scope.as_str());
                            input type="hidden" name="board" value=(id);
                            label { "户编号" select name="household" required { @for r in &b.rows { option value=(r.household_id) { (r.household_id) " " (r.head_name) } } } }
                            label { "异议内容" textarea name="text" rows="3" required {} }
                            div.row {
                                label { "提出人（可不填）" input name="name"; }
                                label { "联系电话（可不填）" input name="phone"; }
                            }
                            button type="submit" { "登记" }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct ObjectionForm {
    csrf: String,
    scope: String,
    board: String,
    household: String,
    text: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

/// Registers an objection received at the window or by letter, as a 三榜异议 filing.
pub async fn register(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<ObjectionForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let not_found = || ConsoleError::not_found().for_user(&user);
    let scope = covered_scope(&user, &f.scope)?;
    let (sc, id) = (scope.clone(), f.board.clone());
    let board: RelocationBoard = super::posting::blocking(&st.store, move |s| {
        s.item_body(&sc, ContentKind::RelocationBoard, &id)
    })
    .await?
    .and_then(|b| serde_json::from_str(&b).ok())
    .ok_or_else(not_found)?;
    let Some(row) = board.rows.iter().find(|r| r.household_id == f.household) else {
        return Err(ConsoleError::bad("榜上没有这个户编号").for_user(&user));
    };
    if f.text.trim().is_empty() {
        return Err(ConsoleError::bad("请填写异议内容").for_user(&user));
    }
    let code = TrackingCode::draw(rand::random);
    let contact = (!f.name.trim().is_empty() || !f.phone.trim().is_empty()).then(|| Contact {
        name: f.name.trim().to_string(),
        phone: f.phone.trim().to_string(),
    });
    let upload = ComplaintUpload {
        client_uuid: format!("console-{}", hex::encode(rand::random::<[u8; 16]>())),
        code: code.clone(),
        kiosk_id: format!("{}{}", gongkai_store::CONSOLE_SOURCE, user.username),
        kind: ComplaintKind::BoardObjection,
        scope,
        subject: format!(
            "{} · {}户（{}）",
            board.title, row.household_id, row.head_name
        ),
        text: f.text.trim().to_string(),
        sealed_contact: None,
        filed_at: st.clock.unix(),
        cadre_session: None,
    };
    gongkai_api::intake::record(&st, upload, contact)
        .await
        .map_err(|e| ConsoleError::from(e).for_user(&user))?;
    tracing::info!(user = %user.username, code = %code.display(), "objection registered at the window");
    let staff = super::complaints::staff_of(&user);
    let to = if staff.office.is_none() || !user.office.is_empty() {
        format!("/complaints/{}", code.display())
    } else {
        "/boards".to_string()
    };
    Ok(Redirect::to(&to).into_response())
}
