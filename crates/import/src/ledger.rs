//! A village's monthly ledger (村级财务收支明细) from a spreadsheet: one row per voucher
//! with its date, 科目, 摘要 and either 收入/支出 columns or a 收支 column and an amount.
//! Rows outside the month, carried-forward and total rows are handled the way a village
//! accountant writes them.

use crate::check::{amount, bad_lines, is_total_row, trailer, Field, Mapping, RowError, Skipped};
use crate::table::{Cell, Table};
use chrono::{Datelike, NaiveDate};
use gongkai_model::Fen;
use serde::{Deserialize, Serialize};

/// One ledger line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub line: u32,
    pub date: NaiveDate,
    pub income: bool,
    pub category: String,
    pub description: String,
    pub amount: Fen,
    pub voucher: Option<String>,
}

/// A checked ledger: publishable only if `errors` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedLedger {
    pub lines: Vec<LedgerLine>,
    pub errors: Vec<RowError>,
    pub income: Fen,
    pub expense: Fen,
    /// Signature and note lines under the ledger, listed rather than dropped silently.
    pub skipped: Vec<Skipped>,
}

impl CheckedLedger {
    /// How many lines have at least one problem.
    pub fn bad_lines(&self) -> usize {
        bad_lines(&self.errors)
    }
}

/// Words that start rows which are not vouchers: carried forward, month totals.
const NOT_VOUCHERS: &[&str] = &[
    "上月结转",
    "上期结转",
    "期初余额",
    "本月合计",
    "本期合计",
    "本年累计",
    "累计",
    "期末余额",
];

/// Reads the dates village ledgers carry: 2026-10-05, 2026/10/5, 2026.10.5, 2026年10月5日,
/// and month-day forms (10月5日, 10-05) within the ledger's year.
pub fn parse_date(text: &str, year: i32) -> Option<NaiveDate> {
    let t = text
        .trim()
        .replace(['年', '月', '/', '.'], "-")
        .replace('日', "");
    let parts: Vec<&str> = t.split('-').filter(|p| !p.is_empty()).collect();
    let nums: Option<Vec<u32>> = parts.iter().map(|p| p.trim().parse().ok()).collect();
    match nums?.as_slice() {
        [y, m, d] => NaiveDate::from_ymd_opt(*y as i32, *m, *d),
        [m, d] => NaiveDate::from_ymd_opt(year, *m, *d),
        _ => None,
    }
}

fn direction(text: &str) -> Option<bool> {
    match text.trim() {
        "收入" | "收" | "借" | "收款" => Some(true),
        "支出" | "支" | "贷" | "付款" | "付" => Some(false),
        _ => None,
    }
}

