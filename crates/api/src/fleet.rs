//! Fleet operations, server side: kiosks enroll with a one-time token and their own key,
//! send signed heartbeats (with their display log), and are classified as verifiably
//! current, behind or offline; alerts go to the console and to an outgoing webhook.
//!
//! A kiosk is "current" only when the state hash of what it shows, per scope, equals the
//! server's: it is a statement about content, not about the kiosk having called in.

use crate::error::{blocking, rate_limit, ClientIp};
use crate::error::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::state::FleetSettings;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use gongkai_model::{ContentKind, FinanceStatement, RelocationBoard, ScopeId};
use gongkai_protocol::displaylog::{gaps, on_screen, verify_display_log, DisplayEntry, Interval};
use gongkai_protocol::fleet::{
    request_signing_bytes, Enroll, Enrolled, Heartbeat, HeartbeatAck, ScopeReport, KIOSK_HEADER,
    SIGNATURE_HEADER,
};
use gongkai_protocol::paths;
use gongkai_protocol::PublicKey;
use gongkai_store::{HeartbeatWrite, KioskRecord, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::error::ApiError;

/// Where a kiosk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Freshness {
    /// Shows exactly the server's content in every scope it must follow.
    Current,
    /// Shows older content; `since` is when the server's content moved past it.
    Behind { since: i64 },
    /// Has not called in since `since`.
    Offline { since: i64 },
    /// Enrolled but never sent a heartbeat.
    NeverSeen,
}

impl Freshness {
    pub fn label(&self) -> &'static str {
        match self {
            Freshness::Current => "已核实为最新",
            Freshness::Behind { .. } => "内容落后",
            Freshness::Offline { .. } => "离线",
            Freshness::NeverSeen => "未报到",
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Freshness::Current => "current",
            Freshness::Behind { .. } => "behind",
            Freshness::Offline { .. } => "offline",
            Freshness::NeverSeen => "never_seen",
        }
    }
}

/// The server's current state hash per scope: `(epoch, seq, hex hash)`.
pub type Heads = HashMap<String, (u64, u64, String)>;

/// Classifies a kiosk (pure). `scopes` are the scopes it must follow (its enrolled scope
/// and the ones above); `first_change(scope, seq)` says when a scope first changed after
/// `seq`.
pub fn classify(
    last_seen: Option<i64>,
    reports: &[ScopeReport],
    scopes: &[String],
    heads: &Heads,
    first_change: impl Fn(&str, u64) -> Option<i64>,
    now: i64,
    settings: &FleetSettings,
) -> Freshness {
    let Some(seen) = last_seen else {
        return Freshness::NeverSeen;
    };
    if now - seen >= settings.offline_after_secs {
        return Freshness::Offline { since: seen };
    }
    let mut behind_since: Option<i64> = None;
    for scope in scopes {
        let Some((epoch, _, hash)) = heads.get(scope) else {
            continue; // nothing published there yet: nothing to show
        };
        let report = reports.iter().find(|r| &r.scope == scope);
        let since = match report {
            Some(r) if &r.state_hash == hash => continue,
            // Same epoch: behind since the first change after what it has.
            Some(r) if r.epoch == *epoch => first_change(scope, r.seq).unwrap_or(seen),
            // Not following the scope at all, or on an older epoch: as long as we know.
            _ => seen,
        };
        behind_since = Some(behind_since.map_or(since, |b| b.min(since)));
    }
    match behind_since {
        None => Freshness::Current,
        Some(since) => Freshness::Behind { since },
    }
}

/// A kiosk with its last report and where it stands.
#[derive(Debug, Clone)]
pub struct KioskStatus {
    pub record: KioskRecord,
    pub report: Option<Heartbeat>,
    pub freshness: Freshness,
}

fn heads(store: &dyn Store) -> Result<Heads, StoreError> {
    Ok(store
        .heads()?
        .into_iter()
        .map(|h| {
            (
                h.scope.as_str().to_string(),
                (h.epoch, h.seq, h.state_hash.to_hex()),
            )
        })
        .collect())
}

/// Every kiosk under `scope_prefix` ("" for all) with its state at `now`.
pub fn statuses(
    store: &dyn Store,
    scope_prefix: &str,
    now: i64,
    settings: &FleetSettings,
) -> Result<Vec<KioskStatus>, StoreError> {
    let heads = heads(store)?;
    store
        .kiosks(scope_prefix)?
        .into_iter()
        .map(|record| Ok(status_of(store, record, &heads, now, settings)))
        .collect()
}

/// One kiosk with its state at `now` (one kiosk's page need not classify the fleet).
pub fn status(
    store: &dyn Store,
    kiosk_id: &str,
    now: i64,
    settings: &FleetSettings,
) -> Result<Option<KioskStatus>, StoreError> {
    let Some(record) = store.kiosk(kiosk_id)? else {
        return Ok(None);
    };
    Ok(Some(status_of(
        store,
        record,
        &heads(store)?,
        now,
        settings,
    )))
}

