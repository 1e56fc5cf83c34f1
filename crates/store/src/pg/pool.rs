//! The connection pool, and the head cache for polls that a LISTEN connection empties at
//! every publish's NOTIFY (off while that connection is down).

use super::*;

/// Connections, at most `max` open; a caller waits for one when all are busy.
pub(super) struct Pool {
    url: String,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

pub(super) struct PoolState {
    idle: Vec<PgConn>,
    open: usize,
}

/// An open slot in the pool: given back (or, if its connection broke, freed) on drop, so
/// a panic in a caller cannot leak a slot.
pub(super) struct Lease<'p> {
    pool: &'p Pool,
    conn: Option<PgConn>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut st = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
        match self.conn.take() {
            Some(c) if !c.client.is_closed() && !std::thread::panicking() => st.idle.push(c),
            _ => st.open -= 1,
        }
        self.pool.freed.notify_one();
    }
}

impl Pool {
    fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = st.idle.pop() {
                return Ok(Lease {
                    pool: self,
                    conn: Some(c),
                });
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                // The slot is counted before connecting; a failed connect gives it back.
                let mut lease = Lease {
                    pool: self,
                    conn: None,
                };
                lease.conn = Some(PgConn::connect(&self.url)?);
                return Ok(lease);
            }
            st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Heads for the polling hot path, valid while the LISTEN connection is up.
#[derive(Default)]
pub(super) struct HeadCache {
    live: bool,
    /// Bumped by every notification: a head read before a bump is not cached after it.
    generation: u64,
    heads: HashMap<String, ScopeHead>,
}

pub struct PgStore {
    pub(super) pool: Pool,
    pub(super) heads: Arc<Mutex<HeadCache>>,
    /// The last full change-log verification: its key is the log's length and the
    /// minute, so the public /history page does not walk the chain on every view, and a
    /// tampering edit in the database shows within a minute.
    pub(super) chain: Mutex<Option<((u64, i64), ChainReport)>>,
}

impl PgStore {
    /// Connects, brings the schema up to date, and starts listening for head changes.
    pub fn open(url: &str, max_connections: usize) -> Result<PgStore, StoreError> {
        let mut first = PgConn::connect(url)?;
        migrate(&mut first)?;
        let heads = Arc::new(Mutex::new(HeadCache::default()));
        let weak = Arc::downgrade(&heads);
        let listen_url = url.to_string();
        std::thread::Builder::new()
            .name("pg-listen".into())
            .spawn(move || listen(&listen_url, weak))
            .map_err(StoreError::Blob)?;
        Ok(PgStore {
            pool: Pool {
                url: url.to_string(),
                max: max_connections.max(1),
                state: Mutex::new(PoolState {
                    idle: vec![first],
                    open: 1,
                }),
                freed: Condvar::new(),
            },
            heads,
            chain: Mutex::new(None),
        })
    }

    /// A pooled connection, for the shared record methods (`records.rs`).
    pub(super) fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|c| f(c))
    }

    pub(super) fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|c| f(c))
    }

    pub(super) fn with<T>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut lease = self.pool.lease()?;
        let conn = lease
            .conn
            .as_mut()
            .ok_or_else(|| StoreError::Column("no connection".into()))?;
        f(conn)
    }

    /// Runs a write that may move heads, then forgets this instance's cached heads at
    /// once: its own next poll sees the change without waiting for the notification
    /// (which other instances get within milliseconds of the commit).
    pub(super) fn writing<T>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let out = self.with(f);
        let mut cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        cache.generation += 1;
        cache.heads.clear();
        out
    }

    /// A publish at a given time (see `SqliteStore::publish_as_at`).
    pub fn publish_as_at(
        &self,
        scope: &ScopeId,
        edits: &[Edit],
        by: &Provenance,
        now: i64,
    ) -> Result<ScopeHead, StoreError> {
        self.writing(|c| publish_as(c, scope, edits, by, now))
    }

    pub fn put_blob(&self, bytes: &[u8]) -> Result<String, StoreError> {
        self.with(|c| put_blob(c, bytes))
    }

    pub fn blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|c| blob(c, name))
    }

    /// True while head changes from other instances reach this one (tests wait on it).
    /// The head cache's generation while notifications arrive (bumped by each, and by
    /// this instance's own publishes); None while the LISTEN connection is down.
    pub fn head_generation(&self) -> Option<u64> {
        let cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        cache.live.then_some(cache.generation)
    }

    pub fn listening(&self) -> bool {
        self.heads.lock().map(|h| h.live).unwrap_or(false)
    }
}

/// Keeps a LISTEN connection open and empties the head cache on every notification. While
/// it is down the cache is off (polls read the database), so a lost notification can
/// never leave a stale head behind. Ends when the store is dropped.
pub(super) fn listen(url: &str, cache: Weak<Mutex<HeadCache>>) {
    let set = |live: bool| -> bool {
        let Some(c) = cache.upgrade() else {
            return false;
        };
        let mut c = c.lock().unwrap_or_else(|p| p.into_inner());
        c.live = live;
        c.generation += 1;
        c.heads.clear();
        true
    };
    loop {
        if let Ok(mut client) = crate::sql::pg_connect(url) {
            if client
                .batch_execute(&format!("LISTEN {HEADS_CHANNEL}"))
                .is_ok()
            {
                if !set(true) {
                    return;
                }
                loop {
                    use postgres::fallible_iterator::FallibleIterator;
                    let next = {
                        let mut notes = client.notifications();
                        let mut it = notes.timeout_iter(Duration::from_secs(1));
                        it.next().map(|n| n.map(|n| n.payload().to_string()))
                    };
                    match next {
                        Ok(Some(scope)) => {
                            let Some(c) = cache.upgrade() else { return };
                            let mut c = c.lock().unwrap_or_else(|p| p.into_inner());
                            c.generation += 1;
                            c.heads.remove(&scope);
                        }
                        Ok(None) if cache.strong_count() == 0 => return,
                        Ok(None) if client.is_closed() => break,
                        Ok(None) => {}
                        Err(_) => break,
                    }
                }
            }
        }
        if !set(false) {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

impl PgStore {
    /// A scope's head from the cache while it is live; else `read` from the database,
    /// cached only if no notification arrived meanwhile (it might be older).
    pub(super) fn cached_head(
        &self,
        scope: &ScopeId,
        read: impl FnOnce() -> Result<ScopeHead, StoreError>,
    ) -> Result<ScopeHead, StoreError> {
        let generation = {
            let cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
            if cache.live {
                if let Some(h) = cache.heads.get(scope.as_str()) {
                    return Ok(h.clone());
                }
            }
            cache.generation
        };
        let head = read()?;
        let mut cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        if cache.live && cache.generation == generation {
            cache.heads.insert(scope.to_string(), head.clone());
        }
        Ok(head)
    }

    /// A cached head without touching the database (the async poll path).
    pub(super) fn cached_head_now(&self, scope: &ScopeId) -> Option<ScopeHead> {
        let cache = self.heads.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .live
            .then(|| cache.heads.get(scope.as_str()).cloned())
            .flatten()
    }
}
