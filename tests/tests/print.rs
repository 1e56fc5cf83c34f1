//! Printed boards (`/print/…`) read back the way an office and a resident would: the PDF's
//! text with poppler's `pdftotext` (title, 公示期, a known row on the page that carries the
//! table's header again, 第 N 页 共 M 页), its fonts with `pdffonts` (embedded, subset),
//! page 1 rendered with `pdftoppm` and its QR code read with `zbarimg`, which opens the
//! same list on the phone pages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use gongkai_model::{ContentKind, RelocationBoard, ScopeId, SubsidyList, SubsidyRow};
use gongkai_server::Store;
use gongkai_tests::TestServer;
use std::path::Path;
use std::process::Command;

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    let path = pdf.to_string_lossy();
    tool("pdftotext", &["-f", &p, "-l", &p, "-layout", &path, "-"])
}

fn pages(pdf: &Path) -> usize {
    tool("pdfinfo", &[&pdf.to_string_lossy()])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

fn fetch(server: &TestServer, path: &str) -> (u16, Vec<u8>) {
    let r = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .build()
        .unwrap()
        .get(format!("{}{}", server.url().trim_end_matches('/'), path))
        .send()
        .unwrap();
    (r.status().as_u16(), r.bytes().unwrap().to_vec())
}

#[test]
fn the_township_list_prints_whole_with_its_header_on_every_page_and_a_working_qr() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let store = server.store()?;
    let township = ScopeId::parse("419901102")?;
    let (list_id, list): (String, SubsidyList) = store
        .items_of_kind(&township, ContentKind::SubsidyList)?
        .into_iter()
        .map(|(id, b)| (id, serde_json::from_str(&b).unwrap()))
        .find(|(_, l): &(String, SubsidyList)| l.row_count > 5_000)
        .expect("the 5,200-row grain list");
    let rows: Vec<SubsidyRow> = store
        .items_of_kind(&township, ContentKind::SubsidyRow)?
        .into_iter()
        .map(|(_, b)| serde_json::from_str::<SubsidyRow>(&b).unwrap())
        .filter(|r| r.list_id == list_id)
        .collect();
    assert_eq!(rows.len(), 5_200);

    let started = std::time::Instant::now();
    let (status, pdf) = fetch(
        &server,
        &format!("/print/419901102/subsidy_list/{list_id}?size=a4"),
    );
    println!("printed in {:?} (debug build)", started.elapsed());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert!(pdf.starts_with(b"%PDF-"));
    let file = tmp.path().join("list.pdf");
    std::fs::write(&file, &pdf)?;
    let n = pages(&file);
    println!("5,200-row list on A4: {n} pages, {} KB", pdf.len() / 1024);
    assert!(n > 50, "{n} pages");
    assert!(
        pdf.len() < 10 * 1024 * 1024,
        "too big to email: {} bytes",
        pdf.len()
    );

    // Fonts: embedded and subset (the name carries a subset tag, "ABCDEF+…").
    let fonts = tool("pdffonts", &[&file.to_string_lossy()]);
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!font_lines.is_empty());
    for l in &font_lines {
        let cols: Vec<&str> = l.split_whitespace().collect();
        assert!(cols[0].contains('+'), "not a subset: {l}");
        assert!(l.contains(" yes yes "), "not embedded and subset: {l}");
    }

    // Page 1: the office, the title, the 公示期; the page numbering.
    let first = page_text(&file, 1);
    assert!(first.contains(&list.issuer), "{first}");
    assert!(first.contains("发放名单公示"), "{first}");
    assert!(first.contains("公示期："), "{first}");
    assert!(first.contains(&format!("第 1 页 共 {n} 页")), "{first}");
    assert!(first.contains("据公开记录第"), "{first}");

    // A known row, far into the list, on its page — with the header printed again there.
    let known = &rows[4_321];
    let mut found_on = Vec::new();
    for p in 2..=n {
        let text = page_text(&file, p);
        if text.contains(&known.id_masked) && text.contains(&known.name) {
            assert!(
                text.contains("身份证号") && text.contains("姓名"),
                "no header on page {p}"
            );
            assert!(text.contains("（续）"), "no short head on page {p}");
            assert!(text.contains(&format!("第 {p} 页 共 {n} 页")));
            found_on.push(p);
        }
    }
    assert_eq!(found_on.len(), 1, "row 4322 found on pages {found_on:?}");
    // The objection channel, after the last row.
    assert!(page_text(&file, n).contains("如有异议"));

    // Page 1 as an image; its QR code opens the same list on a phone.
    let prefix = tmp.path().join("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            "110",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            &file.to_string_lossy(),
            &prefix.to_string_lossy(),
        ],
    );
    let png = std::fs::read_dir(tmp.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("page 1 rendered");
    let shots = std::env::var_os("GONGKAI_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(gongkai_tests::artifacts_dir);
    std::fs::copy(&png, shots.join("print-subsidy-list-a4.png"))?;
    let scanned = gongkai_tests::phone::qr_codes(&png)?;
    let expected = format!(
        "{}{}",
        server.url().trim_end_matches('/'),
        gongkai_server::public::item_path("419901102", "subsidy_list", "419901102", &list_id)
    );
    assert_eq!(scanned, vec![expected.clone()]);
    let phone = reqwest::blocking::get(&expected)?;
    assert_eq!(phone.status().as_u16(), 200);
    assert!(phone.text()?.contains(&list.issuer));
    Ok(())
}

#[test]
fn a_three_board_prints_its_posting_and_objection_and_bad_requests_are_refused() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let store = server.store()?;
    let village = ScopeId::parse("419901201202")?;
    let (id, board): (String, RelocationBoard) = store
        .items_of_kind(&village, ContentKind::RelocationBoard)?
        .into_iter()
        .map(|(id, b)| (id, serde_json::from_str(&b).unwrap()))
        .next()
        .expect("a 三榜 board in 河口村");
    let id_path = gongkai_protocol::paths::public::segment(&id);
    for size in ["a4", "a3"] {
        let (status, pdf) = fetch(
            &server,
            &format!("/print/419901201202/relocation_board/{id_path}?size={size}"),
        );
        assert_eq!(status, 200, "{size}");
        let file = tmp.path().join(format!("board-{size}.pdf"));
        std::fs::write(&file, &pdf)?;
        let text = tool("pdftotext", &["-layout", &file.to_string_lossy(), "-"]);
        assert!(
            text.contains(&board.title.chars().take(6).collect::<String>()),
            "{text}"
        );
        assert!(text.contains("公示期："));
        assert!(text.contains(&board.objection_phone), "{text}");
        assert!(text.contains(&board.rows[0].id_masked));
        // A3 pages are larger.
        let info = tool("pdfinfo", &[&file.to_string_lossy()]);
        let want = if size == "a3" {
            "841.89 x 1190.55"
        } else {
            "595.28 x 841.89"
        };
        assert!(info.contains(want), "{size}: {info}");
    }
    // Another paper size: a clear refusal. A kind that has no board, or nothing: missing.
    let (status, body) = fetch(
        &server,
        &format!("/print/419901201202/relocation_board/{id_path}?size=letter"),
    );
    assert_eq!(status, 422);
    assert!(String::from_utf8_lossy(&body).contains("A4 或 A3"));
    assert_eq!(fetch(&server, "/print/419901201202/subsidy_row/x").0, 404);
    assert_eq!(fetch(&server, "/print/419901201202/notice/no-such").0, 404);
    Ok(())
}
