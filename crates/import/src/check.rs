//! Finding the header row, mapping columns to fields, and checking every row. Messages
//! are in Chinese because the cadre or clerk who uploaded the file reads them.

use crate::table::{Cell, Row, Table};
use gongkai_model::{idcard, Fen};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What one column can mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    HouseholdId,
    Name,
    IdNumber,
    Village,
    HouseholdSize,
    Area,
    Detail,
    Amount,
    // Ledger (村级财务收支明细) columns.
    Date,
    Voucher,
    Category,
    Description,
    Income,
    Expense,
    Direction,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::HouseholdId => "户编号",
            Field::Name => "姓名",
            Field::IdNumber => "身份证号",
            Field::Village => "村（组）",
            Field::HouseholdSize => "家庭人口",
            Field::Area => "面积（亩）",
            Field::Detail => "实物指标及说明",
            Field::Amount => "金额（元）",
            Field::Date => "日期",
            Field::Voucher => "凭证号",
            Field::Category => "科目",
            Field::Description => "摘要",
            Field::Income => "收入（元）",
            Field::Expense => "支出（元）",
            Field::Direction => "收支",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Field::HouseholdId => "household_id",
            Field::Name => "name",
            Field::IdNumber => "id_number",
            Field::Village => "village",
            Field::HouseholdSize => "household_size",
            Field::Area => "area",
            Field::Detail => "detail",
            Field::Amount => "amount",
            Field::Date => "date",
            Field::Voucher => "voucher",
            Field::Category => "category",
            Field::Description => "description",
            Field::Income => "income",
            Field::Expense => "expense",
            Field::Direction => "direction",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        ALL_FIELDS.iter().copied().find(|f| f.key() == key)
    }

    /// Column titles seen on real county spreadsheets, normalised (no spaces, no units).
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::HouseholdId => &["户编号", "户号", "家庭编号", "移民户编号"],
            Field::Name => &[
                "姓名",
                "户主姓名",
                "户主",
                "名字",
                "补贴对象",
                "领取人",
                "申请人",
            ],
            Field::IdNumber => &[
                "身份证号",
                "身份证号码",
                "公民身份号码",
                "证件号码",
                "户主身份证号",
                "身份证",
            ],
            Field::Village => &["村", "村组", "所在村", "行政村", "村民小组", "村名", "组别"],
            Field::HouseholdSize => &[
                "家庭人口",
                "人口",
                "户人口",
                "家庭人数",
                "人数",
                "保障人数",
                "在册人口",
            ],
            Field::Area => &["面积", "补贴面积", "耕地面积", "种植面积", "亩数"],
            Field::Detail => &["实物指标", "说明", "备注", "详情", "房屋及附属物"],
            Field::Amount => &[
                "金额",
                "补贴金额",
                "发放金额",
                "补助金额",
                "补偿金额",
                "补偿款",
                "合计金额",
                "应发金额",
            ],
            Field::Date => &["日期", "记账日期", "发生日期", "凭证日期"],
            Field::Voucher => &["凭证号", "凭证编号", "凭证字号", "凭证"],
            Field::Category => &["科目", "会计科目", "收支科目", "项目", "类别"],
            Field::Description => &["摘要", "事由", "内容", "用途"],
            Field::Income => &["收入", "收入金额", "借方", "借方金额"],
            Field::Expense => &["支出", "支出金额", "贷方", "贷方金额"],
            Field::Direction => &["收支", "收支类型", "类型", "方向"],
        }
    }
}

pub const ALL_FIELDS: &[Field] = &[
    Field::HouseholdId,
    Field::Name,
    Field::IdNumber,
    Field::Village,
    Field::HouseholdSize,
    Field::Area,
    Field::Detail,
    Field::Amount,
    Field::Date,
    Field::Voucher,
    Field::Category,
    Field::Description,
    Field::Income,
    Field::Expense,
    Field::Direction,
];

/// What is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// 补贴名单 (粮食直补, 低保, …).
    Subsidy,
    /// One of a relocation village's 三榜.
    Board,
    /// A village's monthly ledger (村务财务), checked by `ledger::check_ledger`.
    Ledger,
}

