//! PDF attachments: kiosks cannot run a PDF viewer safely, so the server renders each
//! page to a PNG when the PDF is published (poppler's `pdftoppm`) and kiosks show the
//! images. Also a tiny PDF writer for the demo county's documents.

use std::fmt::Write as _;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("PDF 转换工具 pdftoppm 不可用（请安装 poppler-utils）：{0}")]
    Tool(std::io::Error),
    #[error("PDF 无法转换为图片：{0}")]
    Render(String),
    #[error("临时文件：{0}")]
    Io(#[from] std::io::Error),
}

/// Renders every page of a PDF to PNG bytes, first page first.
pub fn render_pages(pdf: &[u8], dpi: u32) -> Result<Vec<Vec<u8>>, PdfError> {
    let dir = tempfile_dir()?;
    let input = dir.join("in.pdf");
    std::fs::write(&input, pdf)?;
    let out = Command::new("pdftoppm")
        .args(["-png", "-r", &dpi.to_string()])
        .arg(&input)
        .arg(dir.join("page"))
        .output()
        .map_err(PdfError::Tool)?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(PdfError::Render(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    let mut pages: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    // pdftoppm numbers pages page-1.png … page-10.png (zero-padded to the page count's
    // width), so a plain sort is page order.
    pages.sort();
    let images = pages
        .iter()
        .map(std::fs::read)
        .collect::<Result<Vec<_>, _>>();
    let _ = std::fs::remove_dir_all(&dir);
    let images = images?;
    if images.is_empty() {
        return Err(PdfError::Render("没有页面".into()));
    }
    Ok(images)
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "gongkai-pdf-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A minimal A4 PDF whose pages hold the given lines of Chinese text, in the Adobe-GB1
/// standard font STSong-Light (not embedded: viewers substitute an installed CJK font).
/// Used only to make realistic demo attachments.
pub fn simple_pdf(pages: &[Vec<(f32, String)>]) -> Vec<u8> {
    let ucs2_hex = |s: &str| -> String {
        s.encode_utf16().fold(String::new(), |mut acc, u| {
            let _ = write!(acc, "{u:04X}");
            acc
        })
    };
    let mut objects: Vec<String> = Vec::new();
    let n = pages.len();
    // 1 catalog, 2 pages, 3 font, 4 descendant, 5 descriptor, then (page, content) pairs.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {n} >>",
        kids.join(" ")
    ));
    objects.push("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>".into());
    objects.push("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>".into());
    objects.push("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>".into());
    for (i, lines) in pages.iter().enumerate() {
        let mut content = String::new();
        let mut y = 780.0;
        for (size, text) in lines {
            let _ = writeln!(
                content,
                "BT /F1 {size} Tf 60 {y} Td <{}> Tj ET",
                ucs2_hex(text)
            );
            y -= size * 1.9;
        }
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            7 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{obj}\nendobj\n", i + 1);
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in offsets {
        let _ = writeln!(out, "{o:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.into_bytes()
}

/// True if the bytes start like a PDF file.
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_pdf_renders_to_one_png_per_page() {
        if Command::new("pdftoppm").arg("-v").output().is_err() {
            panic!("pdftoppm missing: scripts/setup.sh installs poppler-utils");
        }
        let pdf = simple_pdf(&[
            vec![(24.0, "第一页".into()), (14.0, "政务公开".into())],
            vec![(14.0, "第二页".into())],
        ]);
        assert!(looks_like_pdf(&pdf));
        let pages = render_pages(&pdf, 40).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pages.len(), 2);
        assert!(pages.iter().all(|p| p.starts_with(b"\x89PNG")));
        assert!(render_pages(b"not a pdf", 40).is_err());
    }
}
