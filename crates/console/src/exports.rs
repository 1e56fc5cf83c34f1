//! Excel exports (rust_xlsxwriter): an office's filings, and a published subsidy list
//! (masked IDs, as published).

use super::auth::Session;
use super::shell::{ConsoleError, Result};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gongkai_api::state::AppState;
use gongkai_model::{ContentKind, ScopeId, SubsidyList, SubsidyRow};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

fn xlsx(filename: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"export.xlsx\"; filename*=UTF-8''{}",
        filename
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            })
            .collect::<String>()
    );
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

fn sheet_error(e: XlsxError) -> ConsoleError {
    tracing::error!(error = %e, "xlsx export");
    ConsoleError::bad("导出失败，请重试")
}

pub async fn complaints(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = &session.user;
    let rows = gongkai_api::staff::listed(&st, super::complaints::staff_of(user), "all").await?;
    let header = [
        "查询码",
        "类型",
        "事由",
        "办理单位",
        "受理日期",
        "办理期限",
        "状态",
        "是否超期",
    ];
    let body: Vec<Vec<CellValue>> = rows
        .into_iter()
        .map(|r| {
            let due = match (r.due_on, r.due_note) {
                (Some(d), Some(note)) => format!("{d}（{note}）"),
                (Some(d), None) => d,
                (None, _) => "补正中".into(),
            };
            let overdue = if r.overdue { "已超期" } else { "" };
            [
                r.code,
                r.kind,
                r.subject,
                r.office,
                r.received_on,
                due,
                r.status,
                overdue.into(),
            ]
            .into_iter()
            .map(CellValue::Text)
            .collect()
        })
        .collect();
    table_xlsx("诉求办理台账", &header, &body)
}

pub async fn subsidy_list(
    session: Session,
    State(st): State<AppState>,
    Path((scope, list)): Path<(String, String)>,
) -> Result<Response> {
    let user = session.user.clone();
    let scope = ScopeId::parse(&scope).map_err(|_| ConsoleError::not_found().for_user(&user))?;
    if !user.covers(&scope) {
        return Err(ConsoleError::not_found().for_user(&user));
    }
    let list_id = list.trim_end_matches(".xlsx").to_string();
    let (header, rows) = super::posting::blocking(&st.store, move |s| {
        let mut header: Option<SubsidyList> = None;
        let mut rows: Vec<SubsidyRow> = Vec::new();
        let mut since = 0;
        loop {
            let page = s.changes(&scope, since, 5000)?;
            for c in &page.changes {
                let Some(body) = &c.body else { continue };
                match c.kind {
                    ContentKind::SubsidyList if c.id == list_id => {
                        header = serde_json::from_str(body).ok();
                    }
                    ContentKind::SubsidyRow => {
                        if let Ok(r) = serde_json::from_str::<SubsidyRow>(body) {
                            if r.list_id == list_id {
                                rows.push(r);
                            }
                        }
                    }
                    _ => {}
                }
                since = c.seq;
            }
            if !page.more {
                break;
            }
        }
        Ok((header, rows))
    })
    .await?;
    let header = header.ok_or_else(|| ConsoleError::not_found().for_user(&user))?;
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    let title = format!(
        "{}{}年{}名单",
        header.area_name, header.year, header.programme
    );
    sheet
        .write_string_with_format(0, 0, &title, &bold)
        .map_err(sheet_error)?;
    for (c, h) in [
        "序号",
        "村组",
        "姓名",
        "身份证号",
        "家庭人口",
        "面积（亩）",
        "金额（元）",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write_string_with_format(2, c as u16, *h, &bold)
            .map_err(sheet_error)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        sheet
            .write_number(row, 0, (i + 1) as f64)
            .map_err(sheet_error)?;
        sheet
            .write_string(row, 1, &r.village_name)
            .map_err(sheet_error)?;
        sheet.write_string(row, 2, &r.name).map_err(sheet_error)?;
        sheet
            .write_string(row, 3, &r.id_masked)
            .map_err(sheet_error)?;
        sheet
            .write_number(row, 4, f64::from(r.household_size))
            .map_err(sheet_error)?;
        if let Some(a) = r.area_centimu {
            sheet
                .write_number(row, 5, f64::from(a) / 100.0)
                .map_err(sheet_error)?;
        }
        // Fen to yuan only for display in the sheet; the sum below is in integer fen.
        sheet
            .write_number_with_format(row, 6, r.amount.0 as f64 / 100.0, &money)
            .map_err(sheet_error)?;
    }
    let total_row = 3 + rows.len() as u32;
    sheet
        .write_string_with_format(total_row, 0, "合计", &bold)
        .map_err(sheet_error)?;
    let total: i64 = rows.iter().map(|r| r.amount.0).sum();
    sheet
        .write_number_with_format(total_row, 6, total as f64 / 100.0, &money)
        .map_err(sheet_error)?;
    sheet.autofit();
    let bytes = book.save_to_buffer().map_err(sheet_error)?;
    Ok(xlsx(&format!("{title}.xlsx"), bytes))
}

/// A cell of a simple exported table.
pub enum CellValue {
    Text(String),
    Num(f64),
}

/// A titled table as an .xlsx download: title in A1, bold header in row 3, data below.
pub fn table_xlsx(title: &str, header: &[&str], rows: &[Vec<CellValue>]) -> Result<Response> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet
        .write_string_with_format(0, 0, title, &bold)
        .map_err(sheet_error)?;
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string_with_format(2, c as u16, *h, &bold)
            .map_err(sheet_error)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (3 + i as u32, c as u16);
            match v {
                CellValue::Text(t) => sheet.write_string(r, c, t),
                CellValue::Num(n) => sheet.write_number(r, c, *n),
            }
            .map_err(sheet_error)?;
        }
    }
    sheet.autofit();
    let bytes = book.save_to_buffer().map_err(sheet_error)?;
    Ok(xlsx(&format!("{title}.xlsx"), bytes))
}
