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

/// The list in fixtures/township-list.xls, cell by cell: what a township office's sheet
/// holds (see make_township_xls.py, which must write the same rows).
enum Typed {
    Text(&'static str),
    Number(f64),
}

fn township_rows() -> Vec<(&'static str, String, Typed, Typed)> {
    use Typed::{Number, Text};
    vec![
        (
            "张建国",
            id_with_check("41990119650315001"),
            Number(5.0),
            Text("５７０．４０元"),
        ),
        (
            "李秀英",
            id_with_check("41990119700612002"),
            Text("３．５亩"),
            Number(399.28),
        ),
        (
            "王桂兰",
            id_with_check("41990119581120003"),
            Number(12.0),
            Text("1,368.96元"),
        ),
        (
            "赵德胜",
            id_with_check("41990119800808004"),
            Number(2.5),
            Text("285.20"),
        ),
        (
            "刘玉梅",
            id_with_check("41990119751003005"),
            Number(4.0),
            Number(456.32),
        ),
    ]
}

const TOWNSHIP_HEADER: [&str; 7] = [
    "序号",
    "村民小组",
    "户主姓名",
    "身份证号码",
    "补贴面积（亩）",
    "补贴金额（元）",
    "备注",
];

/// The sheet as .xlsx, with the rows given (so a test can break one).
fn township_xlsx(rows: &[(&str, String, Typed, Typed)]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let put = |sheet: &mut rust_xlsxwriter::Worksheet, r: u32, c: u16, v: &Typed| match v {
        Typed::Text(t) => {
            sheet.write_string(r, c, *t).unwrap();
        }
        Typed::Number(n) => {
            sheet.write_number(r, c, *n).unwrap();
        }
    };
    sheet
        .write_string(0, 0, "石桥镇石桥村2026年耕地地力保护补贴发放花名册")
        .unwrap();
    sheet
        .write_string(1, 0, "填报单位：石桥镇人民政府（盖章）　　　　单位：元、亩")
        .unwrap();
    for (c, h) in TOWNSHIP_HEADER.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (i, (name, id, area, amount)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, "石桥村一组").unwrap();
        sheet.write_string(r, 2, *name).unwrap();
        sheet.write_string(r, 3, id).unwrap();
        put(sheet, r, 4, area);
        put(sheet, r, 5, amount);
    }
    let r = 3 + rows.len() as u32;
    sheet.write_string(r, 0, "合计").unwrap();
    sheet.write_number(r, 4, 27.0).unwrap();
    sheet.write_string(r, 5, "３，０８０．１６元").unwrap();
    sheet.write_string(r + 1, 0, "村委会主任：王德明").unwrap();
    sheet.write_string(r + 1, 2, "会计：李春梅").unwrap();
    sheet.write_string(r + 1, 4, "制表人：").unwrap();
    sheet
        .write_string(
            r + 2,
            0,
            "注：本名单公示期为7天，如有异议请拨打监督电话 0398-6125001。",
        )
        .unwrap();
    book.save_to_buffer().unwrap()
}

/// The same sheet saved from Excel as CSV on a Chinese Windows PC: GBK.
fn township_gbk_csv() -> Vec<u8> {
    let cell = |v: &Typed| match v {
        Typed::Text(t) => format!("\"{t}\""),
        Typed::Number(n) => format!("{n}"),
    };
    let mut csv = String::from("石桥镇石桥村2026年耕地地力保护补贴发放花名册,,,,,,\r\n填报单位：石桥镇人民政府（盖章）　　　　单位：元、亩,,,,,,\r\n");
    csv.push_str(&TOWNSHIP_HEADER.join(","));
    csv.push_str("\r\n");
    let rows = township_rows();
    for (i, (name, id, area, amount)) in rows.iter().enumerate() {
        csv.push_str(&format!(
            "{},石桥村一组,{name},{id},{},{},\r\n",
            i + 1,
            cell(area),
            cell(amount)
        ));
    }
    csv.push_str("合计,,,,27,\"３，０８０．１６元\",\r\n");
    csv.push_str("村委会主任：王德明,,会计：李春梅,,制表人：,,\r\n");
    csv.push_str("注：本名单公示期为7天，如有异议请拨打监督电话 0398-6125001。,,,,,,\r\n");
    encoding_rs::GBK.encode(&csv).0.into_owned()
}

