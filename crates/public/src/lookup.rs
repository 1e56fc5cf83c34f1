//! The two lookups a resident makes from a phone: 查我的补贴 (their own row on every
//! subsidy list and 三榜 board the place's kiosk shows, by whole name or initials plus the
//! ID tail — the kiosk's rule, `names::person_query` and `names::same_person`) and
//! 查询办理进度 (a filing by its tracking code). Both are counted per address like the
//! kiosks' code lookup, so neither a list nor the codes can be walked by guessing; a
//! filing of another place answers exactly like a code that does not exist.

use super::frame::{page, place, read, PageError, PageResult};
use super::items::visible;
use super::{track_path, Place, Prefs, Public};
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use gongkai_api::error::ClientIp;
use gongkai_model::complaint::TrackingCode;
use gongkai_model::names;
use gongkai_model::{idcard, ContentKind, RelocationBoard, ScopeId, SubsidyList, SubsidyRow};
use gongkai_protocol::paths::public;
use gongkai_store::ScopeHead;
use maud::{html, Markup};
use std::collections::HashMap;
use std::sync::Arc;

/// One scope's subsidy rows, by list and by ID tail, for its head at (epoch, seq).
pub(crate) struct ScopeRows {
    epoch: u64,
    seq: u64,
    by_list: HashMap<String, Vec<SubsidyRow>>,
    /// ID tail → (list id, index into that list's rows).
    by_tail: HashMap<String, Vec<(String, usize)>>,
}

impl ScopeRows {
    /// Every row of one list, in id order.
    pub(crate) fn list(&self, list_id: &str) -> &[SubsidyRow] {
        self.by_list.get(list_id).map_or(&[], Vec::as_slice)
    }

    fn build(head: &ScopeHead, rows: Vec<(String, String)>) -> ScopeRows {
        let mut by_list: HashMap<String, Vec<SubsidyRow>> = HashMap::new();
        for (_, body) in rows {
            if let Ok(row) = serde_json::from_str::<SubsidyRow>(&body) {
                by_list.entry(row.list_id.clone()).or_default().push(row);
            }
        }
        let mut by_tail: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (list, rows) in &by_list {
            for (i, r) in rows.iter().enumerate() {
                by_tail
                    .entry(idcard::tail(&r.id_masked))
                    .or_default()
                    .push((list.clone(), i));
            }
        }
        ScopeRows {
            epoch: head.epoch,
            seq: head.seq,
            by_list,
            by_tail,
        }
    }
}

/// The rows of `scope` as of its head now, built once per published state.
async fn scope_rows(st: &Public, scope: &ScopeId) -> Result<Arc<ScopeRows>, PageError> {
    let s = scope.clone();
    let head = read(st, move |store| store.head(&s)).await?;
    if let Some(cached) = st
        .rows
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(scope)
        .filter(|r| r.epoch == head.epoch && r.seq == head.seq)
    {
        return Ok(cached.clone());
    }
    let s = scope.clone();
    let built = read(st, move |store| {
        // Rows read in one go with the head they belong to would need a snapshot the
        // store does not offer for this read; a publish in between only means the next
        // lookup builds again (the head recorded is the older one).
        let rows = store.items_of_kind(&s, ContentKind::SubsidyRow)?;
        Ok(Arc::new(ScopeRows::build(&head, rows)))
    })
    .await?;
    st.rows
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(scope.clone(), built.clone());
    Ok(built)
}

/// The rows of `owner`'s lists as kept for its head now (shared, not copied: a page of a
/// list published whole reads 50 of its rows).
pub(crate) async fn rows_of(st: &Public, owner: &ScopeId) -> Result<Arc<ScopeRows>, PageError> {
    scope_rows(st, owner).await
}

