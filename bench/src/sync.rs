//! Initial sync of a large scope (subsidy rows plus disclosure items) from a real server
//! on loopback into a kiosk cache, against a raw rusqlite bulk insert of the same rows in
//! one transaction; then incremental syncs of 1, 10 and 1,000 changes: bytes and time.

use anyhow::Result;
use chrono::NaiveDate;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::{idcard, ContentKind, Disclosure, Fen, ScopeId, SubsidyRow};
use gongkai_server::{Edit, SqliteStore, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

pub(crate) fn rows(n_subsidy: usize, n_disclosure: usize) -> Vec<Edit> {
    let mut rng = StdRng::seed_from_u64(8);
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default();
    let mut out = Vec::with_capacity(n_subsidy + n_disclosure);
    for i in 0..n_subsidy {
        let row = SubsidyRow {
            list_id: "grain-bench".into(),
            village_name: "石桥村".into(),
            name: gongkai_server::demo::people::name(&mut rng),
            id_masked: idcard::mask(&gongkai_server::demo::people::id_number(&mut rng, today)),
            household_size: rng.gen_range(1..7),
            area_centimu: Some(rng.gen_range(100..2000)),
            amount: Fen(rng.gen_range(1000..30000)),
        };
        out.push(Edit::put(
            ContentKind::SubsidyRow,
            format!("grain-bench-{i:07}"),
            &row,
        ));
    }
    for i in 0..n_disclosure {
        let d = Disclosure {
            index_no: format!("419901001/2026-{i:05}"),
            publisher: "云溪县人民政府办公室".into(),
            doc_no: String::new(),
            published_on: today,
            category: "政策法规".into(),
            title: format!("云溪县政务公开文件第{i}号"),
            body_html: "<p>为全面贯彻《中华人民共和国政府信息公开条例》，进一步深化政务公开。</p>"
                .into(),
            attachments: vec![],
        };
        out.push(Edit::put(
            ContentKind::Disclosure,
            format!("bench-d-{i:06}"),
            &d,
        ));
    }
    out
}

/// Bytes a kiosk at `since` downloads to catch up: one head and the change pages.
fn wire_bytes(base: &str, scope: &ScopeId, since: u64) -> Result<usize> {
    let head = reqwest::blocking::get(format!("{base}v1/scopes/{scope}/head"))?.bytes()?;
    let mut total = head.len();
    let mut cursor = since;
    loop {
        let body = reqwest::blocking::get(format!(
            "{base}v1/scopes/{scope}/changes?epoch=1&since={cursor}&limit=1000"
        ))?
        .bytes()?;
        total += body.len();
        let page: gongkai_protocol::ChangePage = serde_json::from_slice(&body)?;
        cursor = page.next;
        if !page.more {
            return Ok(total);
        }
    }
}

pub fn run(n_subsidy: usize, n_disclosure: usize) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    let data = gongkai_server::DataDir::new(tmp.path().join("server"));
    data.init()?;
    let scope = ScopeId::parse("419901102")?;
    let edits = rows(n_subsidy, n_disclosure);
    let total = edits.len();
    {
        let store = SqliteStore::open(&data.db_path())?;
        store.ensure_scope(&scope, "石桥镇")?;
        for chunk in edits.chunks(20_000) {
            store.publish(&scope, chunk)?;
        }
    }
    // Baseline: the same rows, bare, one transaction.
    let raw = rusqlite::Connection::open(tmp.path().join("raw.sqlite"))?;
    raw.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE items(kind TEXT, id TEXT, body TEXT, PRIMARY KEY(kind, id));")?;
    let t = Instant::now();
    {
        let tx = raw.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare("INSERT INTO items(kind, id, body) VALUES (?1, ?2, ?3)")?;
            for e in &edits {
                stmt.execute(rusqlite::params![e.kind.key(), e.id, e.body])?;
            }
        }
        tx.commit()?;
    }
    let raw_secs = t.elapsed().as_secs_f64();
    drop(edits);

    let server = gongkai_tests::TestServer::start(data, "127.0.0.1:0".parse()?)?;
    let config_text =
        gongkai_tests::kiosk_config_text(&server.url(), &server.public_key_b64()?, None).replace(
            "village = \"419901102201\"\nvillage_name = \"石桥村\"\n",
            "",
        );
    let kiosk = Kiosk::open(
        KioskConfig::parse(&config_text, "bench")?,
        &tmp.path().join("kiosk"),
    )?;
    // Watched from another thread, as a resident at the screen would see it: when the
    // rows are shown (the merge committed) and when name search is indexed.
    let t = Instant::now();
    let (visible_secs, indexed_secs) = std::thread::scope(|sc| -> Result<(f64, f64)> {
        let watcher = sc.spawn(|| -> Result<(f64, f64)> {
            let mut visible = None;
            loop {
                if visible.is_none() && kiosk.cache().scope_state(&scope)?.is_some() {
                    visible = Some(t.elapsed().as_secs_f64());
                }
                if let Some(v) = visible {
                    if !kiosk.cache().index_pending()? {
                        return Ok((v, t.elapsed().as_secs_f64()));
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        });
        let _ = kiosk.sync_once(chrono::Utc::now()); // the county scope does not exist here
        watcher
            .join()
            .map_err(|_| anyhow::anyhow!("the watcher panicked"))?
    })?;
    let ours_rate = total as f64 / visible_secs;
    let raw_rate = total as f64 / raw_secs;

    let mut incremental = String::new();
    let store = server.store()?;
    for n in [1usize, 10, 1000] {
        let before = kiosk.cache().scope_state(&scope)?.map_or(0, |s| s.seq);
        let changes: Vec<Edit> = rows(n, 0)
            .into_iter()
            .enumerate()
            .map(|(i, mut e)| {
                e.id = format!("grain-bench-{:07}", i * 7);
                e.body = e.body.map(|b| b.replace("石桥村", "杨庄村"));
                e
            })
            .collect();
        store.publish(&scope, &changes)?;
        let bytes = wire_bytes(&server.url(), &scope, before)?;
        let t = Instant::now();
        let _ = kiosk.sync_once(chrono::Utc::now());
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        incremental.push_str(&format!(
            "| {n} changed row(s) | {bytes} B ({:.0} B per change) | {ms:.1} ms |\n",
            bytes as f64 / n as f64
        ));
    }
    let ratio = ours_rate / raw_rate;
    Ok(format!(
        "<!-- sync:start -->\n### Sync ({n_subsidy} subsidy rows + {n_disclosure} disclosure items, {date})\n\nServer and kiosk engine on loopback: pages fetched, verified, staged, merged against the signed state hash, the subsidy search index built. Baseline: a raw rusqlite insert of the same rows in one transaction, same run.\n\n| figure | ours | baseline | ours ÷ baseline | target | met |\n|---|---|---|---|---|---|\n| initial sync, rows shown per second (start to merge committed) | {ours_rate:.0} | {raw_rate:.0} | {:.0} % | ≥ 50 % | {} |\n| …then name search indexed | {indexed_secs:.1} s after the start ({:.1} s after the rows were shown) | | | | |\n\n\
Rows are shown before their name index is built when a snapshot brings more than {} subsidy rows (`cache/subsidy.rs`): the merge writes items and rows (ID tails indexed, so 查我的补贴 works at once), and the grams and pinyin initials — most of the writes — follow in their own transaction while the screen says 名单索引建立中 and name searches scan the list, with the same answers (`tests/search.rs`). The figure runs from the first request to the committed merge: the server building its pages on the same two cores, the transfer, verifying every page, staging and merging.\n\n| incremental sync | on the wire (head + pages) | time |\n|---|---|---|\n{incremental}\nTarget: cost grows with the change, not the scope; one change < 4 KB including the checkpoint.\n<!-- sync:end -->\n",
        ratio * 100.0,
        if ratio >= 0.5 { "yes" } else { "no" },
        indexed_secs - visible_secs,
        gongkai_kiosk::cache::INLINE_INDEX_MAX_ROWS,
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
    ))
}
