//! 村务财务 from the console: a month's statement for a village, from the accountant's
//! ledger spreadsheet (or typed in rows), with opening and closing balances. Every row is
//! checked; the statement must balance (期初 + 收入 − 支出 = 期末) before it can be posted.
//! Cadres' statements go to review; a statement for a month already public is a
//! correction and goes to review whoever sends it.

use super::auth::csrf_field;
use super::auth::Session;
use super::posting::scopes_for;
use super::shell::{page, ConsoleError, Result};
use axum::extract::{Multipart, State};
use axum::response::Response;
use gongkai_api::state::AppState;
use gongkai_import::{check_ledger, Field, LedgerLine, ListKind, RowError};
use gongkai_model::{
    ContentKind, Fen, FinanceLine, FinanceLineKind, FinanceStatement, ScopeId, ScopeLevel,
};
use gongkai_store::Edit;
use maud::html;
use std::collections::HashMap;

/// Rows offered for typing a statement by hand.
const FORM_ROWS: usize = 12;

pub async fn new_page(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = &session.user;
    let villages: Vec<(ScopeId, String)> = scopes_for(&st, user)
        .await?
        .into_iter()
        .filter(|(s, _)| s.level() == ScopeLevel::Village)
        .collect();
    let today = st.clock.today();
    let last_month = (today - chrono::Duration::days(i64::from(chrono::Datelike::day(&today))))
        .format("%Y-%m")
        .to_string();
    Ok(page(
        "公开村务财务",
        Some(user),
        html! {
            p.hint { "每月一期。可以上传会计做的收支明细表（Excel 或 CSV：日期、科目、摘要、收入、支出），也可以在下面逐行填写。期初余额 + 收入 − 支出 必须等于期末余额。" }
            form.card.wide method="post" action="/finance" data-keep="" enctype="multipart/form-data" {
                (csrf_field(&session))
                div.row {
                    label { "村" select name="scope" required { @for (c, n) in &villages { option value=(c.as_str()) { (n) } } } }
                    label { "月份" input type="month" name="period" value=(last_month) required; }
                }
                div.row {
                    label { "期初余额（元）" input name="opening" required inputmode="decimal" placeholder="例：35,120.00"; }
                    label { "期末余额（元）" input name="closing" required inputmode="decimal"; }
                }
                label { "收支明细表（可不选，改为在下面填写）" input type="file" name="ledger" accept=".xlsx,.xls,.csv"; }
                label { "凭证照片（可多选；文件名用凭证号，如“记-02.jpg”，会配到该笔支出）" input type="file" name="vouchers" multiple accept=".jpg,.jpeg,.png"; }
                details {
                    summary { "逐行填写（没有明细表时）" }
                    table.entry {
                        thead { tr { th { "日期" } th { "收/支" } th { "科目" } th { "摘要" } th { "金额（元）" } } }
                        tbody {
                            @for i in 0..FORM_ROWS {
                                tr {
                                    td { input type="date" name=(format!("date{i}")); }
                                    td { select name=(format!("dir{i}")) { option value="支出" { "支出" } option value="收入" { "收入" } } }
                                    td { input name=(format!("category{i}")) placeholder="办公费"; }
                                    td { input name=(format!("description{i}")); }
                                    td { input name=(format!("amount{i}")) inputmode="decimal"; }
                                }
                            }
                        }
                    }
                }
                button type="submit" { @if user.publishes_directly() { "检查并公开" } @else { "检查并提交审核" } }
            }
        },
    ))
}

/// The typed rows as a ledger table (header + rows), checked by the same code as files.
fn typed_rows(fields: &HashMap<String, String>) -> gongkai_import::Table {
    let text = |s: &str| {
        if s.trim().is_empty() {
            gongkai_import::Cell::Empty
        } else {
            gongkai_import::Cell::Text(s.trim().to_string())
        }
    };
    let mut rows = vec![gongkai_import::Row {
        line: 1,
        cells: ["日期", "收支", "科目", "摘要", "金额"]
            .iter()
            .map(|h| text(h))
            .collect(),
    }];
    for i in 0..FORM_ROWS {
        let get = |k: &str| fields.get(&format!("{k}{i}")).cloned().unwrap_or_default();
        if get("description").trim().is_empty() && get("amount").trim().is_empty() {
            continue;
        }
        rows.push(gongkai_import::Row {
            line: i as u32 + 2,
            cells: vec![
                text(&get("date")),
                text(&get("dir")),
                text(&get("category")),
                text(&get("description")),
                text(&get("amount")),
            ],
        });
    }
    gongkai_import::Table {
        format: "表单".into(),
        rows,
    }
}

