//! One published thing as a clerk or auditor needs to see it (`/history/{scope}/{kind}/{id}`):
//! the content as residents see it, rendered from the same stored body the kiosks get;
//! its dates and 公示期; its attachments; every version in the public record; and which
//! kiosks verifiably show this version now (their last signed heartbeat reports the
//! scope at or past the entry that published it). Also where a new posting will reach,
//! for the confirmation before publishing.

use super::auth;
use super::shell::{level_label, page, raw, ConsoleError, Result};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_api::fleet::{statuses, Freshness, FINANCE_POSTING_DAYS};
use gongkai_api::state::AppState;
use gongkai_model::calendar::{beijing_date_of, beijing_minute};
use gongkai_model::{
    Attachment, ContentKind, Disclosure, Emergency, FinanceLineKind, FinanceStatement, Guide,
    Notice, RelocationBoard, ScopeId, SubsidyList, SubsidyRow,
};
use gongkai_protocol::changelog::{LogAction, LogEntry};
use gongkai_protocol::paths;
use maud::{html, Markup};
use std::collections::HashMap;

/// How many rows of a long list the page shows (the whole list is on the kiosks and in
/// the export).
const SHOWN_ROWS: usize = 20;

fn blob_url(name: &str) -> String {
    paths::fill(paths::BLOB, &[name])
}

fn attachments(list: &[Attachment]) -> Markup {
    html! {
        @if !list.is_empty() {
            h3 { "附件" }
            ul.attachments {
                @for a in list {
                    li {
                        a href=(blob_url(a.pages.first().unwrap_or(&a.sha256))) { (a.name) }
                        " " small.hint { (a.size / 1024) " KB" @if !a.pages.is_empty() { "，公开屏上显示为 " (a.pages.len()) " 页图片" } }
                    }
                }
            }
        }
    }
}

fn images(names: &[String]) -> Markup {
    html! {
        @if !names.is_empty() {
            div.photos { @for n in names { a href=(blob_url(n)) { img src=(blob_url(n)) alt="照片" loading="lazy"; } } }
        }
    }
}

/// The dates that govern an item, as a line for the page: publication, expiry, 公示期.
pub fn dates(kind: ContentKind, body: &str, first_published: Option<i64>) -> Option<String> {
    match kind {
        ContentKind::Notice => serde_json::from_str::<Notice>(body).ok().map(|n| {
            format!(
                "公开时间 {}；{}",
                beijing_minute(n.publish_at.timestamp()),
                n.expire_at.map_or("长期有效".into(), |e| format!(
                    "{} 起不再显示",
                    beijing_minute(e.timestamp())
                ))
            )
        }),
        ContentKind::Emergency => serde_json::from_str::<Emergency>(body).ok().map(|e| {
            format!(
                "{} 至 {} 占满公开屏",
                beijing_minute(e.publish_at.timestamp()),
                beijing_minute(e.expire_at.timestamp())
            )
        }),
        ContentKind::RelocationBoard => {
            serde_json::from_str::<RelocationBoard>(body).ok().map(|b| {
                format!(
                    "公示期 {} 至 {}（{} 天）",
                    b.posting_from,
                    b.posting_until,
                    (b.posting_until - b.posting_from).num_days() + 1
                )
            })
        }
        ContentKind::Finance => first_published.map(|at| {
            format!(
                "首次公开 {}；每期至少公示 {} 天，至 {}",
                beijing_minute(at),
                FINANCE_POSTING_DAYS,
                beijing_date_of(at + FINANCE_POSTING_DAYS * 86_400)
            )
        }),
        ContentKind::Disclosure => serde_json::from_str::<Disclosure>(body)
            .ok()
            .map(|d| format!("成文日期 {}", d.published_on)),
        _ => None,
    }
}

