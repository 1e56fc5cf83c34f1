//! Twelve months of 村务财务 statements per village, balanced to the fen.

use chrono::{Datelike, NaiveDate};
use gongkai_model::{ContentKind, Fen, FinanceLine, FinanceLineKind, FinanceStatement};
use gongkai_store::blobs::BlobStore;
use gongkai_store::Edit;
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

/// A scanned-looking receipt (收款收据) for one expense, as an SVG voucher photo.
fn voucher_svg(village: &str, line: &FinanceLine, number: u32) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="900" height="520" viewBox="0 0 900 520"><rect width="900" height="520" fill="#fdfaf2"/><rect x="20" y="20" width="860" height="480" fill="none" stroke="#8d6e63" stroke-width="3"/><text x="450" y="80" font-size="40" text-anchor="middle" fill="#4e342e" letter-spacing="12">收 款 收 据</text><text x="820" y="80" font-size="20" text-anchor="end" fill="#b71c1c">No.{number:07}</text><text x="60" y="140" font-size="24" fill="#333">日期：{date}</text><text x="60" y="200" font-size="26" fill="#333">今收到：{village}村民委员会</text><text x="60" y="260" font-size="26" fill="#333">交来：{category}（{description}）</text><text x="60" y="320" font-size="26" fill="#333">人民币（大写）：{capital}</text><text x="60" y="380" font-size="30" fill="#111">￥{amount}</text><text x="60" y="460" font-size="22" fill="#555">收款单位（盖章）　　经手人：　　　　村务监督委员会审核</text><circle cx="720" cy="380" r="70" fill="none" stroke="#c62828" stroke-width="5" opacity="0.8"/><text x="720" y="390" font-size="22" text-anchor="middle" fill="#c62828" opacity="0.85">财务专用章</text></svg>"##,
        date = line.date.format("%Y年%m月%d日"),
        category = line.category,
        description = line.description,
        capital = line.amount.to_capital(),
        amount = line.amount.to_string().trim_start_matches('¥'),
    )
}

/// Statements for the twelve months before the current one, oldest first; each month's
/// opening is the previous month's closing. Expenses of the last three months carry a
/// voucher photo.
pub fn statements(
    rng: &mut StdRng,
    village: &str,
    today: NaiveDate,
    blobs: &BlobStore,
) -> std::io::Result<Vec<Edit>> {
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
        if back <= 3 {
            for (n, line) in lines.iter_mut().enumerate() {
                if line.kind == FinanceLineKind::Expense {
                    let number = rng.gen_range(100_000..999_999) * 10 + n as u32;
                    line.vouchers
                        .push(blobs.put(voucher_svg(village, line, number).as_bytes())?);
                }
            }
        }
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
    Ok(out)
}
