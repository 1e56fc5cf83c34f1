//! The text a resident reads in an item, field by field, each with the place a cadre
//! would look for it ("第 3 行 摘要"). Privacy checks run over these fields and nothing
//! else: hashes, blob names, codes and dates are machine fields no resident reads, and a
//! digit run in a photo's sha256 is not an ID number.

use crate::content::BodyError;
use crate::content::{
    Answer, ContentKind, Disclosure, Emergency, FinanceStatement, Guide, Notice, RelocationBoard,
    SubsidyList, SubsidyRow,
};
use crate::history::ItemHistory;

/// One field of an item as a resident reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderField {
    /// Where it is, in the words of the console's forms: "标题", "第 3 行 摘要".
    pub place: String,
    pub text: String,
}

fn field(place: impl Into<String>, text: &str) -> ReaderField {
    ReaderField {
        place: place.into(),
        text: text.to_string(),
    }
}

/// Rich text as read: tags dropped (an image's address is not text), entities decoded.
pub fn html_text(html: &str) -> String {
    crate::history::html_paragraphs(html).join("\n")
}

/// Every field of `body` (an item of `kind`) that a resident reads.
pub fn reader_fields(kind: ContentKind, body: &str) -> Result<Vec<ReaderField>, BodyError> {
    fn parse<T: serde::de::DeserializeOwned>(
        kind: ContentKind,
        body: &str,
    ) -> Result<T, BodyError> {
        serde_json::from_str(body).map_err(|source| BodyError { kind, source })
    }
    let fields = match kind {
        ContentKind::Disclosure => {
            let d: Disclosure = parse(kind, body)?;
            let mut v = vec![
                field("标题", &d.title),
                field("索引号", &d.index_no),
                field("发布机构", &d.publisher),
                field("文号", &d.doc_no),
                field("分类", &d.category),
                field("正文", &html_text(&d.body_html)),
            ];
            for (i, a) in d.attachments.iter().enumerate() {
                v.push(field(format!("第 {} 个附件的名称", i + 1), &a.name));
            }
            v
        }
        ContentKind::Finance => {
            let f: FinanceStatement = parse(kind, body)?;
            let mut v = vec![field("村名", &f.village_name), field("期间", &f.period)];
            for (i, l) in f.lines.iter().enumerate() {
                v.push(field(format!("第 {} 行 科目", i + 1), &l.category));
                v.push(field(format!("第 {} 行 摘要", i + 1), &l.description));
            }
            v
        }
        ContentKind::SubsidyList => {
            let s: SubsidyList = parse(kind, body)?;
            vec![
                field("补贴项目", &s.programme),
                field("地区", &s.area_name),
                field("发放单位", &s.issuer),
            ]
        }
        ContentKind::SubsidyRow => {
            let r: SubsidyRow = parse(kind, body)?;
            vec![
                field(format!("“{}”一行的村名", r.name), &r.village_name),
                field(format!("“{}”一行的姓名", r.name), &r.name),
                field(format!("“{}”一行的身份证号", r.name), &r.id_masked),
            ]
        }
        ContentKind::RelocationBoard => {
            let b: RelocationBoard = parse(kind, body)?;
            let mut v = vec![
                field("村名", &b.village_name),
                field("标题", &b.title),
                field("异议受理地点", &b.objection_place),
                field("异议电话", &b.objection_phone),
            ];
            for (i, r) in b.rows.iter().enumerate() {
                let at = |what: &str| format!("第 {} 行（户号 {}）{what}", i + 1, r.household_id);
                v.push(field(at("户号"), &r.household_id));
                v.push(field(at("户主"), &r.head_name));
                v.push(field(at("身份证号"), &r.id_masked));
                v.push(field(at("说明"), &r.detail));
            }
            v
        }
        ContentKind::Guide => {
            let g: Guide = parse(kind, body)?;
            let mut v = vec![
                field("标题", &g.title),
                field("办理部门", &g.department),
                field("设定依据", &g.basis),
                field("承诺时限", &g.time_limit),
                field("收费标准", &g.fees),
                field("办理地点", &g.place),
                field("咨询电话", &g.phone),
            ];
            for (i, m) in g.materials.iter().enumerate() {
                v.push(field(format!("申请材料第 {} 项", i + 1), m));
            }
            for (i, s) in g.steps.iter().enumerate() {
                v.push(field(format!("办理流程第 {} 步", i + 1), s));
            }
            v
        }
        ContentKind::Notice => {
            let n: Notice = parse(kind, body)?;
            vec![
                field("标题", &n.title),
                field("发布单位", &n.publisher),
                field("正文", &html_text(&n.body_html)),
            ]
        }
        ContentKind::Emergency => {
            let e: Emergency = parse(kind, body)?;
            vec![
                field("标题", &e.title),
                field("正文", &e.body),
                field("发布单位", &e.issuer),
            ]
        }
        ContentKind::Answer => {
            let a: Answer = parse(kind, body)?;
            let mut v = vec![field("事项", &a.subject), field("办理单位", &a.office)];
            if let Some(text) = &a.answer {
                v.push(field("答复", text));
            }
            v
        }
        ContentKind::Calendar => {
            let c: crate::content::CalendarYear = parse(kind, body)?;
            vec![field("通知名称", &c.notice)]
        }
        ContentKind::History => {
            let h: ItemHistory = parse(kind, body)?;
            let mut v = Vec::new();
            for (i, version) in h.versions.iter().enumerate() {
                for f in reader_fields(h.kind, &version.body)? {
                    v.push(field(
                        format!("修改前第 {} 版的{}", i + 1, f.place),
                        &f.text,
                    ));
                }
            }
            v
        }
    };
    Ok(fields)
}

