//! PDF attachments: kiosks cannot run a PDF viewer safely, so the server renders each
//! page to a PNG when the PDF is published (poppler's `pdftoppm`) and kiosks show the
//! images. (PDFs are written by `gongkai-print`.)

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
        let Some(font) = gongkai_print::system_font() else {
            panic!("fonts-noto-cjk missing: scripts/setup.sh installs it");
        };
        let pdf = gongkai_print::document(
            &[
                vec![(24.0, "第一页".into()), (14.0, "政务公开".into())],
                vec![(14.0, "第二页".into())],
            ],
            &font,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(looks_like_pdf(&pdf));
        let pages = render_pages(&pdf, 40).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pages.len(), 2);
        assert!(pages.iter().all(|p| p.starts_with(b"\x89PNG")));
        assert!(render_pages(b"not a pdf", 40).is_err());
    }
}
