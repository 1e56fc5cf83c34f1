//! The kinds of content a notice board shows and their bodies as published.
//!
//! Every published item is a (kind, id) pair with a JSON body of one of the types below.
//! Bodies hold only what may be shown in public: ID numbers are already masked.

use crate::money::Fen;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What kind of thing an item is. The snake_case names are the wire, SQL and UI keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// 公开目录: a government disclosure item.
    Disclosure,
    /// 村务财务: one period's income and expenditure statement of a village.
    Finance,
    /// 补贴名单: the header of one subsidy payment list.
    SubsidyList,
    /// One row of a subsidy list (a household and what it received).
    SubsidyRow,
    /// 移民三榜: one of the three relocation boards of a village.
    RelocationBoard,
    /// 办事指南: a service guide.
    Guide,
    /// 通知公告: a notice with publish and expiry times.
    Notice,
    /// The public answer to a filing, so any kiosk in its scope can show it by code, even
    /// offline. Never carries who filed it or what they wrote.
    Answer,
    /// The earlier versions of a corrected item (`history::ItemHistory`), published with
    /// the correction. Not listed on its own.
    History,
    /// 紧急通知: takes over the whole screen of every kiosk in its scope until it expires.
    Emergency,
    /// 节假日安排: one year's holidays and 调休 working days, entered by the county from
    /// the State Council's notice; every deadline is counted on it. Not listed on screen.
    Calendar,
}

impl ContentKind {
    pub const ALL: [ContentKind; 11] = [
        ContentKind::Disclosure,
        ContentKind::Finance,
        ContentKind::SubsidyList,
        ContentKind::SubsidyRow,
        ContentKind::RelocationBoard,
        ContentKind::Guide,
        ContentKind::Notice,
        ContentKind::Answer,
        ContentKind::History,
        ContentKind::Emergency,
        ContentKind::Calendar,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ContentKind::Disclosure => "disclosure",
            ContentKind::Finance => "finance",
            ContentKind::SubsidyList => "subsidy_list",
            ContentKind::SubsidyRow => "subsidy_row",
            ContentKind::RelocationBoard => "relocation_board",
            ContentKind::Guide => "guide",
            ContentKind::Notice => "notice",
            ContentKind::Answer => "answer",
            ContentKind::History => "history",
            ContentKind::Emergency => "emergency",
            ContentKind::Calendar => "calendar",
        }
    }

    pub fn from_key(key: &str) -> Option<ContentKind> {
        ContentKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The label residents see on the home tile.
    pub fn label(self) -> &'static str {
        match self {
            ContentKind::Disclosure => "公开目录",
            ContentKind::Finance => "村务财务",
            ContentKind::SubsidyList | ContentKind::SubsidyRow => "补贴名单",
            ContentKind::RelocationBoard => "移民三榜",
            ContentKind::Guide => "办事指南",
            ContentKind::Notice => "通知公告",
            ContentKind::Answer => "办理答复",
            ContentKind::History => "修改记录",
            ContentKind::Emergency => "紧急通知",
            ContentKind::Calendar => "节假日安排",
        }
    }
}

/// The categories of the 公开目录, in the order a county's catalog lists them (the seed
/// county plans' 政务公开 目录). The console offers these; items keep whatever category
/// they were published with.
pub const CATALOG_CATEGORIES: &[&str] = &[
    "机构职能",
    "政策法规",
    "规划计划",
    "财政预决算",
    "三公经费",
    "行政审批",
    "人事信息",
    "重大项目",
    "社会救助",
    "应急管理",
    "政府信息公开年报",
    "政务公开考核",
    "政策解读",
];

