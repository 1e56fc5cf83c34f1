//! How wide text is in the board's font: glyph advances read with skrifa (the same font
//! reader krilla uses), cached per character, for wrapping lines and table cells.

use super::{FontData, PrintError};
use skrifa::instance::{LocationRef, Size};
use skrifa::raw::TableProvider;
use skrifa::{FontRef, MetadataProvider};
use std::cell::RefCell;
use std::collections::HashMap;

pub struct Measure {
    font: FontData,
    /// Glyph and advance (in em) of each character seen.
    advances: RefCell<HashMap<char, (u32, f32)>>,
}

impl Measure {
    pub fn new(font: &FontData) -> Result<Measure, PrintError> {
        FontRef::from_index(&font.bytes, font.index).map_err(|_| PrintError::Font(font.index))?;
        Ok(Measure {
            font: font.clone(),
            advances: RefCell::new(HashMap::new()),
        })
    }

    /// The glyph of `c` and its advance in em. A character the font lacks prints as its
    /// .notdef box (glyph 0), about an em wide.
    pub fn glyph(&self, c: char) -> (u32, f32) {
        if let Some(a) = self.advances.borrow().get(&c) {
            return *a;
        }
        let found = FontRef::from_index(&self.font.bytes, self.font.index)
            .ok()
            .and_then(|f| {
                let upem = f32::from(f.head().ok()?.units_per_em());
                let gid = f.charmap().map(c)?;
                let units = f
                    .glyph_metrics(Size::unscaled(), LocationRef::default())
                    .advance_width(gid)?;
                Some((gid.to_u32(), units / upem))
            })
            .unwrap_or((0, 1.0));
        self.advances.borrow_mut().insert(c, found);
        found
    }

    fn advance(&self, c: char) -> f32 {
        self.glyph(c).1
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// `text` broken into lines no wider than `max` at `size`: between any two CJK
    /// characters, at spaces, and inside a long Latin word only when it alone is too wide.
    pub fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            let mut width = 0.0;
            for word in tokens(para) {
                let w = self.width(&word, size);
                if width + w > max && !line.is_empty() {
                    lines.push(line.trim_end().to_string());
                    line = String::new();
                    width = 0.0;
                    if word.trim().is_empty() {
                        continue;
                    }
                }
                if w > max {
                    // A single token wider than the line: break it by characters.
                    for c in word.chars() {
                        let cw = self.advance(c) * size;
                        if width + cw > max && !line.is_empty() {
                            lines.push(std::mem::take(&mut line));
                            width = 0.0;
                        }
                        line.push(c);
                        width += cw;
                    }
                } else {
                    line.push_str(&word);
                    width += w;
                }
            }
            lines.push(line.trim_end().to_string());
        }
        lines
    }
}

/// Breakable pieces: each CJK character alone (and its closing punctuation with it), a
/// run of other characters, a space.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        let cjk = ('\u{2E80}'..='\u{9FFF}').contains(&c)
            || ('\u{F900}'..='\u{FAFF}').contains(&c)
            || ('\u{FF00}'..='\u{FFEF}').contains(&c);
        let closing = "，。、；：？！）》」』】”’".contains(c);
        if closing {
            // Never at the start of a line: stays with what it closes.
            if !run.is_empty() {
                run.push(c);
            } else if let Some(last) = out.last_mut() {
                last.push(c);
            } else {
                run.push(c);
            }
        } else if cjk {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            run.push(c);
            out.push(std::mem::take(&mut run));
        } else if c == ' ' {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            out.push(" ".into());
        } else {
            run.push(c);
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_stays_with_the_character_before_it() {
        assert_eq!(tokens("好，的。"), vec!["好，", "的。"]);
        assert_eq!(
            tokens("ID 4199**1234 号"),
            vec!["ID", " ", "4199**1234", " ", "号"]
        );
    }

    #[test]
    fn lines_fit_their_width() {
        let font = crate::system_font().expect("fonts-noto-cjk");
        let m = Measure::new(&font).expect("font");
        // CJK glyphs are one em wide.
        assert!((m.width("石桥村", 10.0) - 30.0).abs() < 0.01);
        let text = "经村民代表会议评议、镇人民政府审核，拟确定以下对象为2026年度农村最低生活保障对象，现予公示。";
        let lines = m.wrap(text, 10.0, 100.0);
        assert!(lines.len() > 3);
        assert!(
            lines.iter().all(|l| m.width(l, 10.0) <= 100.0 + 0.01),
            "{lines:?}"
        );
        assert_eq!(lines.concat(), text);
        assert!(!lines
            .iter()
            .skip(1)
            .any(|l| l.starts_with('，') || l.starts_with('。')));
    }
}