fn status_of(
    store: &dyn Store,
    record: KioskRecord,
    heads: &Heads,
    now: i64,
    settings: &FleetSettings,
) -> KioskStatus {
    let report: Option<Heartbeat> = record
        .report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let scopes: Vec<String> = ScopeId::parse(&record.scope)
        .map(|s| s.chain().iter().map(|c| c.as_str().to_string()).collect())
        .unwrap_or_default();
    let freshness = classify(
        record.last_seen_at,
        report.as_ref().map(|r| r.scopes.as_slice()).unwrap_or(&[]),
        &scopes,
        heads,
        |scope, seq| store.first_change_after(scope, seq).ok().flatten(),
        now,
        settings,
    );
    KioskStatus {
        record,
        report,
        freshness,
    }
}

/// An alert raised or cleared, as the webhook receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// "raised" or "cleared".
    pub event: String,
    /// "offline" or "behind".
    pub kind: String,
    pub kiosk_id: String,
    pub scope: String,
    pub detail: String,
    pub at: i64,
}

/// Raises and clears alerts for the whole fleet at `now`. Returns what changed; an alert
/// raised by another instance is not returned here (its webhook went out there).
pub fn sweep(
    store: &dyn Store,
    now: i64,
    settings: &FleetSettings,
) -> Result<Vec<AlertEvent>, StoreError> {
    let mut events = Vec::new();
    for k in statuses(store, "", now, settings)? {
        let id = &k.record.kiosk_id;
        let mut note = |event: &str, kind: &str, detail: String| {
            events.push(AlertEvent {
                event: event.into(),
                kind: kind.into(),
                kiosk_id: id.clone(),
                scope: k.record.scope.clone(),
                detail,
                at: now,
            })
        };
        let (offline, behind) = match k.freshness {
            Freshness::Offline { since } => (Some(since), None),
            Freshness::Behind { since } if now - since >= settings.behind_after_secs => {
                (None, Some(since))
            }
            Freshness::Behind { .. } => (None, None),
            Freshness::Current | Freshness::NeverSeen => (None, None),
        };
        match offline {
            Some(since) => {
                let detail = format!(
                    "自 {} 起没有联系（{} 分钟）",
                    gongkai_model::calendar::beijing_minute(since),
                    (now - since) / 60
                );
                if store.raise_alert(id, "offline", &detail, now)? {
                    note("raised", "offline", detail);
                }
            }
            None => {
                if store.clear_alert(id, "offline", now)? {
                    note("cleared", "offline", "已恢复联系".into());
                }
            }
        }
        // Memory past its budget between restarts (the last heartbeat's figure).
        if let Some(report) = &k.report {
            let mib = |b: u64| b / (1024 * 1024);
            if report.rss_bytes > settings.memory_budget_bytes {
                let detail = format!(
                    "内存占用 {} MiB，超过预算 {} MiB（自上次启动 {} 小时）",
                    mib(report.rss_bytes),
                    mib(settings.memory_budget_bytes),
                    report.uptime_secs / 3600
                );
                if store.raise_alert(id, "memory", &detail, now)? {
                    note("raised", "memory", detail);
                }
            } else if store.clear_alert(id, "memory", now)? {
                note(
                    "cleared",
                    "memory",
                    format!("内存占用回到 {} MiB", mib(report.rss_bytes)),
                );
            }
        }
        match behind {
            Some(since) => {
                let detail = format!(
                    "自 {} 起显示的不是最新内容（{} 分钟）",
                    gongkai_model::calendar::beijing_minute(since),
                    (now - since) / 60
                );
                if store.raise_alert(id, "behind", &detail, now)? {
                    note("raised", "behind", detail);
                }
            }
            // Behind for less than the threshold keeps an open alert open.
            None if matches!(k.freshness, Freshness::Current)
                && store.clear_alert(id, "behind", now)? =>
            {
                note("cleared", "behind", "已显示最新内容".into());
            }
            None => {}
        }
    }
    Ok(events)
}

/// Runs [`sweep`] every `every`; with a webhook, queues each event in the database and
/// sends what is due ([`deliver_queued`]). An event the webhook does not accept stays
/// queued and is sent again later, so an alert raised while the operations desk's
/// endpoint is down still arrives; it stays visible in the console either way.
pub async fn alert_loop(st: AppState, every: std::time::Duration) {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let mut rounds: u64 = 0;
    loop {
        tokio::time::sleep(every).await;
        let store = st.store.clone();
        let settings = st.fleet.clone();
        let now = st.clock.unix();
        // 公示期 gaps read whole display logs: every tenth round is often enough.
        rounds += 1;
        let boards_due = rounds % 10 == 1;
        let events = match tokio::task::spawn_blocking(move || {
            let mut events = sweep(store.as_ref(), now, &settings)?;
            if boards_due {
                events.extend(posting_gap_alerts(store.as_ref(), now)?);
            }
            if settings.webhook.is_some() {
                queue(store.as_ref(), &events, now)?;
            }
            Ok::<_, StoreError>(events)
        })
        .await
        {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "fleet sweep failed");
                continue;
            }
            Err(_) => continue,
        };
        for e in &events {
            tracing::warn!(kiosk = %e.kiosk_id, kind = %e.kind, event = %e.event, "fleet alert");
        }
        if let Some(url) = &st.fleet.webhook {
            if let Err(e) = deliver_queued(&st.store, &client, url, now).await {
                tracing::warn!(error = %e, "alert webhook queue");
            }
        }
    }
}

