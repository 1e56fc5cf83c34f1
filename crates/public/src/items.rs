//! A kind's list for a place and one item's page, showing exactly what the place's kiosk
//! shows at this moment: the items of the place and every place above it, newest first,
//! notices gone the second they expire. A withdrawn item's page says 已撤回 with its entry
//! in the public record instead of vanishing.

use super::frame::{page, place, read, rich, PageError, PageResult};
use super::{chart, item_path, lookup, Place, Prefs, Public};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use gongkai_model::calendar::{beijing_date, beijing_minute};
use gongkai_model::{
    boards, Attachment, ContentKind, Disclosure, FinanceLineKind, FinanceStatement, Guide,
    ItemSummary, Notice, RelocationBoard, ScopeId, SubsidyList,
};
use gongkai_protocol::changelog::LogAction;
use gongkai_protocol::paths;
use maud::{html, Markup};

use gongkai_protocol::paths::public::KINDS;

const PER_PAGE: usize = 20;
/// Rows per page of a list its publisher published whole.
const ROWS_PER_PAGE: usize = 50;

/// One item a kiosk of the place shows.
pub(crate) struct Listed {
    pub owner: ScopeId,
    pub owner_name: String,
    pub kind: ContentKind,
    pub id: String,
    pub summary: ItemSummary,
    pub body: String,
}

/// Whether an item with this summary is shown at `now` (notices and lists that expire).
pub(crate) fn shown_at(summary: &ItemSummary, now: DateTime<Utc>) -> bool {
    match &summary.expires_at {
        None => true,
        Some(at) => DateTime::parse_from_rfc3339(at).is_ok_and(|t| t > now),
    }
}