fn errors_page(session: &Session, errors: &[RowError], typed: bool) -> Response {
    let mut resp = page(
        "财务公开未通过检查",
        Some(&session.user),
        html! {
            p.error role="alert" { "有 " (errors.len()) " 处问题，没有公开。请改正后重新提交。" }
            table.errors {
                thead { tr { th { @if typed { "填写行" } @else { "行号" } } th { "列" } th { "填写的内容" } th { "问题" } } }
                tbody {
                    @for e in errors {
                        tr {
                            td { @if e.line == 0 { "整份" } @else { "第 " (e.line) " 行" } }
                            td { (e.field.map(Field::label).unwrap_or("")) }
                            td { (e.value) }
                            td { (e.message) }
                        }
                    }
                }
            }
            p { a href="/finance/new" { "返回重新填写" } }
        },
    );
    *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    resp
}

pub async fn create(
    session: Session,
    State(st): State<AppState>,
    multipart: Multipart,
) -> Result<Response> {
    let user = session.user.clone();
    let bad = |m: &str| ConsoleError::bad(m).for_user(&user);
    let mut upload =
        super::posting::Upload::read(multipart, &["ledger", "vouchers"], &session).await?;
    let ledger = upload.take("ledger").into_iter().next().map(|(_, b)| b);
    let vouchers = upload.take("vouchers");
    let get = |k: &str| upload.get(k);
    let scope = ScopeId::parse(&get("scope"))
        .ok()
        .filter(|s| s.level() == ScopeLevel::Village && user.covers(s))
        .ok_or_else(|| ConsoleError::not_found().for_user(&user))?;
    let period = get("period");
    let (year, month) = period
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
        .filter(|(y, m)| (2000..=2100).contains(y) && (1..=12).contains(m))
        .ok_or_else(|| bad("请选择月份"))?;
    let opening = Fen::parse_yuan(&get("opening")).map_err(|e| bad(&format!("期初余额：{e}")))?;
    let closing = Fen::parse_yuan(&get("closing")).map_err(|e| bad(&format!("期末余额：{e}")))?;
    let typed = ledger.is_none();
    let table = match &ledger {
        Some(bytes) => gongkai_import::read(bytes).map_err(|e| bad(&e.to_string()))?,
        None => typed_rows(&upload.fields),
    };
    let mapping =
        gongkai_import::guess(&table, ListKind::Ledger).map_err(|e| bad(&e.to_string()))?;
    let checked = check_ledger(&table, &mapping, year, month);
    if !checked.errors.is_empty() {
        return Ok(errors_page(&session, &checked.errors, typed));
    }
    let village = {
        let sc = scope.clone();
        super::posting::blocking(&st.store, move |s| s.head(&sc))
            .await?
            .name
    };
    // Voucher photos by file name = voucher number; one that matches no line is an error
    // (a photo silently dropped would look like a missing voucher to residents).
    let mut lines: Vec<FinanceLine> = checked.lines.iter().map(line).collect();
    let blobs = st.blobs.clone();
    let stems: Vec<Option<String>> = checked.lines.iter().map(|l| l.voucher.clone()).collect();
    let attached = tokio::task::spawn_blocking(
        move || -> std::result::Result<Vec<(usize, String)>, String> {
            let mut out = Vec::new();
            for (file, bytes) in &vouchers {
                let stem = std::path::Path::new(file)
                    .file_stem()
                    .map(|s| s.to_string_lossy().trim().to_string())
                    .unwrap_or_default();
                let Some(i) = stems
                    .iter()
                    .position(|v| v.as_deref() == Some(stem.as_str()))
                else {
                    return Err(format!("凭证照片“{file}”对不上任何凭证号，请按凭证号命名"));
                };
                let photo = gongkai_photo::prepare(bytes).map_err(|e| format!("“{file}”：{e}"))?;
                let sha = blobs
                    .put(&photo.jpeg)
                    .map_err(|_| "凭证照片保存失败，请重试".to_string())?;
                out.push((i, sha));
            }
            Ok(out)
        },
    )
    .await
    .map_err(|_| bad("凭证照片处理失败"))?
    .map_err(|m| bad(&m))?;
    for (i, sha) in attached {
        lines[i].vouchers.push(sha);
    }
    let statement = FinanceStatement {
        village_name: village.clone(),
        period: format!("{year}-{month:02}"),
        opening,
        lines,
        closing,
    };
    if let Err(e) = statement.check() {
        return Ok(errors_page(
            &session,
            &[RowError {
                line: 0,
                field: None,
                value: String::new(),
                message: e.to_string(),
            }],
            typed,
        ));
    }
    let edit = Edit::put(
        ContentKind::Finance,
        format!("finance-{}", statement.period),
        &statement,
    );
    let title = format!("{village}{year}年{month}月财务收支");
    let summary = format!(
        "村务财务 · 收入 {} · 支出 {} · {} 笔",
        checked.income,
        checked.expense,
        statement.lines.len()
    );
    super::staging::preview(
        &st,
        &session,
        &scope,
        vec![edit],
        title,
        summary,
        false,
        super::staging::Back("/finance"),
    )
    .await
}

fn line(l: &LedgerLine) -> FinanceLine {
    FinanceLine {
        kind: if l.income {
            FinanceLineKind::Income
        } else {
            FinanceLineKind::Expense
        },
        date: l.date,
        category: l.category.clone(),
        description: l.description.clone(),
        amount: l.amount,
        vouchers: vec![],
    }
}
