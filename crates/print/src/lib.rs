//! Printable boards: one published item laid out for the paper 公开栏 — an A4 or A3 sheet
//! with the publishing office, the title, the 公示期 and where to object, the content
//! (long lists over as many pages as they need, the table's header repeated on each, and
//! 第 N 页 共 M 页), a QR code to the same item's phone page, and the public-record entry
//! it was printed from. Written with krilla, which embeds and subsets the Chinese font, so
//! the file prints the same on any office printer and stays small enough to email.
//!
//! Pure: the font's bytes come in, the PDF's bytes go out; nothing here reads a file, the
//! clock or the store. `layout` (what goes on which page) is apart from `draw`.

#![forbid(unsafe_code)]

mod draw;
mod layout;
mod measure;

pub use layout::{layout, Laid};
pub use measure::Measure;

/// The paper a board is printed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    A4,
    A3,
}

impl Sheet {
    /// Width and height in PDF points (1/72 inch), portrait.
    pub fn size(self) -> (f32, f32) {
        match self {
            Sheet::A4 => (595.28, 841.89),
            Sheet::A3 => (841.89, 1190.55),
        }
    }

    /// Body text size: an A3 board is read from further away.
    pub fn text_size(self) -> f32 {
        match self {
            Sheet::A4 => 11.0,
            Sheet::A3 => 15.0,
        }
    }

    pub fn parse(text: &str) -> Option<Sheet> {
        match text.to_ascii_lowercase().as_str() {
            "a4" => Some(Sheet::A4),
            "a3" => Some(Sheet::A3),
            _ => None,
        }
    }
}

/// A table: its column titles, each column's share of the width, and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    /// Relative widths, one per column (any positive numbers; they are scaled to fit).
    pub widths: Vec<f32>,
    pub rows: Vec<Vec<String>>,
}

/// Everything a printed board says.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    /// 发布单位, on top of every page.
    pub office: String,
    pub title: String,
    /// 公示期 and the like: short lines under the title, in bold.
    pub dates: Vec<String>,
    /// Paragraphs of text (a notice's body, a guide's facts), wrapped to the width.
    pub paragraphs: Vec<String>,
    pub table: Option<Table>,
    /// Where and how to object (异议受理), printed under the content.
    pub objection: Option<String>,
    /// The same item's public phone page, drawn as a QR code on the first page.
    pub qr_url: Option<String>,
    /// "公开记录第 123 条 · 摘要 3f1c…": what the paper was printed from, on every page.
    pub record: String,
    /// "打印于 2026年12月3日 09:05".
    pub printed: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the font could not be read (face {0})")]
    Font(u32),
    #[error("the QR code could not be made: {0}")]
    Qr(String),
    #[error("PDF: {0}")]
    Pdf(String),
}

/// A font as bytes (a .ttf/.otf, or a face of a .ttc collection).
#[derive(Clone)]
pub struct FontData {
    pub bytes: std::sync::Arc<Vec<u8>>,
    pub index: u32,
}

/// Where Debian's fonts-noto-cjk puts the CJK sans font, and its Simplified Chinese face.
pub const SYSTEM_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
pub const SYSTEM_FONT_FACE_SC: u32 = 2;

/// The system's Simplified Chinese sans font, read once per process: the one place this
/// crate touches a file, at its edge.
pub fn system_font() -> Option<FontData> {
    static FONT: std::sync::OnceLock<Option<FontData>> = std::sync::OnceLock::new();
    FONT.get_or_init(|| {
        std::fs::read(SYSTEM_FONT).ok().map(|bytes| FontData {
            bytes: std::sync::Arc::new(bytes),
            index: SYSTEM_FONT_FACE_SC,
        })
    })
    .clone()
}

/// A plain A4 document: each page its lines of (size, text), top to bottom — the way an
/// office's own PDF looks (the demo's attachments, test files).
pub fn document(pages: &[Vec<(f32, String)>], font: &FontData) -> Result<Vec<u8>, PrintError> {
    draw::lines(pages, font, &Measure::new(font)?)
}

/// The board as a PDF.
pub fn render(board: &Board, sheet: Sheet, font: &FontData) -> Result<Vec<u8>, PrintError> {
    let measure = Measure::new(font)?;
    let pages = layout(board, sheet, &measure);
    draw::pdf(board, sheet, font, &measure, &pages)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn font() -> Option<FontData> {
        // Debian's fonts-noto-cjk (scripts/setup.sh installs it): a missing font fails.
        Some(system_font().expect("fonts-noto-cjk"))
    }

    pub(crate) fn board(rows: usize) -> Board {
        Board {
            office: "石桥镇人民政府".into(),
            title: "2026年石桥村农村低保对象公示".into(),
            dates: vec!["公示期：2026年12月1日至12月7日（7天）".into()],
            paragraphs: vec!["经村民代表会议评议、镇人民政府审核，拟确定以下对象为2026年度农村最低生活保障对象，现予公示。".into()],
            table: Some(Table {
                headers: vec!["序号".into(), "姓名".into(), "身份证号".into(), "金额".into()],
                widths: vec![1.0, 2.0, 4.0, 2.0],
                rows: (0..rows)
                    .map(|i| {
                        vec![
                            (i + 1).to_string(),
                            "王建国".into(),
                            "4199**********1234".into(),
                            "¥5,040.00".into(),
                        ]
                    })
                    .collect(),
            }),
            objection: Some("如有异议，请于公示期内向石桥镇民政办反映，电话 0398-6125001。".into()),
            qr_url: Some("https://gk.yunxi.gov.cn/m/419901102201/subsidy_list/419901102201/dibao-2026".into()),
            record: "公开记录第 123 条 · 摘要 3f1c0a9be2d47c11".into(),
            printed: "打印于 2026年12月3日 09:05".into(),
        }
    }

    #[test]
    fn a_long_list_takes_pages_and_each_has_its_header() {
        let Some(font) = font() else { return };
        let m = Measure::new(&font).expect("font");
        let short = layout(&board(10), Sheet::A4, &m);
        assert_eq!(short.len(), 1);
        let long = layout(&board(500), Sheet::A4, &m);
        assert!(long.len() > 5, "{} pages", long.len());
        // Every row exactly once, in order.
        let rows: Vec<usize> = long.iter().flat_map(|p| p.rows.clone()).collect();
        assert_eq!(rows, (0..500).collect::<Vec<_>>());
        // A3 holds more rows per page than A4 even with larger type.
        assert!(layout(&board(500), Sheet::A3, &m).len() <= long.len());
    }

    #[test]
    fn the_pdf_embeds_a_subset_of_the_font() {
        let Some(font) = font() else { return };
        let pdf = render(&board(40), Sheet::A4, &font).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        // The whole CJK font is ~16 MB; a subset of a few dozen glyphs is tens of KB.
        assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    }

    #[test]
    fn sheets_parse() {
        assert_eq!(Sheet::parse("A3"), Some(Sheet::A3));
        assert_eq!(Sheet::parse("a4"), Some(Sheet::A4));
        assert_eq!(Sheet::parse("letter"), None);
    }
}
