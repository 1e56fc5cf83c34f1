//! Large generated data sets for search tests and benchmarks.

use anyhow::Result;
use gongkai_kiosk::cache::{Cache, StagingState};
use gongkai_model::{idcard, ContentKind, Fen, ScopeId, SubsidyRow};
use gongkai_protocol::{
    item_hash, Change, ChangeOp, Checkpoint, SignedCheckpoint, SigningKey, StateHash,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Names that must be findable: a two-character name and surnames with special readings.
pub const SPECIAL: &[&str] = &[
    "王伟",
    "单雪梅",
    "曾国强",
    "解放",
    "仇德胜",
    "区永福",
    "查长顺",
    "朴春生",
    "欧阳明",
];

/// Builds a cache holding one township scope with one list of `n` rows, merged through
/// the same staging path a sync uses. Returns the rows as generated, for brute force.
pub fn subsidy_cache(
    dir: &std::path::Path,
    n: usize,
) -> Result<(Cache, Vec<(String, SubsidyRow)>)> {
    subsidy_lists_cache(dir, n, 1)
}

const PROGRAMMES: &[&str] = &[
    "粮食直补",
    "农机购置补贴",
    "农村低保",
    "特困供养",
    "残疾人两项补贴",
    "退耕还林补助",
    "生态公益林补偿",
    "高龄津贴",
];

/// Like [`subsidy_cache`], with the rows spread over `lists` lists (each with its list
/// item, as a county publishes them). With more than one list, every 20th row is the
/// person of the row before on another list, so one person is on several lists as in a
/// real village.
pub fn subsidy_lists_cache(
    dir: &std::path::Path,
    n: usize,
    lists: usize,
) -> Result<(Cache, Vec<(String, SubsidyRow)>)> {
    let (cache, rows) = subsidy_lists_shown(dir, n, lists)?;
    cache.build_pending_index()?;
    Ok((cache, rows))
}

/// [`subsidy_lists_cache`] as it stands right after the merge: the rows shown, the name
/// index of a list above `INLINE_INDEX_MAX_ROWS` not built yet.
pub fn subsidy_lists_shown(
    dir: &std::path::Path,
    n: usize,
    lists: usize,
) -> Result<(Cache, Vec<(String, SubsidyRow)>)> {
    let scope = ScopeId::parse("419901102")?;
    let cache = Cache::open(&dir.join("cache.sqlite"))?;
    cache.begin_staging(
        &scope,
        &StagingState {
            epoch: 1,
            base_seq: 0,
            cursor: 0,
            reset: true,
        },
    )?;
    let list_id = |k: usize| {
        if lists <= 1 {
            "grain-big".to_string()
        } else {
            format!("list-{k:02}")
        }
    };
    let mut pages = Pages {
        seq: 0,
        hash: StateHash::EMPTY,
        page: Vec::with_capacity(10_000),
    };
    if lists > 1 {
        for k in 0..lists {
            let list = gongkai_model::SubsidyList {
                programme: PROGRAMMES[k % PROGRAMMES.len()].into(),
                year: 2026,
                area_name: "石桥镇".into(),
                issuer: "石桥镇人民政府".into(),
                row_count: (n / lists) as u32,
                total: Fen(0),
                shown_in_full: false,
            };
            pages.put(
                ContentKind::SubsidyList,
                &list_id(k),
                serde_json::to_string(&list)?,
            );
        }
    }
    let mut rng = StdRng::seed_from_u64(7);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let mut rows: Vec<(String, SubsidyRow)> = Vec::with_capacity(n);
    for i in 0..n {
        let (name, id_masked) = match rows.last() {
            Some((_, before)) if lists > 1 && i % 20 == 0 => {
                (before.name.clone(), before.id_masked.clone())
            }
            _ => (
                if i % 50_000 < SPECIAL.len() {
                    SPECIAL[i % 50_000].to_string()
                } else {
                    gongkai_server::demo::people::name(&mut rng)
                },
                idcard::mask(&gongkai_server::demo::people::id_number(&mut rng, today)),
            ),
        };
        let row = SubsidyRow {
            list_id: list_id(i % lists.max(1)),
            village_name: "石桥村".into(),
            name,
            id_masked,
            household_size: rng.gen_range(1..7),
            area_centimu: Some(rng.gen_range(100..2000)),
            amount: Fen(rng.gen_range(1000..30000)),
        };
        let id = format!("{}-{i:07}", row.list_id);
        pages.put(ContentKind::SubsidyRow, &id, serde_json::to_string(&row)?);
        rows.push((id, row));
        if pages.page.len() >= 10_000 || i + 1 == n {
            cache.stage_page(&scope, &pages.page, pages.seq)?;
            pages.page.clear();
        }
    }
    let key = SigningKey::generate();
    let cp = SignedCheckpoint::sign(
        Checkpoint {
            scope,
            epoch: 1,
            seq: pages.seq,
            state_hash: pages.hash,
            item_count: pages.seq,
            issued_at: 0,
            expires_at: i64::MAX,
        },
        &key,
    );
    cache.merge_staged(&cp, None)?;
    Ok((cache, rows))
}

/// Change pages being written, with the running sequence number and state hash.
struct Pages {
    seq: u64,
    hash: StateHash,
    page: Vec<Change>,
}

impl Pages {
    fn put(&mut self, kind: ContentKind, id: &str, body: String) {
        self.seq += 1;
        self.hash.add(&item_hash(kind, id, &body));
        self.page.push(Change {
            seq: self.seq,
            kind,
            id: id.to_string(),
            op: ChangeOp::Put,
            body: Some(body),
        });
    }
}