impl ListKind {
    /// The fields of this kind and whether each is required.
    pub fn fields(self) -> &'static [(Field, bool)] {
        match self {
            ListKind::Subsidy => &[
                (Field::Name, true),
                (Field::IdNumber, true),
                (Field::Village, false),
                (Field::HouseholdSize, false),
                (Field::Area, false),
                (Field::Amount, true),
            ],
            ListKind::Board => &[
                (Field::HouseholdId, true),
                (Field::Name, true),
                (Field::IdNumber, true),
                (Field::HouseholdSize, true),
                (Field::Detail, false),
                (Field::Amount, true),
            ],
            // Which amount columns are required depends on the layout; check_ledger says.
            ListKind::Ledger => &[
                (Field::Date, true),
                (Field::Voucher, false),
                (Field::Category, false),
                (Field::Description, true),
                (Field::Income, false),
                (Field::Expense, false),
                (Field::Direction, false),
                (Field::Amount, false),
            ],
        }
    }
}

/// Which column holds which field, and where the header row is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    pub header_line: u32,
    /// The header row's titles, for the mapping form.
    pub headers: Vec<String>,
    pub columns: Vec<(Field, Option<usize>)>,
}

impl Mapping {
    pub fn column(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, c)| *c)
    }

    /// Points a field at a column (or at none), as the clerk chose in the form.
    pub fn set(&mut self, field: Field, column: Option<usize>) {
        let column = column.filter(|c| *c < self.headers.len());
        match self.columns.iter_mut().find(|(f, _)| *f == field) {
            Some(slot) => slot.1 = column,
            None => self.columns.push((field, column)),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MapError {
    #[error("没有找到表头：前 10 行里没有“姓名”“身份证号”“金额”等列名。请确认表头在数据上方")]
    NoHeader,
    #[error("表头下面没有数据行")]
    NoRows,
}

fn normalise(title: &str) -> String {
    let mut t: String = title
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '：' && *c != ':')
        .collect();
    // Units and notes in brackets: 金额（元）, 面积(亩), 身份证号(18位).
    for open in ['（', '('] {
        if let Some(i) = t.find(open) {
            t.truncate(i);
        }
    }
    t
}

fn match_field(title: &str, fields: &[(Field, bool)]) -> Option<Field> {
    let t = normalise(title);
    if t.is_empty() {
        return None;
    }
    fields
        .iter()
        .map(|(f, _)| *f)
        .find(|f| f.synonyms().contains(&t.as_str()))
}

/// Finds the header row in the first 10 rows (above it there is usually a title like
/// "石桥镇2026年耕地地力保护补贴发放花名册") and maps the columns it recognises.
pub fn guess(table: &Table, kind: ListKind) -> Result<Mapping, MapError> {
    let fields = kind.fields();
    let (header_index, header) = table
        .rows
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, row)| {
            let hits = row
                .cells
                .iter()
                .filter(|c| match_field(&c.display(), fields).is_some())
                .count();
            (i, row, hits)
        })
        .filter(|(_, _, hits)| *hits >= 2)
        .max_by_key(|(i, _, hits)| (*hits, usize::MAX - i))
        .map(|(i, row, _)| (i, row))
        .ok_or(MapError::NoHeader)?;
    if table.rows.len() <= header_index + 1 {
        return Err(MapError::NoRows);
    }
    let headers: Vec<String> = header.cells.iter().map(Cell::display).collect();
    let mut columns: Vec<(Field, Option<usize>)> = fields.iter().map(|(f, _)| (*f, None)).collect();
    for (col, title) in headers.iter().enumerate() {
        if let Some(field) = match_field(title, fields) {
            if let Some(slot) = columns.iter_mut().find(|(f, c)| *f == field && c.is_none()) {
                slot.1 = Some(col);
            }
        }
    }
    Ok(Mapping {
        header_line: header.line,
        headers,
        columns,
    })
}

/// One good row, with the full ID number (which stays on the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    pub line: u32,
    pub household_id: Option<String>,
    pub name: String,
    pub id_number: String,
    pub village: Option<String>,
    pub household_size: Option<u32>,
    pub area_centimu: Option<u32>,
    pub detail: Option<String>,
    pub amount: Fen,
}

/// Why one row (or the file) cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The line in the file; 0 for problems with the whole file.
    pub line: u32,
    pub field: Option<Field>,
    /// The cell as written, masked if it may be an ID number.
    pub value: String,
    pub message: String,
}

impl RowError {
    /// A problem with one cell.
    pub fn at(line: u32, field: Field, value: String, message: String) -> RowError {
        RowError {
            line,
            field: Some(field),
            value,
            message,
        }
    }
}

