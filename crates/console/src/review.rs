//! 保密审查: the township's queue of postings from its villages (and corrections), a
//! draft shown exactly as it would be published, approve or reject with a reason. A
//! cadre sees their own drafts and the reviewer's reason.

use super::auth::csrf_field;
use super::auth::Session;
use super::shell::{page, raw, ConsoleError, Result};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use gongkai_api::state::AppState;
use gongkai_model::calendar::beijing_minute;
use gongkai_model::{ContentKind, Notice, RelocationBoard, ScopeId, SubsidyList, SubsidyRow};
use gongkai_store::{DraftRow, Edit};
use maud::{html, Markup};
use serde::Deserialize;

/// A draft's state in words that fit what it does: a withdrawal approved is withdrawn,
/// a correction approved has replaced the public version.
fn status_label(d: &DraftRow) -> &'static str {
    match d.status.as_str() {
        "pending" => "待审核",
        "approved" if d.summary.starts_with("撤回") => "已通过并撤回",
        "approved" if d.summary.starts_with("更正") => "已通过并更正",
        "approved" => "已通过并发布",
        "rejected" => "已退回",
        _ => "",
    }
}

pub fn draft_table(rows: &[DraftRow]) -> Markup {
    html! {
        table {
            thead { tr { th { "提交时间" } th { "标题" } th { "内容" } th { "公开到" } th { "提交人" } th { "状态" } th { "审核意见" } } }
            tbody {
                @for d in rows {
                    tr.pending[d.status == "pending"] {
                        td { (beijing_minute(d.created_at)) }
                        td { a href=(format!("/review/{}", d.id)) { (d.title) } }
                        td { (d.summary) }
                        td { (d.scope_name) }
                        td { (d.author) @if d.source.starts_with("kiosk") { " " span.badge { "公开屏" } } }
                        td { span.badge.(d.status.as_str()) { (status_label(d)) } }
                        td { (d.reason) @if let Some(r) = &d.reviewer { " （" (r) "）" } }
                    }
                }
            }
        }
    }
}

pub async fn queue(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = session.user.clone();
    if !user.publishes_directly() {
        return Ok(Redirect::to("/drafts").into_response());
    }
    let prefix = user.scope.as_str().to_string();
    let rows = super::posting::blocking(&st.store, move |s| s.drafts(&prefix, 200)).await?;
    Ok(page(
        "审核（保密审查）",
        Some(&user),
        html! {
            p.hint { "村里提交的通知、名单，以及已公开内容的更正，须经审核才会出现在公开屏上。请核对：不含国家秘密、工作秘密；不含完整身份证号、银行卡号、住址、电话等个人信息；内容准确。" }
            @if rows.is_empty() { p.empty { "没有稿件。" } } @else { (draft_table(&rows)) }
        },
    ))
}

pub async fn mine(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = session.user.clone();
    let id = user.id;
    let rows = super::posting::blocking(&st.store, move |s| s.drafts_by(id, 200)).await?;
    Ok(page(
        "我的稿件",
        Some(&user),
        html! {
            @if rows.is_empty() { p.empty { "还没有提交过稿件。" } } @else { (draft_table(&rows)) }
        },
    ))
}

