//! Bytes on the wire for a village kiosk: its first sync (the combined poll, then every
//! change page of village, township and county) and a day's typical updates, as JSON and
//! as sent when the kiosk accepts gzip or zstd — against the demo county, and again with a
//! 10⁵-row subsidy list published county-wide. Photos and other blobs are left out (they
//! are JPEG already and are never compressed).

use anyhow::{Context, Result};
use gongkai_model::{ContentKind, Fen, Notice, ScopeId, SubsidyRow};
use gongkai_server::signer::Signer;
use gongkai_server::{router, AppState, Edit, SqliteStore, Store};
use gongkai_store::blobs::BlobStore;
use std::sync::Arc;

const VILLAGE: &str = "419901102201";
const FIRST_SYNC_TARGET: f64 = 5.0e6;
const DAY_TARGET: f64 = 100.0e3;

/// Bytes of one walk, as sent with each `Accept-Encoding`.
struct Walk {
    requests: usize,
    identity: u64,
    gzip: u64,
    zstd: u64,
}

impl Walk {
    fn row(&self, what: &str, target: f64) -> String {
        let kb = |b: u64| format!("{:.1} KB", b as f64 / 1000.0);
        format!(
            "| {what} | {} | {} | {} ({:.0} %) | {} ({:.0} %) | ≤ {} | {} |",
            self.requests,
            kb(self.identity),
            kb(self.gzip),
            self.gzip as f64 / self.identity.max(1) as f64 * 100.0,
            kb(self.zstd),
            self.zstd as f64 / self.identity.max(1) as f64 * 100.0,
            kb(target as u64),
            if (self.zstd as f64) <= target {
                "yes"
            } else {
                "no"
            },
        )
    }
}

/// The URLs a village kiosk asks from `since` (per scope; all zero for a first sync):
/// the combined poll and every change page, found by walking them as JSON.
fn urls(http: &reqwest::blocking::Client, base: &str, since: &[u64]) -> Result<Vec<String>> {
    let chain = ScopeId::parse(VILLAGE)?.chain();
    let codes: Vec<&str> = chain.iter().map(ScopeId::as_str).collect();
    let mut out = vec![format!("{base}/v1/heads?scopes={}", codes.join(","))];
    for (scope, from) in chain.iter().zip(since) {
        let mut cursor = *from;
        loop {
            let url = format!("{base}/v1/scopes/{scope}/changes?epoch=1&since={cursor}&limit=1000");
            let page: gongkai_protocol::ChangePage = http
                .get(&url)
                .header("accept-encoding", "identity")
                .send()?
                .error_for_status()?
                .json()?;
            out.push(url);
            cursor = page.next;
            if !page.more {
                break;
            }
        }
    }
    Ok(out)
}

/// What the same URLs weigh with each encoding.
fn weigh(http: &reqwest::blocking::Client, urls: &[String]) -> Result<Walk> {
    let bytes = |enc: &str| -> Result<u64> {
        let mut total = 0;
        for url in urls {
            let r = http.get(url).header("accept-encoding", enc).send()?;
            total += r.bytes()?.len() as u64;
        }
        Ok(total)
    };
    Ok(Walk {
        requests: urls.len(),
        identity: bytes("identity")?,
        gzip: bytes("gzip")?,
        zstd: bytes("zstd")?,
    })
}

fn seqs(store: &SqliteStore) -> Result<Vec<u64>> {
    ScopeId::parse(VILLAGE)?
        .chain()
        .iter()
        .map(|s| Ok(store.head(s)?.seq))
        .collect()
}

fn notice(title: &str, by: &str) -> Notice {
    Notice {
        title: title.into(),
        publisher: by.into(),
        body_html: format!("<p>{title}：请各位村民相互转告，按时参加。具体安排见村务公开栏，联系电话见本通知末尾。</p>"),
        publish_at: chrono::Utc::now(),
        expire_at: None,
        images: Vec::new(),
    }
}

