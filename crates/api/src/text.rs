//! Text as the boards show it: a plain-text body turned into escaped HTML paragraphs, and
//! who a notice is from by the level it is posted at. Used by the console's forms and by
//! notices a cadre posts from a kiosk, so both read alike.

use gongkai_model::{ScopeId, ScopeLevel};

/// `text` with the characters HTML gives meaning to escaped (the same four as maud).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Text as paragraphs of escaped HTML (notices typed in a plain text box).
pub fn paragraphs(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect()
}

/// Who a notice is from, by the level of the scope it is posted to.
pub fn publisher(scope: &ScopeId, name: &str) -> String {
    match scope.level() {
        ScopeLevel::Village => format!("{name}村民委员会"),
        ScopeLevel::Township => format!("{name}人民政府"),
        ScopeLevel::County => format!("{name}人民政府办公室"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn typed_text_becomes_escaped_paragraphs() {
        assert_eq!(
            super::paragraphs("第一段 <b>\n\n  \"二\" & 三 "),
            "<p>第一段 &lt;b&gt;</p><p>&quot;二&quot; &amp; 三</p>"
        );
    }
}