/// 公开目录 item: a piece of government information published under the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Disclosure {
    /// 索引号, e.g. "411122-101-2026-00012".
    pub index_no: String,
    /// 发布机构.
    pub publisher: String,
    /// 文号, e.g. "云政办〔2026〕12号"; empty when the item has none.
    pub doc_no: String,
    /// 发布日期.
    #[ts(type = "string")]
    pub published_on: NaiveDate,
    /// Catalog category (机构职能, 政策法规, 规划计划, 财政预决算 …).
    pub category: String,
    pub title: String,
    /// Sanitized HTML: only the tags the server's sanitizer lets through.
    pub body_html: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// A file published with an item, fetched by the kiosk as a content-addressed blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Attachment {
    pub name: String,
    /// Lower-case hex sha256 of the file: its name on the wire and on disk.
    pub sha256: String,
    pub size: u64,
    pub mime: String,
    /// For a PDF: its pages rendered to PNG by the server (sha256 of each), which is what
    /// a kiosk shows. The PDF itself stays on the server.
    #[serde(default)]
    pub pages: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FinanceLineKind {
    Income,
    Expense,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FinanceLine {
    pub kind: FinanceLineKind,
    #[ts(type = "string")]
    pub date: NaiveDate,
    /// e.g. 上级转移支付, 集体资产租赁, 道路维修, 办公费.
    pub category: String,
    pub description: String,
    pub amount: Fen,
    /// sha256 of voucher photos (凭证) held as blobs.
    pub vouchers: Vec<String>,
}

/// 村务财务 statement for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FinanceStatement {
    pub village_name: String,
    /// "2026-03" for a month or "2026-Q1" for a quarter.
    pub period: String,
    pub opening: Fen,
    pub lines: Vec<FinanceLine>,
    pub closing: Fen,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FinanceError {
    #[error("第{line}行：金额必须为正数（{amount}）")]
    NonPositiveAmount { line: usize, amount: Fen },
    #[error(
        "收支不平衡：期初{opening} + 收入{income} − 支出{expense} = {computed}，但期末为{closing}"
    )]
    Unbalanced {
        opening: Fen,
        income: Fen,
        expense: Fen,
        computed: Fen,
        closing: Fen,
    },
    #[error("金额合计溢出")]
    Overflow,
}

impl FinanceStatement {
    pub fn totals(&self) -> Result<(Fen, Fen), FinanceError> {
        let mut income = Fen::ZERO;
        let mut expense = Fen::ZERO;
        for line in &self.lines {
            let slot = match line.kind {
                FinanceLineKind::Income => &mut income,
                FinanceLineKind::Expense => &mut expense,
            };
            *slot = slot
                .checked_add(line.amount)
                .ok_or(FinanceError::Overflow)?;
        }
        Ok((income, expense))
    }

    /// Opening + income − expense must equal closing, and every line must be positive.
    /// Line numbers in errors are 1-based, as a cadre counts them.
    pub fn check(&self) -> Result<(), FinanceError> {
        for (i, line) in self.lines.iter().enumerate() {
            if line.amount.0 <= 0 {
                return Err(FinanceError::NonPositiveAmount {
                    line: i + 1,
                    amount: line.amount,
                });
            }
        }
        let (income, expense) = self.totals()?;
        let computed = self
            .opening
            .checked_add(income)
            .and_then(|v| v.checked_sub(expense))
            .ok_or(FinanceError::Overflow)?;
        if computed != self.closing {
            return Err(FinanceError::Unbalanced {
                opening: self.opening,
                income,
                expense,
                computed,
                closing: self.closing,
            });
        }
        Ok(())
    }
}

/// 补贴名单 header: one programme, year and village.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SubsidyList {
    /// 粮食直补, 良种补贴, 农资综合补贴, 退耕还林, 低保, 救灾 …
    pub programme: String,
    pub year: i32,
    /// The village or township the list covers.
    pub area_name: String,
    /// 发放单位.
    pub issuer: String,
    pub row_count: u32,
    pub total: Fen,
    /// The publisher chose to publish the whole list (as a 低保 list is posted in full on
    /// the village board): the public phone pages may then page through it. Otherwise a
    /// phone finds only the asker's own row, by name and ID tail. Kiosks show every list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub shown_in_full: bool,
}

/// One household on a subsidy list. `id_masked` is already masked by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SubsidyRow {
    pub list_id: String,
    pub village_name: String,
    pub name: String,
    pub id_masked: String,
    pub household_size: u32,
    /// Area in hundredths of a mu (亩), where the programme pays by area.
    pub area_centimu: Option<u32>,
    pub amount: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RelocationRow {
    /// Stable across the three boards so kiosks can show what changed.
    pub household_id: String,
    pub head_name: String,
    pub id_masked: String,
    pub persons: u32,
    pub detail: String,
    pub compensation: Fen,
}

/// 移民三榜: one of the three successive boards of a relocation village.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RelocationBoard {
    pub village_name: String,
    /// 1 = 移民身份确认, 2 = 实物指标/补偿, 3 = 人口核定.
    pub round: u8,
    pub title: String,
    #[ts(type = "string")]
    pub posting_from: NaiveDate,
    #[ts(type = "string")]
    pub posting_until: NaiveDate,
    /// Where and how to object.
    pub objection_place: String,
    pub objection_phone: String,
    pub rows: Vec<RelocationRow>,
}

