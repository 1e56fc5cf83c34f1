//! The laid-out pages drawn with krilla: text in the embedded (subset) font, the table's
//! cells, the QR code as filled squares, and every page's foot.

use super::layout::{Frame, Laid, Placed, CELL_PAD};
use super::Measure;
use super::{Board, FontData, PrintError, Sheet};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;

fn fill(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        ..Default::default()
    }
}

/// The glyphs and advances the layout measured with, so no line is shaped again: Chinese
/// and the digits and letters of a board need no shaping beyond one glyph per character.
struct Pen<'a> {
    font: Font,
    m: &'a Measure,
}

fn text(s: &mut Surface<'_>, pen: &Pen<'_>, x: f32, y: f32, size: f32, t: &str) {
    if t.is_empty() {
        return;
    }
    let glyphs: Vec<KrillaGlyph> = t
        .char_indices()
        .map(|(i, c)| {
            let (gid, advance) = pen.m.glyph(c);
            KrillaGlyph::new(
                GlyphId::new(gid),
                advance,
                0.0,
                0.0,
                0.0,
                i..i + c.len_utf8(),
                None,
            )
        })
        .collect();
    s.draw_glyphs(
        Point::from_xy(x, y),
        &glyphs,
        pen.font.clone(),
        t,
        size,
        false,
    );
}

fn rect(s: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32) {
    let mut pb = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x, y, w, h) {
        pb.push_rect(r);
    }
    if let Some(path) = pb.finish() {
        s.draw_path(&path);
    }
}

/// One table row (or its header): each cell's border and lines of text.
#[allow(clippy::too_many_arguments)]
fn row(
    s: &mut Surface<'_>,
    font: &Pen<'_>,
    f: &Frame,
    columns: &[f32],
    y: f32,
    h: f32,
    cells: &[Vec<String>],
    head: bool,
) {
    let size = f.table_size();
    let mut x = f.margin;
    for (i, w) in columns.iter().enumerate() {
        if head {
            s.set_stroke(None);
            s.set_fill(Some(fill(0xEE, 0xE8, 0xDC)));
            rect(s, x, y, *w, h);
        }
        s.set_fill(None);
        s.set_stroke(Some(Stroke {
            width: 0.5,
            ..Default::default()
        }));
        rect(s, x, y, *w, h);
        s.set_stroke(None);
        s.set_fill(Some(fill(0, 0, 0)));
        for (l, line) in cells.get(i).into_iter().flatten().enumerate() {
            text(
                s,
                font,
                x + CELL_PAD,
                y + CELL_PAD + size + l as f32 * f.line(size),
                size,
                line,
            );
        }
        x += w;
    }
}

fn qr(s: &mut Surface<'_>, url: &str, x: f32, y: f32, size: f32) -> Result<(), PrintError> {
    let code = qrcodegen::QrCode::encode_text(url, qrcodegen::QrCodeEcc::Medium)
        .map_err(|e| PrintError::Qr(format!("{e:?}")))?;
    let n = code.size();
    // Four modules of quiet zone on each side, inside `size`.
    let module = size / (n + 8) as f32;
    let mut pb = PathBuilder::new();
    for r in 0..n {
        for c in 0..n {
            if code.get_module(c, r) {
                if let Some(m) = Rect::from_xywh(
                    x + (c + 4) as f32 * module,
                    y + (r + 4) as f32 * module,
                    module * 1.01,
                    module * 1.01,
                ) {
                    pb.push_rect(m);
                }
            }
        }
    }
    s.set_stroke(None);
    s.set_fill(Some(fill(0, 0, 0)));
    if let Some(path) = pb.finish() {
        s.draw_path(&path);
    }
    Ok(())
}

pub fn pdf(
    board: &Board,
    sheet: Sheet,
    font: &FontData,
    m: &Measure,
    pages: &[Laid],
) -> Result<Vec<u8>, PrintError> {
    let f = Frame::of(sheet);
    let face = Font::new(font.bytes.as_ref().clone().into(), font.index)
        .ok_or(PrintError::Font(font.index))?;
    let face = Pen { font: face, m };
    let columns = board
        .table
        .as_ref()
        .map(|t| f.columns(&t.widths))
        .unwrap_or_default();
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(board.title.clone())
            .creator("Gongkai".into())
            .language("zh-CN".into()),
    );
    let settings = || {
        PageSettings::from_wh(f.width, f.height).ok_or_else(|| PrintError::Pdf("page size".into()))
    };
    let total = pages.len();
    for (n, laid) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings()?);
        let mut s = page.surface();
        s.set_fill(Some(fill(0, 0, 0)));
        for item in &laid.items {
            match item {
                Placed::Text {
                    x,
                    y,
                    size,
                    text: t,
                } => {
                    s.set_stroke(None);
                    s.set_fill(Some(fill(0, 0, 0)));
                    text(&mut s, &face, *x, *y, *size, t);
                }
                Placed::Header { y, height, cells } => {
                    row(&mut s, &face, &f, &columns, *y, *height, cells, true)
                }
                Placed::Row {
                    y, height, cells, ..
                } => row(&mut s, &face, &f, &columns, *y, *height, cells, false),
                Placed::Qr { x, y, size } => {
                    if let Some(url) = &board.qr_url {
                        qr(&mut s, url, *x, *y, *size)?;
                        let caption = f.size * 0.8;
                        s.set_fill(Some(fill(0, 0, 0)));
                        text(
                            &mut s,
                            &face,
                            *x + *size * 0.12,
                            *y + *size + caption,
                            caption,
                            "手机扫码查看本公示",
                        );
                    }
                }
            }
        }
        // The foot of every page: what it was printed from, and which page of how many.
        let small = f.size * 0.8;
        let foot = f.height - f.margin;
        s.set_stroke(None);
        s.set_fill(Some(fill(0x33, 0x33, 0x33)));
        text(
            &mut s,
            &face,
            f.margin,
            foot - f.line(small),
            small,
            &board.record,
        );
        text(&mut s, &face, f.margin, foot, small, &board.printed);
        let numbering = format!("第 {} 页 共 {} 页", n + 1, total);
        let w = numbering.chars().count() as f32 * small * 0.75;
        text(
            &mut s,
            &face,
            f.width - f.margin - w,
            foot,
            small,
            &numbering,
        );
        s.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

/// Pages of plain lines, 60 pt from the left, each line 1.9 times its size below the last.
pub fn lines(
    pages: &[Vec<(f32, String)>],
    font: &FontData,
    m: &Measure,
) -> Result<Vec<u8>, PrintError> {
    let (width, height) = Sheet::A4.size();
    let face = Font::new(font.bytes.as_ref().clone().into(), font.index)
        .ok_or(PrintError::Font(font.index))?;
    let pen = Pen { font: face, m };
    let mut document = Document::new();
    for lines in pages {
        let settings = PageSettings::from_wh(width, height)
            .ok_or_else(|| PrintError::Pdf("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut s = page.surface();
        s.set_fill(Some(fill(0, 0, 0)));
        let mut y = 62.0;
        for (size, t) in lines {
            text(&mut s, &pen, 60.0, y, *size, t);
            y += size * 1.9;
        }
        s.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PrintError::Pdf(format!("{e:?}")))
}