/// Queues events for the webhook.
pub fn queue(store: &dyn Store, events: &[AlertEvent], now: i64) -> Result<(), StoreError> {
    for e in events {
        let body = serde_json::to_string(e).map_err(|e| StoreError::Refused(e.to_string()))?;
        store.queue_webhook(&body, now)?;
    }
    Ok(())
}

/// How long a failed delivery waits before the next try: one minute, doubling, at most an
/// hour.
pub fn retry_delay(attempts: u32) -> i64 {
    60i64
        .saturating_mul(1i64 << attempts.saturating_sub(1).min(6))
        .min(3600)
}

/// Sends the queued events that are due at `now` (claimed first, so each goes out from one
/// instance); answers `(delivered, failed)`.
pub async fn deliver_queued(
    store: &std::sync::Arc<dyn Store>,
    client: &reqwest::Client,
    url: &str,
    now: i64,
) -> Result<(usize, usize), StoreError> {
    let s = store.clone();
    // The lease covers the sends below (10 s timeout each) with room to spare.
    let due = tokio::task::spawn_blocking(move || s.claim_webhooks(now, now + 600, 50))
        .await
        .map_err(|e| StoreError::Refused(e.to_string()))??;
    let (mut delivered, mut failed) = (0, 0);
    for (id, body, attempts) in due {
        let ok = match client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => true,
            Ok(r) => {
                tracing::warn!(status = %r.status(), attempts, "alert webhook refused");
                false
            }
            Err(err) => {
                tracing::warn!(error = %err, attempts, "alert webhook failed");
                false
            }
        };
        if ok {
            delivered += 1;
        } else {
            failed += 1;
        }
        let s = store.clone();
        let retry_at = now + retry_delay(attempts);
        tokio::task::spawn_blocking(move || s.webhook_result(id, ok, now, retry_at))
            .await
            .map_err(|e| StoreError::Refused(e.to_string()))??;
    }
    Ok((delivered, failed))
}

/// An enrollment token: 20 characters from an alphabet without look-alikes (no 0/O,
/// 1/I/L), in groups of 5 — read off a screen and typed into a config file by hand.
pub fn new_enrollment_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    let raw: Vec<u8> = (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())])
        .collect();
    raw.chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Issues a token for `kiosk_id` at `scope`, valid `days`; answers the token (only its
/// hash is kept).
/// How long an enrollment code stays valid: the console says this figure and the demo's
/// codes use it, so the page and the listed expiry agree.
pub const ENROLLMENT_DAYS: i64 = 7;

pub fn issue_enrollment(
    store: &dyn Store,
    kiosk_id: &str,
    scope: &ScopeId,
    created_by: i64,
    now: i64,
    days: i64,
) -> Result<String, StoreError> {
    let token = new_enrollment_token();
    store.issue_enroll_token(
        &gongkai_protocol::sha256_hex(token.as_bytes()),
        kiosk_id,
        scope,
        created_by,
        now,
        now + days * 86_400,
    )?;
    Ok(token)
}

fn valid_kiosk_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `POST /v1/kiosks/enroll`
pub async fn enroll(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<Enroll>,
) -> Result<Json<Enrolled>, ApiError> {
    rate_limit(
        &st,
        vec![(format!("enroll:addr:{ip}"), st.rate.enrolls_per_10_min)],
        600,
    )
    .await?;
    if !valid_kiosk_id(&req.kiosk_id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_kiosk_id",
            "公开屏编号只能由字母、数字、- 和 _ 组成",
        ));
    }
    if PublicKey::from_base64(&req.public_key).is_err() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_key",
            "公钥格式不对",
        ));
    }
    let hash = gongkai_protocol::sha256_hex(req.token.trim().as_bytes());
    let now = st.clock.unix();
    let r = req.clone();
    let store = st.store.clone();
    let scope = blocking(move || {
        store.enroll_kiosk(&hash, &r.kiosk_id, &r.public_key, &r.app_version, now)
    })
    .await?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_token",
            "注册码无效、已用过或已过期，请在管理平台重新生成",
        )
    })?;
    tracing::info!(kiosk = %req.kiosk_id, %scope, "kiosk enrolled");
    let code_ns = assign_code_namespace(&st, &req.kiosk_id).await?;
    Ok(Json(Enrolled {
        kiosk_id: req.kiosk_id,
        scope,
        code_ns: Some(code_ns),
    }))
}

