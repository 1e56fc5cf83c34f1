//! Subsidy search on a large list against a `LIKE` scan of the same table.

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

use crate::{ms, percentile};

struct Row {
    what: String,
    p50: Duration,
    p95: Duration,
    base_p50: Duration,
    target: &'static str,
    met: bool,
}

/// Our p50 and p95, and the baseline scan's p50, from the timings of one figure.
fn figures(mut ours: Vec<Duration>, mut scan: Vec<Duration>) -> (Duration, Duration, Duration) {
    ours.sort();
    scan.sort();
    (
        percentile(&ours, 0.5),
        percentile(&ours, 0.95),
        percentile(&scan, 0.5),
    )
}

/// Runs the search benchmark on `rows` rows; returns its BENCHMARKS.md section.
pub fn run(rows: usize) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    eprintln!("building a {rows}-row subsidy list through the sync merge path…");
    let started = Instant::now();
    let (cache, data) = gongkai_tests::bigdata::subsidy_cache(tmp.path(), rows)?;
    let build = started.elapsed();
    let conn = rusqlite::Connection::open(tmp.path().join("cache.sqlite"))?;

    let mut rng = StdRng::seed_from_u64(1);
    let samples = 200;
    let mut results = Vec::new();
    type Pick = fn(&mut StdRng, &[(String, gongkai_model::SubsidyRow)]) -> (String, String);
    // (label, how to pick a query and the equivalent LIKE pattern on the same table)
    let kinds: [(&str, Pick); 3] = [
        ("name, two characters", |rng, data| {
            let name: Vec<char> = data[rng.gen_range(0..data.len())].1.name.chars().collect();
            let q: String = name[..2.min(name.len())].iter().collect();
            (
                q.clone(),
                format!("SELECT count(*) FROM subsidy_rows WHERE name LIKE '%{q}%'"),
            )
        }),
        ("pinyin initials", |rng, data| {
            let q = gongkai_model::names::initials(&data[rng.gen_range(0..data.len())].1.name);
            // Without the index the scan has to compute initials per row; LIKE on the
            // name is the cheapest scan there is, so the baseline flatters the scan.
            (
                q,
                "SELECT count(*) FROM subsidy_rows WHERE name LIKE '%x%'".to_string(),
            )
        }),
        ("ID tail (4)", |rng, data| {
            let id = &data[rng.gen_range(0..data.len())].1.id_masked;
            let q: String = id.chars().skip(id.chars().count() - 4).collect();
            (
                q.clone(),
                format!("SELECT count(*) FROM subsidy_rows WHERE id_masked LIKE '%{q}'"),
            )
        }),
    ];
    for (label, pick) in kinds {
        let mut ours = Vec::with_capacity(samples);
        let mut scan = Vec::with_capacity(samples / 10);
        for i in 0..samples {
            let (q, like) = pick(&mut rng, &data);
            let t = Instant::now();
            let _found = cache.search_subsidy("grain-big", &q, 0, 50)?;
            ours.push(t.elapsed());
            if i % 10 == 0 {
                let t = Instant::now();
                let _: i64 = conn
                    .query_row(&like, [], |r| r.get(0))
                    .context("baseline scan")?;
                scan.push(t.elapsed());
            }
        }
        let (p50, p95, base) = figures(ours, scan);
        let ratio = base.as_secs_f64() / p95.as_secs_f64().max(1e-9);
        results.push(Row {
            what: format!("search: {label}"),
            p50,
            p95,
            base_p50: base,
            target: "p95 ≤ 2 ms and ≥ 20× the scan",
            met: p95 <= Duration::from_millis(2) && ratio >= 20.0,
        });
    }

    results.push(my_subsidies(rows, samples)?);

    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let mut table = format!(
        "<!-- search:start -->\n### Subsidy search ({rows} rows, {date})\n\nBuilt the list through the sync merge path in {:.1} s. 查我的补贴 searches the same number of rows spread over 20 lists (one person on every list they are on, by whole name or initials plus ID tail). Baseline: a `LIKE` full scan of the same SQLite table in the same run (median of {} scans).\n\n| figure | ours p50 | ours p95 | baseline (scan) p50 | scan ÷ ours p95 | target | met |\n|---|---|---|---|---|---|---|\n",
        build.as_secs_f64(),
        samples / 10
    );
    for r in &results {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {:.0}× | {} | {} |\n",
            r.what,
            ms(r.p50),
            ms(r.p95),
            ms(r.base_p50),
            r.base_p50.as_secs_f64() / r.p95.as_secs_f64().max(1e-9),
            r.target,
            if r.met { "yes" } else { "no" }
        ));
    }
    table.push_str("<!-- search:end -->\n");
    Ok(table)
}

/// 查我的补贴: `rows` rows over 20 lists; a random person by whole name or initials plus
/// their ID tail, against a scan of the whole table for the same person.
fn my_subsidies(rows: usize, samples: usize) -> Result<Row> {
    let tmp = tempfile::tempdir()?;
    eprintln!("building {rows} rows over 20 lists…");
    let (cache, data) = gongkai_tests::bigdata::subsidy_lists_cache(tmp.path(), rows, 20)?;
    let conn = rusqlite::Connection::open(tmp.path().join("cache.sqlite"))?;
    let scopes = [gongkai_model::ScopeId::parse("419901102")?];
    let mut rng = StdRng::seed_from_u64(2);
    let (mut ours, mut scan) = (Vec::with_capacity(samples), Vec::new());
    for i in 0..samples {
        let person = &data[rng.gen_range(0..data.len())].1;
        let tail = gongkai_model::idcard::tail(&person.id_masked);
        let asked = if i % 2 == 0 {
            person.name.clone()
        } else {
            gongkai_model::names::initials(&person.name)
        };
        let t = Instant::now();
        let (hits, _) = cache.find_person(
            &scopes,
            "2026-12-03T00:00:00+00:00",
            &gongkai_model::names::classify(&asked),
            &tail,
        )?;
        ours.push(t.elapsed());
        anyhow::ensure!(!hits.is_empty(), "{asked} {tail} not found");
        if i % 10 == 0 {
            let t = Instant::now();
            let _: i64 = conn
                .query_row(
                    "SELECT count(*) FROM subsidy_rows WHERE id_masked LIKE ?1 AND name = ?2",
                    [format!("%{tail}"), person.name.clone()],
                    |r| r.get(0),
                )
                .context("baseline scan")?;
            scan.push(t.elapsed());
        }
    }
    let (p50, p95, base) = figures(ours, scan);
    Ok(Row {
        what: "查我的补贴: every list, name + ID tail".into(),
        p50,
        p95,
        base_p50: base,
        target: "p95 ≤ 2 ms",
        met: p95 <= Duration::from_millis(2),
    })
}
