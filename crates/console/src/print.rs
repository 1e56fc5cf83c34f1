//! 打印公示栏版 (`/print/{scope}/{kind}/{id}?size=a4|a3`): a published notice, 公开目录
//! item, finance statement, subsidy list, 三榜 board or guide as a PDF for the paper board,
//! laid out by `gongkai-print`: the publishing office, 公示期, where to object, the whole
//! content (every row of a long list), a QR code to the same item's phone page, and the
//! public-record entry it was printed from. Public, like the item's page: anyone may print
//! what was published.

use super::shell::{ConsoleError, Result};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use gongkai_api::state::AppState;
use gongkai_api::text::publisher;
use gongkai_model::calendar::{beijing_date_of, beijing_minute, beijing_reading};
use gongkai_model::history::html_paragraphs;
use gongkai_model::{
    ContentKind, Disclosure, FinanceLineKind, FinanceStatement, Guide, Notice, RelocationBoard,
    ScopeId, SubsidyList, SubsidyRow,
};
use gongkai_print::{Board, FontData, Sheet, Table};
use gongkai_protocol::changelog::LogEntry;

/// Days a subsidy list stays posted from its first publication: 农村低保 and the other
/// lists are posted for seven days (《最低生活保障审核确认办法》 第十五条).
pub const SUBSIDY_POSTING_DAYS: i64 = 7;

pub use gongkai_print::system_font;

fn font() -> Result<FontData> {
    system_font().ok_or_else(|| {
        ConsoleError::bad(format!(
            "服务器缺少中文字体（{}，Debian 软件包 fonts-noto-cjk），无法生成打印版",
            gongkai_print::SYSTEM_FONT
        ))
    })
}

#[derive(serde::Deserialize, Default)]
pub struct PrintQuery {
    #[serde(default)]
    size: String,
}

/// "公开记录第 123 条 · 摘要 3f1c0a9be2d47c11".
fn record_line(entry: &LogEntry) -> String {
    format!(
        "据公开记录第 {} 条打印 · 记录摘要 {}",
        entry.n,
        &entry.entry_hash[..16.min(entry.entry_hash.len())]
    )
}

fn posting(from: i64, days: i64) -> String {
    let first = beijing_date_of(from);
    let last = first + chrono::Duration::days(days - 1);
    format!(
        "公示期：{} 至 {}（{} 天）",
        first.format("%Y年%-m月%-d日"),
        last.format("%Y年%-m月%-d日"),
        days
    )
}

