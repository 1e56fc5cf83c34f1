//! 移民三榜: how one relocation board differs from the one before it, row by row, and
//! where a board stands in its posting period.

use crate::content::{RelocationBoard, RelocationRow};
use chrono::NaiveDate;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RowChangeKind {
    Added,
    Removed,
    Changed,
    Same,
}

/// One household compared across two successive boards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RowChange {
    pub household_id: String,
    pub change: RowChangeKind,
    pub before: Option<RelocationRow>,
    pub after: Option<RelocationRow>,
    /// Which fields differ, by their Chinese labels (户主, 人口, 情况, 补偿金额).
    pub fields: Vec<String>,
}

/// Every household of either board, in the order of the later board, with the removed
/// ones after (so a resident sees who was struck off).
pub fn diff(previous: &[RelocationRow], current: &[RelocationRow]) -> Vec<RowChange> {
    let mut out = Vec::with_capacity(current.len() + 4);
    for after in current {
        let before = previous
            .iter()
            .find(|p| p.household_id == after.household_id);
        let (change, fields) = match before {
            None => (RowChangeKind::Added, vec![]),
            Some(b) => {
                let mut fields = Vec::new();
                if b.head_name != after.head_name || b.id_masked != after.id_masked {
                    fields.push("户主".to_string());
                }
                if b.persons != after.persons {
                    fields.push("人口".to_string());
                }
                if b.detail != after.detail {
                    fields.push("情况".to_string());
                }
                if b.compensation != after.compensation {
                    fields.push("补偿金额".to_string());
                }
                let kind = if fields.is_empty() {
                    RowChangeKind::Same
                } else {
                    RowChangeKind::Changed
                };
                (kind, fields)
            }
        };
        out.push(RowChange {
            household_id: after.household_id.clone(),
            change,
            before: before.cloned(),
            after: Some(after.clone()),
            fields,
        });
    }
    for before in previous {
        if !current
            .iter()
            .any(|c| c.household_id == before.household_id)
        {
            out.push(RowChange {
                household_id: before.household_id.clone(),
                change: RowChangeKind::Removed,
                before: Some(before.clone()),
                after: None,
                fields: vec![],
            });
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PostingStatus {
    /// Not yet posted (未开始).
    Upcoming,
    /// 公示中: residents may object.
    Posting,
    /// 已结束.
    Ended,
}

/// Where the board stands on `today` (a Beijing date), and how many days of its posting
/// period remain, today included.
pub fn posting(board: &RelocationBoard, today: NaiveDate) -> (PostingStatus, i64) {
    if today < board.posting_from {
        (
            PostingStatus::Upcoming,
            (board.posting_until - board.posting_from).num_days() + 1,
        )
    } else if today <= board.posting_until {
        (
            PostingStatus::Posting,
            (board.posting_until - today).num_days() + 1,
        )
    } else {
        (PostingStatus::Ended, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fen;

    fn row(id: &str, persons: u32) -> RelocationRow {
        RelocationRow {
            household_id: id.into(),
            head_name: "王建国".into(),
            id_masked: "4199**********1234".into(),
            persons,
            detail: String::new(),
            compensation: Fen(0),
        }
    }

    #[test]
    fn added_removed_changed_and_same() {
        let prev = vec![row("a", 3), row("b", 2), row("c", 1)];
        let cur = vec![row("a", 3), row("c", 2), row("d", 4)];
        let d = diff(&prev, &cur);
        let kinds: Vec<(&str, RowChangeKind)> = d
            .iter()
            .map(|c| (c.household_id.as_str(), c.change))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("a", RowChangeKind::Same),
                ("c", RowChangeKind::Changed),
                ("d", RowChangeKind::Added),
                ("b", RowChangeKind::Removed)
            ]
        );
        assert_eq!(d[1].fields, vec!["人口"]);
    }

    #[test]
    fn posting_counts_days_left_including_today() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        let b = RelocationBoard {
            village_name: "河口村".into(),
            round: 1,
            title: String::new(),
            posting_from: d("2026-11-20"),
            posting_until: d("2026-11-29"),
            objection_place: String::new(),
            objection_phone: String::new(),
            rows: vec![],
        };
        assert_eq!(posting(&b, d("2026-11-19")), (PostingStatus::Upcoming, 10));
        assert_eq!(posting(&b, d("2026-11-26")), (PostingStatus::Posting, 4));
        assert_eq!(posting(&b, d("2026-11-29")), (PostingStatus::Posting, 1));
        assert_eq!(posting(&b, d("2026-11-30")), (PostingStatus::Ended, 0));
    }
}