/// An unmasked ID number in the text a resident reads: where, and the number masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmaskedId {
    pub place: String,
    pub masked: String,
}

/// The first unmasked ID number a resident could read in `body`, if any.
pub fn find_unmasked_id(kind: ContentKind, body: &str) -> Result<Option<UnmaskedId>, BodyError> {
    for f in reader_fields(kind, body)? {
        if let Some(found) = crate::idcard::find_full_ids(&f.text).into_iter().next() {
            return Ok(Some(UnmaskedId {
                place: f.place,
                masked: found.masked,
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Attachment, FinanceLine, FinanceLineKind};
    use crate::Fen;

    const ID: &str = "41078119900101111X";

    fn statement(description: &str, voucher: &str) -> String {
        let s = FinanceStatement {
            village_name: "石桥村".into(),
            period: "2026-12".into(),
            opening: Fen(0),
            lines: vec![
                FinanceLine {
                    kind: FinanceLineKind::Income,
                    date: chrono::NaiveDate::default(),
                    category: "上级补助".into(),
                    description: "转移支付".into(),
                    amount: Fen(100),
                    vouchers: vec![voucher.into()],
                },
                FinanceLine {
                    kind: FinanceLineKind::Expense,
                    date: chrono::NaiveDate::default(),
                    category: "办公费".into(),
                    description: description.into(),
                    amount: Fen(100),
                    vouchers: vec![],
                },
            ],
            closing: Fen(0),
        };
        serde_json::to_string(&s).unwrap_or_default()
    }

    #[test]
    fn a_hash_is_never_read_but_a_line_is() {
        // A sha256 with a real-looking ID inside it, as a voucher name: not read.
        let hash = format!("{ID}{}", "0".repeat(46));
        let body = statement("购买办公用品", &hash);
        assert_eq!(
            find_unmasked_id(ContentKind::Finance, &body).ok(),
            Some(None)
        );
        let body = statement(&format!("付李明（{ID}）劳务费"), &"a".repeat(64));
        let found = find_unmasked_id(ContentKind::Finance, &body).ok().flatten();
        assert_eq!(
            found,
            Some(UnmaskedId {
                place: "第 2 行 摘要".into(),
                masked: "4107**********111X".into()
            })
        );
    }

    #[test]
    fn attachment_names_and_rich_text_are_read_tags_are_not() {
        let d = Disclosure {
            index_no: "419901-101-2026-00001".into(),
            publisher: "县民政局".into(),
            doc_no: String::new(),
            published_on: chrono::NaiveDate::default(),
            category: "政策法规".into(),
            title: "低保名单".into(),
            body_html: format!("<p>名单见附件</p><img src=\"/blobs/{ID}0000\">"),
            attachments: vec![Attachment {
                name: format!("{ID}.pdf"),
                sha256: "b".repeat(64),
                size: 1,
                mime: "application/pdf".into(),
                pages: vec![],
            }],
        };
        let body = serde_json::to_string(&d).unwrap_or_default();
        let found = find_unmasked_id(ContentKind::Disclosure, &body)
            .ok()
            .flatten();
        assert_eq!(found.map(|f| f.place), Some("第 1 个附件的名称".into()));
        let mut d = d;
        d.attachments.clear();
        let body = serde_json::to_string(&d).unwrap_or_default();
        assert_eq!(
            find_unmasked_id(ContentKind::Disclosure, &body).ok(),
            Some(None)
        );
    }
}