/// The form of 查我的补贴, with what was typed when it is shown again with an error.
pub(crate) fn find_form(place: &Place, again: Option<(&FindForm, &str)>) -> Markup {
    html! {
        form.find method="post" action=(public::find(place.scope.as_str())) {
            h2 { "查我的补贴" }
            p.hint { "查您本人在本村可查的各张补贴名单和移民三榜上的记录。只显示您自己的一行。" }
            @if let Some((_, message)) = again { p.error role="alert" { (message) } }
            label for="who" { "姓名（或拼音首字母，如 wjg）" }
            input #who name="who" type="text" autocomplete="name" required value=(again.map_or("", |(f, _)| f.who.as_str()));
            label for="tail" { "身份证号最后 4 位" }
            input #tail name="tail" type="text" inputmode="numeric" maxlength="4" pattern="[0-9]{3}[0-9Xx]" required value=(again.map_or("", |(f, _)| f.tail.as_str()));
            button type="submit" { "查询" }
        }
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct FindForm {
    #[serde(default)]
    who: String,
    #[serde(default)]
    tail: String,
}

async fn counted(st: &Public, ip: &ClientIp, what: &str) -> Result<(), PageError> {
    gongkai_api::error::rate_limit(
        &st.app,
        vec![(
            format!("{what}:ip:{}", ip.0),
            st.app.rate.lookups_per_10_min,
        )],
        600,
    )
    .await
    .map_err(|_| PageError::TooMany)
}

pub(crate) async fn find(
    State(st): State<Public>,
    Path(scope): Path<String>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(form): Form<FindForm>,
) -> PageResult {
    let place = place(&st, &scope).await?;
    let prefs = Prefs::from_headers(&headers);
    let here = public::list(place.scope.as_str(), ContentKind::SubsidyList.key());
    let (asked, tail) = match names::person_query(&form.who, &form.tail) {
        Ok(q) => q,
        Err(message) => {
            let body = find_form(&place, Some((&form, message)));
            return Ok(page(&st, &place, prefs, &here, "查我的补贴", body));
        }
    };
    counted(&st, &ip, "mfind").await?;
    let lists = visible(&st, &place, ContentKind::SubsidyList).await?;
    let boards = visible(&st, &place, ContentKind::RelocationBoard).await?;
    let mut found_rows: Vec<(&super::items::Listed, SubsidyList, SubsidyRow)> = Vec::new();
    let mut per_scope: HashMap<ScopeId, Arc<ScopeRows>> = HashMap::new();
    for l in &lists {
        let Ok(header) = serde_json::from_str::<SubsidyList>(&l.body) else {
            continue;
        };
        let rows = match per_scope.get(&l.owner) {
            Some(r) => r.clone(),
            None => {
                let r = scope_rows(&st, &l.owner).await?;
                per_scope.insert(l.owner.clone(), r.clone());
                r
            }
        };
        for (list, i) in rows.by_tail.get(&tail).into_iter().flatten() {
            if *list != l.id {
                continue;
            }
            if let Some(row) = rows.by_list.get(list).and_then(|r| r.get(*i)) {
                if names::same_person(&asked, &row.name) {
                    found_rows.push((l, header.clone(), row.clone()));
                }
            }
        }
    }
    let mut found_boards = Vec::new();
    for b in &boards {
        let Ok(board) = serde_json::from_str::<RelocationBoard>(&b.body) else {
            continue;
        };
        for row in &board.rows {
            if idcard::tail(&row.id_masked) == tail && names::same_person(&asked, &row.head_name) {
                found_boards.push((b, board.clone(), row.clone()));
            }
        }
    }
    let body = html! {
        @if found_rows.is_empty() && found_boards.is_empty() {
            p.notice {
                "在本村可查的 " (lists.len()) " 张补贴名单和 " (boards.len()) " 张移民三榜上，没有找到与您输入的姓名和身份证后四位都相符的记录。"
            }
            p.hint { "请核对姓名（要写全名）和身份证号最后4位。名单以村公开栏张贴的为准，有疑问请联系村委会或发放单位。" }
        } @else {
            p { "找到 " (found_rows.len() + found_boards.len()) " 条与您相符的记录（在 " (lists.len()) " 张名单、" (boards.len()) " 张三榜中查找）：" }
            ul.found {
                @for (l, header, row) in &found_rows {
                    li {
                        a href=(super::item_path(place.scope.as_str(), ContentKind::SubsidyList.key(), l.owner.as_str(), &l.id)) { span.title { (l.summary.title) } }
                        span.meta { "发放单位：" (header.issuer) }
                        span.row { (row.name) " · " (row.id_masked) " · " (row.household_size) " 人" @if let Some(a) = row.area_centimu { " · " (a / 100) "." (format!("{:02}", a % 100)) " 亩" } }
                        span.amount { "金额 " (row.amount) }
                    }
                }
                @for (b, board, row) in &found_boards {
                    li {
                        a href=(super::item_path(place.scope.as_str(), ContentKind::RelocationBoard.key(), b.owner.as_str(), &b.id)) { span.title { (board.title) } }
                        span.meta { "公示期 " (board.posting_from) " 至 " (board.posting_until) }
                        span.row { (row.head_name) " · " (row.id_masked) " · " (row.persons) " 人 · 户编号 " (row.household_id) }
                        span.amount { "补偿 " (row.compensation) }
                    }
                }
            }
        }
        (find_form(&place, None))
    };
    Ok(page(&st, &place, prefs, &here, "查我的补贴", body))
}

#[derive(serde::Deserialize)]
pub(crate) struct TrackQuery {
    #[serde(default)]
    code: String,
}

fn track_form(place: &Place, typed: &str, message: Option<&str>) -> Markup {
    html! {
        form.find method="get" action=(public::track_form(place.scope.as_str())) {
            p.hint { "输入在公开屏上提交诉求或申请时拿到的查询码（回执上的 9 位字母和数字），可以不写短横线。" }
            @if let Some(m) = message { p.error role="alert" { (m) } }
            label for="code" { "查询码" }
            input #code name="code" type="text" autocapitalize="characters" autocomplete="off" required value=(typed);
            button type="submit" { "查询" }
        }
    }
}

/// 查询办理进度: the form, or with `?code=` the way to that filing's page.
pub(crate) async fn track_form_page(
    State(st): State<Public>,
    Path(scope): Path<String>,
    Query(q): Query<TrackQuery>,
    headers: HeaderMap,
) -> PageResult {
    let place = place(&st, &scope).await?;
    let typed = q.code.trim();
    if !typed.is_empty() {
        if let Ok(code) = TrackingCode::parse(typed) {
            return Ok(
                Redirect::to(&track_path(place.scope.as_str(), code.as_str())).into_response(),
            );
        }
    }
    let message =
        (!typed.is_empty()).then_some("查询码不对：请核对这 9 位字母和数字（最后一位是校验码）。");
    let here = public::track_form(place.scope.as_str());
    let body = track_form(&place, typed, message);
    Ok(page(
        &st,
        &place,
        Prefs::from_headers(&headers),
        &here,
        "查询办理进度",
        body,
    ))
}

pub(crate) async fn track(
    State(st): State<Public>,
    Path((scope, code)): Path<(String, String)>,
    ip: ClientIp,
    headers: HeaderMap,
) -> PageResult {
    let place = place(&st, &scope).await?;
    let prefs = Prefs::from_headers(&headers);
    counted(&st, &ip, "mtrack").await?;
    let here = track_path(place.scope.as_str(), &code);
    let not_found = |st: &Public, place: &Place| {
        let body = track_form(
            place,
            &code,
            Some("没有找到这个查询码：请核对后再试。刚在公开屏提交的，可能还没有传到服务器（公开屏联网后会自动上传）。"),
        );
        page(st, place, prefs, &here, "查询办理进度", body)
    };
    let Ok(parsed) = TrackingCode::parse(&code) else {
        return Ok(not_found(&st, &place));
    };
    let detail = read(&st, move |s| s.complaint_detail(&parsed)).await?;
    // Filings of this place or a place above it (the county's own), or below it when the
    // page is a township's or the county's; anything else is not this page's to show.
    let Some(d) = detail
        .filter(|d| place.owns(&d.scope).is_some() || d.scope.starts_with(place.scope.as_str()))
    else {
        return Ok(not_found(&st, &place));
    };
    let s = d.public;
    let body = html! {
        dl.facts.status {
            dt { "查询码" } dd { strong { (s.code.display()) } }
            dt { "类别" } dd { (s.kind.label()) }
            dt { "事由" } dd { (s.subject) }
            dt { "办理状态" } dd { strong { (s.status.label()) } }
            dt { "受理日期" } dd { (s.received_on) }
            @if let Some(due) = &s.due_on {
                dt { "答复期限" } dd {
                    (due)
                    @if let Some(y) = s.due_provisional { " " small { "（" (y) " 年节假日安排公布后可能调整）" } }
                }
            }
            dt { "承办单位" } dd { (s.office) }
        }
        @if let Some(answer) = &s.answer {
            section.answer {
                h2 { "答复" }
                @for line in answer.lines().filter(|l| !l.trim().is_empty()) { p { (line) } }
            }
        } @else {
            p.hint { "答复后会显示在这里，也会显示在村里的公开屏上。" }
        }
    };
    Ok(page(&st, &place, prefs, &here, "查询办理进度", body))
}
