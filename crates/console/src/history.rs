//! 公开记录: the public change log, for anyone (residents, auditors, the press). Each
//! entry shows what happened to which item, when, by whom and after whose review, with
//! its hash; the page says whether the whole chain verifies right now.

use super::auth;
use super::shell::{page, Result};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use gongkai_api::state::AppState;
use gongkai_model::calendar::{beijing_midnight, beijing_minute};
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::changelog::LogEntry;
use gongkai_store::LogFilter;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// The public record's filters, all in the query string so a filtered page can be
/// bookmarked and shared.
#[derive(Debug, Default, Deserialize)]
pub struct HistoryQuery {
    scope: Option<String>,
    kind: Option<String>,
    /// Beijing dates, inclusive.
    from: Option<String>,
    to: Option<String>,
    /// The page cursor: entries numbered below this.
    before: Option<u64>,
}

/// Entries per page: a screen or two, not 7,000 px.
const PAGE: u32 = 50;

/// The kinds a resident can filter by (list rows are never listed).
const FILTER_KINDS: &[ContentKind] = &[
    ContentKind::Notice,
    ContentKind::Disclosure,
    ContentKind::Finance,
    ContentKind::SubsidyList,
    ContentKind::RelocationBoard,
    ContentKind::Guide,
    ContentKind::Emergency,
    ContentKind::Answer,
    ContentKind::Calendar,
];

pub(crate) fn entries_table(entries: &[LogEntry], names: &HashMap<String, String>) -> Markup {
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

pub(crate) async fn scope_names(st: &AppState) -> Result<HashMap<String, String>> {
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
    let kind = q
        .kind
        .as_deref()
        .and_then(ContentKind::from_key)
        .filter(|k| FILTER_KINDS.contains(k));
    let date = |d: &Option<String>| d.as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
    let (from, to) = (date(&q.from), date(&q.to));
    let filter = LogFilter {
        scope_prefix: prefix.clone(),
        kind: kind.map(|k| k.key().to_string()).unwrap_or_default(),
        from: from.map(beijing_midnight),
        to: to.map(|d| beijing_midnight(d + chrono::Duration::days(1))),
        before: q.before,
        limit: PAGE,
    };
    let f = filter.clone();
    let (page_of, report) = super::posting::blocking(&st.store, move |s| {
        Ok((s.recent_changes(&f)?, s.verify_changelog()?))
    })
    .await?;
    let names = scope_names(&st).await?;
    let mut scopes: Vec<(&String, &String)> = names.iter().collect();
    scopes.sort();
    // The same filters, another page: every link keeps what the reader chose.
    let link = |before: Option<u64>| {
        let mut parts = Vec::new();
        for (k, v) in [
            ("scope", prefix.clone()),
            ("kind", filter.kind.clone()),
            ("from", from.map(|d| d.to_string()).unwrap_or_default()),
            ("to", to.map(|d| d.to_string()).unwrap_or_default()),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={v}"));
            }
        }
        if let Some(b) = before {
            parts.push(format!("before={b}"));
        }
        if parts.is_empty() {
            "/history".to_string()
        } else {
            format!("/history?{}", parts.join("&"))
        }
    };
    let shown = page_of.entries.len();
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
            p.hint {
                "想自己核验？" a href=(gongkai_protocol::paths::CHANGELOG) { "下载完整记录（JSON）" }
                "，再按 " a href="/scopes#verify" { "核验方法" } " 逐条计算摘要。补贴名单的逐户记录不在此页列出，名单本身的记录在。"
            }
            form.filter method="get" action="/history" {
                div.row {
                    label { "区域"
                        select name="scope" {
                            option value="" { "全县" }
                            @for (code, name) in &scopes {
                                option value=(code) selected[**code == prefix] { (name) }
                            }
                        }
                    }
                    label { "类别"
                        select name="kind" {
                            option value="" { "全部" }
                            @for k in FILTER_KINDS {
                                option value=(k.key()) selected[kind == Some(*k)] { (k.label()) }
                            }
                        }
                    }
                    label { "从" input type="date" name="from" value=(from.map(|d| d.to_string()).unwrap_or_default()); }
                    label { "到" input type="date" name="to" value=(to.map(|d| d.to_string()).unwrap_or_default()); }
                }
                button.secondary type="submit" { "筛选" }
                @if filter.kind.is_empty() && prefix.is_empty() && from.is_none() && to.is_none() {} @else {
                    a href="/history" { "清除筛选" }
                }
            }
            p.pages role="status" {
                @if shown == 0 {
                    "没有符合条件的记录。"
                } @else {
                    "符合条件的记录共 " (page_of.matching) " 条。本页 " (shown) " 条，从第 "
                    (page_of.entries.first().map(|e| e.n).unwrap_or(0)) " 号到第 " (page_of.entries.last().map(|e| e.n).unwrap_or(0))
                    " 号（新的在前）。"
                }
            }
            (entries_table(&page_of.entries, &names))
            nav.pages aria-label="翻页" {
                @if q.before.is_some() { a.button.secondary href=(link(None)) { "回到最新" } }
                @if let Some(next) = page_of.next_before {
                    a.button href=(link(Some(next))) { "更早的记录" }
                }
            }
        },
    ))
}
