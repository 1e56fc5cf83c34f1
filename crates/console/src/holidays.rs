//! 节假日安排 (county role): the year's public holidays and 调休 working days, entered
//! from the State Council's notice each November or December, in the text form of the
//! shipped `calendar/YYYY.txt` files. Checked line by line, published as a `calendar`
//! item of the county (so it is in the public change log and synced, signed, to every
//! kiosk), and then every open filing's deadline is counted again on it.

use super::auth::csrf_field;
use super::auth::Session;
use super::shell::{page, ConsoleError, Result};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Datelike;
use gongkai_api::state::AppState;
use gongkai_model::calendar::Calendar;
use gongkai_model::{CalendarYear, ContentKind, ScopeLevel};
use gongkai_store::{Edit, Provenance, Role};
use maud::html;
use serde::Deserialize;

const EXAMPLE: &str = "# 国务院办公厅关于2027年部分节假日安排的通知\n\
holiday 2027-01-01..2027-01-03 元旦\n\
holiday 2027-02-06..2027-02-13 春节\n\
workday 2027-02-14 春节\n";

fn county_admin(session: &Session) -> Result<()> {
    let user = &session.user;
    if user.role == Role::CountyAdmin && user.scope.level() == ScopeLevel::County {
        Ok(())
    } else {
        Err(ConsoleError::not_found().for_user(user))
    }
}

pub async fn index(session: Session, State(st): State<AppState>) -> Result<Response> {
    county_admin(&session)?;
    let next = st.clock.today().year() + 1;
    let form = YearForm {
        csrf: String::new(),
        year: next,
        notice: format!("国务院办公厅关于{next}年部分节假日安排的通知"),
        text: String::new(),
    };
    render(&session, &st, &form, None).await
}

/// The page, with the form as the clerk left it and what was wrong with it, if anything:
/// a refused year loses none of what was pasted.
async fn render(
    session: &Session,
    st: &AppState,
    form: &YearForm,
    error: Option<&str>,
) -> Result<Response> {
    let base = st.calendar.clone();
    let (entered, calendar) = super::posting::blocking(&st.store, move |s| {
        Ok((
            gongkai_api::workdays::entered_years(s)?,
            gongkai_api::workdays::calendar(s, &base)?,
        ))
    })
    .await?;
    let missing = gongkai_api::workdays::reminder_due(&calendar, st.clock.today());
    let shipped: Vec<i32> = st.calendar.years().collect();
    Ok(page(
        "节假日安排",
        Some(&session.user),
        html! {
            p { "诉求和依申请公开的办理期限按工作日计算，要用国务院每年公布的放假和调休安排。每年 11、12 月国务院公布下一年的安排后，请在这里录入。录入后全县公开屏同步，所有未办结事项的期限自动重新计算，并记入每件事项的办理记录。" }
            @if let Some(year) = missing {
                p.error { "尚未录入 " (year) " 年节假日安排。期限跨入 " (year) " 年的事项暂按周一至周五计算。" }
            }
            table {
                thead { tr { th { "年份" } th { "来源" } th { "放假天数" } th { "调休上班天数" } } }
                tbody {
                    @for year in calendar.years() {
                        @let entered_year = entered.iter().rev().find(|y| y.year == year);
                        tr {
                            td { (year) }
                            td { @match entered_year { Some(y) => (y.notice), None => "随系统提供" } }
                            td { (count(&calendar, year, true)) }
                            td { (count(&calendar, year, false)) }
                        }
                    }
                }
            }
            @if !shipped.is_empty() { p.hint { "随系统提供的年份：" (shipped.iter().map(i32::to_string).collect::<Vec<_>>().join("、")) "。录入同一年会以录入的为准。" } }
            h2 id="enter" { "录入一年" }
            @if let Some(e) = error { p.error data-testid="calendar-error" { (e) } }
            form.card method="post" action="/holidays" {
                (csrf_field(session))
                label { "年份" input name="year" type="number" min="2020" max="2100" value=(form.year) required; }
                label { "依据的通知" input name="notice" required maxlength="80" value=(form.notice); }
                label { "从文本文件导入（与系统自带的年份文件同样格式，UTF-8）"
                    input type="file" accept=".txt,text/plain" data-fill="text"; }
                label { "安排（每行一条：holiday 放假，workday 调休上班；一天写 2027-01-01，连续几天写 2027-02-06..2027-02-13；# 开头的行是说明）"
                    textarea name="text" rows="12" required placeholder=(EXAMPLE) { (form.text) } }
                button type="submit" { "检查并发布" }
            }
        },
    ))
}

fn count(calendar: &Calendar, year: i32, holidays: bool) -> usize {
    let Some(first) = chrono::NaiveDate::from_ymd_opt(year, 1, 1) else {
        return 0;
    };
    first
        .iter_days()
        .take_while(|d| d.year() == year)
        .filter(|d| {
            if holidays {
                calendar.holiday(*d).is_some()
            } else {
                calendar.is_make_up_day(*d)
            }
        })
        .count()
}

#[derive(Debug, Deserialize)]
pub struct YearForm {
    csrf: String,
    year: i32,
    notice: String,
    text: String,
}

pub async fn enter(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<YearForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    county_admin(&session)?;
    let user = session.user.clone();
    let text = f.text.replace('\r', "");
    let notice = f.notice.trim();
    let problem = if !(2020..=2100).contains(&f.year) {
        Some("年份应在 2020 到 2100 之间".to_string())
    } else if notice.is_empty() {
        Some("请写明依据的通知".to_string())
    } else {
        Calendar::default()
            .add_year(f.year, &text)
            .err()
            .map(|e| format!("第 {} 行有误：{}", e.line, e.message))
    };
    if let Some(problem) = problem {
        let mut resp = render(&session, &st, &f, Some(&problem)).await?;
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    }
    let item = CalendarYear {
        year: f.year,
        notice: notice.to_string(),
        text: text.trim().to_string(),
    };
    let edit = Edit::put(ContentKind::Calendar, CalendarYear::item_id(f.year), &item);
    let by = Provenance::user(&user.display_name);
    let county = user.scope.clone();
    let base = st.calendar.clone();
    let at = st.clock.unix();
    let actor = user.display_name.clone();
    super::posting::blocking(&st.store, move |s| {
        s.publish_as(&county, &[edit], &by)?;
        let calendar = gongkai_api::workdays::calendar(s, &base)?;
        s.recount_deadlines(&calendar, at, &actor)?;
        Ok(())
    })
    .await
    .map_err(|e| e.for_user(&user))?;
    Ok(Redirect::to("/holidays").into_response())
}
