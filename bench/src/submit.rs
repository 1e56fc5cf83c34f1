//! Filing at the kiosk: from "submit" to the durable outbox commit (synchronous=FULL),
//! against a bare SQLite insert of the same bytes with the same durability.

use crate::{ms, percentile};
use anyhow::Result;
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::complaint::ComplaintKind;
use std::time::{Duration, Instant};

pub fn run(n: usize) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    let key = gongkai_protocol::SigningKey::generate()
        .public()
        .to_base64();
    // Nothing listens there: submitting never needs the network.
    let config = KioskConfig::parse(
        &gongkai_tests::kiosk_config_text("http://127.0.0.1:9/", &key, None),
        "bench",
    )?;
    let kiosk = Kiosk::open(config, &tmp.path().join("kiosk"))?;
    let draft = ComplaintDraft {
        kind: ComplaintKind::Complaint,
        scope: String::new(),
        subject: "村道路灯".into(),
        text: "村东头到学校的路灯坏了两个月，晚上孩子放学不安全，请尽快维修。".into(),
        name: "王建国".into(),
        phone: "13937012345".into(),
        on_behalf: false,
    };
    let mut ours = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        kiosk.submit_complaint(&draft, chrono::Utc::now())?;
        ours.push(t.elapsed());
    }
    // Baseline: the same number of bytes, one durable transaction each, nothing else.
    let conn = rusqlite::Connection::open(tmp.path().join("bare.sqlite"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)", [])?;
    let payload = "x".repeat(900);
    let mut base = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        conn.execute("INSERT INTO t(v) VALUES (?1)", [&payload])?;
        base.push(t.elapsed());
    }
    ours.sort();
    base.sort();
    let (p50, p95) = (percentile(&ours, 0.5), percentile(&ours, 0.95));
    let (b50, b95) = (percentile(&base, 0.5), percentile(&base, 0.95));
    let ratio = p95.as_secs_f64() / b95.as_secs_f64().max(1e-9);
    Ok(format!(
        "<!-- submit:start -->\n### Complaint submit ({n} filings, {date})\n\nFrom `submit_complaint` to the outbox commit with synchronous=FULL (sealing the contact details included). Baseline: a bare SQLite insert of the same size with the same durability, same run.\n\n| figure | ours p50 | ours p95 | baseline p50 | baseline p95 | ours ÷ baseline (p95) | target | met |\n|---|---|---|---|---|---|---|---|\n| complaint submit → durable | {} | {} | {} | {} | {ratio:.1}× | p95 well under a tap (≤ 100 ms) | {} |\n<!-- submit:end -->\n",
        ms(p50),
        ms(p95),
        ms(b50),
        ms(b95),
        if p95 <= Duration::from_millis(100) { "yes" } else { "no" },
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
    ))
}
