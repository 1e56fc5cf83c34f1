//! `gongkai-server`: the command line around the server library.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use gongkai_model::{content::summarize, ContentKind, ScopeId};
use gongkai_server::signer::Signer;
use gongkai_server::{demo, router, AppState, DataDir, Edit, SqliteStore, Store};
use gongkai_store::blobs::BlobStore;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "gongkai-server", about = "公开 · Gongkai central server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The database: a `postgres://` URL for a province deployment (several instances
    /// behind a load balancer, blobs in the database). Without it the county's SQLite
    /// file and blob directory in --data are used. Also read from GONGKAI_DB.
    #[arg(long, global = true)]
    db: Option<String>,
    /// Connections each instance opens to PostgreSQL at most.
    #[arg(long, global = true, default_value_t = 16)]
    db_connections: usize,
    /// Run as if it were this moment (RFC 3339, or a date for 09:00 Beijing time), time
    /// passing from there: to try the demo county or a deadline on another day. Also read
    /// from GONGKAI_NOW. Without it, the machine's clock.
    #[arg(long, global = true)]
    now: Option<String>,
}

/// The clock for this run: `--now`/GONGKAI_NOW, else the system clock.
fn clock(now: Option<&str>) -> anyhow::Result<gongkai_server::Clock> {
    let Some(text) = now.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(gongkai_server::Clock::system());
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(gongkai_server::Clock::starting_at(
            t.with_timezone(&chrono::Utc),
        ));
    }
    let date: chrono::NaiveDate = text.parse().with_context(|| {
        format!("--now {text}: expected 2027-01-04 or 2027-01-04T09:00:00+08:00")
    })?;
    let fixed = gongkai_server::Clock::fixed_on(date);
    Ok(gongkai_server::Clock::starting_at(fixed.now()))
}

/// Where a command's data lives: the data directory (keys; the SQLite file and blobs by
/// default) and optionally a PostgreSQL database for content, records and blobs.
struct Place {
    dir: DataDir,
    db: Option<String>,
    connections: usize,
}

impl Place {
    fn open(&self) -> anyhow::Result<(Arc<dyn Store>, BlobStore)> {
        match &self.db {
            Some(url) => {
                let pg = Arc::new(
                    gongkai_store::pg::PgStore::open(url, self.connections)
                        .with_context(|| format!("opening {}", redact(url)))?,
                );
                Ok((pg.clone(), BlobStore::in_postgres(pg)))
            }
            None => Ok((
                Arc::new(SqliteStore::open(&self.dir.db_path())?),
                BlobStore::new(self.dir.blob_dir()),
            )),
        }
    }

    fn store(&self) -> anyhow::Result<Arc<dyn Store>> {
        Ok(self.open()?.0)
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(a), Some(b)) if b > a => {
            let userinfo = &url[a + 3..b];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..a + 3], &url[b..])
        }
        _ => url.to_string(),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Create a fresh data directory with a key pair and the demo county, then serve it.
    Demo {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
        /// Only create the data directory; do not serve.
        #[arg(long)]
        no_serve: bool,
        /// The server URL written into the generated kiosk configurations.
        #[arg(long)]
        public_url: Option<String>,
        #[command(flatten)]
        opts: ServeOpts,
    },
    /// Serve an existing data directory.
    Serve {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
        #[command(flatten)]
        opts: ServeOpts,
    },
    /// Publish a kiosk release: a .deb and the manifest signed for it with the release key
    /// (`gongkai-update sign`). Kiosks with that release key install it.
    Release {
        #[arg(long)]
        data: PathBuf,
        /// The signed manifest (JSON).
        #[arg(long)]
        manifest: PathBuf,
        /// The package it signs.
        #[arg(long)]
        file: PathBuf,
        /// The release public key (base64); the manifest is checked against it if given.
        #[arg(long)]
        release_key: Option<String>,
    },
    /// Move a whole county (content, change log, filings, accounts, drafts, the fleet,
    /// attachments) from its SQLite data directory into an empty PostgreSQL database in
    /// one transaction, then compare every table's rows, every scope's head and state
    /// hash, the change log and every attachment's sha256. Stop the county's server first.
    MigrateToPostgres {
        #[arg(long)]
        data: PathBuf,
        /// e.g. postgres://gongkai@127.0.0.1/gongkai
        #[arg(long)]
        url: String,
    },
    /// Create an empty data directory with a new signing key pair.
    Keygen {
        #[arg(long)]
        data: PathBuf,
    },
    /// Publish (or with --delete, withdraw) one item from a JSON file.
    Publish {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        scope: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        id: String,
        #[arg(long, required_unless_present = "delete")]
        body_file: Option<PathBuf>,
        #[arg(long)]
        delete: bool,
    },
    /// Issue a staff API token for a person at an office (`*` for the whole county).
    StaffToken {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long)]
        office: String,
    },
    /// Create a console account (or reset its role, scope and password). The password is
    /// read from standard input.
    User {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        username: String,
        /// The name shown in the console and in the public record.
        #[arg(long)]
        name: String,
        /// county_admin, township_reviewer or village_cadre.
        #[arg(long)]
        role: String,
        /// The division code the account works in.
        #[arg(long)]
        scope: String,
        /// The office whose filings it answers (empty for none).
        #[arg(long, default_value = "")]
        office: String,
    },
    /// Filings from kiosks: list them, or act on one as an office.
    Complaints {
        #[command(subcommand)]
        action: ComplaintAction,
    },
    /// Recompute every scope's state hash from its items and compare with the stored one,
    /// then walk the public change log: every link, every entry's hash, and every live
    /// item against its latest entry. Reports the first broken link.
    Verify {
        #[arg(long)]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum ComplaintAction {
    /// Filings, earliest due first, with overdue ones marked.
    List {
        #[arg(long)]
        data: PathBuf,
        /// Only this office's (e.g. 石桥镇人民政府).
        #[arg(long)]
        office: Option<String>,
    },
    /// Move a filing to a new state: in_progress, clarifying (补正), extended, answered,
    /// closed, rejected.
    Act {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        code: String,
        #[arg(long)]
        to: String,
        /// Who acts (recorded with the time).
        #[arg(long)]
        actor: String,
        #[arg(long, default_value = "")]
        note: String,
        /// The public answer (for `answered`).
        #[arg(long)]
        answer: Option<String>,
    },
}