/// The result of checking a whole file: it may be published only if `errors` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    /// The title row above the header, if there is one.
    pub title: Option<String>,
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    pub total: Fen,
    /// The 合计 row's amount, if the file has one (checked against `total`).
    pub declared_total: Option<Fen>,
    /// The line of the 合计 row, if any.
    pub total_line: Option<u32>,
    /// Lines under the header that are not data (signatures, 制表人, notes), listed so
    /// that nothing leaves the file unseen.
    pub skipped: Vec<Skipped>,
}

impl Checked {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && !self.rows.is_empty()
    }

    /// How many lines have at least one problem (a line with three bad cells is one
    /// line to fix); problems with the whole file count as one.
    pub fn bad_lines(&self) -> usize {
        bad_lines(&self.errors)
    }
}

pub(crate) fn bad_lines(errors: &[RowError]) -> usize {
    let mut lines: Vec<u32> = errors.iter().map(|e| e.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

/// A line under the header that was read but is not a row of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub line: u32,
    /// The line's text, cells joined by spaces.
    pub text: String,
    /// Why it is not data, in Chinese.
    pub why: String,
}

/// Words before a colon on the signature and note lines offices put under a table:
/// `村委会主任：… 会计：… 制表人：`, `填表日期：`, `监督电话：`.
const TRAILER_WORDS: &[&str] = &[
    "制表",
    "填表",
    "审核",
    "复核",
    "审批",
    "负责人",
    "经办",
    "主任",
    "书记",
    "会计",
    "出纳",
    "报账员",
    "监督",
    "签字",
    "签名",
    "盖章",
    "日期",
    "电话",
    "公示期",
    "单位",
];

/// Whether a line that is not data-like is one of the lines offices write under (or
/// between) the rows; `after_total` is true below the 合计 row, where nothing is data.
pub(crate) fn trailer(row: &Row, after_total: bool) -> Option<Skipped> {
    let texts: Vec<String> = row
        .cells
        .iter()
        .filter(|c| !c.is_empty())
        .map(Cell::display)
        .collect();
    let text = texts.join(" ");
    let signed = text.match_indices(['：', ':']).any(|(i, _)| {
        let before: String = text[..i]
            .chars()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        TRAILER_WORDS.iter().any(|w| before.contains(w))
    }) || TRAILER_WORDS.iter().any(|w| text.trim_end().ends_with(w));
    let note = ["注", "备注", "说明", "附"].iter().any(|w| {
        text.strip_prefix(w)
            .is_some_and(|rest| rest.starts_with(['：', ':', '1', '１', '一', '（', '(']))
    });
    let why = if signed {
        "签字、制表等落款行"
    } else if note {
        "表格下方的备注说明"
    } else if after_total {
        "合计行以下的内容"
    } else {
        return None;
    };
    Some(Skipped {
        line: row.line,
        text,
        why: why.into(),
    })
}

/// Number text as offices type it, made plain: full-width digits and points
/// (`３，２００．５０`), thousands separators, a leading ¥ and a trailing unit
/// (元/亩/人/户/口) are all forgiven.
pub(crate) fn plain_number(text: &str) -> String {
    let mut t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' | '。' => '.',
            '－' | '—' => '-',
            other => other,
        })
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    for prefix in ['¥', '￥'] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest.to_string();
        }
    }
    for unit in ["万元", "元", "亩", "人", "户", "口"] {
        if let Some(rest) = t.strip_suffix(unit) {
            // 万元 is not a unit to drop silently: 3.2万元 is 32,000 元, not 3.2.
            if unit != "万元" {
                t = rest.to_string();
            }
            break;
        }
    }
    t
}

const TOTAL_WORDS: &[&str] = &["合计", "总计", "小计", "共计"];

