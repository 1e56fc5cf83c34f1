//! Power cuts during sync: the kiosk's sync process is killed with SIGKILL at random
//! moments while the server keeps publishing (small changes and large batches). After
//! every kill the cache passes SQLite's integrity check and every scope equals, item for
//! item, the signed checkpoint it records — never a mix of two — and in the end the
//! kiosk catches up to exactly the server's content.
//!
//! `GONGKAI_SYNC_KILL_TRIALS` sets the number of kills (25 in the suite, 1000 in the long
//! mode of RELIABILITY.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::Utc;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::{ContentKind, Fen, ScopeId, SubsidyRow};
use gongkai_server::{Edit, Store};
use gongkai_tests::TestServer;
use rand::{Rng, SeedableRng};

fn check_cache(kiosk_dir: &std::path::Path, config: &std::path::Path, trial: usize) -> Result<()> {
    let conn = rusqlite::Connection::open(kiosk_dir.join("cache.sqlite"))?;
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(ok, "ok", "trial {trial}: cache damaged");
    drop(conn);
    let kiosk = Kiosk::open(KioskConfig::load(config)?, kiosk_dir)?;
    for scope in kiosk.followed_scopes() {
        let Some(state) = kiosk.cache().scope_state(&scope)? else {
            continue; // never synced yet
        };
        let (hash, count) = kiosk.cache().recompute_state_hash(&scope)?;
        assert_eq!(
            hash, state.checkpoint.checkpoint.state_hash,
            "trial {trial}: scope {scope} is a mix"
        );
        assert_eq!(
            count, state.checkpoint.checkpoint.item_count,
            "trial {trial}: scope {scope}"
        );
    }
    Ok(())
}