/// Checks a kiosk's signature over the exact request bytes; answers with its record.
pub(crate) async fn signed_by_kiosk(
    st: &AppState,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<KioskRecord, ApiError> {
    let unauthorized = |code, msg: &str| ApiError::new(StatusCode::UNAUTHORIZED, code, msg);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (Some(id), Some(sig)) = (header(KIOSK_HEADER), header(SIGNATURE_HEADER)) else {
        return Err(unauthorized("unsigned", "请求没有公开屏签名"));
    };
    let store = st.store.clone();
    let lookup = id.clone();
    let record = blocking(move || store.kiosk(&lookup))
        .await?
        .ok_or_else(|| unauthorized("unknown_kiosk", "这台公开屏没有注册"))?;
    let key = PublicKey::from_base64(&record.public_key)
        .map_err(|_| unauthorized("bad_signature", "签名不对"))?;
    if !key.verify(&request_signing_bytes(&id, path, body), &sig) {
        tracing::warn!(kiosk = %id, path, "request with a bad kiosk signature refused");
        return Err(unauthorized("bad_signature", "签名不对"));
    }
    Ok(record)
}

/// `POST /v1/kiosks/heartbeat`, signed by the kiosk.
pub async fn heartbeat(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<HeartbeatAck>, ApiError> {
    let record = signed_by_kiosk(&st, &headers, paths::KIOSK_HEARTBEAT, &body).await?;
    let bad = |code, msg: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg);
    let mut hb: Heartbeat = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", e.to_string()))?;
    if hb.kiosk_id != record.kiosk_id {
        return Err(bad("wrong_kiosk", "心跳里的编号与签名者不符".into()));
    }
    if hb.counter <= record.last_counter {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "replayed",
            "心跳计数没有增加（重放或过期的心跳）",
        ));
    }
    // Entries the server already holds (their acknowledgement was lost) are skipped;
    // the rest must continue the log exactly.
    let entries: Vec<DisplayEntry> = std::mem::take(&mut hb.display_log)
        .into_iter()
        .filter(|e| e.seq > record.display_seq)
        .collect();
    let key = PublicKey::from_base64(&record.public_key)
        .map_err(|_| bad("bad_key", "公钥无效".into()))?;
    if let Err(link) = verify_display_log(
        &record.kiosk_id,
        &key,
        (record.display_seq, record.display_hash.clone()),
        &entries,
    ) {
        tracing::warn!(kiosk = %record.kiosk_id, %link, "display log refused");
        let (store, id, detail) = (st.store.clone(), record.kiosk_id.clone(), link.to_string());
        let now = st.clock.unix();
        let _ = blocking(move || store.raise_alert(&id, "display_log", &detail, now)).await;
        return Err(bad("display_log_broken", format!("展示记录不连续：{link}")));
    }
    let now = st.clock.unix();
    changelog_alarm(&st, &record, hb.changelog_alarm.clone(), now).await?;
    let report = serde_json::to_string(&hb)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let store = st.store.clone();
    let (id, pk, counter, version) = (
        record.kiosk_id.clone(),
        record.public_key.clone(),
        hb.counter,
        hb.app_version.clone(),
    );
    let after = record.display_seq;
    let (rss_bytes, uptime_secs) = (hb.rss_bytes, hb.uptime_secs);
    let saved = blocking(move || {
        store.save_heartbeat(&HeartbeatWrite {
            kiosk_id: &id,
            key: &pk,
            counter,
            now,
            app_version: &version,
            report: &report,
            after_seq: after,
            entries: &entries,
            rss_bytes,
            uptime_secs,
        })
    })
    .await?;
    if !saved {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "replayed",
            "心跳已过期（另一条更新的心跳已到）",
        ));
    }
    let fresh = st.store.clone();
    let lookup = record.kiosk_id.clone();
    let record = blocking(move || fresh.kiosk(&lookup))
        .await?
        .unwrap_or(record);
    let config = record
        .remote_config
        .filter(|c| c.version > hb.config_version)
        .map(|c| c.sign(st.signer.key()));
    let codes = match hb.codes_left {
        Some(left) if left < CODE_POOL_LOW => {
            reserve_codes(&st, &record.kiosk_id, CODE_POOL_FILL - left, now).await?
        }
        _ => Vec::new(),
    };
    Ok(Json(HeartbeatAck {
        display_log_acked: record.display_seq,
        config,
        screenshot_requested: record.screenshot_wanted.is_some(),
        server_time: now,
        codes,
    }))
}

/// A kiosk below this many reserved codes gets topped up to [`CODE_POOL_FILL`] with its
/// heartbeat: weeks of filings offline before it makes codes of its own.
pub const CODE_POOL_LOW: u32 = 100;
pub const CODE_POOL_FILL: u32 = 200;

/// Reserves `n` fresh random codes for the kiosk: typeable, held by no other kiosk and
/// used by no filing (the store checks both in one transaction).
async fn reserve_codes(
    st: &AppState,
    kiosk_id: &str,
    n: u32,
    now: i64,
) -> Result<Vec<String>, ApiError> {
    let store = st.store.clone();
    let id = kiosk_id.to_string();
    blocking(move || {
        use rand::RngCore;
        let mut out: Vec<String> = Vec::new();
        // A draw can only lose a candidate to a collision; a few rounds always suffice.
        for _ in 0..8 {
            if out.len() >= n as usize {
                break;
            }
            let candidates: Vec<String> = std::iter::repeat_with(|| {
                gongkai_model::complaint::TrackingCode::pooled(|| rand::rngs::OsRng.next_u64())
            })
            .take(n as usize - out.len())
            .map(|c| c.as_str().to_string())
            .collect();
            out.extend(store.reserve_codes(&id, &candidates, now)?);
        }
        Ok(out)
    })
    .await
}

