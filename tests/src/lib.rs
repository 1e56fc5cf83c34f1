//! Test worlds: a real Gongkai server on a loopback port with its own data directory and
//! keys, kiosk configurations pointing at it, and a minimal W3C WebDriver client.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod bigdata;
pub mod console;
pub mod pg;
pub mod phone;
pub mod simkiosk;
pub mod webdriver;
pub mod xss;

use anyhow::Context;
use gongkai_kiosk::KioskConfig;
use gongkai_server::signer::Signer;
use gongkai_server::RateLimits;
use gongkai_server::{demo, router, AppState, DataDir, SqliteStore};
use gongkai_store::blobs::BlobStore;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::oneshot;

/// A server running on its own thread and runtime, on 127.0.0.1.
pub struct TestServer {
    pub data: DataDir,
    pub addr: SocketAddr,
    /// The store the server serves (SQLite or PostgreSQL), for setting up test worlds.
    store: Arc<dyn gongkai_server::Store>,
    /// The server's clock (enrollment tokens are issued on it).
    clock: gongkai_server::Clock,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Creates a data directory with the demo county under `root` and serves it on port 0.
    pub fn demo(root: &Path) -> anyhow::Result<TestServer> {
        TestServer::start(demo_data(root)?, "127.0.0.1:0".parse()?)
    }

    /// Serves an existing data directory at `addr` (port 0 for any).
    pub fn start(data: DataDir, addr: SocketAddr) -> anyhow::Result<TestServer> {
        TestServer::start_with_ttl(data, addr, 3600)
    }

    /// Serves with checkpoints valid for `ttl_secs` (short, to test expiry).
    pub fn start_with_ttl(
        data: DataDir,
        addr: SocketAddr,
        ttl_secs: i64,
    ) -> anyhow::Result<TestServer> {
        TestServer::start_with(data, addr, ttl_secs, RateLimits::default())
    }

    /// Serves with the given request rate limits (stress tests lift them).
    pub fn start_with(
        data: DataDir,
        addr: SocketAddr,
        ttl_secs: i64,
        rate: RateLimits,
    ) -> anyhow::Result<TestServer> {
        TestServer::start_fleet(data, addr, ttl_secs, rate, Default::default())
    }

    /// Creates the demo county as it stands at `clock`'s now and serves it with that
    /// clock: the whole server on a fixed date (year end, 春节, 2028-02-29).
    pub fn demo_at(root: &Path, clock: gongkai_server::Clock) -> anyhow::Result<TestServer> {
        TestServer::demo_with(root, clock, |s| s)
    }

    /// [`TestServer::demo_at`] with other settings: `adjust` gets the state `serve`
    /// would start with (e.g. the county's single-person takeover path).
    pub fn demo_with(
        root: &Path,
        clock: gongkai_server::Clock,
        adjust: impl FnOnce(AppState) -> AppState,
    ) -> anyhow::Result<TestServer> {
        let data = demo_data_at(root, clock.now())?;
        let store = SqliteStore::open(&data.db_path())?;
        let state = AppState {
            max_page: 500,
            clock,
            ..AppState::new(
                Arc::new(store),
                BlobStore::new(data.blob_dir()),
                Signer::new(data.load_key()?, 3600),
            )
        };
        TestServer::serve(data, "127.0.0.1:0".parse()?, adjust(state))
    }

    /// Serves the demo county from PostgreSQL: built in SQLite, moved in with
    /// `migrate_from_sqlite`, the SQLite file and blob directory then set aside so nothing
    /// can be read from them. Returns the store too (as the console would use it).
    pub fn demo_on_postgres(
        root: &Path,
        pg: &crate::pg::TestPostgres,
    ) -> anyhow::Result<(TestServer, Arc<gongkai_store::pg::PgStore>)> {
        let data = demo_data(root)?;
        let url = pg.database("county")?;
        {
            let sqlite = SqliteStore::open(&data.db_path())?;
            let mut conn = gongkai_store::sql::PgConn::connect(&url)?;
            gongkai_store::pg::migrate_from_sqlite(
                &sqlite,
                &data.db_path(),
                &data.blob_dir(),
                &mut conn,
            )?;
        }
        std::fs::rename(data.db_path(), root.join("set-aside.sqlite"))?;
        std::fs::rename(data.blob_dir(), root.join("set-aside-blobs"))?;
        let store = Arc::new(gongkai_store::pg::PgStore::open(&url, 8)?);
        let state = AppState {
            max_page: 500,
            ..AppState::new(
                store.clone(),
                BlobStore::in_postgres(store.clone()),
                Signer::new(data.load_key()?, 3600),
            )
        };
        let server = TestServer::serve(data, "127.0.0.1:0".parse()?, state)?;
        Ok((server, store))
    }

    /// Serves with the given rate limits and fleet thresholds.
    pub fn start_fleet(
        data: DataDir,
        addr: SocketAddr,
        ttl_secs: i64,
        rate: RateLimits,
        fleet: gongkai_server::state::FleetSettings,
    ) -> anyhow::Result<TestServer> {
        let key = data.load_key()?;
        let store = SqliteStore::open(&data.db_path())?;
        let state = AppState {
            max_page: 500,
            rate,
            fleet,
            ..AppState::new(
                Arc::new(store),
                BlobStore::new(data.blob_dir()),
                Signer::new(key, ttl_secs),
            )
        };
        TestServer::serve(data, addr, state)
    }

