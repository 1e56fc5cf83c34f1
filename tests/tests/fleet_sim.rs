//! Fleet simulation: 1,000 in-process kiosk clients (tests/src/simkiosk.rs: the real
//! protocol, signatures and keys, content in memory) against one real server on loopback.
//! All enroll, are verified current, fall behind when the county publishes and are current
//! again after one poll; an emergency reaches every one in one poll interval; kiosks that
//! stop calling in turn offline exactly at the threshold and raise one alert each.

use anyhow::{bail, Context, Result};
use chrono::Utc;
use gongkai_model::{ContentKind, Emergency, EmergencyLevel, Notice, ScopeId};
use gongkai_server::fleet::{statuses, sweep, Freshness};
use gongkai_server::state::FleetSettings;
use gongkai_server::{DataDir, SqliteStore, Store};
use gongkai_store::Edit;
use gongkai_tests::simkiosk::SimKiosk;
use gongkai_tests::TestServer;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KIOSKS: usize = 1_000;
/// One poll interval in the simulation (30 s on real kiosks; shortened here).
const INTERVAL: Duration = Duration::from_secs(4);

fn notice(title: &str) -> Notice {
    Notice {
        title: title.into(),
        publisher: "云溪县人民政府办公室".into(),
        body_html: format!("<p>{title}</p>"),
        publish_at: Utc::now(),
        expire_at: None,
        images: Vec::new(),
    }
}

/// A county of 5 townships with 20 villages each, a notice in every scope.
fn county(store: &SqliteStore) -> Result<Vec<ScopeId>> {
    let county = ScopeId::parse("419901")?;
    store.ensure_scope(&county, "云溪县")?;
    store.publish(
        &county,
        &[Edit::put(
            ContentKind::Notice,
            "n-county",
            &notice("全县冬季防火通知"),
        )],
    )?;
    let mut villages = Vec::new();
    for t in 1..=5 {
        let township = ScopeId::parse(&format!("4199011{t:02}"))?;
        store.ensure_scope(&township, &format!("第{t}镇"))?;
        store.publish(
            &township,
            &[Edit::put(
                ContentKind::Notice,
                "n-town",
                &notice("镇便民服务时间调整"),
            )],
        )?;
        for v in 1..=20 {
            let village = ScopeId::parse(&format!("4199011{t:02}2{v:02}"))?;
            store.ensure_scope(&village, &format!("第{t}镇{v}村"))?;
            store.publish(
                &village,
                &[Edit::put(
                    ContentKind::Notice,
                    "n-village",
                    &notice("村民代表会议通知"),
                )],
            )?;
            villages.push(village);
        }
    }
    Ok(villages)
}