/// A draft as residents would see it.
fn preview(edits: &[Edit]) -> Markup {
    let parse = |e: &Edit| {
        e.body
            .as_deref()
            .map(serde_json::from_str::<serde_json::Value>)
    };
    let first = edits.first();
    match first.map(|e| e.kind) {
        Some(ContentKind::Notice) => {
            let n: Option<Notice> = first
                .and_then(|e| e.body.as_deref())
                .and_then(|b| serde_json::from_str(b).ok());
            match n {
                Some(n) => html! {
                    article.notice {
                        h2 { (n.title) }
                        p.meta { (n.publisher) " · " (beijing_minute(n.publish_at.timestamp()))
                            @if let Some(x) = n.expire_at { " · 截止 " (beijing_minute(x.timestamp())) } }
                        // Bodies were sanitized (ammonia allow-list) when the draft was
                        // submitted, exactly as they will be published.
                        (raw(&n.body_html))
                    }
                },
                None => html! { p.error { "内容无法显示" } },
            }
        }
        Some(ContentKind::SubsidyList) => {
            let header: Option<SubsidyList> = first
                .and_then(|e| e.body.as_deref())
                .and_then(|b| serde_json::from_str(b).ok());
            let rows: Vec<SubsidyRow> = edits
                .iter()
                .skip(1)
                .take(50)
                .filter_map(|e| e.body.as_deref().and_then(|b| serde_json::from_str(b).ok()))
                .collect();
            html! {
                @if let Some(h) = header {
                    p { strong { (h.programme) } " · " (h.year) "年 · " (h.area_name) " · 发放单位：" (h.issuer) }
                    p { "共 " (h.row_count) " 户，合计 " (h.total) "（以下为前 50 户，公开时身份证号只显示前 4 位和后 4 位）" }
                }
                table {
                    thead { tr { th { "姓名" } th { "身份证号" } th { "村组" } th { "人口" } th { "金额" } } }
                    tbody { @for r in &rows { tr { td { (r.name) } td { (r.id_masked) } td { (r.village_name) } td { (r.household_size) } td { (r.amount) } } } }
                }
            }
        }
        Some(ContentKind::RelocationBoard) => {
            let board: Option<RelocationBoard> = first
                .and_then(|e| e.body.as_deref())
                .and_then(|b| serde_json::from_str(b).ok());
            match board {
                Some(b) => html! {
                    p { strong { (b.title) } " · 公示 " (b.posting_from) " 至 " (b.posting_until) }
                    p { "异议受理：" (b.objection_place) " · " (b.objection_phone) }
                    table {
                        thead { tr { th { "户编号" } th { "户主" } th { "身份证号" } th { "人口" } th { "情况" } th { "补偿金额" } } }
                        tbody { @for r in &b.rows { tr { td { (r.household_id) } td { (r.head_name) } td { (r.id_masked) } td { (r.persons) } td { (r.detail) } td { (r.compensation) } } } }
                    }
                },
                None => html! { p.error { "内容无法显示" } },
            }
        }
        _ => html! {
            ul { @for e in edits.iter().take(50) {
                li { (e.kind.label()) " · " (e.id) @if e.body.is_none() { "（撤回）" } @else if parse(e).is_none() { "" } }
            } }
        },
    }
}