#[test]
fn a_list_kept_the_way_township_offices_keep_it_imports_in_every_format() {
    let xls = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/township-list.xls"),
    )
    .unwrap();
    for (format, bytes) in [
        ("xlsx", township_xlsx(&township_rows())),
        ("xls", xls),
        ("csv (GBK)", township_gbk_csv()),
    ] {
        let table = read(&bytes).unwrap();
        assert_eq!(table.format, format);
        let mapping = guess(&table, ListKind::Subsidy).unwrap();
        assert_eq!(mapping.header_line, 3, "{format}");
        let checked = check(&table, &mapping, ListKind::Subsidy);
        assert!(checked.errors.is_empty(), "{format}: {:?}", checked.errors);
        assert_eq!(checked.rows.len(), 5, "{format}");
        assert_eq!(
            checked.rows[0].amount,
            Fen(57_040),
            "{format}: ５７０．４０元"
        );
        assert_eq!(
            checked.rows[1].area_centimu,
            Some(350),
            "{format}: ３．５亩"
        );
        assert_eq!(checked.rows[2].amount, Fen(136_896), "{format}: 1,368.96元");
        assert_eq!(checked.total, Fen(308_016), "{format}");
        assert_eq!(checked.declared_total, Some(Fen(308_016)), "{format}");
        assert_eq!(checked.total_line, Some(9), "{format}");
        assert_eq!(
            checked.title.as_deref(),
            Some("石桥镇石桥村2026年耕地地力保护补贴发放花名册")
        );
        // The signature line and the note are listed, not read as rows, not lost.
        let skipped: Vec<(u32, &str)> = checked
            .skipped
            .iter()
            .map(|s| (s.line, s.text.as_str()))
            .collect();
        assert_eq!(
            skipped,
            vec![
                (10, "村委会主任：王德明 会计：李春梅 制表人："),
                (
                    11,
                    "注：本名单公示期为7天，如有异议请拨打监督电话 0398-6125001。"
                ),
            ],
            "{format}"
        );
        assert_eq!(checked.skipped[0].why, "签字、制表等落款行");
    }
}

#[test]
fn a_real_defect_in_an_office_list_is_one_bad_line_however_many_cells() {
    let mut rows = township_rows();
    // Line 5: a name with a digit, an ID with a wrong check character, a bad amount.
    rows[1].0 = "李秀英2";
    let last = rows[1].1.pop().unwrap();
    rows[1].1.push(if last == '1' { '2' } else { '1' });
    rows[1].3 = Typed::Text("三百九十九元");
    let table = read(&township_xlsx(&rows)).unwrap();
    let checked = check(
        &table,
        &guess(&table, ListKind::Subsidy).unwrap(),
        ListKind::Subsidy,
    );
    assert_eq!(checked.errors.len(), 3, "{:?}", checked.errors);
    assert!(checked.errors.iter().all(|e| e.line == 5));
    assert_eq!(checked.bad_lines(), 1);
    assert_eq!(checked.rows.len(), 4);
    // The signature lines are still skipped, not counted as broken rows.
    assert_eq!(checked.skipped.len(), 2);
}

#[test]
fn a_row_with_an_id_is_data_even_if_it_reads_like_a_note() {
    // A household's note that happens to say 说明：… is still a row of the list.
    let ids = good_ids();
    let csv = format!(
        "姓名,身份证号,金额,备注\n张建国,{},100,\n李秀英,{},说明：待核,\n",
        ids[0], ids[1]
    );
    let table = read(csv.as_bytes()).unwrap();
    let checked = check(
        &table,
        &guess(&table, ListKind::Subsidy).unwrap(),
        ListKind::Subsidy,
    );
    assert!(checked.skipped.is_empty(), "{:?}", checked.skipped);
    assert_eq!(checked.bad_lines(), 1);
    assert_eq!(checked.errors[0].line, 3);
}
