//! A statement's money as a static SVG: one horizontal bar per category, income and
//! expense apart, drawn on the server so a phone needs no script. Labels are text nodes
//! (escaped by maud), so a category name cannot inject markup.

use gongkai_model::{Fen, FinanceLineKind, FinanceStatement};
use maud::{html, Markup};

const WIDTH: i64 = 340;
const LABEL: i64 = 110;
const BAR_MAX: i64 = WIDTH - LABEL - 10;
const ROW: i64 = 26;

/// Sums by category, largest first, for one kind of line.
pub(crate) fn by_category(f: &FinanceStatement, kind: FinanceLineKind) -> Vec<(String, Fen)> {
    let mut out: Vec<(String, Fen)> = Vec::new();
    for l in f.lines.iter().filter(|l| l.kind == kind) {
        match out.iter_mut().find(|(c, _)| *c == l.category) {
            Some((_, sum)) => *sum = sum.checked_add(l.amount).unwrap_or(*sum),
            None => out.push((l.category.clone(), l.amount)),
        }
    }
    out.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    out
}

/// The bar length of `value` against the largest value, in SVG units (at least 2, so a
/// small amount still shows).
fn bar(value: Fen, max: Fen) -> i64 {
    if max.0 <= 0 {
        return 0;
    }
    ((value.0.max(0) as i128 * BAR_MAX as i128) / max.0 as i128).max(2) as i64
}

pub(crate) fn finance(f: &FinanceStatement) -> Markup {
    let income = by_category(f, FinanceLineKind::Income);
    let expense = by_category(f, FinanceLineKind::Expense);
    let max = income
        .iter()
        .chain(&expense)
        .map(|(_, v)| *v)
        .max_by_key(|v| v.0)
        .unwrap_or(Fen::ZERO);
    html! {
        @for (title, rows, class) in [("收入来源", &income, "in"), ("支出去向", &expense, "out")] {
            @if !rows.is_empty() {
                figure.chart {
                    figcaption { (title) }
                    svg xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (WIDTH) " " (rows.len() as i64 * ROW)} role="img" aria-label=(title) {
                        @for (i, (category, value)) in rows.iter().enumerate() {
                            @let y = i as i64 * ROW;
                            text x="0" y=(y + 17) class="label" { (category) }
                            rect class=(class) x=(LABEL) y=(y + 4) width=(bar(*value, max)) height="18" rx="2" {}
                            title { (category) "：" (value) }
                        }
                    }
                    ul.legend { @for (category, value) in rows.iter() { li { (category) "：" (value) } } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use gongkai_model::FinanceLine;

    fn line(kind: FinanceLineKind, category: &str, fen: i64) -> FinanceLine {
        FinanceLine {
            kind,
            date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(),
            category: category.into(),
            description: String::new(),
            amount: Fen(fen),
            vouchers: vec![],
        }
    }

    #[test]
    fn categories_are_summed_and_bars_scaled_to_the_largest() {
        let f = FinanceStatement {
            village_name: "石桥村".into(),
            period: "2026年11月".into(),
            opening: Fen(0),
            lines: vec![
                line(FinanceLineKind::Expense, "道路维修", 30_000),
                line(FinanceLineKind::Expense, "办公费", 1_000),
                line(FinanceLineKind::Expense, "道路维修", 30_000),
                line(FinanceLineKind::Income, "上级补助<script>", 120_000),
            ],
            closing: Fen(59_000),
        };
        let out = by_category(&f, FinanceLineKind::Expense);
        assert_eq!(
            out,
            vec![
                ("道路维修".into(), Fen(60_000)),
                ("办公费".into(), Fen(1_000))
            ]
        );
        assert_eq!(bar(Fen(120_000), Fen(120_000)), BAR_MAX);
        assert_eq!(bar(Fen(60_000), Fen(120_000)), BAR_MAX / 2);
        assert_eq!(bar(Fen(1), Fen(120_000)), 2);
        let svg = finance(&f).into_string();
        assert!(svg.contains("上级补助&lt;script&gt;"));
        assert!(!svg.contains("<script>"));
    }
}