#[test]
fn killed_at_random_while_syncing_the_cache_is_always_at_a_signed_checkpoint() -> Result<()> {
    let trials: usize = std::env::var("GONGKAI_SYNC_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25);
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let config = tmp.path().join("kiosk.toml");
    std::fs::write(&config, server.enrolled_config_text("419901102201", None)?)?;
    let kiosk_dir = tmp.path().join("kiosk");
    let store = server.store()?;
    let township = ScopeId::parse("419901102")?;
    let village = ScopeId::parse("419901102201")?;
    let bin = env!("CARGO_BIN_EXE_sync-loop");
    let mut rng = rand::rngs::StdRng::seed_from_u64(1105);
    let mut kills_mid_work = 0;
    for trial in 0..trials {
        // The server moves on: a few rows changed, or a big batch (a new list).
        let batch = if trial % 5 == 0 {
            3_000
        } else {
            rng.gen_range(1..40)
        };
        // Ten lists rewritten in turn: the scope keeps changing without growing forever,
        // so the long mode stays as hard at trial 1,000 as at trial 10.
        let list_id = format!("crash-{}", trial % 10);
        let edits: Vec<Edit> = (0..batch)
            .map(|i| {
                let row = SubsidyRow {
                    list_id: list_id.clone(),
                    village_name: "石桥村".into(),
                    name: "王建国".into(),
                    id_masked: "4199**********1234".into(),
                    household_size: 3,
                    area_centimu: None,
                    amount: Fen(10_000 + i64::from(i) + trial as i64),
                };
                Edit::put(ContentKind::SubsidyRow, format!("{list_id}-{i:05}"), &row)
            })
            .collect();
        store.publish(if trial % 2 == 0 { &township } else { &village }, &edits)?;
        if trial % 7 == 3 {
            // Withdrawals too: tombstones must apply atomically as well.
            let gone: Vec<Edit> = (0..batch.min(20))
                .map(|i| {
                    Edit::delete(
                        ContentKind::SubsidyRow,
                        format!("crash-{}-{i:05}", (trial - 1) % 10),
                    )
                })
                .collect();
            store.publish(&village, &gone)?;
        }

        let mut child = std::process::Command::new(bin)
            .arg(&config)
            .arg(&kiosk_dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        std::thread::sleep(std::time::Duration::from_millis(rng.gen_range(5..400)));
        child.kill()?; // SIGKILL
        child.wait()?;
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out)?;
        if out.lines().last().is_none_or(|l| l == "start") {
            kills_mid_work += 1; // killed inside a sync round (or while opening)
        }
        check_cache(&kiosk_dir, &config, trial)?;
    }
    assert!(
        kills_mid_work * 2 >= trials,
        "only {kills_mid_work} of {trials} kills landed inside a round"
    );

    // Catch up: exactly the server's content.
    let kiosk = Kiosk::open(KioskConfig::load(&config)?, &kiosk_dir)?;
    for _ in 0..3 {
        kiosk.sync_once(Utc::now())?;
    }
    for scope in kiosk.followed_scopes() {
        let head = store.head(&scope)?;
        let state = kiosk.cache().scope_state(&scope)?.unwrap();
        assert_eq!(
            state.checkpoint.checkpoint.state_hash, head.state_hash,
            "scope {scope}"
        );
        assert_eq!(
            kiosk.cache().recompute_state_hash(&scope)?.0,
            head.state_hash
        );
    }
    eprintln!("{trials} kills during sync, {kills_mid_work} inside a round: cache always at a signed checkpoint");
    Ok(())
}

#[test]
fn a_full_disk_stops_updates_cleanly_and_keeps_what_is_shown_and_filed() -> Result<()> {
    use gongkai_kiosk::views::ComplaintDraft;
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let text = server.enrolled_config_text("419901102201", None)?;
    let kiosk_dir = tmp.path().join("kiosk");
    let before = {
        let kiosk = Kiosk::open(KioskConfig::parse(&text, "t")?, &kiosk_dir)?;
        kiosk.sync_once(Utc::now())?;
        kiosk.home(Utc::now())?
    };
    // The server publishes a large list; the kiosk's storage has about 1 MiB left.
    let township = ScopeId::parse("419901102")?;
    let edits: Vec<Edit> = (0..40_000)
        .map(|i| {
            let row = SubsidyRow {
                list_id: "big".into(),
                village_name: "石桥村".into(),
                name: "王建国".into(),
                id_masked: "4199**********1234".into(),
                household_size: 3,
                area_centimu: Some(250),
                amount: Fen(33_950 + i),
            };
            Edit::put(ContentKind::SubsidyRow, format!("big-{i:06}"), &row)
        })
        .collect();
    server.store()?.publish(&township, &edits)?;
    let size_mib = std::fs::metadata(kiosk_dir.join("cache.sqlite"))?.len() / (1024 * 1024) + 1;
    let limited = format!("cache_max_mib = {}\n{text}", size_mib + 1);
    let kiosk = Kiosk::open(KioskConfig::parse(&limited, "t")?, &kiosk_dir)?;
    let err = kiosk.sync_once(Utc::now()).unwrap_err();
    assert!(format!("{err}").to_lowercase().contains("full"), "{err}");
    let status = kiosk.status(Utc::now())?;
    assert!(status.storage_full, "{status:?}");
    assert!(status.problem.unwrap().contains("本机存储空间已满"));
    // The screens read exactly what they did, from an intact cache at its checkpoints.
    let after = kiosk.home(Utc::now())?;
    assert_eq!(
        serde_json::to_value(&after.tiles)?,
        serde_json::to_value(&before.tiles)?
    );
    drop(kiosk);
    std::fs::write(tmp.path().join("limited.toml"), &limited)?;
    check_cache(&kiosk_dir, &tmp.path().join("limited.toml"), 0)?;
    // A resident can still file (the outbox is its own file), and the code is kept.
    let kiosk = Kiosk::open(KioskConfig::parse(&limited, "t")?, &kiosk_dir)?;
    let receipt = kiosk.submit_complaint(
        &ComplaintDraft {
            kind: gongkai_model::complaint::ComplaintKind::Suggestion,
            scope: String::new(),
            subject: "路灯".into(),
            text: "村口路灯不亮。".into(),
            name: String::new(),
            phone: String::new(),
            on_behalf: false,
        },
        Utc::now(),
    )?;
    drop(kiosk);
    // Room again: the kiosk catches up and the filing goes out.
    let kiosk = Kiosk::open(KioskConfig::parse(&text, "t")?, &kiosk_dir)?;
    kiosk.sync_once(Utc::now())?;
    assert!(!kiosk.status(Utc::now())?.storage_full);
    let head = server.store()?.head(&township)?;
    assert_eq!(
        kiosk
            .cache()
            .scope_state(&township)?
            .unwrap()
            .checkpoint
            .checkpoint
            .state_hash,
        head.state_hash
    );
    let lookup = kiosk.complaint_status(&receipt.code)?;
    assert!(format!("{lookup:?}").contains("路灯"), "{lookup:?}");
    Ok(())
}

/// A week without network, accelerated: checkpoints live 2 s, the outage lasts many of
/// them (the "days"). Each day the kiosk tries, fails, keeps serving and says its data may
/// be old; meanwhile the county withdraws items and prunes their tombstones, so when the
/// network returns the kiosk is too far behind to catch up change by change — it starts
/// its scope again and ends exactly at the server's content.
#[test]
fn a_week_offline_keeps_serving_then_resets_and_catches_up() -> Result<()> {
    use gongkai_model::Notice;
    let tmp = tempfile::tempdir()?;
    let data = gongkai_tests::demo_data(tmp.path())?;
    let server = TestServer::start_with_ttl(data, "127.0.0.1:0".parse()?, 2)?;
    let config = KioskConfig::parse(&server.enrolled_config_text("419901102201", None)?, "t")?;
    let kiosk = Kiosk::open(config, &tmp.path().join("kiosk"))?;
    kiosk.sync_once(Utc::now())?;
    let disclosures = kiosk
        .list(ContentKind::Disclosure, None, 0, 5, Utc::now())?
        .total;
    let (data, addr) = server.stop();

    // While the kiosk is cut off, the county changes things and prunes tombstones.
    let store = gongkai_server::SqliteStore::open(&data.db_path())?;
    let village = ScopeId::parse("419901102201")?;
    let county = ScopeId::parse("419901")?;
    let head = store.publish(&village, &[Edit::delete(ContentKind::Notice, "notice-1")])?;
    store.prune_tombstones(&village, head.seq)?;
    let notice = Notice {
        title: "寒潮蓝色预警".into(),
        publisher: "云溪县人民政府办公室".into(),
        body_html: "<p>未来三天气温下降8至10℃，请注意防寒。</p>".into(),
        publish_at: Utc::now() - chrono::Duration::hours(1),
        expire_at: None,
        images: vec![],
    };
    store.publish(
        &county,
        &[Edit::put(ContentKind::Notice, "cold-wave", &notice)],
    )?;
    drop(store);

    for day in 1..=7 {
        let now = Utc::now() + chrono::Duration::seconds(day);
        assert!(kiosk.sync_once(now).is_err(), "day {day}: no server");
        let status = kiosk.status(now)?;
        assert!(!status.online, "day {day}");
        if day >= 3 {
            assert!(
                status.stale,
                "day {day}: past the checkpoint's life, the screen must say so"
            );
        }
        // Everything stays readable.
        assert_eq!(
            kiosk.list(ContentKind::Disclosure, None, 0, 5, now)?.total,
            disclosures
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }

    // The network returns.
    let server = TestServer::start_with_ttl(data, addr, 2)?;
    kiosk.sync_once(Utc::now())?;
    let status = kiosk.status(Utc::now())?;
    assert!(status.online && !status.stale, "{status:?}");
    let titles: Vec<String> = kiosk
        .list(ContentKind::Notice, None, 0, 100, Utc::now())?
        .entries
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert!(titles.contains(&"寒潮蓝色预警".to_string()));
    assert!(
        !titles.iter().any(|t| t.contains("村民代表会议")),
        "{titles:?}"
    );
    let store = server.store()?;
    for scope in kiosk.followed_scopes() {
        let state = kiosk.cache().scope_state(&scope)?.unwrap();
        assert_eq!(
            state.checkpoint.checkpoint.state_hash,
            store.head(&scope)?.state_hash
        );
    }
    Ok(())
}