/// The content as residents read it on the kiosk, from the stored body. `rows` are a
/// subsidy list's first rows (masked, as published).
pub fn resident_view(kind: ContentKind, body: &str, rows: &[SubsidyRow]) -> Markup {
    let unreadable = html! { p.error { "内容无法读取（格式不对）。" } };
    match kind {
        ContentKind::Notice => match serde_json::from_str::<Notice>(body) {
            Ok(n) => html! {
                article.resident {
                    h2 { (n.title) }
                    p.hint { (n.publisher) }
                    div.body { (raw(&gongkai_store::sanitize::clean(&n.body_html))) }
                    (images(&n.images))
                }
            },
            Err(_) => unreadable,
        },
        ContentKind::Disclosure => match serde_json::from_str::<Disclosure>(body) {
            Ok(d) => html! {
                article.resident {
                    h2 { (d.title) }
                    dl.facts {
                        dt { "索引号" } dd { (d.index_no) }
                        dt { "发布机构" } dd { (d.publisher) }
                        @if !d.doc_no.is_empty() { dt { "文号" } dd { (d.doc_no) } }
                        dt { "类别" } dd { (d.category) }
                    }
                    div.body { (raw(&gongkai_store::sanitize::clean(&d.body_html))) }
                    (attachments(&d.attachments))
                }
            },
            Err(_) => unreadable,
        },
        ContentKind::Finance => match serde_json::from_str::<FinanceStatement>(body) {
            Ok(f) => {
                let (income, expense) = f.totals().unwrap_or_default();
                html! {
                    article.resident {
                        h2 { (f.village_name) " " (f.period) " 财务收支" }
                        table.figures { tbody {
                            tr { th { "期初余额" } td { (f.opening) } }
                            tr { th { "本期收入" } td { (income) } }
                            tr { th { "本期支出" } td { (expense) } }
                            tr { th { "期末余额" } td { (f.closing) } }
                        } }
                        table {
                            thead { tr { th { "日期" } th { "收支" } th { "科目" } th { "摘要" } th { "金额" } th { "凭证" } } }
                            tbody { @for l in &f.lines { tr {
                                td { (l.date) }
                                td { (if l.kind == FinanceLineKind::Income { "收入" } else { "支出" }) }
                                td { (l.category) } td { (l.description) } td { (l.amount) }
                                td { @for (i, v) in l.vouchers.iter().enumerate() { a href=(blob_url(v)) { "照片" (i + 1) } " " } }
                            } } }
                        }
                    }
                }
            }
            Err(_) => unreadable,
        },
        ContentKind::SubsidyList => match serde_json::from_str::<SubsidyList>(body) {
            Ok(l) => html! {
                article.resident {
                    h2 { (l.area_name) (l.year) "年" (l.programme) "名单" }
                    p { "发放单位：" (l.issuer) "。共 " (l.row_count) " 户，合计 " (l.total) "。" }
                    p.hint { "公开屏上身份证号只显示前 4 位和后 4 位；群众按姓名加身份证后几位查自己的一行。" }
                    @if !rows.is_empty() {
                        table {
                            thead { tr { th { "村（组）" } th { "姓名" } th { "身份证号" } th { "人口" } th { "金额" } } }
                            tbody { @for r in rows { tr {
                                td { (r.village_name) } td { (r.name) } td { (r.id_masked) }
                                td { (r.household_size) } td { (r.amount) }
                            } } }
                        }
                        @if (l.row_count as usize) > rows.len() { p.hint { "以上为前 " (rows.len()) " 户。" } }
                    }
                }
            },
            Err(_) => unreadable,
        },
        ContentKind::RelocationBoard => match serde_json::from_str::<RelocationBoard>(body) {
            Ok(b) => html! {
                article.resident {
                    h2 { (b.title) }
                    p { "异议受理：" (b.objection_place) "，电话 " (b.objection_phone) }
                    table {
                        thead { tr { th { "户编号" } th { "户主" } th { "身份证号" } th { "人口" } th { "实物指标及说明" } th { "补偿金额" } } }
                        tbody { @for r in b.rows.iter().take(SHOWN_ROWS) { tr {
                            td { (r.household_id) } td { (r.head_name) } td { (r.id_masked) }
                            td { (r.persons) } td { (r.detail) } td { (r.compensation) }
                        } } }
                    }
                    @if b.rows.len() > SHOWN_ROWS { p.hint { "共 " (b.rows.len()) " 户，以上为前 " (SHOWN_ROWS) " 户。" } }
                }
            },
            Err(_) => unreadable,
        },
        ContentKind::Guide => match serde_json::from_str::<Guide>(body) {
            Ok(g) => html! {
                article.resident {
                    h2 { (g.title) }
                    dl.facts {
                        dt { "办理部门" } dd { (g.department) }
                        dt { "办理时限" } dd { (g.time_limit) }
                        dt { "收费" } dd { (g.fees) }
                        dt { "办理地点" } dd { (g.place) }
                        dt { "电话" } dd { (g.phone) }
                        @if !g.basis.is_empty() { dt { "依据" } dd { (g.basis) } }
                    }
                    h3 { "需要带的材料" } ol { @for m in &g.materials { li { (m) } } }
                    h3 { "办理步骤" } ol { @for s in &g.steps { li { (s) } } }
                }
            },
            Err(_) => unreadable,
        },
        ContentKind::Emergency => match serde_json::from_str::<Emergency>(body) {
            Ok(e) => html! {
                article.resident.emergency {
                    h2 { (e.level.label()) "：" (e.title) }
                    @for line in e.body.lines().filter(|l| !l.trim().is_empty()) { p { (line) } }
                    p.hint { (e.issuer) }
                }
            },
            Err(_) => unreadable,
        },
        _ => html! { p.hint { "这类内容不在公开屏上单独显示。" } },
    }
}

