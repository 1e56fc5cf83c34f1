//! The start page: for visitors, what the console is and where the public record is;
//! for staff, what is waiting for them.

use super::auth;
use super::posting::blocking;
use super::shell::{page, Result};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use gongkai_api::state::AppState;
use gongkai_store::Role;
use maud::html;

pub async fn index(State(st): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let Some(session) = auth::optional(&st, &headers).await else {
        return Ok(page(
            "欢迎",
            None,
            html! {
                p { "这里是云溪县政务公开、村务公开的管理平台。县、乡镇、村的工作人员登录后发布内容、审核村级公开、办理群众诉求。" }
                p { "每一次发布、更正和撤回都记入 " a href="/history" { "公开记录" } "，任何人都可以查看和核验。" }
                p { a.button href="/login" { "工作人员登录" } }
            },
        ));
    };
    let user = session.user.clone();
    let u = user.clone();
    let base = st.calendar.clone();
    let (pending, mine, calendar) = blocking(&st.store, move |s| {
        let prefix = u.scope.as_str().to_string();
        let pending = if u.publishes_directly() {
            s.drafts(&prefix, 500)?
                .into_iter()
                .filter(|d| d.status == "pending")
                .count()
        } else {
            0
        };
        let mine = s.drafts_by(u.id, 20)?;
        Ok((pending, mine, gongkai_api::workdays::calendar(s, &base)?))
    })
    .await?;
    let filings = if user.office.is_empty() {
        None
    } else {
        let staff = super::complaints::staff_of(&user);
        Some(gongkai_api::staff::listed(&st, staff, "all").await?)
    };
    Ok(page(
        "工作台",
        Some(&user),
        html! {
            p { "您好，" (user.display_name) "（" (user.role.label()) "）。" }
            @if let Some(year) = gongkai_api::workdays::reminder_due(&calendar, st.clock.today()) {
                @if user.publishes_directly() {
                    p.error {
                        "尚未录入 " (year) " 年节假日安排：跨入 " (year) " 年的办理期限暂按周一至周五计算。"
                        @if user.role == Role::CountyAdmin { " " a href="/holidays" { "现在录入" } }
                        @else { "请县政务公开办录入。" }
                    }
                }
            }
            div.tiles {
                @if user.publishes_directly() {
                    a.tile href="/review" {
                        strong { (pending) } span { "份稿件待审核" }
                    }
                }
                @if let Some(f) = &filings {
                    a.tile href="/complaints?view=overdue" {
                        strong.warn[f.iter().any(|x| x.overdue)] { (f.iter().filter(|x| x.overdue).count()) }
                        span { "件诉求已超期" }
                    }
                    a.tile href="/complaints?view=due_soon" {
                        strong { (f.iter().filter(|x| x.due_soon).count()) } span { "件 3 个工作日内到期" }
                    }
                }
            }
            h2 { "发布" }
            div.tiles {
                a.tile href="/notices/new" { strong { "告" } span { "通知公告" } }
                a.tile href="/disclosures/new" { strong { "公" } span { "公开目录信息" } }
                a.tile href="/finance/new" { strong { "财" } span { "村务财务（月度收支）" } }
                a.tile href="/imports/new" { strong { "补" } span { "导入补贴名单或三榜" } }
                a.tile href="/guides/new" { strong { "办" } span { "办事指南" } }
                a.tile href="/boards" { strong { "迁" } span { "移民三榜与异议" } }
                a.tile href="/kiosk-code" { strong { "屏" } span { "在公开屏上发布（取授权码）" } }
                @if user.publishes_directly() {
                    a.tile href="/emergency/new" { strong.warn { "急" } span { "紧急通知（占满公开屏）" } }
                }
                @if user.role == Role::CountyAdmin {
                    a.tile href="/holidays" { strong { "历" } span { "节假日安排（计算办理期限）" } }
                }
            }
            @if user.role == Role::VillageCadre {
                p.hint { "村干部提交的内容须经乡镇审核（保密审查）后才会出现在村里的公开屏上。" }
            }
            @if !mine.is_empty() {
                h2 { "我最近提交的稿件" }
                (super::review::draft_table(&mine))
            }
        },
    ))
}