/// A typical day: notices in the village, township and county, one withdrawn, and 50
/// rows of a subsidy list corrected (their amounts change every day).
fn a_day(store: &SqliteStore, day: u32) -> Result<()> {
    let chain = ScopeId::parse(VILLAGE)?.chain();
    let (village, township, county) = (&chain[0], &chain[1], &chain[2]);
    for (scope, n, by) in [
        (village, 3, "石桥村村民委员会"),
        (township, 1, "石桥镇人民政府"),
        (county, 2, "云溪县人民政府办公室"),
    ] {
        let edits: Vec<Edit> = (0..n)
            .map(|i| {
                Edit::put(
                    ContentKind::Notice,
                    format!("day{day}-{i}"),
                    &notice(&format!("第{day}天通知{i}：冬季防火安全检查"), by),
                )
            })
            .collect();
        store.publish(scope, &edits)?;
    }
    store.publish(village, &[Edit::delete(ContentKind::Notice, "notice-1")])?;
    let fixes: Vec<Edit> = (0..50)
        .map(|i| {
            let row = SubsidyRow {
                list_id: "grain-fix".into(),
                village_name: "石桥村".into(),
                name: format!("更正户{i}"),
                id_masked: "4199**********123X".into(),
                household_size: 4,
                area_centimu: Some(850),
                amount: Fen(10_000 + i64::from(day) * 100 + i),
            };
            Edit::put(ContentKind::SubsidyRow, format!("grain-fix-{i:03}"), &row)
        })
        .collect();
    store.publish(county, &fixes)?;
    Ok(())
}

pub fn run(county_rows: usize) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    let data = gongkai_tests::demo_data(tmp.path())?;
    let store = Arc::new(SqliteStore::open(&data.db_path())?);
    let state = AppState::new(
        store.clone(),
        BlobStore::new(data.blob_dir()),
        Signer::new(data.load_key()?, 24 * 3600),
    );
    let addr = crate::poll::serve_on_one_core(router(state))?;
    let base = format!("http://{addr}");
    // Sees the bytes as sent: no decompression on this side.
    let http = reqwest::blocking::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()?;

    let first = weigh(&http, &urls(&http, &base, &[0, 0, 0])?)?;
    let before = seqs(&store)?;
    a_day(&store, 1)?;
    let day = weigh(&http, &urls(&http, &base, &before)?)?;

    // The county publishes a 10⁵-row list.
    let county = ScopeId::parse(VILLAGE)?.chain()[2].clone();
    for chunk in crate::sync::rows(county_rows, 0).chunks(20_000) {
        store
            .publish(&county, chunk)
            .context("publishing the county list")?;
    }
    let big = weigh(&http, &urls(&http, &base, &[0, 0, 0])?)?;
    let before = seqs(&store)?;
    a_day(&store, 2)?;
    let big_day = weigh(&http, &urls(&http, &base, &before)?)?;

    Ok(format!(
        "<!-- wire:start -->\n### Bytes on the wire for a village kiosk ({date})\n\n\
The demo village 石桥村 (village, township and county scopes): the combined poll and every change page from the start (first sync), and from where it was after a typical day (three village notices, one township and two county notices, one withdrawn, and 50 rows of a county subsidy list corrected). Each walk is fetched three times, as JSON (`identity`), gzip and zstd, the bytes of the bodies as sent counted on a client that does not decompress. Blobs (photos, PDF pages) are not in these figures: they are JPEG, sent as they are. Targets are for zstd, which the kiosk asks for first.\n\n\
| walk | requests | JSON | gzip | zstd | target | met |\n|---|---|---|---|---|---|---|\n\
{}\n{}\n{}\n{}\n\n\
Signatures cover the JSON itself: the kiosk verifies each page after its HTTP client has decompressed it (`tests/sync.rs` checks a zstd and a gzip page decompress to the very bytes signed).\n<!-- wire:end -->\n",
        first.row("first sync, demo county", FIRST_SYNC_TARGET),
        day.row("a day's updates, demo county", DAY_TARGET),
        big.row(&format!("first sync, with a {county_rows}-row county subsidy list"), FIRST_SYNC_TARGET),
        big_day.row(&format!("a day's updates, with the {county_rows}-row list"), DAY_TARGET),
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
    ))
}
