//! 公开记录: the public change log, for anyone (residents, auditors, the press). Each
//! entry shows what happened to which item, when, by whom and after whose review, with
//! its hash; the page says whether the whole chain verifies right now.

use super::auth;
use super::shell::{page, Result};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gongkai_api::state::AppState;
use gongkai_model::calendar::beijing_minute;
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::changelog::LogEntry;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    scope: Option<String>,
}

fn entries_table(entries: &[LogEntry], names: &HashMap<String, String>) -> Markup {
    html! {
        table.log {
            thead { tr { th { "序号" } th { "时间" } th { "区域" } th { "类别" } th { "事项" } th { "操作" } th { "经办" } th { "摘要" } } }
            tbody {
                @for e in entries {
                    tr {
                        td { (e.n) }
                        td { (beijing_minute(e.at)) }
                        td { (names.get(&e.scope).cloned().unwrap_or_else(|| e.scope.clone())) }
                        td { (ContentKind::from_key(&e.kind).map(|k| k.label()).unwrap_or("")) }
                        td { a href=(format!("/history/{}/{}/{}", e.scope, e.kind, e.item_id)) {
                            @if e.title.is_empty() { (e.item_id) } @else { (e.title) }
                        } }
                        td { (e.action.label()) }
                        td { @if e.actor == "system" { "系统" } @else { (e.actor) } }
                        td { code title=(e.entry_hash) { (&e.entry_hash[..12.min(e.entry_hash.len())]) } }
                    }
                }
            }
        }
    }
}

async fn scope_names(st: &AppState) -> Result<HashMap<String, String>> {
    super::posting::blocking(&st.store, |s| {
        Ok(s.heads()?
            .into_iter()
            .map(|h| (h.scope.to_string(), h.name))
            .collect())
    })
    .await
}

pub async fn index(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HistoryQuery>,
) -> Result<Response> {
    let session = auth::optional(&st, &headers).await;
    let prefix = q
        .scope
        .as_deref()
        .and_then(|s| ScopeId::parse(s).ok())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let p = prefix.clone();
    let (entries, report) = super::posting::blocking(&st.store, move |s| {
        Ok((s.recent_changes(&p, 200)?, s.verify_changelog()?))
    })
    .await?;
    let names = scope_names(&st).await?;
    let mut scopes: Vec<(&String, &String)> = names.iter().collect();
    scopes.sort();
    Ok(page(
        "公开记录",
        session.as_ref().map(|s| &s.user),
        html! {
            p { "每一次发布、更正、撤回都在这里留下记录。每条记录包含上一条记录的摘要，任何改动或删除都会使后面的记录无法核验。" }
            @if report.broken.is_none() && report.unlogged.is_empty() {
                p.ok { "核验通过：共 " (report.entries) " 条记录，链首摘要 " code { (&report.head[..16.min(report.head.len())]) } "。" }
            } @else {
                p.error role="alert" {
                    "核验未通过："
                    @if let Some(b) = &report.broken { (b.to_string()) "。" }
                    @if !report.unlogged.is_empty() { (report.unlogged.len()) " 项内容与记录不符。" }
                }
            }
            p.hint { "完整记录可从 " code { (gongkai_protocol::paths::CHANGELOG) } " 下载，自行核验。补贴名单的逐户记录不在此页列出。" }
            form.filter method="get" action="/history" {
                label { "只看区域"
                    select name="scope" {
                        option value="" { "全县" }
                        @for (code, name) in &scopes {
                            option value=(code) selected[**code == prefix] { (name) }
                        }
                    }
                }
                button.secondary type="submit" { "筛选" }
            }
            (entries_table(&entries, &names))
        },
    ))
}

pub async fn item(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((scope, kind, id)): Path<(String, String, String)>,
) -> Result<Response> {
    let session = auth::optional(&st, &headers).await;
    let scope = ScopeId::parse(&scope).map_err(|_| super::shell::ConsoleError::not_found())?;
    let kind = ContentKind::from_key(&kind).ok_or_else(super::shell::ConsoleError::not_found)?;
    let (sc, i) = (scope.clone(), id.clone());
    let entries =
        super::posting::blocking(&st.store, move |s| s.item_history(&sc, kind, &i)).await?;
    let names = scope_names(&st).await?;
    let (sc, i) = (scope.clone(), id.clone());
    let live = super::posting::blocking(&st.store, move |s| s.item_body(&sc, kind, &i))
        .await?
        .is_some();
    let may_change = session.as_ref().is_some_and(|s| s.user.covers(&scope)) && live;
    let title = entries
        .iter()
        .rev()
        .find(|e| !e.title.is_empty())
        .map(|e| e.title.clone())
        .unwrap_or_else(|| id.clone());
    Ok(page(
        &format!("{} · {}", kind.label(), title),
        session.as_ref().map(|s| &s.user),
        html! {
            @if !live { p.hint { "此项已撤回，公开屏上不再显示。" } }
            @if entries.is_empty() { p.empty { "没有记录。" } } @else { (entries_table(&entries, &names)) }
            @if let (true, Some(s)) = (may_change, &session) {
                h2 { "更正或撤回" }
                p.hint { "更正、撤回都要经另一位审核人审核后才生效，并记入公开记录。" }
                @if kind == ContentKind::Notice {
                    p { a.button href=(format!("/notices/{}/{}/edit", scope, id)) { "更正这条通知" } }
                }
                form.card method="post" action=(format!("/withdraw/{}/{}/{}", scope, kind.key(), id)) {
                    (super::auth::csrf_field(s))
                    label { "撤回原因（公开记录中可见）" input name="why" required; }
                    button.secondary type="submit" { "申请撤回" }
                }
            }
        },
    ))
}
