//! Real files: an .xlsx written by rust_xlsxwriter the way a county clerk lays it out
//! (title row, header, rows, 合计), and a GBK CSV.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gongkai_import::{check, guess, read, Field, ListKind};
use gongkai_model::Fen;
use rust_xlsxwriter::{Format, Workbook};

fn good_ids() -> [String; 3] {
    [
        id_with_check("41990119800315001"),
        id_with_check("41990119751120002"),
        id_with_check("41990119650808003"),
    ]
}

fn id_with_check(first17: &str) -> String {
    let c = gongkai_model::idcard::check_char(first17).unwrap();
    format!("{first17}{c}")
}

fn workbook(rows: &[(&str, &str, f64)], total: Option<f64>, id_as_number: bool) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let text = Format::new().set_num_format("@");
    sheet
        .write_string(0, 0, "石桥镇2026年耕地地力保护补贴发放花名册")
        .unwrap();
    for (c, h) in [
        "序号",
        "村组",
        "户主姓名",
        "身份证号码",
        "补贴面积（亩）",
        "补贴金额（元）",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (i, (name, id, amount)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, "石桥村一组").unwrap();
        sheet.write_string(r, 2, *name).unwrap();
        if id_as_number {
            sheet
                .write_number(r, 3, id.parse::<f64>().unwrap())
                .unwrap();
        } else {
            sheet.write_string_with_format(r, 3, *id, &text).unwrap();
        }
        sheet.write_number(r, 4, 3.5).unwrap();
        sheet.write_number(r, 5, *amount).unwrap();
    }
    if let Some(t) = total {
        let r = 3 + rows.len() as u32;
        sheet.write_string(r, 0, "合计").unwrap();
        sheet.write_number(r, 5, t).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn a_clean_xlsx_imports_with_title_total_and_lines() {
    let ids = good_ids();
    let bytes = workbook(
        &[
            ("张建国", &ids[0], 47.53),
            ("李秀英", &ids[1], 120.0),
            ("王 强", &ids[2], 0.1 + 0.2),
        ],
        Some(167.83),
        false,
    );
    let table = read(&bytes).unwrap();
    assert_eq!(table.format, "xlsx");
    let mapping = guess(&table, ListKind::Subsidy).unwrap();
    assert_eq!(mapping.header_line, 3);
    assert_eq!(mapping.column(Field::Name), Some(2));
    assert_eq!(mapping.column(Field::Amount), Some(5));
    let checked = check(&table, &mapping, ListKind::Subsidy);
    assert!(checked.errors.is_empty(), "{:?}", checked.errors);
    assert_eq!(
        checked.title.as_deref(),
        Some("石桥镇2026年耕地地力保护补贴发放花名册")
    );
    assert_eq!(checked.rows.len(), 3);
    assert_eq!(checked.rows[0].line, 4);
    assert_eq!(checked.rows[2].name, "王强");
    assert_eq!(checked.rows[2].amount, Fen(30));
    assert_eq!(checked.rows[0].area_centimu, Some(350));
    assert_eq!(checked.total, Fen(16_783));
    assert_eq!(checked.declared_total, Some(Fen(16_783)));
}

#[test]
fn every_bad_row_is_reported_in_chinese() {
    let ids = good_ids();
    let bad_check = {
        let mut s = ids[0][..17].to_string();
        let wrong = if ids[0].ends_with('9') { '0' } else { '9' };
        s.push(wrong);
        s
    };
    let bytes = workbook(
        &[
            ("张建国", &ids[0], 47.53),
            ("", &ids[1], 10.0),
            ("李四", &bad_check, 10.0),
            ("赵六", &ids[0], 10.0),
            ("钱七", &ids[2], -5.0),
            ("孙八", &id_with_check("41990119991340005"), 1.234),
        ],
        None,
        false,
    );
    let table = read(&bytes).unwrap();
    let mapping = guess(&table, ListKind::Subsidy).unwrap();
    let checked = check(&table, &mapping, ListKind::Subsidy);
    let by_line: Vec<(u32, &str)> = checked
        .errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    assert!(by_line.contains(&(5, "缺少姓名")), "{by_line:?}");
    assert!(
        by_line.iter().any(|(l, m)| *l == 6 && m.contains("校验位")),
        "{by_line:?}"
    );
    assert!(
        by_line.contains(&(7, "身份证号与第 4 行重复")),
        "{by_line:?}"
    );
    assert!(by_line.contains(&(8, "金额必须大于 0")), "{by_line:?}");
    assert!(
        by_line
            .iter()
            .any(|(l, m)| *l == 9 && m.contains("出生日期")),
        "{by_line:?}"
    );
    assert!(
        by_line
            .iter()
            .any(|(l, m)| *l == 9 && m.contains("两位小数")),
        "{by_line:?}"
    );
    assert_eq!(checked.rows.len(), 1, "only the good row is kept");
    assert!(!checked.is_clean());
    // No full ID number in any message or value.
    for e in &checked.errors {
        assert!(!gongkai_model::idcard::contains_full_id(&e.value), "{e:?}");
    }
}

#[test]
fn ids_stored_as_numbers_are_caught() {
    let bytes = workbook(&[("张建国", "419901198003150012", 47.53)], None, true);
    let table = read(&bytes).unwrap();
    let mapping = guess(&table, ListKind::Subsidy).unwrap();
    let checked = check(&table, &mapping, ListKind::Subsidy);
    assert_eq!(checked.errors.len(), 1);
    assert!(checked.errors[0].message.contains("存成了数字"));
}

#[test]
fn a_wrong_total_row_is_caught() {
    let ids = good_ids();
    let bytes = workbook(&[("张建国", &ids[0], 47.53)], Some(50.0), false);
    let table = read(&bytes).unwrap();
    let checked = check(
        &table,
        &guess(&table, ListKind::Subsidy).unwrap(),
        ListKind::Subsidy,
    );
    assert_eq!(checked.errors.len(), 1);
    assert_eq!(checked.errors[0].line, 5);
    assert!(checked.errors[0].message.contains("不符"));
}

#[test]
fn gbk_csv_board_with_missing_column_then_mapped_by_hand() {
    let ids = good_ids();
    let csv = format!("户号,户主,公民身份号码,人口,实物指标,补偿款\r\nHK-001,周大山,{},4,砖混房 120㎡,\"156,000.00\"\r\nHK-002,吴桂兰,{},2,砖木房 80㎡,98000\r\n", ids[0], ids[1]);
    let (bytes, _, _) = encoding_rs::GBK.encode(&csv);
    let table = read(&bytes).unwrap();
    assert_eq!(table.format, "csv (GBK)");
    let mut mapping = guess(&table, ListKind::Board).unwrap();
    let checked = check(&table, &mapping, ListKind::Board);
    assert!(checked.is_clean(), "{:?}", checked.errors);
    assert_eq!(checked.rows[0].household_id.as_deref(), Some("HK-001"));
    assert_eq!(checked.rows[0].amount, Fen(15_600_000));
    assert_eq!(checked.rows[1].household_size, Some(2));

    // A clerk un-maps the amount column: the whole file is refused, naming the column.
    mapping.set(Field::Amount, None);
    let checked = check(&table, &mapping, ListKind::Board);
    assert_eq!(checked.errors.len(), 1);
    assert!(checked.errors[0].message.contains("金额"));
    assert!(checked.rows.is_empty());
}

#[test]
fn a_hundred_thousand_rows_check_quickly_enough_to_preview() {
    let mut csv = String::from("姓名,身份证号,金额\n");
    for i in 0..100_000u32 {
        let first17 = format!(
            "4199011980{:02}{:02}{:03}",
            1 + i % 12,
            1 + i % 28,
            i % 1000
        );
        let id = id_with_check(&first17[..17]);
        csv.push_str(&format!(
            "张{},{id},{}.50\n",
            ["伟", "芳", "磊", "静"][i as usize % 4],
            100 + i % 50
        ));
    }
    let table = read(csv.as_bytes()).unwrap();
    let mapping = guess(&table, ListKind::Subsidy).unwrap();
    let checked = check(&table, &mapping, ListKind::Subsidy);
    // Generated IDs repeat (month/day/sequence cycle), and each repeat is reported.
    assert_eq!(checked.rows.len() + checked.errors.len(), 100_000);
    assert!(checked.errors.iter().all(|e| e.message.contains("重复")));
}