#[derive(clap::Args)]
struct ServeOpts {
    /// How long a signed checkpoint stays valid, in seconds.
    #[arg(long, default_value_t = 24 * 3600)]
    checkpoint_ttl: i64,
    /// Largest change page, in changes.
    #[arg(long, default_value_t = 2000)]
    max_page: u32,
    /// A time limit in working days for a kind of filing, e.g. `--limit complaint=10`
    /// (repeatable; 依申请公开 at most the legal 20).
    #[arg(long = "limit")]
    limits: Vec<String>,
    /// Minutes without a heartbeat before a kiosk counts as offline.
    #[arg(long, default_value_t = 10)]
    offline_after_min: i64,
    /// Minutes a kiosk may show old content before an alert is raised.
    #[arg(long, default_value_t = 30)]
    behind_after_min: i64,
    /// URL that receives fleet alerts as JSON POSTs (raised and cleared).
    #[arg(long)]
    alert_webhook: Option<String>,
    /// A kiosk using more memory than this (app and webview, MiB) raises an alert.
    #[arg(long, default_value_t = 600)]
    memory_budget_mib: u64,
    /// Minutes a second county account has to confirm an emergency for the whole county.
    #[arg(long, default_value_t = 30)]
    takeover_confirm_min: i64,
    /// Let one county account take every screen of the county alone (each such notice is
    /// marked in the change log). Off unless the county decides otherwise.
    #[arg(long)]
    takeover_single_person: bool,
    /// Base URL of the public phone pages as residents reach them (https://…), for the
    /// QR codes on printed boards; without it, the address the console is reached at.
    #[arg(long)]
    public_pages_url: Option<String>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let db = cli
        .db
        .or_else(|| std::env::var("GONGKAI_DB").ok().filter(|v| !v.is_empty()));
    let now = cli
        .now
        .clone()
        .or_else(|| std::env::var("GONGKAI_NOW").ok());
    let clock = clock(now.as_deref())?;
    let place = |data: PathBuf| Place {
        dir: DataDir::new(data),
        db: db.clone(),
        connections: cli.db_connections,
    };
    match cli.command {
        Command::Demo {
            data,
            listen,
            no_serve,
            public_url,
            opts,
        } => {
            if db.is_some() {
                bail!(
                    "the demo county is built in SQLite; serve it, or move it with \
                     migrate-to-postgres and then serve --db"
                );
            }
            let dir = DataDir::new(&data);
            let key = dir.init()?;
            let store = SqliteStore::open(&dir.db_path())?;
            let blobs = BlobStore::new(dir.blob_dir());
            let summary = demo::build(&store, &blobs, clock.now())?;
            let url = public_url.unwrap_or_else(|| format!("http://{listen}"));
            let written = demo::kiosks::write_configs(
                &data.join("kiosks"),
                &url,
                &key.public(),
                &store,
                clock.unix(),
            )?;
            println!(
                "demo county ready in {}: {} scopes, {} disclosure items, {} guides, {} notices, \
                 {} finance statements, {} subsidy rows, {} relocation boards",
                data.display(),
                summary.scopes,
                summary.disclosures,
                summary.guides,
                summary.notices,
                summary.finance_statements,
                summary.subsidy_rows,
                summary.relocation_boards
            );
            let accounts = demo::accounts(&store)?;
            demo::console_samples(&store, clock.now())?;
            println!(
                "console accounts: {accounts} ({}), password {}",
                demo::ACCOUNTS
                    .iter()
                    .map(|a| a.0)
                    .collect::<Vec<_>>()
                    .join(", "),
                demo::DEMO_PASSWORD
            );
            println!(
                "kiosk configurations: {} files in {}",
                written,
                data.join("kiosks").display()
            );
            drop(store);
            if no_serve {
                return Ok(());
            }
            serve(place(data), listen, opts, clock)
        }
        Command::Serve { data, listen, opts } => serve(place(data), listen, opts, clock),
        Command::Release {
            data,
            manifest,
            file,
            release_key,
        } => release(
            place(data),
            &manifest,
            &file,
            release_key.as_deref(),
            clock.unix(),
        ),
        Command::MigrateToPostgres { data, url } => {
            let dir = DataDir::new(data);
            let store = SqliteStore::open(&dir.db_path())?;
            let mut conn = gongkai_store::sql::PgConn::connect(&url)
                .with_context(|| format!("connecting to {}", redact(&url)))?;
            let m = gongkai_store::pg::migrate_from_sqlite(
                &store,
                &dir.db_path(),
                &dir.blob_dir(),
                &mut conn,
            )?;
            for (table, n) in &m.tables {
                println!("  {table:<18} {n:>9} rows");
            }
            println!(
                "moved {} rows in {} tables and {} attachments; every table's rows, every \
                 scope's head and state hash, the change log and every attachment compared equal",
                m.tables.iter().map(|(_, n)| n).sum::<u64>(),
                m.tables.len(),
                m.blobs
            );
            Ok(())
        }
        Command::Keygen { data } => {
            let key = DataDir::new(&data).init()?;
            println!("public key: {}", key.public().to_base64());
            Ok(())
        }
        Command::Publish {
            data,
            scope,
            kind,
            id,
            body_file,
            delete,
        } => {
            let store = place(data).store()?;
            let scope = ScopeId::parse(&scope)?;
            let Some(kind) = ContentKind::from_key(&kind) else {
                bail!(
                    "unknown kind {kind}; one of: {:?}",
                    ContentKind::ALL.map(ContentKind::key)
                );
            };
            let edit = match (delete, body_file) {
                (true, _) => Edit::delete(kind, id),
                (false, Some(path)) => {
                    let body = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    summarize(kind, &body)?;
                    Edit {
                        kind,
                        id,
                        body: Some(body.trim().to_string()),
                        private_id: None,
                    }
                }
                (false, None) => bail!("--body-file is required unless --delete"),
            };
            let head = store.publish(&scope, &[edit])?;
            println!(
                "published: scope {} now at seq {} ({} items)",
                head.scope, head.seq, head.item_count
            );
            Ok(())
        }
        Command::Complaints { action } => complaints(action, place, &clock),
        Command::User {
            data,
            username,
            name,
            role,
            scope,
            office,
        } => {
            let store = place(data).store()?;
            let role = gongkai_store::Role::from_key(&role)
                .ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?;
            let scope = gongkai_model::ScopeId::parse(&scope)?;
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let id = gongkai_server::console::auth::create_user(
                store.as_ref(),
                &username,
                &name,
                role,
                &scope,
                &office,
                password.trim_end_matches(['\r', '\n']),
            )?;
            println!("account {username} ({}) ready, id {id}", role.label());
            Ok(())
        }
        Command::StaffToken { data, name, office } => {
            let store = place(data).store()?;
            let token = gongkai_server::staff::new_token();
            store.put_staff_token(&gongkai_server::staff::token_hash(&token), &name, &office)?;
            println!("{token}");
            eprintln!("token for {name} at {office}: shown once, store it safely");
            Ok(())
        }
        Command::Verify { data } => {
            let store = place(data).store()?;
            let mut bad = 0;
            for head in store.heads()? {
                let computed = store.recompute_state_hash(&head.scope)?;
                let ok = computed == head.state_hash;
                println!(
                    "{} {} seq {} {}",
                    head.scope,
                    head.name,
                    head.seq,
                    if ok { "ok" } else { "MISMATCH" }
                );
                bad += usize::from(!ok);
            }
            let report = store.verify_changelog()?;
            println!(
                "change log: {} entries verified, head {}",
                report.entries, report.head
            );
            if let Some(broken) = &report.broken {
                println!("change log BROKEN at {broken}");
            }
            for item in &report.unlogged {
                println!("item does not match its change-log entry: {item}");
            }
            if bad > 0 {
                bail!("{bad} scope(s) do not match their state hash");
            }
            if report.broken.is_some() || !report.unlogged.is_empty() {
                bail!("the change log does not verify");
            }
            Ok(())
        }
    }
}

