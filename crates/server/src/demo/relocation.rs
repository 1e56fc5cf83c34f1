//! 云溪水库 relocation: the three boards (三榜) of the relocation village. Households keep
//! their ids across boards; some are struck off after the first board (false claims found
//! during the objection period) and some change in later boards.

use super::people;
use chrono::{Duration, NaiveDate};
use gongkai_model::{idcard, ContentKind, Fen, RelocationBoard, RelocationRow};
use gongkai_store::Edit;
use rand::rngs::StdRng;
use rand::Rng;

const ROUNDS: [(&str, i64, i64); 3] = [
    ("第一榜：移民身份确认公示", -37, -31),
    ("第二榜：实物指标及补偿公示", -21, -15),
    ("第三榜：搬迁安置人口核定公示", -6, 3),
];

pub fn boards(rng: &mut StdRng, village: &str, today: NaiveDate) -> Vec<Edit> {
    let mut households: Vec<RelocationRow> = (1..=36)
        .map(|i| {
            let full = people::id_number(rng, today);
            RelocationRow {
                household_id: format!("HK-{i:03}"),
                head_name: people::name(rng),
                id_masked: idcard::mask(&full),
                persons: rng.gen_range(1..7),
                detail: String::new(),
                compensation: Fen::ZERO,
            }
        })
        .collect();
    let mut out = Vec::new();
    for (round, (title, from, until)) in ROUNDS.iter().enumerate() {
        let round = round as u8 + 1;
        match round {
            1 => {
                for h in &mut households {
                    h.detail = "经村组核实，户籍及居住在淹没区范围内".into();
                }
            }
            2 => {
                // Objections to board 1 found three households not entitled.
                households
                    .retain(|h| !matches!(h.household_id.as_str(), "HK-007" | "HK-019" | "HK-028"));
                for h in &mut households {
                    let house_m2 = rng.gen_range(60..220);
                    let land_centimu = rng.gen_range(80..600);
                    h.detail = format!(
                        "砖混房屋{house_m2}㎡，耕地{}.{:02}亩",
                        land_centimu / 100,
                        land_centimu % 100
                    );
                    h.compensation =
                        Fen(i64::from(house_m2) * 68_000
                            + i64::from(land_centimu) * 3_200_000 / 100);
                }
            }
            _ => {
                for h in households
                    .iter_mut()
                    .filter(|h| h.household_id.ends_with('4'))
                {
                    h.persons += 1;
                    h.detail = format!("{}；新增人口1人（出生）", h.detail);
                }
            }
        }
        let board = RelocationBoard {
            village_name: village.into(),
            round,
            title: format!("{village}{title}"),
            posting_from: today + Duration::days(*from),
            posting_until: today + Duration::days(*until),
            objection_place: "柳湾乡移民工作站（乡政府院内东侧）".into(),
            objection_phone: "0398-6125066".into(),
            rows: households.clone(),
        };
        out.push(Edit::put(
            ContentKind::RelocationBoard,
            format!("relocation-{village}-{round}"),
            &board,
        ));
    }
    out
}