/// The kiosk's code namespace: the one it has, or a random free one. Namespaces of codes
/// filed before namespaces existed are avoided, so no old code can come back.
async fn assign_code_namespace(st: &AppState, kiosk_id: &str) -> Result<u32, ApiError> {
    let store = st.store.clone();
    let id = kiosk_id.to_string();
    blocking(move || {
        use rand::Rng;
        let used: std::collections::HashSet<u32> = store
            .complaints(None)?
            .iter()
            .filter_map(|r| r.code.namespace())
            .collect();
        loop {
            let candidate =
                rand::rngs::OsRng.gen_range(0..=gongkai_model::complaint::NAMESPACE_MASK);
            if used.contains(&candidate) {
                continue;
            }
            if let Some(ns) = store.code_namespace(&id, candidate)? {
                return Ok(ns);
            }
        }
    })
    .await
}

/// A kiosk says the public change log no longer extends what it verified (or that it
/// does again): the alert is raised or cleared, and the webhook told either way.
async fn changelog_alarm(
    st: &AppState,
    record: &KioskRecord,
    alarm: Option<String>,
    now: i64,
) -> Result<(), ApiError> {
    let store = st.store.clone();
    let (id, scope) = (record.kiosk_id.clone(), record.scope.clone());
    let webhook = st.fleet.webhook.is_some();
    blocking(move || {
        let event = match &alarm {
            Some(why) => store
                .raise_alert(&id, "changelog", why, now)?
                .then(|| ("raised", why.clone())),
            None => store
                .clear_alert(&id, "changelog", now)?
                .then(|| ("cleared", "公开记录已与本机核验的一致".to_string())),
        };
        if let Some((event, detail)) = event {
            if event == "raised" {
                tracing::error!(kiosk = %id, %detail, "a kiosk reports a rewritten change log");
            }
            if !webhook {
                return Ok(());
            }
            queue(
                store.as_ref(),
                &[AlertEvent {
                    event: event.into(),
                    kind: "changelog".into(),
                    kiosk_id: id.clone(),
                    scope: scope.clone(),
                    detail,
                    at: now,
                }],
                now,
            )?;
        }
        Ok(())
    })
    .await
}

/// `POST /v1/kiosks/screenshot`, signed: a PNG of what the screen shows.
pub async fn screenshot(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let record = signed_by_kiosk(&st, &headers, paths::KIOSK_SCREENSHOT, &body).await?;
    if !body.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_png",
            "截图必须是 PNG",
        ));
    }
    let now = st.clock.unix();
    let store = st.store.clone();
    blocking(move || store.save_screenshot(&record.kiosk_id, &body, now)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    from: u64,
}

/// One of a kiosk's display logs, with the key that signs it.
#[derive(Debug, Serialize, Deserialize)]
pub struct DisplayLog {
    pub public_key: String,
    pub entries: Vec<DisplayEntry>,
}

/// `GET /v1/kiosks/{id}/display-log`: public, so that anyone can check a posting period
/// with the kiosk's key, independently of the console.
pub async fn display_log(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = st.store.clone();
    let logs = blocking(move || -> Result<Option<Vec<DisplayLog>>, StoreError> {
        if store.kiosk(&id)?.is_none() {
            return Ok(None);
        }
        let mut logs = Vec::new();
        for key in store.display_keys(&id)? {
            let entries = store.display_log(&id, &key, q.from, 20_000)?;
            logs.push(DisplayLog {
                public_key: key,
                entries,
            });
        }
        Ok(Some(logs))
    })
    .await?
    .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "unknown_kiosk", "没有这台公开屏"))?;
    Ok(Json(serde_json::json!({ "logs": logs })))
}

/// Each display log of a kiosk (by the key that signed it): its entries, or where it broke.
pub type KioskLogs = Vec<(
    String,
    Result<Vec<DisplayEntry>, gongkai_protocol::changelog::BrokenLink>,
)>;

/// A kiosk's whole display log (every key), verified: the entries, or the first break.
pub fn verified_logs(store: &dyn Store, kiosk_id: &str) -> Result<KioskLogs, StoreError> {
    let mut out = Vec::new();
    for key in store.display_keys(kiosk_id)? {
        let mut entries = Vec::new();
        let mut from = 1;
        loop {
            let page = store.display_log(kiosk_id, &key, from, 10_000)?;
            let Some(last) = page.last() else { break };
            from = last.seq + 1;
            entries.extend(page);
        }
        let checked = match PublicKey::from_base64(&key) {
            Ok(pk) => verify_display_log(
                kiosk_id,
                &pk,
                gongkai_protocol::displaylog::genesis(),
                &entries,
            )
            .map(|_| entries),
            Err(_) => Err(gongkai_protocol::changelog::BrokenLink {
                n: 1,
                reason: "公钥无效".into(),
            }),
        };
        out.push((key, checked));
    }
    Ok(out)
}