fn release(
    place: Place,
    manifest_path: &std::path::Path,
    file: &std::path::Path,
    release_key: Option<&str>,
    now: i64,
) -> anyhow::Result<()> {
    use gongkai_protocol::update::UpdateManifest;
    let text = std::fs::read_to_string(manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest: UpdateManifest = serde_json::from_str(&text).context("manifest JSON")?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if bytes.len() as u64 != manifest.size
        || gongkai_protocol::sha256_hex(&bytes) != manifest.sha256
    {
        anyhow::bail!("{} is not the file the manifest signs", file.display());
    }
    if let Some(k) = release_key {
        let key = gongkai_protocol::PublicKey::from_base64(k)?;
        manifest.verify_file(&key, &bytes)?;
    }
    let (store, blobs) = place.open()?;
    let name = blobs.put(&bytes)?;
    store.publish_release(&manifest.package, &manifest.version, &text, now)?;
    println!(
        "released {} {} ({} bytes, blob {name})",
        manifest.package, manifest.version, manifest.size
    );
    Ok(())
}

fn serve(
    place: Place,
    listen: SocketAddr,
    opts: ServeOpts,
    clock: gongkai_server::Clock,
) -> anyhow::Result<()> {
    let key = place.dir.load_key()?;
    let (store, blobs) = place.open()?;
    let state = AppState {
        max_page: opts.max_page,
        limits: Arc::new(gongkai_model::complaint::Limits::parse(&opts.limits)?),
        fleet: gongkai_server::state::FleetSettings {
            offline_after_secs: opts.offline_after_min.max(1) * 60,
            behind_after_secs: opts.behind_after_min.max(1) * 60,
            webhook: opts.alert_webhook,
            memory_budget_bytes: opts.memory_budget_mib.max(1) * 1024 * 1024,
        },
        takeover: gongkai_server::state::Takeover {
            confirm_secs: opts.takeover_confirm_min.max(1) * 60,
            single_person: opts.takeover_single_person,
        },
        clock,
        public_pages_url: opts
            .public_pages_url
            .map(|u| Arc::from(u.trim_end_matches('/'))),
        ..AppState::new(store, blobs, Signer::new(key, opts.checkpoint_ttl))
    };
    if state.takeover.single_person {
        // The county's decision, on the record: one person may take every screen.
        tracing::warn!("single-person county-wide emergencies enabled (--takeover-single-person)");
        println!("注意：已启用单人发布全县紧急通知（--takeover-single-person），每次发布都会在公开记录中注明。");
    }
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        tokio::spawn(gongkai_server::fleet::alert_loop(
            state.clone(),
            std::time::Duration::from_secs(60),
        ));
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr()?;
        println!("gongkai-server listening on http://{addr}  (console: http://{addr}/)");
        axum::serve(
            listener,
            router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(())
    })
}