/// The board for one item, from its stored body, its record and (for a list) its rows.
#[allow(clippy::too_many_arguments)]
pub fn board(
    kind: ContentKind,
    scope: &ScopeId,
    scope_name: &str,
    body: &str,
    rows: &[SubsidyRow],
    first: &LogEntry,
    last: &LogEntry,
    qr_url: Option<String>,
    now: i64,
) -> Option<Board> {
    let office = publisher(scope, scope_name);
    let mut b = Board {
        office,
        title: String::new(),
        dates: Vec::new(),
        paragraphs: Vec::new(),
        table: None,
        objection: None,
        qr_url,
        record: record_line(last),
        printed: format!("打印于 {}", beijing_reading(now)),
    };
    match kind {
        ContentKind::Notice => {
            let n: Notice = serde_json::from_str(body).ok()?;
            b.office = n.publisher.clone();
            b.title = n.title;
            b.dates.push(match n.expire_at {
                Some(e) => format!(
                    "公示期：{} 至 {}",
                    beijing_minute(n.publish_at.timestamp()),
                    beijing_minute(e.timestamp())
                ),
                None => format!("发布时间：{}", beijing_minute(n.publish_at.timestamp())),
            });
            b.paragraphs = html_paragraphs(&n.body_html);
        }
        ContentKind::Disclosure => {
            let d: Disclosure = serde_json::from_str(body).ok()?;
            b.office = d.publisher.clone();
            b.title = d.title;
            b.dates.push(format!(
                "成文日期：{}",
                d.published_on.format("%Y年%-m月%-d日")
            ));
            let mut facts = format!("索引号 {} · 类别 {}", d.index_no, d.category);
            if !d.doc_no.is_empty() {
                facts = format!("文号 {} · {facts}", d.doc_no);
            }
            b.paragraphs.push(facts);
            b.paragraphs.extend(html_paragraphs(&d.body_html));
            for a in &d.attachments {
                b.paragraphs
                    .push(format!("附件：{}（请扫码在手机上查看）", a.name));
            }
        }
        ContentKind::Finance => {
            let f: FinanceStatement = serde_json::from_str(body).ok()?;
            let (income, expense) = f.totals().ok()?;
            b.office = format!("{}村民委员会 · 村务监督委员会审核", f.village_name);
            b.title = format!("{} {} 财务收支公开", f.village_name, f.period);
            b.dates
                .push(posting(first.at, gongkai_api::fleet::FINANCE_POSTING_DAYS));
            b.paragraphs.push(format!(
                "期初余额 {}，本期收入 {}，本期支出 {}，期末余额 {}。",
                f.opening, income, expense, f.closing
            ));
            b.table = Some(Table {
                headers: ["日期", "收支", "科目", "摘要", "金额"]
                    .map(String::from)
                    .to_vec(),
                widths: vec![2.2, 1.0, 2.2, 5.0, 2.2],
                rows: f
                    .lines
                    .iter()
                    .map(|l| {
                        vec![
                            l.date.to_string(),
                            if l.kind == FinanceLineKind::Income {
                                "收入"
                            } else {
                                "支出"
                            }
                            .into(),
                            l.category.clone(),
                            l.description.clone(),
                            l.amount.to_string(),
                        ]
                    })
                    .collect(),
            });
            b.objection = Some(format!(
                "对以上收支有疑问，请在公示期内向{}村务监督委员会反映。",
                f.village_name
            ));
        }
        ContentKind::SubsidyList => {
            let l: SubsidyList = serde_json::from_str(body).ok()?;
            b.office = l.issuer.clone();
            b.title = format!("{}年{}{}发放名单公示", l.year, l.area_name, l.programme);
            b.dates.push(posting(first.at, SUBSIDY_POSTING_DAYS));
            b.paragraphs.push(format!(
                "共 {} 户，合计 {}。身份证号只显示前 4 位和后 4 位。",
                l.row_count, l.total
            ));
            let area = rows.iter().any(|r| r.area_centimu.is_some());
            let mut headers = vec!["序号", "村（组）", "姓名", "身份证号", "人口"];
            let mut widths = vec![1.2, 2.2, 1.8, 4.0, 1.0];
            if area {
                headers.push("面积（亩）");
                widths.push(1.6);
            }
            headers.push("金额");
            widths.push(2.0);
            b.table =
                Some(Table {
                    headers: headers.into_iter().map(String::from).collect(),
                    widths,
                    rows: rows
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            let mut row = vec![
                                (i + 1).to_string(),
                                r.village_name.clone(),
                                r.name.clone(),
                                r.id_masked.clone(),
                                r.household_size.to_string(),
                            ];
                            if area {
                                row.push(r.area_centimu.map_or(String::new(), |a| {
                                    format!("{}.{:02}", a / 100, a % 100)
                                }));
                            }
                            row.push(r.amount.to_string());
                            row
                        })
                        .collect(),
                });
            b.objection = Some(format!(
                "如有异议，请在公示期内向{}反映，或在村里的公开屏上提交异议（查询码可查办理进度）。",
                l.issuer
            ));
        }
        ContentKind::RelocationBoard => {
            let r: RelocationBoard = serde_json::from_str(body).ok()?;
            b.title = r.title.clone();
            b.dates.push(format!(
                "公示期：{} 至 {}（{} 天）",
                r.posting_from.format("%Y年%-m月%-d日"),
                r.posting_until.format("%Y年%-m月%-d日"),
                (r.posting_until - r.posting_from).num_days() + 1
            ));
            b.table = Some(Table {
                headers: [
                    "户编号",
                    "户主",
                    "身份证号",
                    "人口",
                    "实物指标及说明",
                    "补偿金额",
                ]
                .map(String::from)
                .to_vec(),
                widths: vec![1.6, 1.6, 3.6, 1.0, 4.4, 2.2],
                rows: r
                    .rows
                    .iter()
                    .map(|h| {
                        vec![
                            h.household_id.clone(),
                            h.head_name.clone(),
                            h.id_masked.clone(),
                            h.persons.to_string(),
                            h.detail.clone(),
                            h.compensation.to_string(),
                        ]
                    })
                    .collect(),
            });
            b.objection = Some(format!(
                "如有异议，请在公示期内到{}反映，电话 {}。",
                r.objection_place, r.objection_phone
            ));
        }
        ContentKind::Guide => {
            let g: Guide = serde_json::from_str(body).ok()?;
            b.office = g.department.clone();
            b.title = format!("办事指南：{}", g.title);
            b.dates
                .push(format!("承诺时限：{} · 收费：{}", g.time_limit, g.fees));
            b.paragraphs
                .push(format!("办理地点：{} · 咨询电话：{}", g.place, g.phone));
            if !g.basis.is_empty() {
                b.paragraphs.push(format!("设定依据：{}", g.basis));
            }
            b.paragraphs.push("需要带的材料：".into());
            b.paragraphs.extend(
                g.materials
                    .iter()
                    .enumerate()
                    .map(|(i, m)| format!("{}. {m}", i + 1)),
            );
            b.paragraphs.push("办理步骤：".into());
            b.paragraphs.extend(
                g.steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("{}. {s}", i + 1)),
            );
        }
        _ => return None,
    }
    Some(b)
}

