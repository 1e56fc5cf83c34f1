//! Twelve months of 村务财务 statements per village, balanced to the fen.

use crate::store::Edit;
use chrono::{Datelike, NaiveDate};
use gongkai_model::{ContentKind, Fen, FinanceLine, FinanceLineKind, FinanceStatement};
use rand::rngs::StdRng;
use rand::Rng;

const INCOME: &[(&str, &str, i64, i64)] = &[
    ("上级转移支付", "村级组织运转经费", 800_000, 1_500_000),
    ("集体资产租赁收入", "村集体门面房租金", 200_000, 600_000),
    ("土地流转收入", "集体机动地流转费", 300_000, 900_000),
    (
        "一事一议财政奖补",
        "村内道路硬化奖补资金",
        1_000_000,
        3_000_000,
    ),
];

const EXPENSE: &[(&str, &str, i64, i64)] = &[
    ("村干部报酬", "村“两委”干部基本报酬", 600_000, 900_000),
    ("办公费", "办公用品及报刊订阅", 30_000, 120_000),
    ("水电费", "村委会及文化广场水电费", 40_000, 150_000),
    ("环境卫生", "保洁员工资及垃圾清运", 200_000, 450_000),
    ("道路维修", "村组道路坑槽修补", 300_000, 1_800_000),
    ("慰问支出", "走访慰问五保户、困难党员", 100_000, 400_000),
];

fn month_start(today: NaiveDate, months_back: u32) -> NaiveDate {
    let total = today.year() * 12 + today.month0() as i32 - months_back as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(today)
}

/// Statements for the twelve months before the current one, oldest first; each month's
/// opening is the previous month's closing.
pub fn statements(rng: &mut StdRng, village: &str, today: NaiveDate) -> Vec<Edit> {
    let mut balance = Fen(rng.gen_range(8_000_000..30_000_000));
    let mut out = Vec::new();
    for back in (1..=12).rev() {
        let start = month_start(today, back);
        let day = |d: u32| start.with_day(d).unwrap_or(start);
        let opening = balance;
        let mut lines = Vec::new();
        for (category, description, lo, hi) in INCOME {
            if rng.gen_bool(0.6) {
                let amount = Fen(rng.gen_range(*lo..*hi));
                balance = Fen(balance.0 + amount.0);
                lines.push(FinanceLine {
                    kind: FinanceLineKind::Income,
                    date: day(rng.gen_range(1..28)),
                    category: (*category).into(),
                    description: (*description).into(),
                    amount,
                    vouchers: vec![],
                });
            }
        }
        for (category, description, lo, hi) in EXPENSE {
            // Never spend below a reserve: a village account cannot go negative.
            let amount = rng.gen_range(*lo..*hi);
            if balance.0 - amount > 1_000_000 {
                balance = Fen(balance.0 - amount);
                lines.push(FinanceLine {
                    kind: FinanceLineKind::Expense,
                    date: day(rng.gen_range(1..28)),
                    category: (*category).into(),
                    description: (*description).into(),
                    amount: Fen(amount),
                    vouchers: vec![],
                });
            }
        }
        lines.sort_by_key(|l| l.date);
        let period = start.format("%Y-%m").to_string();
        let statement = FinanceStatement {
            village_name: village.into(),
            period: period.clone(),
            opening,
            lines,
            closing: balance,
        };
        debug_assert!(statement.check().is_ok());
        out.push(Edit::put(
            ContentKind::Finance,
            format!("finance-{period}"),
            &statement,
        ));
    }
    out
}
