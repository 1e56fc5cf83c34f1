//! Demo residents: plausible names and valid ID numbers, and the subsidy lists they are on.
//! Full ID numbers go to the server's private table; published rows carry masked ones.

use chrono::{Datelike, NaiveDate};
use gongkai_model::{idcard, ContentKind, Fen, SubsidyList, SubsidyRow};
use gongkai_store::{Edit, StoreError};
use rand::rngs::StdRng;
use rand::Rng;

/// Common surnames, most frequent first, plus a few whose pinyin readings are unusual
/// (单 Shan, 曾 Zeng, 解 Xie, 仇 Qiu, 区 Ou, 查 Zha, 朴 Piao) so search can be tested on them.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 90),
    ("李", 88),
    ("张", 85),
    ("刘", 70),
    ("陈", 55),
    ("杨", 45),
    ("赵", 30),
    ("黄", 28),
    ("周", 26),
    ("吴", 25),
    ("徐", 20),
    ("孙", 19),
    ("胡", 17),
    ("朱", 16),
    ("高", 15),
    ("林", 14),
    ("何", 14),
    ("郭", 13),
    ("马", 13),
    ("罗", 12),
    ("梁", 11),
    ("宋", 10),
    ("郑", 10),
    ("谢", 9),
    ("韩", 9),
    ("唐", 8),
    ("冯", 8),
    ("于", 8),
    ("董", 7),
    ("程", 7),
    ("曹", 7),
    ("袁", 6),
    ("邓", 6),
    ("许", 6),
    ("傅", 5),
    ("申", 5),
    ("单", 3),
    ("曾", 3),
    ("解", 2),
    ("仇", 2),
    ("区", 1),
    ("查", 2),
    ("朴", 1),
];

const GIVEN: &[&str] = &[
    "建国", "建军", "国强", "志强", "秀英", "桂英", "玉兰", "秀兰", "淑珍", "凤英", "海燕", "春生",
    "长顺", "德胜", "福来", "金山", "永刚", "红霞", "丽娟", "小军", "卫东", "文华", "明", "伟",
    "芳", "敏", "静", "磊", "军", "勇", "杰", "娟", "涛", "超", "霞", "平", "刚", "桂兰", "玉珍",
    "新民", "保国", "守义", "宝山", "俊峰", "雪梅", "晓东", "振华", "永福",
];

const TOWNSHIP_VILLAGES: &[&str] = &[
    "石桥村",
    "杨庄村",
    "前营村",
    "后营村",
    "白庙村",
    "大刘村",
    "小刘村",
    "孙湾村",
    "马庄村",
    "高楼村",
];

pub fn name(rng: &mut StdRng) -> String {
    let total: u32 = SURNAMES.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    let mut surname = SURNAMES[0].0;
    for (s, w) in SURNAMES {
        if pick < *w {
            surname = s;
            break;
        }
        pick -= w;
    }
    format!("{surname}{}", GIVEN[rng.gen_range(0..GIVEN.len())])
}

/// A valid 18-character ID number from the demo county's region code.
pub fn id_number(rng: &mut StdRng, today: NaiveDate) -> String {
    let year = rng.gen_range(1940..=today.year() - 18);
    let month = rng.gen_range(1..=12);
    let day = rng.gen_range(1..=28);
    let first17 = format!(
        "419901{year:04}{month:02}{day:02}{:03}",
        rng.gen_range(1..1000)
    );
    let check = idcard::check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError::BadBody {
        kind: ContentKind::SubsidyRow,
        id: String::new(),
        reason: e.to_string(),
    }
}

/// A list ready to publish: header first, then rows, each row carrying the full ID number
/// for the server's private table.
pub type PublishedList = Vec<Edit>;

/// Builds a list header and its rows.
fn list(
    list_id: &str,
    header: impl FnOnce(u32, Fen) -> SubsidyList,
    rows: Vec<(String, SubsidyRow)>,
) -> Result<PublishedList, StoreError> {
    let total = rows
        .iter()
        .try_fold(Fen::ZERO, |acc, (_, r)| acc.checked_add(r.amount))
        .ok_or_else(|| err("total overflow"))?;
    let mut edits = vec![Edit::put(
        ContentKind::SubsidyList,
        list_id,
        &header(rows.len() as u32, total),
    )];
    for (i, (full_id, row)) in rows.into_iter().enumerate() {
        let row_id = format!("{list_id}-{:05}", i + 1);
        edits.push(Edit::put(ContentKind::SubsidyRow, row_id, &row).with_private_id(full_id));
    }
    Ok(edits)
}