/// The address residents reach the phone pages at: the server's setting, else the one
/// this request came in by.
fn public_base(st: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(u) = &st.public_pages_url {
        return Some(u.to_string());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| matches!(*p, "http" | "https"))
        .unwrap_or("http");
    Some(format!("{proto}://{host}"))
}

/// The village (or other place) whose phone page the QR opens: the item's own scope.
pub async fn pdf(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((scope, kind, id)): Path<(String, String, String)>,
    Query(q): Query<PrintQuery>,
) -> Result<Response> {
    let scope = ScopeId::parse(&scope).map_err(|_| ConsoleError::not_found())?;
    let kind = ContentKind::from_key(&kind)
        .filter(|k| gongkai_protocol::paths::public::KINDS.contains(k))
        .ok_or_else(ConsoleError::not_found)?;
    let sheet = if q.size.is_empty() {
        Sheet::A4
    } else {
        Sheet::parse(&q.size).ok_or_else(|| ConsoleError::bad("纸张只能选 A4 或 A3"))?
    };
    let (sc, i) = (scope.clone(), id.clone());
    let (head, body, history, rows) = super::posting::blocking(&st.store, move |s| {
        let head = s.head(&sc)?;
        let body = s.item_body(&sc, kind, &i)?;
        let history = s.item_history(&sc, kind, &i)?;
        let rows: Vec<SubsidyRow> = if kind == ContentKind::SubsidyList {
            s.items_of_kind(&sc, ContentKind::SubsidyRow)?
                .into_iter()
                .filter_map(|(_, b)| serde_json::from_str::<SubsidyRow>(&b).ok())
                .filter(|r| r.list_id == i)
                .collect()
        } else {
            Vec::new()
        };
        Ok((head, body, history, rows))
    })
    .await?;
    // Only what is public now prints: a withdrawn item has no board.
    let (Some(body), Some(first), Some(last)) = (body, history.first(), history.last()) else {
        return Err(ConsoleError::not_found());
    };
    let qr_url = public_base(&st, &headers).map(|base| {
        gongkai_protocol::paths::public::absolute(
            &base,
            &gongkai_protocol::paths::public::item(scope.as_str(), kind.key(), scope.as_str(), &id),
        )
    });
    let board = board(
        kind,
        &scope,
        &head.name,
        &body,
        &rows,
        first,
        last,
        qr_url,
        st.clock.unix(),
    )
    .ok_or_else(|| ConsoleError::bad("内容无法读取（格式不对），无法打印"))?;
    let font = font()?;
    let pdf = tokio::task::spawn_blocking(move || gongkai_print::render(&board, sheet, &font))
        .await
        .map_err(|_| ConsoleError::bad("打印版生成失败"))?
        .map_err(|e| ConsoleError::bad(format!("打印版生成失败：{e}")))?;
    let name = format!("{}-{}.pdf", kind.key(), last.n);
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response())
}
