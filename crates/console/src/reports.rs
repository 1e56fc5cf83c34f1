//! 考核 report pages: the quarter's table per unit the user covers, and the same as Excel.

use super::auth::Session;
use super::posting::scopes_for;
use super::shell::{page, ConsoleError, Result};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use gongkai_api::report::{compute, FilingOutcome, Quarter, UnitReport};
use gongkai_api::state::AppState;
use gongkai_model::calendar::beijing_midnight;
use gongkai_model::ContentKind;
use maud::html;
use serde::Deserialize;
use std::collections::HashMap;

/// A quarter's figures, and the year without entered holidays that some of them were
/// counted across (then they are provisional and say so).
async fn build(
    st: &AppState,
    session: &Session,
    quarter: Quarter,
) -> Result<(Vec<UnitReport>, Option<i32>)> {
    let units = scopes_for(st, &session.user).await?;
    let today = st.clock.today();
    let start = beijing_midnight(quarter.first_day());
    // Finance for the quarter's last month is due by the 10th of the month after.
    let end = beijing_midnight(quarter.end()) + 11 * 86_400;
    let staff = super::complaints::staff_of(&session.user);
    let base = st.calendar.clone();
    let (log, formed, filings, calendar, provisional) =
        super::posting::blocking(&st.store, move |s| {
            let mut provisional = None;
            let calendar = gongkai_api::workdays::calendar(s, &base)?;
            let log = s.changes_between(start, end)?;
            let mut formed = HashMap::new();
            for e in log.iter().filter(|e| e.kind == "disclosure") {
                let Ok(scope) = gongkai_model::ScopeId::parse(&e.scope) else {
                    continue;
                };
                if let Some(body) = s.item_body(&scope, ContentKind::Disclosure, &e.item_id)? {
                    if let Ok(d) = serde_json::from_str::<gongkai_model::Disclosure>(&body) {
                        formed.insert((e.scope.clone(), e.item_id.clone()), d.published_on);
                    }
                }
            }
            let mut filings = Vec::new();
            for r in s
                .complaints(None)?
                .into_iter()
                .filter(|r| staff.may_see(&r.office))
            {
                let Ok(received_on) = r.received_on.parse::<NaiveDate>() else {
                    continue;
                };
                let finished_on = if r.status.is_final() {
                    s.complaint_detail(&r.code)?.and_then(|d| {
                        d.events
                            .iter()
                            .rev()
                            .find(|e| {
                                matches!(e.to_status.as_str(), "answered" | "closed" | "rejected")
                            })
                            .map(|e| gongkai_model::calendar::beijing_date_of(e.at))
                    })
                } else {
                    None
                };
                provisional = provisional.or(r.due_provisional);
                filings.push(FilingOutcome {
                    office: r.office,
                    received_on,
                    due_on: r.due_on.as_deref().and_then(|d| d.parse().ok()),
                    finished_on,
                });
            }
            Ok((log, formed, filings, calendar, provisional))
        })
        .await?;
    let provisional = calendar
        .first_missing_year(quarter.first_day(), quarter.end())
        .or(provisional);
    let rows = compute(quarter, &units, &log, &formed, &filings, &calendar, today);
    Ok((rows, provisional))
}

fn ratio(a: u32, b: u32) -> String {
    match (a * 100).checked_div(b) {
        None => "—".into(),
        Some(pct) => format!("{a}/{b}（{pct}%）"),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    quarter: Option<String>,
}

pub async fn index(
    session: Session,
    State(st): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response> {
    let current = Quarter::containing(st.clock.today());
    let quarter = q
        .quarter
        .as_deref()
        .and_then(Quarter::parse)
        .unwrap_or(current);
    let (rows, provisional) = build(&st, &session, quarter).await?;
    let choices = [
        current,
        current.previous(),
        current.previous().previous(),
        current.previous().previous().previous(),
    ];
    Ok(page(
        &format!("{}政务公开考核", quarter.label()),
        Some(&session.user),
        html! {
            p.hint { "按时发布：公开目录信息自形成之日起 20 个工作日内公开（《政府信息公开条例》第二十六条）；村务财务：每月收支于次月 10 日前公开；诉求：在办理期限内答复、办结。数据来自公开记录和诉求办理记录。" }
            form.filter method="get" action="/reports" {
                label { "季度" select name="quarter" { @for c in choices { option value=(c.key()) selected[c == quarter] { (c.label()) } } } }
                button.secondary type="submit" { "查看" }
            }
            @if let Some(year) = provisional {
                p.error { "部分期限" (gongkai_model::calendar::provisional_note(year)) "，相关数字随之可能变化。" }
            }
            p { a href=(format!("/reports/{}.xlsx", quarter.key())) { "导出为 Excel" } }
            table {
                thead { tr { th { "单位" } th { "级别" } th { "新发布" } th { "更正" } th { "公开目录按时发布" } th { "财务按月公开" } th { "诉求按期办结" } th { "超期未办结" } } }
                tbody {
                    @for r in &rows {
                        tr.overdue[r.filings_overdue > 0 || r.finance_on_time < r.finance_due] {
                            td { (r.name) } td { (r.level) } td { (r.published) } td { (r.corrections) }
                            td { (ratio(r.disclosures_on_time, r.disclosures)) }
                            td { (ratio(r.finance_on_time, r.finance_due)) }
                            td { (ratio(r.filings_on_time, r.filings)) }
                            td { (r.filings_overdue) }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn xlsx(
    session: Session,
    State(st): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response> {
    let quarter = Quarter::parse(file.trim_end_matches(".xlsx"))
        .ok_or_else(|| ConsoleError::not_found().for_user(&session.user))?;
    let (rows, provisional) = build(&st, &session, quarter).await?;
    let title = match provisional {
        Some(year) => format!(
            "{}政务公开考核（部分期限{}）",
            quarter.label(),
            gongkai_model::calendar::provisional_note(year)
        ),
        None => format!("{}政务公开考核", quarter.label()),
    };
    let header = [
        "单位",
        "级别",
        "新发布",
        "更正",
        "公开目录信息",
        "按时发布",
        "应公开财务月数",
        "按时公开",
        "诉求件数",
        "按期办结",
        "超期未办结",
    ];
    let body: Vec<Vec<super::exports::CellValue>> = rows
        .iter()
        .map(|r| {
            use super::exports::CellValue::{Num, Text};
            vec![
                Text(r.name.clone()),
                Text(r.level.clone()),
                Num(f64::from(r.published)),
                Num(f64::from(r.corrections)),
                Num(f64::from(r.disclosures)),
                Num(f64::from(r.disclosures_on_time)),
                Num(f64::from(r.finance_due)),
                Num(f64::from(r.finance_on_time)),
                Num(f64::from(r.filings)),
                Num(f64::from(r.filings_on_time)),
                Num(f64::from(r.filings_overdue)),
            ]
        })
        .collect();
    super::exports::table_xlsx(&title, &header, &body)
}