/// Where a posting to `scope` will show: every enrolled kiosk at or below it (a village
/// kiosk follows its village, township and county).
pub struct Reach {
    pub kiosks: usize,
    pub places: Vec<String>,
}

pub async fn reach(st: &AppState, scope: &ScopeId) -> Result<Reach> {
    let sc = scope.clone();
    let (kiosks, heads) =
        super::posting::blocking(&st.store, move |s| Ok((s.kiosks(sc.as_str())?, s.heads()?)))
            .await?;
    let names: HashMap<String, String> = heads
        .into_iter()
        .map(|h| (h.scope.to_string(), h.name))
        .collect();
    let mut places: Vec<String> = kiosks
        .iter()
        .map(|k| {
            names
                .get(&k.scope)
                .cloned()
                .unwrap_or_else(|| k.scope.clone())
        })
        .collect();
    places.sort();
    places.dedup();
    Ok(Reach {
        kiosks: kiosks.len(),
        places,
    })
}

/// The sentence a clerk reads before confirming.
pub fn reach_line(scope_name: &str, r: &Reach) -> Markup {
    html! {
        @if r.kiosks == 0 {
            "将公开到“" (scope_name) "”。这个范围内还没有注册的公开屏：发布后进入公开记录，注册的屏上线后显示。"
        } @else {
            "将公开到“" (scope_name) "”，显示在 " strong { (r.kiosks) " 台公开屏" } " 上（" (r.places.join("、")) "），各屏一般在 1 分钟内更新。"
        }
    }
}

/// GET /notices/{scope}/{id}: a notice's page is its item page.
pub async fn notice(Path((scope, id)): Path<(String, String)>) -> Response {
    Redirect::to(&format!("/history/{scope}/notice/{id}")).into_response()
}