pub async fn detail(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response> {
    let user = session.user.clone();
    let (row, edits) = super::posting::blocking(&st.store, move |s| s.draft(id))
        .await?
        .filter(|(d, _)| {
            d.author_id == user.id || ScopeId::parse(&d.scope).is_ok_and(|s| user.may_review(&s))
        })
        .ok_or_else(|| ConsoleError::not_found().for_user(&session.user))?;
    // What the draft changes, line by line, against what is public now.
    let changes = match edits.as_slice() {
        [e] if row.status == "pending" => {
            let (kind, id) = (e.kind, e.id.clone());
            let scope = ScopeId::parse(&row.scope).ok();
            let current = match scope {
                Some(sc) => {
                    super::posting::blocking(&st.store, move |s| s.item_body(&sc, kind, &id))
                        .await?
                }
                None => None,
            };
            current.map(|cur| {
                let old = gongkai_model::history::text_lines(kind, &cur);
                let new = e
                    .body
                    .as_deref()
                    .map(|b| gongkai_model::history::text_lines(kind, b))
                    .unwrap_or_default();
                gongkai_model::history::diff_lines(&old, &new)
            })
        }
        _ => None,
    };
    // What approving does, said the same way all through the page: publish something
    // new, replace what is public (更正), or take it down (撤回).
    let withdraws = !edits.is_empty() && edits.iter().all(|e| e.body.is_none());
    let live_now = match (edits.first(), ScopeId::parse(&row.scope).ok()) {
        (Some(e), Some(sc)) => {
            let (kind, id) = (e.kind, e.id.clone());
            super::posting::blocking(&st.store, move |s| s.item_body(&sc, kind, &id))
                .await?
                .map(|body| (kind, body))
        }
        _ => None,
    };
    let takeover = row.source == super::staging::EMERGENCY_SOURCE;
    let (approve_label, waiting_hint) = if takeover {
        (
            "确认并立即发布（占满全县公开屏）",
            "等待另一位县级账号确认；超过时限未确认则作废。",
        )
    } else if withdraws {
        (
            "通过并撤回",
            "等待审核。审核通过后，此项从公开屏上撤下，撤回原因记入公开记录。",
        )
    } else if live_now.is_some() {
        (
            "通过并替换公开内容",
            "等待审核。审核通过后替换公开屏上的内容，原来的版本保留在修改记录里。",
        )
    } else {
        ("通过并发布", "等待审核。审核通过后会自动发布到公开屏。")
    };
    let user = &session.user;
    let may_decide = row.status == "pending"
        && row.author_id != user.id
        && ScopeId::parse(&row.scope).is_ok_and(|s| user.may_review(&s));
    Ok(page(
        &row.title,
        Some(user),
        html! {
            dl.facts {
                dt { "公开到" } dd { (row.scope_name) }
                dt { "提交人" } dd { (row.author) " · " (beijing_minute(row.created_at)) @if row.source.starts_with("kiosk") { " · 在公开屏上提交" } }
                dt { "内容" } dd { (row.summary) }
                dt { "状态" } dd { (status_label(&row)) @if let Some(r) = &row.reviewer { " · 审核人 " (r) } }
                @if !row.reason.is_empty() { dt { "审核意见" } dd { (row.reason) } }
            }
            @if let Some(lines) = &changes {
                h2 { "与现在公开的内容相比" }
                div.diff {
                    @for l in lines {
                        @match l.change {
                            gongkai_model::history::LineChange::Same => p.same { (l.text) },
                            gongkai_model::history::LineChange::Added => p.added { "＋ " (l.text) },
                            gongkai_model::history::LineChange::Removed => p.removed { "－ " (l.text) },
                        }
                    }
                }
            }
            @if withdraws {
                h2 { "审核通过后撤下的内容" }
                @match &live_now {
                    Some((kind, body)) => section.withdrawn { (super::item::resident_view(*kind, body, &[])) },
                    None => p.hint { "此项已不在公开屏上。" },
                }
            } @else if edits.iter().any(|e| e.body.is_some()) {
                h2 { "审核通过后公开的内容" }
                section.preview { (preview(&edits)) }
            }
            @if may_decide {
                @if takeover {
                    p.error role="alert" {
                        "全县紧急通知：确认后立即占满全县每一台公开屏，直到截止时间。请核对内容和级别。须在 "
                        (beijing_minute(row.created_at + st.takeover.confirm_secs)) " 前确认。"
                    }
                }
                form.card method="post" action=(format!("/review/{}", row.id)) {
                    (csrf_field(&session))
                    label { "审核意见（退回时必填，提交人会看到）" textarea name="reason" rows="3" {} }
                    div.row {
                        button type="submit" name="decision" value="approve" { (approve_label) }
                        button.secondary type="submit" name="decision" value="reject" { "退回修改" }
                    }
                }
            } @else if row.status == "pending" && row.author_id == user.id {
                p.hint { (waiting_hint) }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ConsoleError::bad("请选择通过或退回").for_user(&user)),
    };
    let u = user.clone();
    let (now, window) = (st.clock.unix(), st.takeover.confirm_secs);
    super::posting::blocking(&st.store, move |s| {
        // Scope is checked against the stored draft inside the same call, so a reviewer
        // of another township gets "not found", the same as a draft that does not exist.
        let draft = s.draft(id)?;
        let visible = draft
            .as_ref()
            .is_some_and(|(d, _)| ScopeId::parse(&d.scope).is_ok_and(|sc| u.may_review(&sc)));
        if !visible {
            return Err(gongkai_store::StoreError::UnknownScope(String::new()));
        }
        // A county-wide emergency left unconfirmed past its window is void: an old
        // alarm must not take the screens by a late click.
        if let Some((d, _)) = &draft {
            if approve
                && d.source == super::staging::EMERGENCY_SOURCE
                && now > d.created_at + window
            {
                return Err(gongkai_store::StoreError::Refused(format!(
                    "已超过确认时限（{} 分钟），这条全县紧急通知没有发布。如仍需要，请重新发起。",
                    window / 60
                )));
            }
        }
        s.review_draft(id, &u, approve, &f.reason)
    })
    .await
    .map_err(|e| e.for_user(&user))?;
    Ok(Redirect::to(&format!("/review/{id}")).into_response())
}