/// Checks every row for the month `year`-`month`.
pub fn check_ledger(table: &Table, mapping: &Mapping, year: i32, month: u32) -> CheckedLedger {
    let mut out = CheckedLedger {
        lines: Vec::new(),
        errors: Vec::new(),
        income: Fen::ZERO,
        expense: Fen::ZERO,
        skipped: Vec::new(),
    };
    let has = |f: Field| mapping.column(f).is_some();
    let split_columns = has(Field::Income) || has(Field::Expense);
    let mut missing = Vec::new();
    if !has(Field::Date) {
        missing.push(Field::Date);
    }
    if !has(Field::Description) {
        missing.push(Field::Description);
    }
    let direction_columns = has(Field::Direction) && has(Field::Amount);
    if !(split_columns || direction_columns) {
        missing.push(Field::Income);
    }
    if !missing.is_empty() {
        for f in missing {
            out.errors.push(RowError {
                line: 0,
                field: Some(f),
                value: String::new(),
                message: if f == Field::Income {
                    "缺少金额列：需要“收入”“支出”两列，或“收支”和“金额”两列".into()
                } else {
                    format!("缺少必填列“{}”，请在列对应中选择", f.label())
                },
            });
        }
        return out;
    }
    for row in table.rows.iter().filter(|r| r.line > mapping.header_line) {
        let get = |f: Field| {
            mapping
                .column(f)
                .map(|c| row.cell(c))
                .unwrap_or(&Cell::Empty)
        };
        let description = get(Field::Description).display();
        if is_total_row(row) || NOT_VOUCHERS.iter().any(|w| description.starts_with(w)) {
            continue;
        }
        if parse_date(&get(Field::Date).display(), year).is_none() {
            if let Some(skipped) = trailer(row, false) {
                out.skipped.push(skipped);
                continue;
            }
        }
        let before = out.errors.len();
        let mut err = |field: Field, value: String, message: String| {
            out.errors
                .push(RowError::at(row.line, field, value, message))
        };
        let date_text = get(Field::Date).display();
        let date = match parse_date(&date_text, year) {
            Some(d) if d.year() == year && d.month() == month => Some(d),
            Some(_) => {
                err(
                    Field::Date,
                    date_text.clone(),
                    format!("日期不在本期（{year}年{month}月）内"),
                );
                None
            }
            None => {
                err(
                    Field::Date,
                    date_text.clone(),
                    "日期格式不对（示例：2026-10-05）".into(),
                );
                None
            }
        };
        if description.is_empty() {
            err(Field::Description, String::new(), "缺少摘要".into());
        }
        let (income, money) = if split_columns {
            let (inc, exp) = (get(Field::Income), get(Field::Expense));
            match (inc.is_empty(), exp.is_empty()) {
                (false, true) => (
                    true,
                    amount(inc).map_err(|m| (Field::Income, inc.display(), m)),
                ),
                (true, false) => (
                    false,
                    amount(exp).map_err(|m| (Field::Expense, exp.display(), m)),
                ),
                (true, true) => (
                    true,
                    Err((
                        Field::Income,
                        String::new(),
                        "收入、支出都没有填".to_string(),
                    )),
                ),
                (false, false) => (
                    true,
                    Err((
                        Field::Income,
                        format!("{} / {}", inc.display(), exp.display()),
                        "一行只能填收入或支出中的一个".to_string(),
                    )),
                ),
            }
        } else {
            let d = get(Field::Direction).display();
            match direction(&d) {
                Some(inc) => (
                    inc,
                    amount(get(Field::Amount))
                        .map_err(|m| (Field::Amount, get(Field::Amount).display(), m)),
                ),
                None => (
                    true,
                    Err((Field::Direction, d, "收支应填“收入”或“支出”".to_string())),
                ),
            }
        };
        let money = match money {
            Ok(f) if f.0 > 0 => Some(f),
            Ok(f) => {
                err(Field::Amount, f.to_string(), "金额必须大于 0".into());
                None
            }
            Err((field, value, message)) => {
                err(field, value, message);
                None
            }
        };
        if out.errors.len() != before {
            continue;
        }
        if let (Some(date), Some(money)) = (date, money) {
            if income {
                out.income = Fen(out.income.0.saturating_add(money.0));
            } else {
                out.expense = Fen(out.expense.0.saturating_add(money.0));
            }
            let category = get(Field::Category).display();
            out.lines.push(LedgerLine {
                line: row.line,
                date,
                income,
                category: if category.is_empty() {
                    "其他".into()
                } else {
                    category
                },
                description,
                amount: money,
                voucher: Some(get(Field::Voucher).display()).filter(|v| !v.is_empty()),
            });
        }
    }
    if out.lines.is_empty() && out.errors.is_empty() {
        out.errors.push(RowError {
            line: 0,
            field: None,
            value: String::new(),
            message: "表头下面没有收支行".into(),
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{guess, read, ListKind};

    #[test]
    fn dates_as_village_accountants_write_them() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        assert_eq!(parse_date("2026-10-05", 2026), d(2026, 10, 5));
        assert_eq!(parse_date("2026/10/5", 2026), d(2026, 10, 5));
        assert_eq!(parse_date("2026年10月5日", 2026), d(2026, 10, 5));
        assert_eq!(parse_date("10月5日", 2026), d(2026, 10, 5));
        assert_eq!(parse_date("10.5", 2026), d(2026, 10, 5));
        assert_eq!(parse_date("10月32日", 2026), None);
        assert_eq!(parse_date("上旬", 2026), None);
    }

    #[test]
    fn a_ledger_with_income_and_expense_columns() {
        let csv = "石桥村2026年10月村级财务收支明细\n日期,凭证号,科目,摘要,收入,支出\n10月1日,,,上月结转,,\n2026-10-03,记-01,上级补助,转移支付资金,\"12,000.00\",\n10月9日,记-02,办公费,购打印纸墨盒,,356.5\n10月12日,记-03,道路维修,村东便民桥维修,,8000\n11月2日,记-04,办公费,错月份,,10\n10月20日,记-05,办公费,,,20\n10月21日,记-06,办公费,两边都填,5,5\n,,,本月合计,12000,8356.5\n";
        let table = read(csv.as_bytes()).unwrap();
        let mapping = guess(&table, ListKind::Ledger).unwrap();
        assert_eq!(mapping.header_line, 2);
        let c = check_ledger(&table, &mapping, 2026, 10);
        assert_eq!(c.lines.len(), 3, "{:?}", c.errors);
        assert_eq!(c.income, Fen(1_200_000));
        assert_eq!(c.expense, Fen(835_650));
        let msgs: Vec<(u32, &str)> = c
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert!(
            msgs.contains(&(7, "日期不在本期（2026年10月）内")),
            "{msgs:?}"
        );
        assert!(msgs.contains(&(8, "缺少摘要")), "{msgs:?}");
        assert!(
            msgs.contains(&(9, "一行只能填收入或支出中的一个")),
            "{msgs:?}"
        );
        assert_eq!(c.lines[1].voucher.as_deref(), Some("记-02"));
    }

    #[test]
    fn a_ledger_with_a_direction_column() {
        let csv = "日期,收支,科目,摘要,金额\n2026-10-03,收入,上级补助,转移支付,100\n2026-10-04,支出,办公费,纸张,30\n2026-10-05,借贷,办公费,不明,3\n";
        let table = read(csv.as_bytes()).unwrap();
        let c = check_ledger(&table, &guess(&table, ListKind::Ledger).unwrap(), 2026, 10);
        assert_eq!(c.lines.len(), 2);
        assert!(!c.lines[1].income);
        assert_eq!(c.errors.len(), 1);
        assert!(c.errors[0].message.contains("收支应填"));
    }
}
