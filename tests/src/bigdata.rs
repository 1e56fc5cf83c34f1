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
    let mut rng = StdRng::seed_from_u64(7);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let mut rows = Vec::with_capacity(n);
    let mut hash = StateHash::EMPTY;
    let mut page = Vec::with_capacity(10_000);
    for i in 0..n {
        let name = if i % 50_000 < SPECIAL.len() {
            SPECIAL[i % 50_000].to_string()
        } else {
            gongkai_server::demo::people::name(&mut rng)
        };
        let row = SubsidyRow {
            list_id: "grain-big".into(),
            village_name: "石桥村".into(),
            name,
            id_masked: idcard::mask(&gongkai_server::demo::people::id_number(&mut rng, today)),
            household_size: rng.gen_range(1..7),
            area_centimu: Some(rng.gen_range(100..2000)),
            amount: Fen(rng.gen_range(1000..30000)),
        };
        let id = format!("grain-big-{i:07}");
        let body = serde_json::to_string(&row)?;
        hash.add(&item_hash(ContentKind::SubsidyRow, &id, &body));
        page.push(Change {
            seq: i as u64 + 1,
            kind: ContentKind::SubsidyRow,
            id: id.clone(),
            op: ChangeOp::Put,
            body: Some(body),
        });
        rows.push((id, row));
        if page.len() == 10_000 || i + 1 == n {
            cache.stage_page(&scope, &page, i as u64 + 1)?;
            page.clear();
        }
    }
    let key = SigningKey::generate();
    let cp = SignedCheckpoint::sign(
        Checkpoint {
            scope,
            epoch: 1,
            seq: n as u64,
            state_hash: hash,
            item_count: n as u64,
            issued_at: 0,
            expires_at: i64::MAX,
        },
        &key,
    );
    cache.merge_staged(&cp, None)?;
    Ok((cache, rows))
}