/// Checks every row under the header. Every problem is reported (not only the first),
/// so a clerk can fix the file in one pass.
pub fn check(table: &Table, mapping: &Mapping, kind: ListKind) -> Checked {
    let mut out = Checked {
        title: title(table, mapping.header_line),
        rows: Vec::new(),
        errors: Vec::new(),
        total: Fen::ZERO,
        declared_total: None,
        total_line: None,
        skipped: Vec::new(),
    };
    for (field, required) in kind.fields() {
        if *required && mapping.column(*field).is_none() {
            out.errors.push(RowError {
                line: 0,
                field: Some(*field),
                value: String::new(),
                message: format!("缺少必填列“{}”，请在列对应中选择", field.label()),
            });
        }
    }
    if !out.errors.is_empty() {
        return out;
    }
    let mut seen_ids: HashMap<String, u32> = HashMap::new();
    let mut seen_households: HashMap<String, u32> = HashMap::new();
    for row in table.rows.iter().filter(|r| r.line > mapping.header_line) {
        if is_total_row(row) && out.total_line.is_none() {
            out.total_line = Some(row.line);
            if let Some(col) = mapping.column(Field::Amount) {
                out.declared_total = amount(row.cell(col)).ok();
            }
            continue;
        }
        if !data_like(row, mapping) {
            if let Some(skipped) = trailer(row, out.total_line.is_some()) {
                out.skipped.push(skipped);
                continue;
            }
        }
        let errors_before = out.errors.len();
        let mut err = |field: Field, value: String, message: String| {
            out.errors
                .push(RowError::at(row.line, field, value, message))
        };
        let get = |field: Field| mapping.column(field).map(|c| row.cell(c));

        let name = get(Field::Name).map(Cell::display).unwrap_or_default();
        let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
        if let Err(m) = check_name(&name) {
            err(Field::Name, name.clone(), m);
        }

        let id_cell = get(Field::IdNumber).unwrap_or(&Cell::Empty);
        let id_number = match id(id_cell) {
            Ok(id) => {
                if let Some(first) = seen_ids.get(&id) {
                    err(
                        Field::IdNumber,
                        idcard::mask(&id),
                        format!("身份证号与第 {first} 行重复"),
                    );
                } else {
                    seen_ids.insert(id.clone(), row.line);
                }
                id
            }
            Err(m) => {
                err(Field::IdNumber, idcard::mask(&id_cell.display()), m);
                String::new()
            }
        };

        let amount_cell = get(Field::Amount).unwrap_or(&Cell::Empty);
        let money = match amount(amount_cell) {
            Ok(fen) if fen.0 > 0 => fen,
            Ok(_) => {
                err(
                    Field::Amount,
                    amount_cell.display(),
                    "金额必须大于 0".into(),
                );
                Fen::ZERO
            }
            Err(m) => {
                err(Field::Amount, amount_cell.display(), m);
                Fen::ZERO
            }
        };

        let household_size = match get(Field::HouseholdSize) {
            Some(c) if !c.is_empty() => match whole_number(c) {
                Some(n @ 1..=30) => Some(n as u32),
                _ => {
                    err(
                        Field::HouseholdSize,
                        c.display(),
                        "家庭人口应为 1 到 30 之间的整数".into(),
                    );
                    None
                }
            },
            _ => {
                if kind.fields().contains(&(Field::HouseholdSize, true)) {
                    err(Field::HouseholdSize, String::new(), "缺少家庭人口".into());
                }
                None
            }
        };

        let area_centimu = match get(Field::Area) {
            Some(c) if !c.is_empty() => match area(c) {
                Ok(a) => Some(a),
                Err(m) => {
                    err(Field::Area, c.display(), m);
                    None
                }
            },
            _ => None,
        };

        let household_id = match get(Field::HouseholdId) {
            Some(c) if !c.is_empty() => {
                let hid = c.display();
                if let Some(first) = seen_households.get(&hid) {
                    err(
                        Field::HouseholdId,
                        hid.clone(),
                        format!("户编号与第 {first} 行重复"),
                    );
                } else {
                    seen_households.insert(hid.clone(), row.line);
                }
                Some(hid)
            }
            Some(_) => {
                err(Field::HouseholdId, String::new(), "缺少户编号".into());
                None
            }
            None => None,
        };

        let text = |field: Field| get(field).map(Cell::display).filter(|s| !s.is_empty());
        if out.errors.len() == errors_before {
            out.total = Fen(out.total.0.saturating_add(money.0));
            out.rows.push(ImportRow {
                line: row.line,
                household_id,
                name,
                id_number,
                village: text(Field::Village),
                household_size,
                area_centimu,
                detail: text(Field::Detail),
                amount: money,
            });
        }
    }
    if let Some(declared) = out.declared_total {
        if out.errors.is_empty() && declared != out.total {
            out.errors.push(RowError {
                line: out.total_line.unwrap_or(0),
                field: Some(Field::Amount),
                value: declared.to_string(),
                message: format!("合计行金额 {} 与明细相加 {} 不符", declared, out.total),
            });
        }
    }
    if out.rows.is_empty() && out.errors.is_empty() {
        out.errors.push(RowError {
            line: 0,
            field: None,
            value: String::new(),
            message: "表头下面没有数据行".into(),
        });
    }
    out
}