/// The items of `kind` a kiosk of `place` shows now, newest first (then by id), as the
/// kiosk orders them.
pub(crate) async fn visible(
    st: &Public,
    place: &Place,
    kind: ContentKind,
) -> Result<Vec<Listed>, PageError> {
    let now = st.app.clock.now();
    let chain: Vec<(ScopeId, String)> = place
        .chain
        .iter()
        .map(|h| (h.scope.clone(), h.name.clone()))
        .collect();
    let mut out = read(st, move |s| {
        let mut out = Vec::new();
        for (scope, name) in &chain {
            for (id, body) in s.items_of_kind(scope, kind)? {
                // A body that does not parse is not on any kiosk either.
                let Ok(summary) = gongkai_model::summarize(kind, &body) else {
                    continue;
                };
                if shown_at(&summary, now) {
                    out.push(Listed {
                        owner: scope.clone(),
                        owner_name: name.clone(),
                        kind,
                        id,
                        summary,
                        body,
                    });
                }
            }
        }
        Ok(out)
    })
    .await?;
    out.sort_by(|a, b| {
        b.summary
            .date
            .cmp(&a.summary.date)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(out)
}

pub(crate) fn kind_from_path(key: &str) -> Result<ContentKind, PageError> {
    ContentKind::from_key(key)
        .filter(|k| KINDS.contains(k))
        .ok_or(PageError::NotFound)
}

/// What an entry says under its title: when, and from which level if not the place's own.
pub(crate) fn entry(place: &Place, item: &Listed) -> Markup {
    let when = match item.kind {
        ContentKind::Notice => DateTime::parse_from_rfc3339(&item.summary.date)
            .map(|t| beijing_minute(t.timestamp()))
            .unwrap_or_default(),
        ContentKind::Guide => item.summary.category.clone(),
        _ => item.summary.date.clone(),
    };
    html! {
        li {
            a href=(item_path(place.scope.as_str(), item.kind.key(), item.owner.as_str(), &item.id)) {
                span.title { (item.summary.title) }
                span.meta {
                    (when)
                    @if item.owner != place.scope { " · " span.level { (item.owner_name) } }
                }
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct PageQuery {
    #[serde(default)]
    page: usize,
}

pub(crate) async fn list(
    State(st): State<Public>,
    Path((scope, kind)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> PageResult {
    let kind = kind_from_path(&kind)?;
    let place = place(&st, &scope).await?;
    let items = visible(&st, &place, kind).await?;
    let pages = items.len().div_ceil(PER_PAGE).max(1);
    let at = q.page.min(pages - 1);
    let here = gongkai_protocol::paths::public::list(place.scope.as_str(), kind.key());
    let body = html! {
        @if kind == ContentKind::SubsidyList {
            (lookup::find_form(&place, None))
            h2 { "本村可查的名单" }
        }
        @if items.is_empty() {
            p.empty { "暂时没有" (kind.label()) "。" }
        } @else {
            ul.entries { @for item in items.iter().skip(at * PER_PAGE).take(PER_PAGE) { (entry(&place, item)) } }
            (pager(&here, at, pages))
        }
    };
    Ok(page(
        &st,
        &place,
        Prefs::from_headers(&headers),
        &here,
        kind.label(),
        body,
    ))
}

fn pager(here: &str, at: usize, pages: usize) -> Markup {
    html! {
        @if pages > 1 {
            nav.pager aria-label="翻页" {
                @if at > 0 { a href={(here) "?page=" (at - 1)} { "‹ 上一页" } }
                span { "第 " (at + 1) " / " (pages) " 页" }
                @if at + 1 < pages { a href={(here) "?page=" (at + 1)} { "下一页 ›" } }
            }
        }
    }
}

pub(crate) async fn detail(
    State(st): State<Public>,
    Path((scope, kind, owner, id)): Path<(String, String, String, String)>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> PageResult {
    let kind = kind_from_path(&kind)?;
    let place = place(&st, &scope).await?;
    let owner = place.owns(&owner).ok_or(PageError::NotFound)?.scope.clone();
    let prefs = Prefs::from_headers(&headers);
    let here = item_path(place.scope.as_str(), kind.key(), owner.as_str(), &id);
    let (o, i) = (owner.clone(), id.clone());
    let body = read(&st, move |s| s.item_body(&o, kind, &i)).await?;
    let Some(body) = body else {
        return withdrawn(&st, &place, prefs, &here, kind, owner, id).await;
    };
    let summary = gongkai_model::summarize(kind, &body).map_err(|_| PageError::NotFound)?;
    let now = st.app.clock.now();
    if !shown_at(&summary, now) {
        let text = html! {
            p.notice { "这条" (kind.label()) "已于 " (summary.expires_at.as_deref().and_then(|e| DateTime::parse_from_rfc3339(e).ok()).map(|t| beijing_minute(t.timestamp())).unwrap_or_default()) " 到期，不再公示。" }
        };
        return Ok(page(&st, &place, prefs, &here, &summary.title, text));
    }
    let content = match kind {
        ContentKind::Notice => notice(&body),
        ContentKind::Disclosure => disclosure(&body),
        ContentKind::Finance => finance(&body),
        ContentKind::Guide => guide(&body),
        ContentKind::RelocationBoard => board(&st, &owner, &body, beijing_date(now)).await?,
        ContentKind::SubsidyList => {
            subsidy_list(&st, &place, &owner, &id, &body, q.page, &here).await?
        }
        _ => None,
    }
    .ok_or(PageError::NotFound)?;
    Ok(page(&st, &place, prefs, &here, &summary.title, content))
}

/// An item that is no longer live: 已撤回 with its entry in the public record when the
/// record has one, else a missing page.
async fn withdrawn(
    st: &Public,
    place: &Place,
    prefs: Prefs,
    here: &str,
    kind: ContentKind,
    owner: ScopeId,
    id: String,
) -> PageResult {
    let history = read(st, move |s| s.item_history(&owner, kind, &id)).await?;
    let Some(last) = history.last().filter(|e| e.action == LogAction::Withdraw) else {
        return Err(PageError::NotFound);
    };
    let title = history
        .iter()
        .rev()
        .find(|e| !e.title.is_empty())
        .map_or_else(|| kind.label().to_string(), |e| e.title.clone());
    let body = html! {
        p.withdrawn { strong { "已撤回" } "：这条" (kind.label()) "已于 " (beijing_minute(last.at)) " 撤回，不再公示。" }
        p.hint {
            "公开记录第 " (last.n) " 条（经办：" (last.actor) "），记录摘要 "
            code { (&last.entry_hash[..16.min(last.entry_hash.len())]) }
            "。撤回前的发布和更正也都在 " a href="/history" { "公开记录" } " 里。"
        }
    };
    Ok(page(st, place, prefs, here, &title, body))
}

fn blob_url(name: &str) -> String {
    paths::fill(paths::BLOB, &[name])
}

fn photos(names: &[String]) -> Markup {
    html! {
        @if !names.is_empty() {
            div.photos { @for n in names { a href=(blob_url(n)) { img src=(blob_url(n)) alt="照片" loading="lazy"; } } }
        }
    }
}

fn notice(body: &str) -> Option<Markup> {
    let n: Notice = serde_json::from_str(body).ok()?;
    Some(html! {
        p.meta { (n.publisher) " · " (beijing_minute(n.publish_at.timestamp())) }
        @if let Some(e) = n.expire_at { p.meta { "公示至 " (beijing_minute(e.timestamp())) } }
        div.body { (rich(&n.body_html)) }
        (photos(&n.images))
    })
}

fn attachments(list: &[Attachment]) -> Markup {
    html! {
        @for a in list {
            section.attachment {
                h2 { "附件：" (a.name) }
                @if a.pages.is_empty() {
                    p { a href=(blob_url(&a.sha256)) { "打开附件" } " （" (a.size / 1024) " KB）" }
                } @else {
                    p.hint { "共 " (a.pages.len()) " 页，点图片看大图。" }
                    @for (i, p) in a.pages.iter().enumerate() {
                        a.page href=(blob_url(p)) { img src=(blob_url(p)) alt={"第 " (i + 1) " 页"} loading="lazy"; }
                    }
                }
            }
        }
    }
}

fn disclosure(body: &str) -> Option<Markup> {
    let d: Disclosure = serde_json::from_str(body).ok()?;
    Some(html! {
        dl.facts {
            dt { "发布机构" } dd { (d.publisher) }
            @if !d.doc_no.is_empty() { dt { "文号" } dd { (d.doc_no) } }
            dt { "成文日期" } dd { (d.published_on) }
            dt { "类别" } dd { (d.category) }
            dt { "索引号" } dd { (d.index_no) }
        }
        div.body { (rich(&d.body_html)) }
        (attachments(&d.attachments))
    })
}

fn finance(body: &str) -> Option<Markup> {
    let f: FinanceStatement = serde_json::from_str(body).ok()?;
    let (income, expense) = f.totals().ok()?;
    Some(html! {
        table.figures { tbody {
            tr { th { "期初余额" } td { (f.opening) } }
            tr { th { "本期收入" } td { (income) } }
            tr { th { "本期支出" } td { (expense) } }
            tr { th { "期末余额" } td { (f.closing) } }
        } }
        (chart::finance(&f))
        h2 { "收支明细" }
        ul.lines {
            @for l in &f.lines {
                li {
                    span.amount.(if l.kind == FinanceLineKind::Income { "in" } else { "out" }) {
                        (if l.kind == FinanceLineKind::Income { "收入 " } else { "支出 " }) (l.amount)
                    }
                    span.what { (l.date) " · " (l.category) "：" (l.description) }
                    @if !l.vouchers.is_empty() {
                        span.vouchers { @for (i, v) in l.vouchers.iter().enumerate() { a href=(blob_url(v)) { "凭证" (i + 1) } " " } }
                    }
                }
            }
        }
    })
}

fn guide(body: &str) -> Option<Markup> {
    let g: Guide = serde_json::from_str(body).ok()?;
    Some(html! {
        dl.facts.promise {
            dt { "承诺时限" } dd { strong { (g.time_limit) } }
            dt { "收费" } dd { (g.fees) }
            dt { "办理地点" } dd { (g.place) }
            dt { "咨询电话" } dd { a href={"tel:" (g.phone)} { (g.phone) } }
            dt { "办理部门" } dd { (g.department) }
            @if !g.basis.is_empty() { dt { "设定依据" } dd { (g.basis) } }
        }
        h2 { "需要带的材料" } ol { @for m in &g.materials { li { (m) } } }
        h2 { "办理步骤" } ol { @for s in &g.steps { li { (s) } } }
    })
}

async fn board(
    st: &Public,
    owner: &ScopeId,
    body: &str,
    today: chrono::NaiveDate,
) -> Result<Option<Markup>, PageError> {
    let Ok(b) = serde_json::from_str::<RelocationBoard>(body) else {
        return Ok(None);
    };
    let (status, days) = boards::posting(&b, today);
    // The board of the round before, of the same village: what changed since.
    let o = owner.clone();
    let previous = read(st, move |s| {
        s.items_of_kind(&o, ContentKind::RelocationBoard)
    })
    .await?
    .into_iter()
    .filter_map(|(_, body)| serde_json::from_str::<RelocationBoard>(&body).ok())
    .find(|p| p.village_name == b.village_name && p.round + 1 == b.round);
    let changes: Option<Vec<String>> = previous.as_ref().map(|p| {
        boards::diff(&p.rows, &b.rows)
            .iter()
            .filter_map(describe)
            .collect()
    });
    Ok(Some(html! {
        p.posting.(match status { boards::PostingStatus::Posting => "on", _ => "off" }) {
            @match status {
                boards::PostingStatus::Upcoming => { "尚未开始公示：" (b.posting_from) " 起公示 " (days) " 天。" }
                boards::PostingStatus::Posting => { "公示中，还剩 " strong { (days) } " 天（含今天），至 " (b.posting_until) "。" }
                boards::PostingStatus::Ended => { "公示期已结束（" (b.posting_from) " 至 " (b.posting_until) "）。" }
            }
        }
        p { "有异议请在公示期内到 " (b.objection_place) " 反映，电话 " a href={"tel:" (b.objection_phone)} { (b.objection_phone) } "。" }
        @if let Some(changes) = &changes {
            h2 { "与第 " (b.round - 1) " 榜相比" }
            @if changes.is_empty() {
                p { "没有变化。" }
            } @else {
                ul.changes { @for c in changes { li { (c) } } }
            }
        }
        h2 { "本榜名单（" (b.rows.len()) " 户）" }
        ul.rows {
            @for r in &b.rows {
                li {
                    span.title { (r.head_name) " · " (r.persons) " 人" }
                    span.meta { "户编号 " (r.household_id) " · " (r.id_masked) }
                    span.meta { (r.detail) " · 补偿 " (r.compensation) }
                }
            }
        }
    }))
}

#[allow(clippy::too_many_arguments)]
async fn subsidy_list(
    st: &Public,
    place: &Place,
    owner: &ScopeId,
    id: &str,
    body: &str,
    at: usize,
    here: &str,
) -> Result<Option<Markup>, PageError> {
    let Ok(l) = serde_json::from_str::<SubsidyList>(body) else {
        return Ok(None);
    };
    let head = html! {
        dl.facts {
            dt { "发放单位" } dd { (l.issuer) }
            dt { "户数" } dd { (l.row_count) " 户" }
            dt { "合计" } dd { (l.total) }
        }
    };
    if !l.shown_in_full {
        return Ok(Some(html! {
            (head)
            p.hint { "这张名单只能查自己的一行：请输入姓名（或拼音首字母）和身份证号后四位。全部名单张贴在村公开栏和公开屏上。" }
            (lookup::find_form(place, None))
        }));
    }
    let scope_rows = lookup::rows_of(st, owner).await?;
    let rows = scope_rows.list(id);
    let pages = rows.len().div_ceil(ROWS_PER_PAGE).max(1);
    let at = at.min(pages - 1);
    Ok(Some(html! {
        (head)
        p.hint { "这张名单由发放单位全文公开。身份证号只显示前后几位。" }
        table.rows {
            thead { tr { th { "姓名" } th { "身份证号" } th { "人口" } th { "金额" } } }
            tbody { @for r in rows.iter().skip(at * ROWS_PER_PAGE).take(ROWS_PER_PAGE) { tr {
                td { (r.name) } td { (r.id_masked) } td { (r.household_size) } td { (r.amount) }
            } } }
        }
        (pager(here, at, pages))
    }))
}

/// One household's change between two boards in a resident's words; none if unchanged.
fn describe(c: &boards::RowChange) -> Option<String> {
    use boards::RowChangeKind as K;
    let who = |r: &gongkai_model::RelocationRow| {
        format!("{}户（户编号 {}）", r.head_name, r.household_id)
    };
    match (c.change, &c.before, &c.after) {
        (K::Added, _, Some(a)) => Some(format!(
            "新增：{}，{} 人，补偿 {}",
            who(a),
            a.persons,
            a.compensation
        )),
        (K::Removed, Some(b), _) => Some(format!("删除：{}", who(b))),
        (K::Changed, Some(b), Some(a)) => {
            let mut parts = Vec::new();
            for f in &c.fields {
                parts.push(match f.as_str() {
                    "人口" => format!("人口 {} → {}", b.persons, a.persons),
                    "补偿金额" => format!("补偿 {} → {}", b.compensation, a.compensation),
                    "户主" => format!("户主 {} → {}", b.head_name, a.head_name),
                    "情况" => format!("情况改为“{}”", a.detail),
                    other => other.to_string(),
                });
            }
            Some(format!("变更：{}：{}", who(a), parts.join("，")))
        }
        _ => None,
    }
}
