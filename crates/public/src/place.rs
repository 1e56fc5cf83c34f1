//! Choosing a place (county → township → village) and a place's own page: any emergency
//! in force, what there is to read (the kiosk's home tiles, with counts), the newest
//! notices, the two lookups, and the places below it.

use super::frame::{document, page, place, read, PageError, PageResult};
use super::items::{entry, visible};
use super::{place_path, Directory, Prefs, Public};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use gongkai_model::calendar::beijing_minute;
use gongkai_model::{ContentKind, Emergency, ScopeId, ScopeLevel};
use gongkai_protocol::paths::public;
use gongkai_protocol::paths::public::KINDS;
use maud::{html, Markup};
use std::sync::Arc;

/// How long the list of places is kept before it is read again.
const DIRECTORY_SECS: i64 = 60;
/// Up to this many counties, the chooser opens every township of each.
const TREE_COUNTIES: usize = 3;

async fn directory(st: &Public) -> Result<Directory, PageError> {
    let now = st.app.clock.unix();
    if let Some((at, dir)) = st
        .directory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        if now - at < DIRECTORY_SECS && now >= *at {
            return Ok(dir.clone());
        }
    }
    let heads = read(st, |s| s.heads()).await?;
    let mut dir: Vec<(ScopeId, String)> = heads.into_iter().map(|h| (h.scope, h.name)).collect();
    dir.sort();
    let dir = Arc::new(dir);
    *st.directory.lock().unwrap_or_else(|p| p.into_inner()) = Some((now, dir.clone()));
    Ok(dir)
}

fn children<'a>(
    dir: &'a [(ScopeId, String)],
    of: &'a ScopeId,
) -> impl Iterator<Item = &'a (ScopeId, String)> {
    dir.iter()
        .filter(move |(s, _)| s.parent().as_ref() == Some(of))
}

fn place_links(dir: &[(ScopeId, String)], of: &ScopeId) -> Markup {
    html! {
        ul.places { @for (s, name) in children(dir, of) { li { a href=(place_path(s.as_str())) { (name) } } } }
    }
}

pub(crate) async fn chooser(State(st): State<Public>, headers: HeaderMap) -> PageResult {
    let dir = directory(&st).await?;
    let counties: Vec<&(ScopeId, String)> = dir
        .iter()
        .filter(|(s, _)| s.level() == ScopeLevel::County)
        .collect();
    let body = html! {
        h1 { "政务村务公开" }
        p { "请选择您所在的县、乡镇和村，查看通知公告、村务财务、补贴名单和办事指南，查询诉求办理进度。" }
        @for (county, name) in &counties {
            section.county {
                h2 { a href=(place_path(county.as_str())) { (name) } }
                @if counties.len() <= TREE_COUNTIES {
                    @for (township, tname) in children(&dir, county) {
                        details {
                            summary { (tname) }
                            p { a href=(place_path(township.as_str())) { (tname) "本级公开" } }
                            (place_links(&dir, township))
                        }
                    }
                }
            }
        }
        @if counties.is_empty() { p.empty { "暂时没有公开内容。" } }
        p.hint { "也可以扫描村里公开屏或回执上的二维码直接打开。" }
    };
    Ok(document(
        "选择地区",
        Prefs::from_headers(&headers),
        "/m/",
        body,
    ))
}

pub(crate) async fn home(
    State(st): State<Public>,
    Path(scope): Path<String>,
    headers: HeaderMap,
) -> PageResult {
    let place = place(&st, &scope).await?;
    let now = st.app.clock.now();
    let mut counts = Vec::new();
    let mut notices = Vec::new();
    for kind in KINDS {
        let items = visible(&st, &place, kind).await?;
        counts.push((kind, items.len()));
        if kind == ContentKind::Notice {
            notices = items;
        }
    }
    let emergencies: Vec<Emergency> = visible(&st, &place, ContentKind::Emergency)
        .await?
        .iter()
        .filter_map(|e| serde_json::from_str::<Emergency>(&e.body).ok())
        .filter(|e| e.publish_at <= now && now < e.expire_at)
        .collect();
    let dir = directory(&st).await?;
    let code = place.scope.as_str();
    let body = html! {
        h1 { (place.name()) }
        @for e in &emergencies {
            section.emergency role="alert" {
                h2 { (e.level.label()) "：" (e.title) }
                @for line in e.body.lines().filter(|l| !l.trim().is_empty()) { p { (line) } }
                p.meta { (e.issuer) " · 至 " (beijing_minute(e.expire_at.timestamp())) }
            }
        }
        nav.tiles aria-label="公开内容" {
            @for (kind, n) in &counts {
                a.tile href=(public::list(code, kind.key())) {
                    span.label { (kind.label()) }
                    span.count { (n) " 条" }
                }
            }
            a.tile.lookup href=(public::list(code, ContentKind::SubsidyList.key())) { span.label { "查我的补贴" } span.count { "姓名＋身份证后4位" } }
            a.tile.lookup href=(public::track_form(code)) { span.label { "查询办理进度" } span.count { "输入查询码" } }
        }
        @if !notices.is_empty() {
            h2 { "最新通知" }
            ul.entries { @for n in notices.iter().take(3) { (entry(&place, n)) } }
        }
        @if place.scope.level() != ScopeLevel::Village {
            h2 { (match place.scope.level() { ScopeLevel::County => "乡镇", _ => "村" }) }
            (place_links(&dir, &place.scope))
        }
        p { a href=(public::ROOT) { "选择其他地区" } }
    };
    let here = place_path(code);
    Ok(page(
        &st,
        &place,
        Prefs::from_headers(&headers),
        &here,
        place.name(),
        body,
    ))
}