/// How long each finance statement must stay on the boards, from its first publication.
/// (村务公开: a month's accounts stay up at least until the next month's are posted.)
pub const FINANCE_POSTING_DAYS: i64 = 30;

/// What one kiosk's display logs prove about one item over its posting period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub on_screen: Vec<Interval>,
    pub gaps: Vec<Interval>,
    /// A log that failed verification proves nothing; where it broke.
    pub broken: Option<gongkai_protocol::changelog::BrokenLink>,
}

impl Coverage {
    pub fn complete(&self) -> bool {
        self.gaps.is_empty() && self.broken.is_none()
    }
}

/// Coverage of `(kind, scope, id)` within `period` by the verified logs of one kiosk.
pub fn coverage(
    logs: &[(
        String,
        Result<Vec<DisplayEntry>, gongkai_protocol::changelog::BrokenLink>,
    )],
    kind: &str,
    scope: &str,
    id: &str,
    period: Interval,
) -> Coverage {
    let mut on: Vec<Interval> = Vec::new();
    let mut broken = None;
    for (_, log) in logs {
        match log {
            Ok(entries) => on.extend(on_screen(entries, kind, scope, id, period.until)),
            Err(b) => broken = Some(b.clone()),
        }
    }
    on.sort_by_key(|i| i.from);
    let mut merged: Vec<Interval> = Vec::new();
    for i in on {
        let clipped = Interval {
            from: i.from.max(period.from),
            until: i.until.min(period.until),
        };
        if clipped.until <= clipped.from {
            continue;
        }
        match merged.last_mut() {
            Some(last) if last.until >= clipped.from => last.until = last.until.max(clipped.until),
            _ => merged.push(clipped),
        }
    }
    Coverage {
        gaps: gaps(&merged, period),
        on_screen: merged,
        broken,
    }
}

/// `GET /v1/updates/{package}/latest`: the signed manifest of the newest release; the
/// package itself is `/v1/blobs/{sha256}`.
pub async fn latest_update(
    State(st): State<AppState>,
    ApiPath(package): ApiPath<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let store = st.store.clone();
    let manifest = blocking(move || store.latest_release(&package))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_release", "没有可用的更新"))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        manifest,
    )
        .into_response())
}

/// A posted item with the period it must be on screen.
pub struct Posting {
    pub scope: ScopeId,
    pub kind: ContentKind,
    pub id: String,
    pub title: String,
    pub period: Interval,
}

/// Every 三榜 board and finance statement of `scopes` (with their names) and the period
/// each must be on screen: a board's 公示期 as written on it, a statement's first
/// [`FINANCE_POSTING_DAYS`] days. Boards first, newest first.
pub fn postings(s: &dyn Store, scopes: &[(ScopeId, String)]) -> Result<Vec<Posting>, StoreError> {
    let mut out = Vec::new();
    for (scope, name) in scopes {
        for (id, body) in s.items_of_kind(scope, ContentKind::RelocationBoard)? {
            if let Ok(b) = serde_json::from_str::<RelocationBoard>(&body) {
                out.push(Posting {
                    scope: scope.clone(),
                    kind: ContentKind::RelocationBoard,
                    id,
                    title: format!("{} · {}", name, b.title),
                    period: Interval {
                        from: gongkai_model::calendar::beijing_midnight(b.posting_from),
                        until: gongkai_model::calendar::beijing_midnight(
                            b.posting_until + chrono::Duration::days(1),
                        ),
                    },
                });
            }
        }
        for (id, body) in s.items_of_kind(scope, ContentKind::Finance)? {
            let Ok(f) = serde_json::from_str::<FinanceStatement>(&body) else {
                continue;
            };
            let Some(first) = s
                .item_history(scope, ContentKind::Finance, &id)?
                .first()
                .map(|e| e.at)
            else {
                continue;
            };
            out.push(Posting {
                scope: scope.clone(),
                kind: ContentKind::Finance,
                id,
                title: format!("{} · {} 财务收支", f.village_name, f.period),
                period: Interval {
                    from: first,
                    until: first + FINANCE_POSTING_DAYS * 86_400,
                },
            });
        }
    }
    out.sort_by_key(|p| {
        (
            p.kind != ContentKind::RelocationBoard,
            std::cmp::Reverse(p.period.from),
        )
    });
    Ok(out)
}

/// Missing time in a board's 公示期 at one kiosk that raises an alert (and the console's
/// proposal to extend): shorter gaps are a restart or a slow first sync.
pub const POSTING_GAP_ALERT_SECS: i64 = 15 * 60;
/// Boards are watched during their 公示期 and this long after it (time to extend).
pub const POSTING_GAP_WATCH_SECS: i64 = 3 * 86_400;