/// 办事指南.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Guide {
    pub title: String,
    pub department: String,
    /// 设定依据.
    pub basis: String,
    /// 申请材料.
    pub materials: Vec<String>,
    /// 办理流程.
    pub steps: Vec<String>,
    /// 承诺时限, e.g. "5个工作日".
    pub time_limit: String,
    /// 收费标准, e.g. "不收费".
    pub fees: String,
    /// 办理地点 (window and place).
    pub place: String,
    pub phone: String,
}

/// 通知公告.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Notice {
    pub title: String,
    pub publisher: String,
    pub body_html: String,
    #[ts(type = "string")]
    pub publish_at: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub expire_at: Option<DateTime<Utc>>,
    /// Photos (blob sha256 names, JPEG), e.g. a cadre's pictures of the site. Older
    /// notices have none.
    #[serde(default)]
    pub images: Vec<String>,
}

/// How grave an emergency is, as the national warning colours go (蓝, 黄, 橙, 红).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyLevel {
    Blue,
    Yellow,
    Orange,
    Red,
}

impl EmergencyLevel {
    pub fn label(self) -> &'static str {
        match self {
            EmergencyLevel::Blue => "蓝色预警",
            EmergencyLevel::Yellow => "黄色预警",
            EmergencyLevel::Orange => "橙色预警",
            EmergencyLevel::Red => "红色预警",
        }
    }
}

/// 紧急通知: flood, fire, cold wave, water cut. Always has an end: it clears itself at
/// `expire_at` by each kiosk's own clock, offline too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Emergency {
    pub title: String,
    /// Plain text, one paragraph per line.
    pub body: String,
    pub level: EmergencyLevel,
    pub issuer: String,
    #[ts(type = "string")]
    pub publish_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub expire_at: DateTime<Utc>,
}

/// 节假日安排 of one year, in the text form of `calendar/YYYY.txt` (one `holiday` or
/// `workday` line per date or range), as entered by the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CalendarYear {
    pub year: i32,
    /// The notice it comes from, e.g. 国务院办公厅关于2027年部分节假日安排的通知.
    pub notice: String,
    pub text: String,
}

impl CalendarYear {
    /// The item id of a year's calendar: one item per year, corrected in place.
    pub fn item_id(year: i32) -> String {
        format!("calendar-{year}")
    }
}

/// 办理答复: where a filing stands and the office's public answer, keyed by its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Answer {
    pub code: crate::complaint::TrackingCode,
    pub kind: crate::complaint::ComplaintKind,
    pub subject: String,
    pub status: crate::complaint::ComplaintStatus,
    pub office: String,
    pub received_on: String,
    pub due_on: Option<String>,
    /// The year without entered holidays `due_on` was counted across (then provisional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub due_provisional: Option<i32>,
    pub answer: Option<String>,
}

/// The few fields every item exposes for lists and ordering, whatever its kind.
/// The kiosk stores these beside the body so lists never parse JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ItemSummary {
    pub title: String,
    /// Grouping inside a kind: catalog category, programme, period …
    pub category: String,
    /// ISO date (or date-time) used to sort newest first.
    pub date: String,
    /// When the item stops being shown, for notices; ISO date-time.
    pub expires_at: Option<String>,
    /// Blobs (sha256) the item refers to, which the kiosk must hold to show it.
    pub blobs: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{kind:?} 内容格式不正确：{source}")]
pub struct BodyError {
    pub kind: ContentKind,
    #[source]
    pub source: serde_json::Error,
}