/// Runs `f` on every kiosk, at most 64 at a time, each after `delay(i)`.
async fn each<F, Fut>(
    kiosks: Vec<SimKiosk>,
    delay: impl Fn(usize) -> Duration,
    f: F,
) -> Result<Vec<SimKiosk>>
where
    F: Fn(SimKiosk) -> Fut + Send + Sync + 'static + Clone,
    Fut: std::future::Future<Output = Result<SimKiosk>> + Send + 'static,
{
    let gate = Arc::new(tokio::sync::Semaphore::new(64));
    let mut set = tokio::task::JoinSet::new();
    for (i, k) in kiosks.into_iter().enumerate() {
        let (f, gate, wait) = (f.clone(), gate.clone(), delay(i));
        set.spawn(async move {
            tokio::time::sleep(wait).await;
            let _permit = gate.acquire_owned().await?;
            f(k).await
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r??);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn counts(store: &dyn Store, now: i64, settings: &FleetSettings) -> Result<[usize; 4]> {
    let mut c = [0; 4];
    for s in statuses(store, "", now, settings)? {
        c[match s.freshness {
            Freshness::Current => 0,
            Freshness::Behind { .. } => 1,
            Freshness::Offline { .. } => 2,
            Freshness::NeverSeen => 3,
        }] += 1;
    }
    Ok(c)
}

#[test]
fn a_thousand_kiosks_current_then_behind_then_current_emergency_in_one_interval_offline_at_threshold(
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = DataDir::new(dir.path().join("server"));
    data.init()?;
    let store = SqliteStore::open(&data.db_path())?;
    let villages = county(&store)?;
    let now = Utc::now().timestamp();
    let mut tokens = Vec::new();
    for i in 0..KIOSKS {
        let village = &villages[i % villages.len()];
        let id = format!("{village}-{:02}", i / villages.len() + 1);
        let token = format!("sim-token-{i}");
        store.issue_enroll_token(
            &gongkai_protocol::sha256_hex(token.as_bytes()),
            &id,
            village,
            0,
            now,
            now + 3600,
        )?;
        tokens.push((SimKiosk::new(id, village), token));
    }
    let settings = FleetSettings::default();
    let unthrottled = gongkai_server::RateLimits {
        uploads_per_hour_kiosk: u32::MAX,
        uploads_per_hour_address: u32::MAX,
        lookups_per_10_min: u32::MAX,
        enrolls_per_10_min: u32::MAX,
    };
    let server = TestServer::start_fleet(
        data.clone(),
        "127.0.0.1:0".parse()?,
        3600,
        unthrottled,
        settings.clone(),
    )?;
    let base = server.url();
    let key = data.load_key()?.public();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(128)
        .timeout(Duration::from_secs(60))
        .build()?;

    rt.block_on(async {
        // Enroll all.
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        let gate = Arc::new(tokio::sync::Semaphore::new(64));
        for (k, token) in tokens {
            let (http, base, gate) = (http.clone(), base.clone(), gate.clone());
            set.spawn(async move {
                let _p = gate.acquire_owned().await?;
                k.enroll(&http, &base, &token).await?;
                anyhow::Ok(k)
            });
        }
        let mut kiosks = Vec::new();
        while let Some(r) = set.join_next().await {
            kiosks.push(r??);
        }
        println!("{KIOSKS} kiosks enrolled in {:?}", started.elapsed());
        assert_eq!(
            counts(&store, Utc::now().timestamp(), &settings)?,
            [0, 0, 0, KIOSKS]
        );

        // One round: poll, log, heartbeat.
        let round = |http: reqwest::Client, base: String, key: gongkai_protocol::PublicKey| {
            move |mut k: SimKiosk| {
                let (http, base) = (http.clone(), base.clone());
                async move {
                    k.poll(&http, &base, &key).await?;
                    k.log_display(Utc::now().timestamp());
                    k.heartbeat(&http, &base).await?;
                    Ok(k)
                }
            }
        };
        let started = Instant::now();
        let kiosks = each(kiosks, |_| Duration::ZERO, round(http.clone(), base.clone(), key)).await?;
        println!("first round (full sync + heartbeat) in {:?}", started.elapsed());
        assert_eq!(
            counts(&store, Utc::now().timestamp(), &settings)?,
            [KIOSKS, 0, 0, 0],
            "every kiosk verified current"
        );

        // The county publishes: every kiosk is behind until it polls.
        let county = ScopeId::parse("419901")?;
        store.publish(
            &county,
            &[Edit::put(ContentKind::Notice, "n-county-2", &notice("关于开展冬季送温暖活动的通知"))],
        )?;
        assert_eq!(
            counts(&store, Utc::now().timestamp(), &settings)?,
            [0, KIOSKS, 0, 0]
        );
        let started = Instant::now();
        let kiosks = each(kiosks, |_| Duration::ZERO, round(http.clone(), base.clone(), key)).await?;
        println!("catch-up round in {:?}", started.elapsed());
        assert_eq!(
            counts(&store, Utc::now().timestamp(), &settings)?,
            [KIOSKS, 0, 0, 0]
        );

        // Emergency: each kiosk polls once, at its own moment within one interval.
        let published = Instant::now();
        store.publish(
            &county,
            &[Edit::put(
                ContentKind::Emergency,
                "e-flood",
                &Emergency {
                    title: "关于防御强降雨的紧急通知".into(),
                    body: "请沿河群众立即转移到村委会。".into(),
                    level: EmergencyLevel::Red,
                    issuer: "云溪县防汛抗旱指挥部".into(),
                    publish_at: Utc::now(),
                    expire_at: Utc::now() + chrono::Duration::hours(6),
                },
            )],
        )?;
        let step = INTERVAL / KIOSKS as u32;
        let kiosks = each(kiosks, |i| step * i as u32, round(http.clone(), base.clone(), key)).await?;
        let reached = kiosks.iter().filter(|k| k.emergencies.contains(&"e-flood".to_string())).count();
        println!(
            "emergency on {reached} of {KIOSKS} kiosks after one staggered interval of {INTERVAL:?} (all done {:?} after publishing)",
            published.elapsed()
        );
        assert_eq!(reached, KIOSKS, "an emergency reaches every kiosk in one interval");

        // Ten kiosks stop calling in; the rest go on a second later.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let kiosks: Vec<SimKiosk> = kiosks
            .into_iter()
            .enumerate()
            .map(|(i, mut k)| {
                k.silent = i % 100 == 0;
                k
            })
            .collect();
        let silent: Vec<String> = kiosks.iter().filter(|k| k.silent).map(|k| k.id.clone()).collect();
        let kiosks = each(kiosks, |_| Duration::ZERO, move |mut k: SimKiosk| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                if !k.silent {
                    k.heartbeat(&http, &base).await?;
                }
                Ok(k)
            }
        })
        .await?;
        // They stopped at different moments of the staggered round: the first turns
        // offline exactly at its threshold, all of them by the last one's.
        let mut seen = Vec::new();
        for id in &silent {
            seen.push(store.kiosk(id)?.and_then(|k| k.last_seen_at).context("seen")?);
        }
        let (first, last) = (
            *seen.iter().min().context("silent")?,
            *seen.iter().max().context("silent")?,
        );
        let before = counts(&store, first + settings.offline_after_secs - 1, &settings)?;
        assert_eq!(before[2], 0, "nobody offline one second before the threshold");
        let just = counts(&store, first + settings.offline_after_secs, &settings)?;
        assert!(just[2] >= 1, "the first silent kiosk is offline at its threshold");
        let at = last + settings.offline_after_secs;
        let after = statuses(&store, "", at, &settings)?;
        let offline: Vec<&str> = after
            .iter()
            .filter(|s| matches!(s.freshness, Freshness::Offline { .. }))
            .map(|s| s.record.kiosk_id.as_str())
            .collect();
        let mut expected: Vec<&str> = silent.iter().map(String::as_str).collect();
        expected.sort();
        if offline != expected {
            bail!("offline at the threshold: {offline:?}, expected {expected:?}");
        }
        let raised = sweep(&store, at, &settings)?;
        assert_eq!(raised.len(), silent.len(), "one alert per silent kiosk");
        assert!(raised.iter().all(|e| e.kind == "offline" && e.event == "raised"));
        assert!(
            sweep(&store, at, &settings)?.is_empty(),
            "an open alert is not raised twice"
        );
        drop(kiosks);
        anyhow::Ok(())
    })?;
    drop(server);
    Ok(())
}
