//! Rich text is data, not code (DESIGN invariant 7): every HTML body is cleaned here when
//! it is published, so what reaches a kiosk holds only text structure — paragraphs,
//! headings, lists, tables, emphasis. No scripts, event handlers, styles, links, images
//! or SVG survive; the kiosk's CSP is the second wall, not the first.

use std::collections::HashSet;

pub fn clean(html: &str) -> String {
    let tags: HashSet<&str> = [
        "p",
        "br",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "b",
        "strong",
        "em",
        "i",
        "u",
        "small",
        "blockquote",
        "div",
        "span",
    ]
    .into_iter()
    .collect();
    let mut cell_attrs = HashSet::new();
    cell_attrs.insert("colspan");
    cell_attrs.insert("rowspan");
    ammonia::Builder::default()
        .tags(tags)
        .generic_attributes(HashSet::new())
        .tag_attributes(
            [("td", cell_attrs.clone()), ("th", cell_attrs)]
                .into_iter()
                .collect(),
        )
        .url_schemes(HashSet::new())
        .link_rel(None)
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_structure_and_drops_everything_active() {
        let dirty = r#"<h3>标题</h3><p onclick="steal()" style="background:url(javascript:x)">正文<b>重点</b></p>
<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">链接文字</a>
<svg onload=alert(1)><circle/></svg><iframe src="https://evil.example"></iframe>
<table><tr><td colspan="2" onmouseover="x">格</td></tr></table><style>*{display:none}</style>"#;
        let out = clean(dirty);
        for gone in [
            "<script",
            "alert(",
            "onerror",
            "onclick",
            "onload",
            "onmouseover",
            "javascript:",
            "<svg",
            "<iframe",
            "<style",
            "style=",
            "<img",
            "<a ",
        ] {
            assert!(!out.contains(gone), "{gone} survived: {out}");
        }
        for kept in [
            "<h3>标题</h3>",
            "正文",
            "<b>重点</b>",
            "链接文字",
            r#"<td colspan="2">格</td>"#,
        ] {
            assert!(out.contains(kept), "{kept} lost: {out}");
        }
    }
}
