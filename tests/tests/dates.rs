//! Every date works: the demo county is generated, checked as a publish would check it,
//! and looks right (a statement for each of the last twelve months, the third 三榜 board
//! open today, current notices unexpired) on each month's first and last day from 2025
//! to 2028, every day of December 2026 and January 2027, 春节 2027 and 2028-02-29.
//! `GONGKAI_EVERY_DAY=1` checks every day from 2025-01-01 to 2028-12-31 (the long mode).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Datelike, Duration, NaiveDate};
use gongkai_model::{ContentKind, Disclosure, FinanceStatement, Notice, RelocationBoard};
use gongkai_server::demo;
use gongkai_server::{Clock, SqliteStore, Store};
use gongkai_store::blobs::BlobStore;
use gongkai_store::publish::prepare;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn dates() -> Vec<NaiveDate> {
    let (first, last) = (d(2025, 1, 1), d(2028, 12, 31));
    let mut out = Vec::new();
    let every_day = std::env::var("GONGKAI_EVERY_DAY").is_ok_and(|v| v == "1");
    let mut day = first;
    while day <= last {
        let month_edge = day.day() == 1 || (day + Duration::days(1)).day() == 1;
        let studied = (day >= d(2026, 12, 1) && day <= d(2027, 1, 31))
            || (day >= d(2027, 2, 4) && day <= d(2027, 2, 14)) // 春节 2027 and around
            || day == d(2028, 2, 29);
        if every_day || month_edge || studied {
            out.push(day);
        }
        day += Duration::days(1);
    }
    out
}

fn body<T: serde::de::DeserializeOwned>(e: &gongkai_server::Edit) -> T {
    serde_json::from_str(e.body.as_deref().unwrap()).unwrap()
}

/// Generates the county at `today` and checks it; returns what looks wrong.
fn check_day(today: NaiveDate, blobs: &BlobStore) -> Vec<String> {
    let mut wrong = Vec::new();
    let (scopes, summary) = match demo::content(today, blobs) {
        Ok(c) => c,
        Err(e) => return vec![format!("{today}: not generated: {e}")],
    };
    let now = Clock::fixed_on(today).now();
    let months: Vec<String> = (1..=12)
        .rev()
        .map(|back| {
            let m = today.year() * 12 + today.month0() as i32 - back;
            format!("{:04}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1)
        })
        .collect();
    for s in &scopes {
        let mut periods = Vec::new();
        for batch in &s.batches {
            if let Err(e) = prepare(batch) {
                wrong.push(format!("{today} {}: refused: {e}", s.name));
            }
            for e in batch {
                match e.kind {
                    ContentKind::Finance => periods.push(body::<FinanceStatement>(e).period),
                    ContentKind::RelocationBoard => {
                        let b: RelocationBoard = body(e);
                        let open = b.posting_from <= today && today <= b.posting_until;
                        if open != (b.round == 3) || b.posting_from > b.posting_until {
                            wrong.push(format!(
                                "{today}: board {} posted {}..{}",
                                b.round, b.posting_from, b.posting_until
                            ));
                        }
                    }
                    ContentKind::Notice => {
                        let n: Notice = body(e);
                        if n.publish_at > now {
                            wrong.push(format!("{today}: notice “{}” from the future", n.title));
                        }
                    }
                    ContentKind::Disclosure => {
                        let x: Disclosure = body(e);
                        let year = x.published_on.year().to_string();
                        if x.published_on > today
                            || !(x.doc_no.is_empty() || x.doc_no.contains(&year))
                        {
                            wrong.push(format!("{today}: {} dated {}", x.doc_no, x.published_on));
                        }
                    }
                    _ => {}
                }
            }
        }
        let village = s.scope.level() == gongkai_model::ScopeLevel::Village;
        if village && periods != months {
            wrong.push(format!("{today} {}: statements for {periods:?}", s.name));
        }
    }
    // Most notices are current on any day: a kiosk's 通知公告 is never empty.
    let current = scopes
        .iter()
        .flat_map(|s| s.batches.iter().flatten())
        .filter(|e| e.kind == ContentKind::Notice)
        .filter(|e| body::<Notice>(e).expire_at.is_none_or(|x| x > now))
        .count();
    if current * 4 < summary.notices * 3 {
        wrong.push(format!(
            "{today}: only {current} of {} notices current",
            summary.notices
        ));
    }
    wrong
}

#[test]
fn the_demo_county_is_right_on_every_studied_date() {
    let dates = dates();
    // Voucher photos are new on every date and each is synced to disk: in memory where
    // the machine has a tmpfs, so the test measures generation, not the disk.
    let shm = std::path::Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let blobs = BlobStore::new(tmp.path().join("blobs"));
    // Two threads: the 2-core CI machine, and the PDF renderer is a separate process.
    let (a, b) = dates.split_at(dates.len() / 2);
    let wrong: Vec<String> = std::thread::scope(|s| {
        let ha = s.spawn(|| {
            a.iter()
                .flat_map(|t| check_day(*t, &blobs))
                .collect::<Vec<_>>()
        });
        let hb = s.spawn(|| {
            b.iter()
                .flat_map(|t| check_day(*t, &blobs))
                .collect::<Vec<_>>()
        });
        let mut w = ha.join().unwrap();
        w.extend(hb.join().unwrap());
        w
    });
    assert!(
        wrong.is_empty(),
        "{} dates checked:\n{}",
        dates.len(),
        wrong.join("\n")
    );
    assert!(dates.len() > 150, "{}", dates.len());
}

#[test]
fn the_demo_county_builds_into_a_store_at_year_end_and_on_leap_day() {
    for today in [
        d(2026, 12, 3),
        d(2026, 12, 31),
        d(2027, 1, 1),
        d(2028, 2, 29),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&tmp.path().join("s.sqlite")).unwrap();
        let blobs = BlobStore::new(tmp.path().join("blobs"));
        let clock = Clock::fixed_on(today);
        let summary =
            demo::build(&store, &blobs, clock.now()).unwrap_or_else(|e| panic!("{today}: {e}"));
        assert_eq!(summary.finance_statements, 6 * 12, "{today}");
        demo::accounts(&store).unwrap();
        demo::console_samples(&store, clock.now()).unwrap();
        assert_eq!(store.heads().unwrap().len(), summary.scopes, "{today}");
    }
}
