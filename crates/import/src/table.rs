//! Turning an uploaded file into a plain table: .xlsx and .xls through calamine, .csv in
//! whatever encoding the office's PC wrote it (UTF-8 with or without BOM, UTF-16, or GBK
//! from Excel on a Chinese Windows).

use std::io::Cursor;

/// One cell as the file gave it. Numbers stay numbers so that an ID number Excel
/// turned into a float can be recognised as damaged instead of silently accepted.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            Cell::Number(_) => false,
        }
    }

    /// The cell as a person would read it.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_string(),
            Cell::Number(n) => format_number(*n),
        }
    }
}

/// Prints a float the way Excel shows it in a general cell: no trailing ".0", no
/// exponent for ordinary amounts.
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A data row with its line number as the office sees it in Excel (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u32,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn cell(&self, col: usize) -> &Cell {
        self.cells.get(col).unwrap_or(&Cell::Empty)
    }
}

/// Every non-empty row of the first worksheet (or the CSV), before any header is found.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// What the file was read as: "xlsx", "xls", "csv (GBK)" …, shown in the preview.
    pub format: String,
    pub rows: Vec<Row>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("文件是空的")]
    Empty,
    #[error("无法读取 Excel 文件：{0}。请确认文件未损坏、未加密，或另存为 .xlsx 后重试")]
    Excel(String),
    #[error("Excel 文件里没有工作表")]
    NoSheet,
    #[error("无法读取 CSV 文件：{0}")]
    Csv(String),
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Reads an upload by its content, not its name: offices rename files freely, and a
/// ".xls" that is really HTML or CSV is common.
pub fn read(bytes: &[u8]) -> Result<Table, ReadError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty);
    }
    if bytes.starts_with(ZIP_MAGIC) {
        read_workbook(bytes, "xlsx")
    } else if bytes.starts_with(OLE_MAGIC) {
        read_workbook(bytes, "xls")
    } else {
        read_csv(bytes)
    }
}

fn read_workbook(bytes: &[u8], format: &str) -> Result<Table, ReadError> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| ReadError::Excel(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(ReadError::NoSheet)?
        .map_err(|e| ReadError::Excel(e.to_string()))?;
    // Line numbers must match what Excel shows even when the used range starts lower.
    let first_line = range.start().map(|(r, _)| r + 1).unwrap_or(1);
    let mut rows = Vec::new();
    for (i, raw) in range.rows().enumerate() {
        let cells: Vec<Cell> = raw
            .iter()
            .map(|d| match d {
                Data::Empty => Cell::Empty,
                Data::String(s) => Cell::Text(s.clone()),
                Data::Float(f) => Cell::Number(*f),
                Data::Int(n) => Cell::Number(*n as f64),
                Data::Bool(b) => Cell::Text(if *b { "是" } else { "否" }.into()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
                Data::DateTime(dt) => Cell::Text(excel_date(dt.as_f64())),
                Data::Error(e) => Cell::Text(format!("#{e:?}")),
            })
            .collect();
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        rows.push(Row {
            line: first_line + i as u32,
            cells,
        });
    }
    Ok(Table {
        format: format.into(),
        rows,
    })
}

/// An Excel date serial (days since 1899-12-30 in the 1900 system) as YYYY-MM-DD.
fn excel_date(serial: f64) -> String {
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|d| d.checked_add_signed(chrono::Duration::days(serial.floor() as i64)))
        .map(|d| d.to_string())
        .unwrap_or_else(|| serial.to_string())
}

/// Decodes CSV bytes: a BOM decides; otherwise valid UTF-8 is UTF-8 and anything else is
/// GB18030 (the superset of GBK that Excel on Chinese Windows writes).
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc.name());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::GB18030.decode(bytes);
            (text.into_owned(), "GBK")
        }
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, ReadError> {
    let (text, encoding) = decode(bytes);
    // A title line above the header has no delimiters; look at the first few lines.
    let head: String = text.lines().take(5).collect();
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| head.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let newline_offsets: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Csv(e.to_string()))?;
        // The csv crate's own line count skips blank lines; count newlines before the
        // record's first byte instead so the number matches the clerk's editor.
        let mut start = record.position().map(|p| p.byte() as usize).unwrap_or(0);
        // A record's position includes the blank lines before it.
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let line = 1 + newline_offsets.partition_point(|&nl| nl < start) as u32;
        let cells: Vec<Cell> = record
            .iter()
            .map(|s| {
                if s.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s.to_string())
                }
            })
            .collect();
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        rows.push(Row { line, cells });
    }
    Ok(Table {
        format: format!("csv ({encoding})"),
        rows,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn gbk_csv_is_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("姓名,身份证号\n张三,1\n");
        let table = read(&bytes).unwrap();
        assert_eq!(table.format, "csv (GBK)");
        assert_eq!(table.rows[0].cells[0], Cell::Text("姓名".into()));
        assert_eq!(table.rows[1].line, 2);
    }

    #[test]
    fn utf8_bom_and_tabs() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend("姓名\t金额\n\n李四\t12.5\n".as_bytes());
        let table = read(&bytes).unwrap();
        assert_eq!(table.format, "csv (UTF-8)");
        assert_eq!(table.rows.len(), 2);
        // The blank line is skipped but line numbers still match the file.
        assert_eq!(table.rows[1].line, 3);
        assert_eq!(table.rows[1].cells[1], Cell::Text("12.5".into()));
    }

    #[test]
    fn empty_and_broken_files_say_so() {
        assert_eq!(read(b"  \n"), Err(ReadError::Empty));
        let mut fake = ZIP_MAGIC.to_vec();
        fake.extend([0u8; 40]);
        assert!(matches!(read(&fake), Err(ReadError::Excel(_))));
    }

    #[test]
    fn numbers_display_like_excel() {
        assert_eq!(Cell::Number(1234.0).display(), "1234");
        assert_eq!(Cell::Number(12.5).display(), "12.5");
    }
}
