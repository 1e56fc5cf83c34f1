//! Subsidy search on a million-row list, checked against a brute-force scan of the same
//! rows: parts of names (two-character names included), pinyin initials with the surname
//! table, and ID tails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use gongkai_kiosk::cache::COUNT_CAP;
use gongkai_model::{names, SubsidyRow};
use std::collections::BTreeSet;

/// Rows in the big list; GONGKAI_SEARCH_ROWS makes it smaller for a quick local run.
fn row_count() -> usize {
    std::env::var("GONGKAI_SEARCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// What a query should find, as a brute-force test on one row.
type Predicate = Box<dyn Fn(&SubsidyRow) -> bool>;

#[test]
fn search_matches_a_brute_force_scan_on_a_million_rows() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let n = row_count();
    let (cache, rows) = gongkai_tests::bigdata::subsidy_cache(tmp.path(), n)?;
    let tail_of = |r: &SubsidyRow| gongkai_model::idcard::tail(&r.id_masked);
    let probe_tail = tail_of(&rows[n / 2].1);
    let queries: Vec<(String, Predicate)> = vec![
        (
            "王伟".into(),
            Box::new(|r: &SubsidyRow| r.name.contains("王伟")),
        ),
        (
            "伟".into(),
            Box::new(|r: &SubsidyRow| r.name.contains('伟')),
        ),
        (
            "建国".into(),
            Box::new(|r: &SubsidyRow| r.name.contains("建国")),
        ),
        (
            "单雪梅".into(),
            Box::new(|r: &SubsidyRow| r.name.contains("单雪梅")),
        ),
        (
            "sxm".into(),
            Box::new(|r: &SubsidyRow| {
                names::initials_variants(&r.name)
                    .iter()
                    .any(|v| v.starts_with("sxm"))
            }),
        ),
        (
            "zgq".into(),
            Box::new(|r: &SubsidyRow| {
                names::initials_variants(&r.name)
                    .iter()
                    .any(|v| v.starts_with("zgq"))
            }),
        ),
        (
            "xf".into(),
            Box::new(|r: &SubsidyRow| {
                names::initials_variants(&r.name)
                    .iter()
                    .any(|v| v.starts_with("xf"))
            }),
        ),
        (
            "oyf".into(),
            Box::new(|r: &SubsidyRow| {
                names::initials_variants(&r.name)
                    .iter()
                    .any(|v| v.starts_with("oyf"))
            }),
        ),
        (
            "zcs".into(),
            Box::new(|r: &SubsidyRow| {
                names::initials_variants(&r.name)
                    .iter()
                    .any(|v| v.starts_with("zcs"))
            }),
        ),
        (
            probe_tail.clone(),
            Box::new(move |r: &SubsidyRow| tail_of(r) == probe_tail),
        ),
    ];
    for (q, pred) in &queries {
        let expected: BTreeSet<&str> = rows
            .iter()
            .filter(|(_, r)| pred(r))
            .map(|(id, _)| id.as_str())
            .collect();
        let found = cache.search_subsidy("grain-big", q, 0, 500)?;
        if found.total_is_lower_bound {
            assert!(
                expected.len() as u64 > COUNT_CAP,
                "{q}: capped but only {}",
                expected.len()
            );
            assert_eq!(found.total, COUNT_CAP);
        } else {
            assert_eq!(found.total as usize, expected.len(), "count for {q}");
        }
        let got: BTreeSet<&str> = found.rows.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(got.len(), found.rows.len(), "{q}: a row twice");
        assert_eq!(got.len(), expected.len().min(500), "{q}: page size");
        assert!(got.is_subset(&expected), "{q}: rows that do not match");
        if !q.chars().all(|c| c.is_ascii_alphabetic()) {
            // Name and ID searches list matches in arrival order, here the id order.
            let first: BTreeSet<&str> = expected.iter().copied().take(500).collect();
            assert_eq!(got, first, "rows for {q}");
        }
        assert!(
            !expected.is_empty(),
            "{q} should find something in the test data"
        );
    }
    // The surname table matters: 单 is read "shan" as a surname, never "dan".
    let dan = cache.search_subsidy("grain-big", "dxm", 0, 500)?.rows;
    assert!(
        dan.iter().all(|f| !f.row.name.starts_with('单')),
        "单 read as dan"
    );
    let shan = cache.search_subsidy("grain-big", "sxm", 0, 500)?.rows;
    assert!(shan.iter().any(|f| f.row.name == "单雪梅"));
    // Paging deep into the list by offset returns the right rows.
    let all = cache.search_subsidy("grain-big", "", (n - 3) as u32, 10)?;
    let page = all.rows;
    assert_eq!(all.total as usize, n);
    assert_eq!(
        page.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        rows[n - 3..]
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
    );
    Ok(())
}

/// 查我的补贴 over 20 lists, against a brute-force scan: a person (whole name or its
/// initials, plus the ID tail) is found on every list they are on, and nobody else is.
#[test]
fn one_search_across_every_list_finds_a_person_everywhere_and_nobody_else() -> Result<()> {
    use gongkai_model::names::{classify, NameQuery};
    let tmp = tempfile::tempdir()?;
    let n = (row_count() / 10).max(2_000);
    let (cache, rows) = gongkai_tests::bigdata::subsidy_lists_cache(tmp.path(), n, 20)?;
    let scopes = [gongkai_model::ScopeId::parse("419901102")?];
    let now = "2026-12-03T00:00:00+00:00";
    let tail_of = |r: &SubsidyRow| gongkai_model::idcard::tail(&r.id_masked);
    // Row 20 repeats the person of row 19 on another list.
    let mut several = false;
    for probe in [19usize, 20, 777, n / 2, n - 1] {
        let person = &rows[probe].1;
        let tail = tail_of(person);
        let initials = names::initials(&person.name);
        for asked in [person.name.clone(), initials.clone()] {
            let (hits, searched) = cache.find_person(&scopes, now, &classify(&asked), &tail)?;
            assert_eq!(searched, 20);
            let found: BTreeSet<(String, String)> = hits
                .iter()
                .map(|h| (h.found.row.list_id.clone(), h.found.id.clone()))
                .collect();
            let expected: BTreeSet<(String, String)> = rows
                .iter()
                .filter(|(_, r)| tail_of(r) == tail)
                .filter(|(_, r)| match classify(&asked) {
                    NameQuery::Name(n) => r.name == n,
                    NameQuery::Initials(i) => names::initials_variants(&r.name).contains(&i),
                    _ => false,
                })
                .map(|(id, r)| (r.list_id.clone(), id.clone()))
                .collect();
            assert_eq!(found, expected, "{asked} {tail}");
            assert!(found.iter().any(|(_, id)| *id == rows[probe].0));
            if probe == 20 {
                let lists: BTreeSet<&String> = found.iter().map(|(l, _)| l).collect();
                several = lists.len() >= 2;
            }
        }
    }
    assert!(several, "the person on two lists was found on both");
    // Part of a name, or a shorter tail: nothing, whoever has that surname.
    let person = &rows[777].1;
    let surname: String = person.name.chars().take(1).collect();
    let (hits, _) = cache.find_person(&scopes, now, &classify(&surname), &tail_of(person))?;
    assert!(hits.iter().all(|h| h.found.row.name == surname), "{hits:?}");
    let short: String = tail_of(person).chars().skip(1).collect();
    let (hits, _) = cache.find_person(&scopes, now, &classify(&person.name), &short)?;
    assert!(hits.is_empty());
    Ok(())
}

/// A first sync with a large list shows its rows before their name index exists; until
/// the index is built every search by name or initials scans the list and answers exactly
/// what the index answers afterwards — the same rows, order and count, page by page.
#[test]
fn a_large_list_is_shown_before_its_name_index_and_searches_alike() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let n = 20_000;
    // Two lists of 10,000 (with list items, which 查我的补贴 goes through).
    let (cache, rows) = gongkai_tests::bigdata::subsidy_lists_shown(tmp.path(), n, 2)?;
    assert!(
        cache.index_pending()?,
        "20,000 rows are indexed after the merge"
    );
    let mut queries: Vec<String> = gongkai_tests::bigdata::SPECIAL
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (_, r) in rows.iter().step_by(998).take(12) {
        let first: String = r.name.chars().take(1).collect();
        let two: String = r.name.chars().take(2).collect();
        let initials = names::initials_variants(&r.name)[0].clone();
        queries.extend([r.name.clone(), first, two, initials.clone()]);
        queries.push(initials.chars().take(2).collect());
        queries.push(initials.chars().take(1).collect());
    }
    queries.extend(["w".into(), "zh".into(), "伟".into(), "建国".into()]);
    let tail = gongkai_model::idcard::tail(&rows[n / 3].1.id_masked);
    queries.push(tail);
    let ask = |cache: &gongkai_kiosk::cache::Cache| -> Result<Vec<_>> {
        let mut out = Vec::new();
        for q in &queries {
            for offset in [0, 40] {
                out.push((
                    q.clone(),
                    offset,
                    cache.search_subsidy("list-00", q, offset, 60)?,
                ));
            }
        }
        Ok(out)
    };
    let scanned = ask(&cache)?;
    // 查我的补贴 goes by the ID tail, whose index is built with the rows: it works now.
    let someone = &rows[n / 2].1;
    let (hits, _) = cache.find_person(
        &[gongkai_model::ScopeId::parse("419901102")?],
        "2026-12-03",
        &names::classify(&someone.name),
        &gongkai_model::idcard::tail(&someone.id_masked),
    )?;
    assert!(hits.iter().any(|h| h.found.row == *someone), "{someone:?}");

    assert_eq!(cache.build_pending_index()?, n as u64);
    assert!(!cache.index_pending()?);
    let indexed = ask(&cache)?;
    for (a, b) in scanned.iter().zip(&indexed) {
        assert_eq!(a, b, "query {:?} at offset {}", a.0, a.1);
    }
    assert!(
        indexed.iter().filter(|(_, _, f)| f.total > 0).count() > queries.len(),
        "the queries should find rows"
    );
    Ok(())
}