/// A board that was not on one kiosk for part of its 公示期 (up to now).
pub struct PostingGap {
    pub posting: Posting,
    pub kiosk_id: String,
    pub kiosk_scope: String,
    /// Seconds of the period (up to now) the verified display log does not cover; the
    /// whole period when the log is broken.
    pub missing_secs: i64,
}

/// Every gap of at least [`POSTING_GAP_ALERT_SECS`] in a watched board's 公示期 on any
/// kiosk that must show it (a kiosk of the board's village), by the kiosks' verified
/// display logs. A board that never reached a kiosk is missing there for the whole
/// period so far.
pub fn posting_gaps(store: &dyn Store, now: i64) -> Result<Vec<PostingGap>, StoreError> {
    let heads: Vec<(ScopeId, String)> = store
        .heads()?
        .into_iter()
        .map(|h| (h.scope, h.name))
        .collect();
    let boards: Vec<Posting> = postings(store, &heads)?
        .into_iter()
        .filter(|p| {
            p.kind == ContentKind::RelocationBoard
                && p.period.from < now
                && p.period.until + POSTING_GAP_WATCH_SECS > now
        })
        .collect();
    let mut out = Vec::new();
    if boards.is_empty() {
        return Ok(out);
    }
    let kiosks = store.kiosks("")?;
    let mut logs: HashMap<String, KioskLogs> = HashMap::new();
    for p in boards {
        let period = Interval {
            from: p.period.from,
            until: p.period.until.min(now),
        };
        for k in kiosks
            .iter()
            .filter(|k| k.scope.starts_with(p.scope.as_str()))
        {
            if !logs.contains_key(&k.kiosk_id) {
                logs.insert(k.kiosk_id.clone(), verified_logs(store, &k.kiosk_id)?);
            }
            let log = logs.get(&k.kiosk_id).map(Vec::as_slice).unwrap_or(&[]);
            let c = coverage(log, p.kind.key(), p.scope.as_str(), &p.id, period);
            let missing = if c.broken.is_some() {
                period.secs()
            } else {
                c.gaps.iter().map(Interval::secs).sum()
            };
            if missing >= POSTING_GAP_ALERT_SECS {
                out.push(PostingGap {
                    posting: Posting {
                        scope: p.scope.clone(),
                        kind: p.kind,
                        id: p.id.clone(),
                        title: p.title.clone(),
                        period: p.period,
                    },
                    kiosk_id: k.kiosk_id.clone(),
                    kiosk_scope: k.scope.clone(),
                    missing_secs: missing,
                });
            }
        }
    }
    Ok(out)
}

/// Hours, rounded up, for a missing time.
pub fn hours(secs: i64) -> i64 {
    (secs + 3_599) / 3_600
}

/// Days a 公示期 should be extended by to make up `missing_secs`: whole days, rounded up.
pub fn extension_days(missing_secs: i64) -> i64 {
    ((missing_secs + 86_399) / 86_400).max(1)
}

/// Raises a `posting_gap` alert on each kiosk where a watched board was missing (naming
/// the boards and hours) and clears it where none is; answers the events for the webhook.
pub fn posting_gap_alerts(store: &dyn Store, now: i64) -> Result<Vec<AlertEvent>, StoreError> {
    let gaps = posting_gaps(store, now)?;
    let mut events = Vec::new();
    for k in store.kiosks("")? {
        let mine: Vec<&PostingGap> = gaps.iter().filter(|g| g.kiosk_id == k.kiosk_id).collect();
        if mine.is_empty() {
            if store.clear_alert(&k.kiosk_id, "posting_gap", now)? {
                events.push(AlertEvent {
                    event: "cleared".into(),
                    kind: "posting_gap".into(),
                    kiosk_id: k.kiosk_id.clone(),
                    scope: k.scope.clone(),
                    detail: "公示期内已无空缺".into(),
                    at: now,
                });
            }
            continue;
        }
        let detail = mine
            .iter()
            .map(|g| {
                format!(
                    "{} 在公示期内有 {} 小时没有显示，建议延长公示期 {} 天",
                    g.posting.title,
                    hours(g.missing_secs),
                    extension_days(g.missing_secs)
                )
            })
            .collect::<Vec<_>>()
            .join("；");
        if store.raise_alert(&k.kiosk_id, "posting_gap", &detail, now)? {
            events.push(AlertEvent {
                event: "raised".into(),
                kind: "posting_gap".into(),
                kiosk_id: k.kiosk_id.clone(),
                scope: k.scope.clone(),
                detail,
                at: now,
            });
        }
    }
    Ok(events)
}

/// A kiosk's memory since its last restart, from heartbeat samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryTrend {
    /// When the current run started (the first sample after the uptime fell).
    pub since: i64,
    pub first_bytes: u64,
    pub last_bytes: u64,
    pub peak_bytes: u64,
    /// Growth after warm-up by a least-squares line, MiB per hour; None with fewer than
    /// three samples past warm-up.
    pub mib_per_hour: Option<f64>,
}