/// Reads the summary fields out of an item body of the given kind.
pub fn summarize(kind: ContentKind, body: &str) -> Result<ItemSummary, BodyError> {
    fn parse<T: serde::de::DeserializeOwned>(
        kind: ContentKind,
        body: &str,
    ) -> Result<T, BodyError> {
        serde_json::from_str(body).map_err(|source| BodyError { kind, source })
    }
    let summary = match kind {
        ContentKind::Disclosure => {
            let d: Disclosure = parse(kind, body)?;
            ItemSummary {
                title: d.title,
                category: d.category,
                date: d.published_on.to_string(),
                expires_at: None,
                // A PDF is shown by its page images; anything else by itself.
                blobs: d
                    .attachments
                    .into_iter()
                    .flat_map(|a| {
                        if a.pages.is_empty() {
                            vec![a.sha256]
                        } else {
                            a.pages
                        }
                    })
                    .collect(),
            }
        }
        ContentKind::Finance => {
            let f: FinanceStatement = parse(kind, body)?;
            let blobs = f.lines.iter().flat_map(|l| l.vouchers.clone()).collect();
            ItemSummary {
                title: format!("{} {} 财务收支明细", f.village_name, f.period),
                category: f.period.chars().take(4).collect(),
                date: f.period,
                expires_at: None,
                blobs,
            }
        }
        ContentKind::SubsidyList => {
            let s: SubsidyList = parse(kind, body)?;
            ItemSummary {
                title: format!("{}年{}{}发放名单", s.year, s.area_name, s.programme),
                category: s.programme,
                date: s.year.to_string(),
                expires_at: None,
                blobs: vec![],
            }
        }
        ContentKind::SubsidyRow => {
            let r: SubsidyRow = parse(kind, body)?;
            ItemSummary {
                title: r.name,
                category: r.list_id,
                date: String::new(),
                expires_at: None,
                blobs: vec![],
            }
        }
        ContentKind::RelocationBoard => {
            let b: RelocationBoard = parse(kind, body)?;
            ItemSummary {
                title: b.title,
                category: b.village_name,
                date: b.posting_from.to_string(),
                expires_at: None,
                blobs: vec![],
            }
        }
        ContentKind::Guide => {
            let g: Guide = parse(kind, body)?;
            ItemSummary {
                title: g.title,
                category: g.department,
                date: String::new(),
                expires_at: None,
                blobs: vec![],
            }
        }
        ContentKind::Notice => {
            let n: Notice = parse(kind, body)?;
            ItemSummary {
                title: n.title,
                category: n.publisher,
                date: n.publish_at.to_rfc3339(),
                expires_at: n.expire_at.map(|t| t.to_rfc3339()),
                blobs: n.images,
            }
        }
        ContentKind::Answer => {
            let a: Answer = parse(kind, body)?;
            ItemSummary {
                title: a.subject,
                category: a.kind.label().to_string(),
                date: a.received_on,
                expires_at: None,
                blobs: vec![],
            }
        }
        ContentKind::Emergency => {
            let e: Emergency = parse(kind, body)?;
            ItemSummary {
                title: e.title,
                category: e.level.label().to_string(),
                date: e.publish_at.to_rfc3339(),
                expires_at: Some(e.expire_at.to_rfc3339()),
                blobs: vec![],
            }
        }
        ContentKind::Calendar => {
            let c: CalendarYear = parse(kind, body)?;
            ItemSummary {
                title: format!("{}年节假日安排", c.year),
                category: "节假日安排".into(),
                date: c.year.to_string(),
                expires_at: None,
                blobs: vec![],
            }
        }
        ContentKind::History => {
            let h: crate::history::ItemHistory = parse(kind, body)?;
            ItemSummary {
                title: format!("{} 的修改记录", h.id),
                category: h.kind.key().to_string(),
                date: h
                    .versions
                    .last()
                    .map(|v| v.replaced_at.clone())
                    .unwrap_or_default(),
                expires_at: None,
                blobs: vec![],
            }
        }
    };
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: FinanceLineKind, fen: i64) -> FinanceLine {
        FinanceLine {
            kind,
            date: NaiveDate::default(),
            category: "办公费".into(),
            description: String::new(),
            amount: Fen(fen),
            vouchers: vec![],
        }
    }

    #[test]
    fn finance_balances_or_names_the_gap() {
        let mut s = FinanceStatement {
            village_name: "东坡村".into(),
            period: "2026-03".into(),
            opening: Fen(10_000),
            lines: vec![
                line(FinanceLineKind::Income, 5_000),
                line(FinanceLineKind::Expense, 2_500),
            ],
            closing: Fen(12_500),
        };
        assert_eq!(s.check(), Ok(()));
        s.closing = Fen(12_600);
        let err = s.check().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("收支不平衡"), "{err}");
        s.lines[1].amount = Fen(0);
        assert!(matches!(
            s.check(),
            Err(FinanceError::NonPositiveAmount { line: 2, .. })
        ));
    }

    #[test]
    fn kind_keys_round_trip() {
        for k in ContentKind::ALL {
            assert_eq!(ContentKind::from_key(k.key()), Some(k));
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.key()));
        }
    }
}