/// A row that carries a list entry: an ID number in the ID column, or a name and an
/// amount. Such a row is always checked, whatever else it says.
fn data_like(row: &Row, mapping: &Mapping) -> bool {
    let get = |field: Field| {
        mapping
            .column(field)
            .map(|c| row.cell(c))
            .unwrap_or(&Cell::Empty)
    };
    let id_like = match get(Field::IdNumber) {
        Cell::Number(n) => *n >= 1e13,
        Cell::Text(t) => plain_number(t).chars().filter(char::is_ascii_digit).count() >= 14,
        Cell::Empty => false,
    };
    let name: String = get(Field::Name)
        .display()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    id_like || (check_name(&name).is_ok() && amount(get(Field::Amount)).is_ok())
}

fn title(table: &Table, header_line: u32) -> Option<String> {
    table
        .rows
        .iter()
        .take_while(|r| r.line < header_line)
        .find_map(|r| {
            let texts: Vec<String> = r
                .cells
                .iter()
                .filter(|c| !c.is_empty())
                .map(Cell::display)
                .collect();
            (texts.len() == 1).then(|| texts[0].clone())
        })
}

pub(crate) fn is_total_row(row: &Row) -> bool {
    row.cells.iter().take(3).any(|c| {
        let t: String = c.display().chars().filter(|c| !c.is_whitespace()).collect();
        TOTAL_WORDS.iter().any(|w| t.starts_with(w))
    })
}

fn check_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 {
        return Err("缺少姓名".into());
    }
    if !(2..=15).contains(&n) {
        return Err(format!("姓名长度不对（{n} 个字）"));
    }
    let ok = name
        .chars()
        .all(|c| ('\u{3400}'..='\u{9FFF}').contains(&c) || c == '·' || c == '•');
    if !ok {
        return Err("姓名只能是汉字（少数民族姓名可用“·”）".into());
    }
    Ok(())
}

/// An ID number from a cell: full-width digits and spaces are forgiven; a number cell is
/// not, because Excel keeps only 15 significant digits and the rest is already lost.
fn id(cell: &Cell) -> Result<String, String> {
    let text = match cell {
        Cell::Empty => return Err("缺少身份证号".into()),
        Cell::Number(_) => {
            return Err(
                "身份证号被 Excel 存成了数字，末尾几位已经丢失。请把这一列设为“文本”格式，重新填写后再导入"
                    .into(),
            )
        }
        Cell::Text(t) => t,
    };
    let id: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'')
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            'Ｘ' | 'ｘ' | 'x' => 'X',
            other => other,
        })
        .collect();
    idcard::validate(&id).map_err(|e| e.to_string())?;
    let month: u32 = id[10..12].parse().unwrap_or(0);
    let day: u32 = id[12..14].parse().unwrap_or(0);
    let year: u32 = id[6..10].parse().unwrap_or(0);
    if !(1900..=2100).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err("身份证号中的出生日期不对".into());
    }
    Ok(id)
}

pub(crate) fn amount(cell: &Cell) -> Result<Fen, String> {
    match cell {
        Cell::Empty => Err("缺少金额".into()),
        Cell::Number(n) => {
            let fen = (n * 100.0).round();
            if !n.is_finite() || fen.abs() > 1e15 {
                return Err("金额超出范围".into());
            }
            // Excel's binary floats: 12.34 is 12.339999…, which is fine; 12.345 is not.
            if (n * 100.0 - fen).abs() > 1e-6 {
                return Err("金额最多保留两位小数（到分）".into());
            }
            Ok(Fen(fen as i64))
        }
        Cell::Text(t) => Fen::parse_yuan(&plain_number(t))
            .map_err(|_| format!("金额“{}”不是数字（示例：1234.50）", t.trim())),
    }
}

fn whole_number(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Number(n) if n.fract() == 0.0 => Some(*n as i64),
        Cell::Text(t) => plain_number(t).parse().ok(),
        _ => None,
    }
}

/// Area in mu to hundredths of a mu.
fn area(cell: &Cell) -> Result<u32, String> {
    let text = cell.display();
    let fen = Fen::parse_yuan(&plain_number(&text))
        .map_err(|_| format!("面积“{text}”不是数字（单位：亩）"))?;
    match u32::try_from(fen.0) {
        Ok(v) if v > 0 => Ok(v),
        _ => Err("面积必须大于 0".into()),
    }
}
