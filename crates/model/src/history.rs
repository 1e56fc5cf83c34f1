//! Versions of a published item: when an item is corrected (更正), the server publishes,
//! in the same transaction, a history item holding the versions it replaced. Kiosks show
//! "本条已更正 N 次" and, for each correction, which lines changed.

use crate::content::{ContentKind, Disclosure, FinanceStatement, Guide, Notice, RelocationBoard};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Kinds whose corrections are kept as versions (not list rows, not answers).
pub const VERSIONED: &[ContentKind] = &[
    ContentKind::Disclosure,
    ContentKind::Finance,
    ContentKind::RelocationBoard,
    ContentKind::Guide,
    ContentKind::Notice,
];

/// The id of the history item of `kind`/`id`.
pub fn history_id(kind: ContentKind, id: &str) -> String {
    format!("{}:{id}", kind.key())
}

/// One replaced version: its body as it was published, and when it stopped being current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastVersion {
    /// When this version was published, RFC 3339.
    pub published_at: String,
    /// When a correction replaced it, RFC 3339.
    pub replaced_at: String,
    pub body: String,
}

/// The body of a history item: an item's earlier versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemHistory {
    pub kind: ContentKind,
    pub id: String,
    pub versions: Vec<PastVersion>,
}

/// Rich text as the lines a resident reads: tags become line breaks (the bodies were
/// sanitized, so this is plain markup), entities are decoded.
pub fn html_paragraphs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
            }
            '>' => in_tag = false,
            c if !in_tag => cur.push(c),
            _ => {}
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out.into_iter()
        .map(|l| {
            l.replace("&nbsp;", " ")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&")
        })
        .collect()
}

/// A body as the lines a resident reads, for comparing versions.
pub fn text_lines(kind: ContentKind, body: &str) -> Vec<String> {
    let lines = match kind {
        ContentKind::Notice => serde_json::from_str::<Notice>(body).ok().map(|n| {
            let mut v = vec![format!("标题：{}", n.title)];
            v.extend(html_paragraphs(&n.body_html));
            if let Some(x) = n.expire_at {
                v.push(format!("公告至：{}", x.format("%Y-%m-%d")));
            }
            v
        }),
        ContentKind::Disclosure => serde_json::from_str::<Disclosure>(body).ok().map(|d| {
            let mut v = vec![
                format!("标题：{}", d.title),
                format!("文号：{}", d.doc_no),
                format!("发布日期：{}", d.published_on),
            ];
            v.extend(html_paragraphs(&d.body_html));
            v.extend(d.attachments.iter().map(|a| format!("附件：{}", a.name)));
            v
        }),
        ContentKind::Guide => serde_json::from_str::<Guide>(body).ok().map(|g| {
            let mut v = vec![
                format!("标题：{}", g.title),
                format!("设定依据：{}", g.basis),
            ];
            v.extend(g.materials.iter().map(|m| format!("申请材料：{m}")));
            v.extend(g.steps.iter().map(|s| format!("办理流程：{s}")));
            v.push(format!("承诺时限：{}", g.time_limit));
            v.push(format!("收费标准：{}", g.fees));
            v.push(format!("办理地点：{}", g.place));
            v.push(format!("咨询电话：{}", g.phone));
            v
        }),
        ContentKind::Finance => serde_json::from_str::<FinanceStatement>(body)
            .ok()
            .map(|f| {
                let mut v = vec![format!("期初余额：{}", f.opening)];
                v.extend(f.lines.iter().map(|l| {
                    let sign = match l.kind {
                        crate::content::FinanceLineKind::Income => "收入",
                        crate::content::FinanceLineKind::Expense => "支出",
                    };
                    format!(
                        "{} {} {} {} {}",
                        l.date, sign, l.category, l.description, l.amount
                    )
                }));
                v.push(format!("期末余额：{}", f.closing));
                v
            }),
        ContentKind::RelocationBoard => {
            serde_json::from_str::<RelocationBoard>(body).ok().map(|b| {
                let mut v = vec![
                    format!("标题：{}", b.title),
                    format!("公示期：{} 至 {}", b.posting_from, b.posting_until),
                ];
                v.extend(b.rows.iter().map(|r| {
                    format!(
                        "{} {} {}人 {} {}",
                        r.household_id, r.head_name, r.persons, r.detail, r.compensation
                    )
                }));
                v
            })
        }
        _ => None,
    };
    lines.unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DiffLine {
    pub change: LineChange,
    pub text: String,
}

/// Line diff (longest common subsequence) from `old` to `new`. Bodies are at most a few
/// hundred lines; larger inputs fall back to "all removed, all added".
pub fn diff_lines(old: &[String], new: &[String]) -> Vec<DiffLine> {
    let line = |change, text: &String| DiffLine {
        change,
        text: text.clone(),
    };
    if old.len() * new.len() > 4_000_000 {
        return old
            .iter()
            .map(|t| line(LineChange::Removed, t))
            .chain(new.iter().map(|t| line(LineChange::Added, t)))
            .collect();
    }
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if old[i] == new[j] {
            out.push(line(LineChange::Same, &old[i]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(line(LineChange::Removed, &old[i]));
            i += 1;
        } else {
            out.push(line(LineChange::Added, &new[j]));
            j += 1;
        }
    }
    out.extend(old[i..].iter().map(|t| line(LineChange::Removed, t)));
    out.extend(new[j..].iter().map(|t| line(LineChange::Added, t)));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn changed_lines_are_removed_then_added() {
        let d = diff_lines(
            &s(&["标题：停水", "明天停水", "请储水"]),
            &s(&["标题：停水", "后天停水", "请储水"]),
        );
        let changes: Vec<_> = d.iter().map(|l| (l.change, l.text.as_str())).collect();
        assert_eq!(
            changes,
            [
                (LineChange::Same, "标题：停水"),
                (LineChange::Removed, "明天停水"),
                (LineChange::Added, "后天停水"),
                (LineChange::Same, "请储水"),
            ]
        );
    }

    #[test]
    fn notice_lines_come_from_title_paragraphs_and_expiry() {
        let body = r#"{"title":"停水通知","publisher":"村委会","body_html":"<p>明天停水。</p><p>请储水&amp;节水。</p>","publish_at":"2026-11-01T00:00:00Z","expire_at":null}"#;
        assert_eq!(
            text_lines(ContentKind::Notice, body),
            s(&["标题：停水通知", "明天停水。", "请储水&节水。"])
        );
    }
}
