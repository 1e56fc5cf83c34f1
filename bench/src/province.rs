//! Province scale: polls per second and publish throughput with one and with three server
//! instances on PostgreSQL, against the SQLite single instance, in the same run.
//!
//! Instances are in-process (each its own `PgStore`: its own connection pool, head cache
//! and LISTEN connection, as separate processes would have) and served on one core each.
//! The poll load spreads its requests over the instances round-robin, as the balancer
//! would, without measuring the balancer itself. Publishers are threads, each an office
//! posting one notice at a time to its own village, spread over the instances' stores.

use crate::wrk::{self, Load};
use anyhow::{Context, Result};
use gongkai_model::{ContentKind, Notice, ScopeId};
use gongkai_server::signer::Signer;
use gongkai_server::{router, AppState, SqliteStore, Store};
use gongkai_store::blobs::BlobStore;
use gongkai_store::pg::{self, PgStore};
use gongkai_store::sql::PgConn;
use gongkai_store::Edit;
use gongkai_tests::pg::TestPostgres;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PUBLISHERS: usize = 8;
const VILLAGES: [&str; 4] = [
    "419901102201",
    "419901101201",
    "419901201202",
    "419901102202",
];

fn state(
    store: Arc<dyn Store>,
    blobs: BlobStore,
    data: &gongkai_server::DataDir,
) -> Result<AppState> {
    Ok(AppState::new(
        store,
        blobs,
        Signer::new(data.load_key()?, 24 * 3600),
    ))
}

/// The ETag a poller holds for the village's head at `url`.
fn etag(url: &str) -> Result<String> {
    Ok(reqwest::blocking::get(url)?
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string())
}

/// 304 answers from wrk on the loader core, spread over `urls` (one wrk per instance, as
/// the balancer would spread kiosks), with this process — every instance in it — pinned to
/// the server core meanwhile.
fn polls(urls: &[String], etag: &str, secs: u64) -> Result<Load> {
    let _pinned = wrk::PinSelf::to_server_core()?;
    wrk::run(urls, Some(&format!("If-None-Match: {etag}")), secs)
}