pub async fn page_of(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((scope, kind, id)): Path<(String, String, String)>,
) -> Result<Response> {
    let session = auth::optional(&st, &headers).await;
    let scope = ScopeId::parse(&scope).map_err(|_| ConsoleError::not_found())?;
    let kind = ContentKind::from_key(&kind).ok_or_else(ConsoleError::not_found)?;
    if kind == ContentKind::SubsidyRow {
        // A household's row is found on the kiosk by its owner, never browsed here.
        return Err(ConsoleError::not_found());
    }
    let (sc, i) = (scope.clone(), id.clone());
    let (entries, body, rows) = super::posting::blocking(&st.store, move |s| {
        let entries = s.item_history(&sc, kind, &i)?;
        let body = s.item_body(&sc, kind, &i)?;
        let rows = if kind == ContentKind::SubsidyList && body.is_some() {
            let prefix = format!("{i}-");
            let mut rows: Vec<(String, String)> = s
                .items_of_kind(&sc, ContentKind::SubsidyRow)?
                .into_iter()
                .filter(|(id, _)| id.starts_with(&prefix))
                .collect();
            rows.sort();
            rows.into_iter()
                .take(SHOWN_ROWS)
                .filter_map(|(_, b)| serde_json::from_str::<SubsidyRow>(&b).ok())
                .collect()
        } else {
            Vec::new()
        };
        Ok((entries, body, rows))
    })
    .await?;
    if entries.is_empty() && body.is_none() {
        return Err(ConsoleError::not_found());
    }
    let names = super::history::scope_names(&st).await?;
    let now = st.clock.unix();
    let settings = st.fleet.clone();
    let prefix = scope.as_str().to_string();
    let kiosks =
        super::posting::blocking(&st.store, move |s| statuses(s, &prefix, now, &settings)).await?;
    let head = {
        let sc = scope.clone();
        super::posting::blocking(&st.store, move |s| s.head(&sc)).await?
    };
    let latest: Option<&LogEntry> = entries.last();
    let live = body.is_some();
    let may_change = session.as_ref().is_some_and(|s| s.user.covers(&scope)) && live;
    let title = entries
        .iter()
        .rev()
        .find(|e| !e.title.is_empty())
        .map(|e| e.title.clone())
        .unwrap_or_else(|| id.clone());
    let first_published = entries.first().map(|e| e.at);
    let place = names
        .get(scope.as_str())
        .cloned()
        .unwrap_or_else(|| scope.to_string());
    let version_seq = latest.map(|e| e.seq).unwrap_or(0);
    Ok(page(
        &format!("{} · {}", kind.label(), title),
        session.as_ref().map(|s| &s.user),
        html! {
            dl.facts {
                dt { "公开到" } dd { (place) "（" (level_label(&scope)) "）" }
                @if let Some(d) = body.as_deref().and_then(|b| dates(kind, b, first_published)) { dt { "时间" } dd { (d) } }
                @if let Some(e) = latest {
                    dt { "当前版本" } dd { (e.action.label()) "于 " (beijing_minute(e.at)) "，经办 " (e.actor) "，记录第 " (e.n) " 号" }
                }
            }
            @match &body {
                Some(b) => {
                    @if gongkai_protocol::paths::public::KINDS.contains(&kind) {
                        p.print {
                            "打印公示栏版（PDF，含公示期、异议渠道、手机查看二维码和公开记录编号）："
                            a href=(format!("/print/{}/{}/{}?size=a4", scope.as_str(), kind.key(), gongkai_protocol::paths::public::segment(&id))) data-testid="print-a4" { "A4" }
                            " · "
                            a href=(format!("/print/{}/{}/{}?size=a3", scope.as_str(), kind.key(), gongkai_protocol::paths::public::segment(&id))) data-testid="print-a3" { "A3" }
                        }
                    }
                    h2 { "公开屏上显示的内容" }
                    div.resident-frame { (resident_view(kind, b, &rows)) }
                }
                None => {
                    p.waiting role="status" {
                        "此项已撤回，公开屏上不再显示。"
                        @if let Some(e) = latest.filter(|e| e.action == LogAction::Withdraw) { "撤回记录：第 " (e.n) " 号，" (beijing_minute(e.at)) "。" }
                    }
                }
            }
            h2 { "哪些公开屏正在显示这一版" }
            @if kiosks.is_empty() {
                p.empty { "这个范围内还没有注册的公开屏。" }
            } @else {
                p.hint { "依据每台屏最近一次签名上报的同步进度：已同步到变更序号 " (version_seq) " 或之后的屏，显示的就是这一版" @if !live { "（即已不再显示此项）" } "。" }
                table.kiosks {
                    thead { tr { th { "公开屏" } th { "位置" } th { "这一版" } th { "最近联系" } } }
                    tbody {
                        @for k in &kiosks {
                            @let report = k.report.as_ref().and_then(|r| r.scopes.iter().find(|x| x.scope == scope.as_str()));
                            @let has = report.is_some_and(|r| r.epoch == head.epoch && r.seq >= version_seq);
                            tr {
                                td { a href=(format!("/fleet/kiosks/{}", k.record.kiosk_id)) { (k.record.kiosk_id) } }
                                td { (names.get(&k.record.scope).cloned().unwrap_or_else(|| k.record.scope.clone())) }
                                td {
                                    @if has {
                                        span.badge.approved { @if live { "正在显示" } @else { "已撤下" } }
                                    } @else {
                                        span.badge.warn { "尚未同步到这一版" } " " small.hint { "（在线的屏一般 1 分钟内同步）" }
                                    }
                                    @if matches!(k.freshness, Freshness::Offline { .. } | Freshness::NeverSeen) { " " span.badge.warn { (k.freshness.label()) } }
                                }
                                td { (k.record.last_seen_at.map(beijing_minute).unwrap_or_else(|| "从未".into())) }
                            }
                        }
                    }
                }
            }
            h2 { "公开记录" }
            @if entries.is_empty() { p.empty { "没有记录。" } } @else { (super::history::entries_table(&entries, &names)) }
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