/// Samples in the first ten minutes of a run are warm-up (caches filling), not growth.
pub const MEMORY_WARM_UP_SECS: u64 = 600;

/// The trend of the current run in `samples` (oldest first): a restart is where the
/// reported uptime goes down.
pub fn memory_trend(samples: &[gongkai_store::fleet::MemorySample]) -> Option<MemoryTrend> {
    let start = samples
        .windows(2)
        .rposition(|w| w[1].uptime_secs < w[0].uptime_secs)
        .map_or(0, |i| i + 1);
    let run = &samples[start..];
    let (first, last) = (run.first()?, run.last()?);
    let warm: Vec<(f64, f64)> = run
        .iter()
        .filter(|s| s.uptime_secs >= MEMORY_WARM_UP_SECS)
        // Against the kiosk's own uptime: its monotonic clock, whatever the delays.
        .map(|s| {
            (
                s.uptime_secs as f64 / 3600.0,
                s.rss_bytes as f64 / (1024.0 * 1024.0),
            )
        })
        .collect();
    let mib_per_hour = (warm.len() >= 3).then(|| {
        let n = warm.len() as f64;
        let (mx, my) = (
            warm.iter().map(|p| p.0).sum::<f64>() / n,
            warm.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let sxx: f64 = warm.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = warm.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        if sxx > 0.0 {
            sxy / sxx
        } else {
            0.0
        }
    });
    Some(MemoryTrend {
        since: first.at,
        first_bytes: first.rss_bytes,
        last_bytes: last.rss_bytes,
        peak_bytes: run.iter().map(|s| s.rss_bytes).max().unwrap_or(0),
        mib_per_hour,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(scope: &str, seq: u64, hash: &str) -> ScopeReport {
        ScopeReport {
            scope: scope.into(),
            epoch: 1,
            seq,
            state_hash: hash.into(),
        }
    }

    #[test]
    fn current_behind_offline_and_never_seen() {
        let s = FleetSettings::default();
        let mut heads = Heads::new();
        heads.insert("419901".into(), (1, 10, "aa".into()));
        heads.insert("419901102".into(), (1, 5, "bb".into()));
        let scopes = vec!["419901102".to_string(), "419901".to_string()];
        let changed_at = |_: &str, seq: u64| Some(1_000 + seq as i64);
        let now = 10_000;
        let ok = [report("419901", 10, "aa"), report("419901102", 5, "bb")];
        assert_eq!(
            classify(Some(now - 30), &ok, &scopes, &heads, changed_at, now, &s),
            Freshness::Current
        );
        let old = [report("419901", 8, "a0"), report("419901102", 5, "bb")];
        assert_eq!(
            classify(Some(now - 30), &old, &scopes, &heads, changed_at, now, &s),
            Freshness::Behind { since: 1_008 }
        );
        // Not following a scope it must follow.
        assert_eq!(
            classify(
                Some(now - 30),
                &ok[..1],
                &scopes,
                &heads,
                changed_at,
                now,
                &s
            ),
            Freshness::Behind { since: now - 30 }
        );
        // Offline exactly at the threshold, whatever it showed.
        assert_eq!(
            classify(Some(now - 599), &ok, &scopes, &heads, changed_at, now, &s),
            Freshness::Current
        );
        assert_eq!(
            classify(Some(now - 600), &ok, &scopes, &heads, changed_at, now, &s),
            Freshness::Offline { since: now - 600 }
        );
        assert_eq!(
            classify(None, &[], &scopes, &heads, changed_at, now, &s),
            Freshness::NeverSeen
        );
    }

    #[test]
    fn memory_trend_is_the_current_run_after_warm_up() {
        use gongkai_store::fleet::MemorySample;
        let mib = 1024 * 1024;
        let sample = |at: i64, uptime: u64, rss_mib: u64| MemorySample {
            at,
            rss_bytes: rss_mib * mib,
            uptime_secs: uptime,
        };
        // A first run that grew, a restart, then a flat run with a warm-up climb.
        let mut samples = vec![sample(0, 3600, 500), sample(600, 4200, 580)];
        let t0 = 10_000;
        samples.push(sample(t0, 60, 300)); // restarted
        samples.push(sample(t0 + 300, 360, 420)); // warming up
        for h in 0..6 {
            samples.push(sample(
                t0 + 600 + h * 3600,
                600 + h as u64 * 3600,
                450 + h as u64 * 2,
            ));
        }
        let Some(t) = memory_trend(&samples) else {
            panic!("no trend")
        };
        assert_eq!(t.since, t0);
        assert_eq!(t.first_bytes, 300 * mib);
        assert_eq!(t.peak_bytes, 460 * mib);
        let slope = t.mib_per_hour.unwrap_or(f64::NAN);
        assert!((slope - 2.0).abs() < 1e-6, "{slope}");
        // Too few samples past warm-up: no slope claimed.
        assert_eq!(
            memory_trend(&samples[2..4]).map(|t| t.mib_per_hour),
            Some(None)
        );
        assert_eq!(memory_trend(&[]), None);
    }
}