/// The township's 粮食直补 (耕地地力保护补贴) list: one row per farming household, paid
/// per mu at a fixed rate.
pub fn grain_subsidy_list(
    rng: &mut StdRng,
    township: &str,
    today: NaiveDate,
) -> Result<PublishedList, StoreError> {
    const RATE_FEN_PER_MU: i64 = 1_358; // 13.58 元/亩
    let year = today.year();
    let list_id = format!("grain-{year}-419901102");
    let rows = (0..5_200)
        .map(|i| {
            let full = id_number(rng, today);
            let centimu = rng.gen_range(150..1_800u32);
            let amount = Fen(i64::from(centimu) * RATE_FEN_PER_MU / 100);
            let row = SubsidyRow {
                list_id: list_id.clone(),
                village_name: TOWNSHIP_VILLAGES[i % TOWNSHIP_VILLAGES.len()].into(),
                name: name(rng),
                id_masked: idcard::mask(&full),
                household_size: rng.gen_range(1..7),
                area_centimu: Some(centimu),
                amount,
            };
            (full, row)
        })
        .collect();
    list(
        &list_id,
        |row_count, total| SubsidyList {
            programme: "粮食直补".into(),
            year,
            area_name: township.into(),
            issuer: format!("{township}人民政府、云溪县财政局"),
            row_count,
            total,
            shown_in_full: false,
        },
        rows,
    )
}

/// Puts up to `n` households of `village` from the township's `grain` list onto its
/// `dibao` list (their names and ID numbers, in place of the first rows drawn), as in a
/// real village where a poor farming household is on both: so 查我的补贴 finds one person
/// on two lists. Draws nothing from the generator, so the rest of the demo stays the same.
pub fn share_households(dibao: &mut PublishedList, grain: &PublishedList, village: &str, n: usize) {
    let farmers = grain.iter().filter_map(|e| {
        let row: SubsidyRow = serde_json::from_str(e.body.as_deref()?).ok()?;
        (e.kind == ContentKind::SubsidyRow && row.village_name == village)
            .then(|| (row, e.private_id.clone()))
    });
    let rows = dibao
        .iter_mut()
        .filter(|e| e.kind == ContentKind::SubsidyRow);
    for (e, (farmer, full)) in rows.zip(farmers).take(n) {
        let Some(mut row) = e
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<SubsidyRow>(b).ok())
        else {
            continue;
        };
        row.name = farmer.name;
        row.id_masked = farmer.id_masked;
        if let Ok(body) = serde_json::to_string(&row) {
            e.body = Some(body);
            e.private_id = full;
        }
    }
}

/// A village's 低保 (minimum living allowance) list for the year.
pub fn dibao_list(
    rng: &mut StdRng,
    village: &str,
    township: &str,
    today: NaiveDate,
) -> Result<PublishedList, StoreError> {
    let year = today.year();
    let list_id = format!("dibao-{year}-{village}");
    let rows = (0..rng.gen_range(12..30))
        .map(|_| {
            let full = id_number(rng, today);
            let persons = rng.gen_range(1..5u32);
            let row = SubsidyRow {
                list_id: list_id.clone(),
                village_name: village.into(),
                name: name(rng),
                id_masked: idcard::mask(&full),
                household_size: persons,
                area_centimu: None,
                // 农村低保 monthly standard × 12, per person.
                amount: Fen(i64::from(persons) * 42_000 * 12),
            };
            (full, row)
        })
        .collect();
    list(
        &list_id,
        |row_count, total| SubsidyList {
            programme: "农村低保".into(),
            year,
            area_name: village.into(),
            issuer: format!("{township}人民政府、云溪县民政局"),
            row_count,
            total,
            // 低保 lists are posted in full on the village board (民政 rules).
            shown_in_full: true,
        },
        rows,
    )
}