    fn serve(data: DataDir, addr: SocketAddr, state: AppState) -> anyhow::Result<TestServer> {
        let store = state.store.clone();
        let clock = state.clock.clone();
        let std_listener = std::net::TcpListener::bind(addr).context("binding test server")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                axum::serve(
                    listener,
                    router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
                )
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
            });
        });
        Ok(TestServer {
            data,
            addr,
            store,
            clock,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops serving and waits until the port is closed.
    pub fn stop(mut self) -> (DataDir, SocketAddr) {
        self.shutdown();
        (self.data.clone(), self.addr)
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    pub fn store(&self) -> anyhow::Result<SqliteStore> {
        Ok(SqliteStore::open(&self.data.db_path())?)
    }

    pub fn public_key_b64(&self) -> anyhow::Result<String> {
        Ok(self.data.load_key()?.public().to_base64())
    }

    /// The configuration text of a new kiosk of `village` with an enrollment token issued
    /// now and an id of its own: it enrolls itself on its first round (or before its first
    /// upload), so its filings, signed with its key, are accepted.
    pub fn enrolled_config_text(
        &self,
        village: &str,
        data_dir: Option<&Path>,
    ) -> anyhow::Result<String> {
        enrolled_config_text(
            self.store.as_ref(),
            &self.url(),
            &self.public_key_b64()?,
            data_dir,
            village,
            self.clock.unix(),
        )
    }

    /// An enrolled-to-be kiosk of 石桥村 (see [`TestServer::enrolled_config_text`]).
    pub fn kiosk_config(&self) -> anyhow::Result<KioskConfig> {
        Ok(KioskConfig::parse(
            &self.enrolled_config_text("419901102201", None)?,
            "test",
        )?)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Creates `root/server` with a key pair and the demo county as of today, without
/// serving it. (The kiosks these tests run read the real clock; the demo is checked on
/// fixed dates in `tests/dates.rs`.)
pub fn demo_data(root: &Path) -> anyhow::Result<DataDir> {
    demo_data_at(root, gongkai_server::Clock::system().now())
}

/// Creates `root/server` with a key pair and the demo county as it stands at `now`.
pub fn demo_data_at(root: &Path, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<DataDir> {
    let data = DataDir::new(root.join("server"));
    data.init()?;
    let store = SqliteStore::open(&data.db_path())?;
    demo::build(&store, &BlobStore::new(data.blob_dir()), now)?;
    demo::accounts(&store)?;
    Ok(data)
}

/// A kiosk configuration for the demo village, pointing at `server_url` and trusting `key`.
pub fn kiosk_config_text(server_url: &str, key_b64: &str, data_dir: Option<&Path>) -> String {
    village_config_text(server_url, key_b64, data_dir, "419901102201")
}

/// A configuration for a new kiosk of `village` with its own id and an enrollment token
/// issued in `store` at `now`: it enrolls itself before it first sends anything, so its
/// filings (signed with its key) are accepted.
pub fn enrolled_config_text(
    store: &dyn gongkai_server::Store,
    server_url: &str,
    key_b64: &str,
    data_dir: Option<&Path>,
    village: &str,
    now: i64,
) -> anyhow::Result<String> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let kiosk_id = format!("{village}-t{n}");
    let token = gongkai_server::fleet::issue_enrollment(
        store,
        &kiosk_id,
        &gongkai_model::ScopeId::parse(village)?,
        0,
        now,
        gongkai_server::fleet::ENROLLMENT_DAYS,
    )?;
    let text = village_config_text(server_url, key_b64, data_dir, village);
    Ok(text.replacen(
        &format!("kiosk_id = \"{village}-test\"\n"),
        &format!("kiosk_id = \"{kiosk_id}\"\nenrollment_token = \"{token}\"\n"),
        1,
    ))
}

/// A kiosk configuration for any demo village by its code.
pub fn village_config_text(
    server_url: &str,
    key_b64: &str,
    data_dir: Option<&Path>,
    village: &str,
) -> String {
    let (t_code, t_name, v_name) = demo::TOWNSHIPS
        .iter()
        .find_map(|(t, tn, vs)| {
            vs.iter()
                .find(|(v, _)| *v == village)
                .map(|(_, vn)| (*t, *tn, *vn))
        })
        .unwrap_or(("419901102", "石桥镇", "石桥村"));
    let data_line = data_dir
        .map(|d| format!("data_dir = \"{}\"\n", d.display()))
        .unwrap_or_default();
    format!(
        r#"kiosk_id = "{village}-test"
server_url = "{server_url}"
server_public_key = "{key_b64}"
public_url = "{server_url}"
{data_line}poll_interval_secs = 5
idle_timeout_secs = 90

[scope]
county = "419901"
county_name = "云溪县"
township = "{t_code}"
township_name = "{t_name}"
village = "{village}"
village_name = "{v_name}"
"#
    )
}

pub fn kiosk_config(server_url: &str, key_b64: &str) -> anyhow::Result<KioskConfig> {
    Ok(KioskConfig::parse(
        &kiosk_config_text(server_url, key_b64, None),
        "test",
    )?)
}

/// The workspace root, for tests that look at files in the repository.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where tests leave files a person may want to look at (screenshots, logs).
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("GONGKAI_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("artifacts"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A typeable tracking code made from `seed` (the same seed, the same code): the first
/// typeable code counting up from it.
pub fn code_from(seed: u64) -> gongkai_model::complaint::TrackingCode {
    let mut next = seed;
    gongkai_model::complaint::TrackingCode::draw(|| {
        let v = next;
        next += 1;
        v
    })
}