/// Operations per second from [`PUBLISHERS`] threads running `op(thread, n)` over and
/// over for `secs` seconds.
fn per_second(secs: u64, op: impl Fn(usize, u64) -> Result<()> + Sync) -> Result<f64> {
    let done = AtomicU64::new(0);
    let until = Instant::now() + Duration::from_secs(secs);
    std::thread::scope(|sc| -> Result<()> {
        let workers: Vec<_> = (0..PUBLISHERS)
            .map(|t| {
                let (done, op) = (&done, &op);
                sc.spawn(move || -> Result<()> {
                    let mut n = 0;
                    while Instant::now() < until {
                        op(t, n)?;
                        done.fetch_add(1, Ordering::Relaxed);
                        n += 1;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
        }
        Ok(())
    })?;
    Ok(done.load(Ordering::Relaxed) as f64 / secs as f64)
}

/// Publishes per second, thread `t` an office of its own village using `stores[t % n]`.
fn publishes(stores: &[Arc<dyn Store>], secs: u64, tag: &str) -> Result<f64> {
    per_second(secs, |t, n| {
        let scope = ScopeId::parse(VILLAGES[t % VILLAGES.len()])?;
        let notice = Notice {
            title: format!("压力测试通知 {tag}-{t}-{n}"),
            publisher: "村民委员会".into(),
            body_html: format!("<p>第{n}条</p>"),
            publish_at: chrono::Utc::now(),
            expire_at: None,
            images: Vec::new(),
        };
        let id = format!("bench-{tag}-{t}-{n}");
        stores[t % stores.len()].publish(&scope, &[Edit::put(ContentKind::Notice, id, &notice)])?;
        Ok(())
    })
}

/// The ceiling a PostgreSQL server gives on this machine: single-row INSERT commits per
/// second from the same number of connections, no reads, no locks.
fn raw_pg_commits(url: &str, secs: u64) -> Result<f64> {
    let mut c = PgConn::connect(url)?;
    c.client
        .batch_execute("CREATE TABLE IF NOT EXISTS bench_raw (k BIGINT, v TEXT)")?;
    let clients = (0..PUBLISHERS)
        .map(|_| {
            let mut c = postgres::Client::connect(url, postgres::NoTls)?;
            let stmt = c.prepare("INSERT INTO bench_raw(k, v) VALUES ($1, $2)")?;
            Ok(std::sync::Mutex::new((c, stmt)))
        })
        .collect::<Result<Vec<_>>>()?;
    per_second(secs, |t, n| {
        // Each thread has its own connection: the lock is never contended.
        let mut guard = clients[t].lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let (c, stmt) = &mut *guard;
        c.execute(&*stmt, &[&(n as i64), &format!("{t}-{n}")])?;
        Ok(())
    })
}

pub fn run(secs: u64) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    let data = gongkai_tests::demo_data(tmp.path())?;
    // The same county in PostgreSQL (the demo moved in, as a province would move counties).
    let server = TestPostgres::start().context("PostgreSQL (scripts/setup.sh installs it)")?;
    let url = server.database("bench")?;
    {
        let sqlite = SqliteStore::open(&data.db_path())?;
        let mut conn = PgConn::connect(&url)?;
        pg::migrate_from_sqlite(&sqlite, &data.db_path(), &data.blob_dir(), &mut conn)?;
    }
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(&data.db_path())?);
    let pgs: Vec<Arc<PgStore>> = (0..3)
        .map(|_| PgStore::open(&url, 8).map(Arc::new))
        .collect::<Result<_, _>>()?;
    // Each instance must hear the others' commits before it caches heads.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pgs.iter().all(|p| p.listening()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let serve = |store: Arc<dyn Store>, blobs: BlobStore| -> Result<String> {
        let addr = crate::poll::serve_on_one_core(router(state(store, blobs, &data)?))?;
        Ok(format!("http://{addr}/v1/scopes/419901102201/head"))
    };
    let sqlite_url = serve(sqlite.clone(), BlobStore::new(data.blob_dir()))?;
    let pg_urls: Vec<String> = pgs
        .iter()
        .map(|p| serve(p.clone(), BlobStore::in_postgres(p.clone())))
        .collect::<Result<_>>()?;
    let tag = etag(&sqlite_url)?;
    anyhow::ensure!(
        pg_urls
            .iter()
            .all(|u| etag(u).ok().as_deref() == Some(tag.as_str())),
        "the same county must give the same signed head from every instance"
    );

    wrk::available()?;
    let poll_sqlite = polls(std::slice::from_ref(&sqlite_url), &tag, secs)?;
    let poll_pg1 = polls(&pg_urls[..1], &tag, secs)?;
    let poll_pg3 = polls(&pg_urls, &tag, secs)?;

    let pub_sqlite = publishes(std::slice::from_ref(&sqlite), secs, "s")?;
    let pg_stores: Vec<Arc<dyn Store>> = pgs.iter().map(|p| p.clone() as Arc<dyn Store>).collect();
    let pub_pg1 = publishes(&pg_stores[..1], secs, "p1")?;
    let pub_pg3 = publishes(&pg_stores, secs, "p3")?;
    let raw = raw_pg_commits(&url, secs)?;

    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let pct = |a: f64, b: f64| a / b.max(1e-9) * 100.0;
    Ok(format!(
        "<!-- province:start -->\n### Province scale: PostgreSQL, one and three instances ({secs} s per figure, {date}, {cores} cores)\n\n\
The demo county moved into a throwaway PostgreSQL server (Debian's, `fsync=off`) with `migrate-to-postgres`'s code. Each instance is its own `PgStore` (pool of 8, head cache, LISTEN connection) served in this process, which is pinned to core 0 while polls run; polls are `head` with a matching `If-None-Match` from `wrk` pinned to core 1 (one wrk per instance, the 64 connections shared out — what haproxy does, without measuring haproxy); the loader's ceiling is in the polling section above. Publishes: {PUBLISHERS} offices at once, one notice per publish, each to its own village, spread over the instances' stores. Baseline: the SQLite single instance, same run; and PostgreSQL's own single-row INSERT commits from {PUBLISHERS} connections as its ceiling.\n\n\
| figure | SQLite, 1 instance | PostgreSQL, 1 instance | PostgreSQL, 3 instances | 3 PG ÷ SQLite |\n|---|---|---|---|---|\n\
| head polls per second (304) | {:.0} | {:.0} | {:.0} | {:.0} % |\n\
| p99 of those polls | {:.2} ms | {:.2} ms | {:.2} ms | |\n\
| publishes per second | {pub_sqlite:.0} | {pub_pg1:.0} | {pub_pg3:.0} | {:.0} % |\n\n\
Ceiling: PostgreSQL commits {raw:.0} single-row INSERTs per second from {PUBLISHERS} connections on this machine; one publishing instance reaches {:.1} % of that. A one-notice publish is eight round trips on the synchronous client (begin; the scope's row lock; the item before; the item after; the head with its notification; then the change-log tail lock; all the entries with the new tail in one statement; commit): only the last three hold the province-wide tail lock, so offices publishing to different villages overlap in everything else.\n\n\
How to read it. Polls on PostgreSQL are answered from each instance's head cache (emptied by a NOTIFY at every commit), so an unchanged county costs no database read and each instance adds a core of polling: on a machine with more cores than this one, three instances poll about three times what one does. Here all three share the one server core (the loader has the other), which is why their p99 is far above one instance's: three runtimes, pools and LISTEN threads take turns on one core. Publishes are serial across the whole province by design — every publish appends to the one hash-chained public change log, whose tail row it locks — so more instances do not publish faster; they keep publishing while one of them is down. What limits a province is that chain, not the number of instances — and at the rate above it takes {:.1} million publishes an hour, far beyond hundreds of offices posting at once.\n<!-- province:end -->\n",
        poll_sqlite.rps,
        poll_pg1.rps,
        poll_pg3.rps,
        pct(poll_pg3.rps, poll_sqlite.rps),
        poll_sqlite.p99.as_secs_f64() * 1000.0,
        poll_pg1.p99.as_secs_f64() * 1000.0,
        poll_pg3.p99.as_secs_f64() * 1000.0,
        pct(pub_pg3, pub_sqlite),
        pct(pub_pg1, raw),
        pub_pg3 * 3600.0 / 1e6,
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
    ))
}