fn complaints(
    action: ComplaintAction,
    place: impl Fn(PathBuf) -> Place,
    clock: &gongkai_server::Clock,
) -> anyhow::Result<()> {
    use gongkai_model::complaint::{ComplaintStatus, TrackingCode};
    let today = clock.today();
    match action {
        ComplaintAction::List { data, office } => {
            let store = place(data).store()?;
            for r in store.complaints(office.as_deref())? {
                let overdue = !r.status.is_final()
                    && r.due_on
                        .as_deref()
                        .is_some_and(|d| d < today.to_string().as_str());
                let provisional = r
                    .due_provisional
                    .map(|y| format!("（{}）", gongkai_model::calendar::provisional_note(y)))
                    .unwrap_or_default();
                println!(
                    "{}  {:<6} {:<6} 限{}{provisional}  {}  {}{}",
                    r.code.display(),
                    r.kind.label(),
                    r.status.label(),
                    r.due_on.as_deref().unwrap_or("（暂停）"),
                    r.office,
                    r.subject,
                    if overdue { "  【已超期】" } else { "" }
                );
            }
            Ok(())
        }
        ComplaintAction::Act {
            data,
            code,
            to,
            actor,
            note,
            answer,
        } => {
            let store = place(data).store()?;
            let to: ComplaintStatus = serde_json::from_value(serde_json::Value::String(to.clone()))
                .map_err(|_| anyhow::anyhow!("unknown state {to}"))?;
            let t = gongkai_store::Transition {
                code: TrackingCode::parse(&code)?,
                to,
                actor,
                note,
                answer,
                at: clock.unix(),
                today,
            };
            let s = store.complaint_transition(
                &t,
                &gongkai_server::workdays::calendar(
                    store.as_ref(),
                    &gongkai_model::calendar::Calendar::official(),
                )?,
            )?;
            println!(
                "{} {} 限{}",
                s.code.display(),
                s.status.label(),
                s.due_on.unwrap_or_else(|| "（暂停）".into())
            );
            Ok(())
        }
    }
}
