//! 公开屏管理: which kiosks verifiably show today's content, which are behind or offline
//! (with the alerts raised), enrolling a new kiosk, its remote settings and a screenshot
//! on request, and 公示核验 — for each 三榜 board and finance statement, the periods it
//! was really on screen at each kiosk and the gaps in its posting period.

use super::auth::csrf_field;
use super::auth::Session;
use super::posting::scopes_for;
use super::shell::{covered_scope, page, ConsoleError, Result};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use gongkai_api::fleet::{
    coverage, extension_days, hours, postings, statuses, verified_logs, Freshness, KioskStatus,
    FINANCE_POSTING_DAYS, POSTING_GAP_ALERT_SECS,
};
use gongkai_api::state::AppState;
use gongkai_model::calendar::beijing_minute;
use gongkai_model::{ContentKind, RelocationBoard, ScopeId, ScopeLevel};
use gongkai_protocol::displaylog::Interval;
use gongkai_protocol::fleet::{DisplayHours, RemoteConfig};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

/// How long an enrollment token stays usable: time to carry it to the village.
const TOKEN_DAYS: i64 = gongkai_api::fleet::ENROLLMENT_DAYS;

fn mib(bytes: u64) -> String {
    format!("{} MB", bytes / (1024 * 1024))
}

fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 60 => "不到 1 分钟".to_string(),
        s if s < 3600 => format!("{} 分钟", s / 60),
        s if s < 86_400 => format!("{} 小时 {} 分", s / 3600, (s % 3600) / 60),
        s => format!("{} 天 {} 小时", s / 86_400, (s % 86_400) / 3600),
    }
}

fn badge(f: &Freshness) -> Markup {
    let class = match f {
        Freshness::Current => "badge approved",
        Freshness::Behind { .. } | Freshness::Offline { .. } => "badge warn",
        Freshness::NeverSeen => "badge pending",
    };
    html! { span class=(class) data-state=(f.key()) { (f.label()) } }
}

fn since_text(f: &Freshness, now: i64) -> String {
    match f {
        Freshness::Behind { since } => format!("已落后 {}", duration(now - since)),
        Freshness::Offline { since } => format!("已 {} 没有联系", duration(now - since)),
        _ => String::new(),
    }
}

#[derive(Debug, Deserialize)]
pub struct FleetQuery {
    #[serde(default)]
    township: String,
    #[serde(default)]
    state: String,
}

async fn fleet_of(st: &AppState, prefix: String) -> Result<Vec<KioskStatus>> {
    let settings = st.fleet.clone();
    let now = st.clock.unix();
    super::posting::blocking(&st.store, move |s| statuses(s, &prefix, now, &settings)).await
}

pub async fn index(
    session: Session,
    State(st): State<AppState>,
    Query(q): Query<FleetQuery>,
) -> Result<Response> {
    let user = session.user.clone();
    let now = st.clock.unix();
    let scopes = scopes_for(&st, &user).await?;
    let names: HashMap<String, String> = scopes
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), n.clone()))
        .collect();
    let townships: Vec<&(ScopeId, String)> = scopes
        .iter()
        .filter(|(s, _)| s.level() == ScopeLevel::Township)
        .collect();
    let prefix = if !q.township.is_empty() && names.contains_key(&q.township) {
        q.township.clone()
    } else {
        user.scope.as_str().to_string()
    };
    let all = fleet_of(&st, prefix).await?;
    let count = |k: &str| all.iter().filter(|s| s.freshness.key() == k).count();
    let shown: Vec<&KioskStatus> = all
        .iter()
        .filter(|s| q.state.is_empty() || s.freshness.key() == q.state)
        .collect();
    let ids: Vec<String> = all.iter().map(|k| k.record.kiosk_id.clone()).collect();
    let prefix_pending = user.scope.as_str().to_string();
    let pending = super::posting::blocking(&st.store, move |s| {
        s.pending_enrollments(&prefix_pending, now)
    })
    .await?;
    let alerts = super::posting::blocking(&st.store, move |s| s.alerts(now - 86_400))
        .await?
        .into_iter()
        .filter(|a| ids.contains(&a.kiosk_id))
        .collect::<Vec<_>>();
    // Only the county sees the delivery queue: it is the county's operations desk.
    let undelivered = if st.fleet.webhook.is_some() && user.role == gongkai_store::Role::CountyAdmin
    {
        super::posting::blocking(&st.store, |s| s.webhooks_waiting()).await?
    } else {
        0
    };
    // Kiosks count 公示期 and show deadlines on the county's calendar: a missing next
    // year is an operational alert, from 1 November when the State Council publishes it.
    let base = st.calendar.clone();
    let calendar = super::posting::blocking(&st.store, move |s| {
        gongkai_api::workdays::calendar(s, &base)
    })
    .await?;
    let calendar_missing = gongkai_api::workdays::reminder_due(&calendar, st.clock.today());
    let place = |scope: &str| {
        names
            .get(scope)
            .cloned()
            .unwrap_or_else(|| scope.to_string())
    };
    let filter = |state: &str| format!("/fleet?township={}&state={state}", q.township);
    Ok(page(
        "公开屏管理",
        Some(&user),
        html! {
            p.hint { "“已核实为最新”表示这台屏最近一次报告的正在显示内容的摘要，与服务器上该村、乡镇、县的内容摘要逐一相同；不是只看它有没有联网。超过 " (st.fleet.offline_after_secs / 60) " 分钟没有联系算离线，内容落后超过 " (st.fleet.behind_after_secs / 60) " 分钟会告警。" }
            div.tiles {
                a.tile href=(filter("current")) { strong data-testid="count-current" { (count("current")) } span { "台已核实为最新" } }
                a.tile href=(filter("behind")) { strong.warn[count("behind") > 0] data-testid="count-behind" { (count("behind")) } span { "台内容落后" } }
                a.tile href=(filter("offline")) { strong.warn[count("offline") > 0] data-testid="count-offline" { (count("offline")) } span { "台离线" } }
                a.tile href=(filter("never_seen")) { strong { (count("never_seen")) } span { "台已注册未报到" } }
            }
            form.filter method="get" action="/fleet" {
                label { "乡镇 "
                    select name="township" {
                        option value="" { "全部" }
                        @for (s, n) in &townships { option value=(s.as_str()) selected[q.township == s.as_str()] { (n) } }
                    }
                }
                " "
                label { "状态 "
                    select name="state" {
                        option value="" { "全部" }
                        @for (k, l) in [("current", "已核实为最新"), ("behind", "内容落后"), ("offline", "离线"), ("never_seen", "未报到")] {
                            option value=(k) selected[q.state == k] { (l) }
                        }
                    }
                }
                " " button type="submit" { "筛选" }
            }
            @if let Some(year) = calendar_missing {
                p.error data-testid="calendar-missing" {
                    "尚未录入 " (year) " 年节假日安排：公开屏和诉求办理中跨入 " (year) " 年的期限暂按周一至周五计算。"
                    @if user.role == gongkai_store::Role::CountyAdmin { " " a href="/holidays" { "现在录入" } }
                }
            }
            @if undelivered > 0 {
                p.waiting data-testid="webhook-waiting" { "有 " (undelivered) " 条告警尚未送达值班系统（告警推送地址暂时无法接收），系统会自动重试。" }
            }
            @if !alerts.is_empty() {
                h2 { "告警（24 小时内）" }
                table {
                    thead { tr { th { "公开屏" } th { "类别" } th { "情况" } th { "发生" } th { "恢复" } } }
                    tbody { @for a in &alerts { tr {
                        td { a href=(format!("/fleet/kiosks/{}", a.kiosk_id)) { (a.kiosk_id) } }
                        td { (match a.kind.as_str() { "offline" => "离线", "behind" => "内容落后", "display_log" => "展示记录断链", "changelog" => "公开记录被改写", "posting_gap" => "公示期不足", "memory" => "内存超出预算", _ => "其他" }) }
                        td { (a.detail) }
                        td { (beijing_minute(a.raised_at)) }
                        td { @match a.cleared_at { Some(t) => (beijing_minute(t)), None => span.badge.warn { "未恢复" } } }
                    } } }
                }
            }
            h2 { "公开屏（" (shown.len()) " 台）" }
            @if shown.is_empty() { p.empty { "没有符合条件的公开屏。" } } @else {
                table data-testid="fleet" {
                    thead { tr { th { "编号" } th { "所在" } th { "状态" } th { "最后联系" } th { "版本" } th { "内存" } th { "磁盘剩余" } th { "屏幕" } } }
                    tbody { @for k in &shown { tr {
                        td { a href=(format!("/fleet/kiosks/{}", k.record.kiosk_id)) { (k.record.kiosk_id) } }
                        td { (place(&k.record.scope)) }
                        td { (badge(&k.freshness)) " " small { (since_text(&k.freshness, now)) } }
                        td { (k.record.last_seen_at.map(beijing_minute).unwrap_or_else(|| "—".into())) }
                        td { (k.record.app_version) }
                        td { (k.report.as_ref().map(|r| mib(r.rss_bytes)).unwrap_or_default()) }
                        td { (k.report.as_ref().map(|r| mib(r.disk_free_bytes)).unwrap_or_default()) }
                        td { @match &k.report { Some(r) if r.display_on => "亮", Some(_) => "息屏（夜间）", None => "" } }
                    } } }
                }
            }
            @if !pending.is_empty() {
                h2 { "待注册（已发注册码，公开屏尚未上线）" }
                table data-testid="pending" {
                    thead { tr { th { "编号" } th { "所在" } th { "注册码生成于" } th { "有效至" } } }
                    tbody { @for (id, scope, created, expires) in &pending { tr {
                        td { (id) } td { (place(scope)) } td { (beijing_minute(*created)) } td { (beijing_minute(*expires)) }
                    } } }
                }
            }
            p { a href="/fleet/posting" { "公示核验：三榜和财务公开在每台屏上实际显示的时段 →" } }
            @if user.publishes_directly() {
                h2 { "注册新的公开屏" }
                form.card method="post" action="/fleet/enroll" {
                    (csrf_field(&session))
                    p.hint { "生成一次性注册码（" (TOKEN_DAYS) " 天内有效），安装时填入公开屏的配置文件。公开屏在本机生成自己的密钥，私钥不离开公开屏。" }
                    label { "公开屏编号" input name="kiosk_id" required pattern="[A-Za-z0-9_-]+" maxlength="64" placeholder="例：419901102201-02"; }
                    label { "所在村或乡镇" select name="scope" required { @for (s, n) in &scopes { @if s.level() != ScopeLevel::County { option value=(s.as_str()) { (n) "（" (super::shell::level_label(s)) "）" } } } } }
                    button type="submit" { "生成注册码" }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct EnrollForm {
    csrf: String,
    kiosk_id: String,
    scope: String,
}

pub async fn enroll(
    session: Session,
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<EnrollForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let scope = ScopeId::parse(&f.scope)
        .ok()
        .filter(|s| user.publishes_directly() && user.covers(s))
        .ok_or_else(|| ConsoleError::not_found().for_user(&user))?;
    let kiosk_id = f.kiosk_id.trim().to_string();
    if kiosk_id.is_empty()
        || kiosk_id.len() > 64
        || !kiosk_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ConsoleError::bad("公开屏编号只能由字母、数字、- 和 _ 组成").for_user(&user));
    }
    // A kiosk already enrolled under another office's scope is not theirs to take over.
    let lookup = kiosk_id.clone();
    if let Some(existing) = super::posting::blocking(&st.store, move |s| s.kiosk(&lookup)).await? {
        if !ScopeId::parse(&existing.scope).is_ok_and(|s| user.covers(&s)) {
            return Err(ConsoleError::bad("这个编号已被其他单位的公开屏使用").for_user(&user));
        }
    }
    let now = st.clock.unix();
    let (k, sc, uid) = (kiosk_id.clone(), scope.clone(), user.id);
    let token = super::posting::blocking(&st.store, move |s| {
        gongkai_api::fleet::issue_enrollment(s, &k, &sc, uid, now, TOKEN_DAYS)
    })
    .await?;
    let chain = scope.chain();
    let sc = scope.clone();
    let names: HashMap<String, String> = super::posting::blocking(&st.store, move |s| {
        let mut names = HashMap::new();
        for c in sc.chain() {
            names.insert(c.as_str().to_string(), s.head(&c)?.name);
        }
        Ok(names)
    })
    .await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("服务器地址");
    let mut snippet = format!(
        "kiosk_id = \"{kiosk_id}\"\nserver_url = \"http://{host}\"\nserver_public_key = \"{}\"\nenrollment_token = \"{token}\"\n\n[scope]\n",
        st.signer.public().to_base64()
    );
    for c in chain.iter().rev() {
        let level = match c.level() {
            ScopeLevel::County => "county",
            ScopeLevel::Township => "township",
            ScopeLevel::Village => "village",
        };
        let name = names.get(c.as_str()).cloned().unwrap_or_default();
        snippet.push_str(&format!("{level} = \"{c}\"\n{level}_name = \"{name}\"\n"));
    }
    tracing::info!(user = %user.username, kiosk = %kiosk_id, "enrollment token issued");
    Ok(page(
        "注册码已生成",
        Some(&user),
        html! {
            p { "公开屏 " strong { (kiosk_id) } " 的一次性注册码（" (TOKEN_DAYS) " 天内有效，只能用一次，只显示这一次）：" }
            p.code data-testid="enroll-token" { code { (token) } }
            p { "把下面的内容写入公开屏的 " code { "/etc/gongkai/kiosk.toml" } "，重启公开屏应用。它会在本机生成密钥并注册，几十秒后出现在 " a href="/fleet" { "公开屏管理" } " 中。" }
            pre data-testid="enroll-config" { (snippet) }
        },
    ))
}

/// A kiosk the user may manage, with its status, or 404.
async fn kiosk_for(st: &AppState, session: &Session, id: &str) -> Result<KioskStatus> {
    let user = session.user.clone();
    let (settings, lookup) = (st.fleet.clone(), id.to_string());
    let now = st.clock.unix();
    super::posting::blocking(&st.store, move |s| {
        gongkai_api::fleet::status(s, &lookup, now, &settings)
    })
    .await?
    .filter(|k| ScopeId::parse(&k.record.scope).is_ok_and(|s| user.covers(&s)))
    .ok_or_else(|| ConsoleError::not_found().for_user(&user))
}

pub async fn kiosk(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response> {
    let user = session.user.clone();
    let k = kiosk_for(&st, &session, &id).await?;
    let now = st.clock.unix();
    let lookup = id.clone();
    let (logs, heads, memory) = super::posting::blocking(&st.store, move |s| {
        let logs = verified_logs(s, &lookup)?;
        let memory = s.memory_samples(&lookup, now - gongkai_store::fleet::MEMORY_KEEP_SECS)?;
        let heads: HashMap<String, (String, String)> = s
            .heads()?
            .into_iter()
            .map(|h| (h.scope.to_string(), (h.name, h.state_hash.to_hex())))
            .collect();
        Ok((logs, heads, memory))
    })
    .await?;
    let trend = gongkai_api::fleet::memory_trend(&memory);
    let budget = st.fleet.memory_budget_bytes;
    let config = k.record.remote_config.clone();
    let hours = config
        .as_ref()
        .and_then(|c| c.display_hours)
        .map(|h| h.label())
        .unwrap_or_default();
    let recent: Vec<_> = logs
        .iter()
        .filter_map(|(_, l)| l.as_ref().ok())
        .flat_map(|l| l.iter().rev().take(12))
        .collect();
    Ok(page(
        &format!("公开屏 {id}"),
        Some(&user),
        html! {
            p { (badge(&k.freshness)) " " (since_text(&k.freshness, now)) }
            table {
                tbody {
                    tr { th { "所在" } td { (heads.get(&k.record.scope).map(|h| h.0.clone()).unwrap_or_else(|| k.record.scope.clone())) } }
                    tr { th { "注册时间" } td { (beijing_minute(k.record.enrolled_at)) } }
                    tr { th { "最后联系" } td { (k.record.last_seen_at.map(beijing_minute).unwrap_or_else(|| "从未".into())) } }
                    @if let Some(r) = &k.report {
                        tr { th { "软件版本" } td { (r.app_version) } }
                        tr { th { "连续运行" } td { (duration(r.uptime_secs as i64)) } }
                        tr { th { "内存占用" } td {
                            (mib(r.rss_bytes)) " （预算 " (mib(budget)) "）"
                            @if r.rss_bytes > budget { " " span.badge.warn { "超出预算" } }
                            @if let Some(t) = &trend {
                                br;
                                small.hint {
                                    "自 " (beijing_minute(t.since)) " 启动以来：由 " (mib(t.first_bytes)) " 到 " (mib(t.last_bytes)) "，最高 " (mib(t.peak_bytes))
                                    @if let Some(slope) = t.mib_per_hour { "，预热后每小时 " (format!("{slope:+.1}")) " MiB" }
                                }
                                (sparkline(&memory, budget))
                            }
                        } }
                        tr { th { "磁盘剩余" } td { (mib(r.disk_free_bytes)) } }
                        tr { th { "屏幕" } td { @if r.display_on { "亮" } @else { "息屏（夜间）" } } }
                        tr { th { "最后同步" } td { (r.last_sync_at.map(beijing_minute).unwrap_or_else(|| "—".into())) } }
                    }
                }
            }
            @if let Some(r) = &k.report {
                h2 { "显示内容核验" }
                table {
                    thead { tr { th { "范围" } th { "本机显示的内容摘要" } th { "服务器" } th { "" } } }
                    tbody { @for sr in &r.scopes {
                        @let server = heads.get(&sr.scope).map(|h| h.1.clone()).unwrap_or_default();
                        tr {
                            td { (heads.get(&sr.scope).map(|h| h.0.clone()).unwrap_or_else(|| sr.scope.clone())) }
                            td { code { (&sr.state_hash[..16.min(sr.state_hash.len())]) } " (#" (sr.seq) ")" }
                            td { code { (&server[..16.min(server.len())]) } }
                            td { @if server == sr.state_hash { span.badge.approved { "一致" } } @else { span.badge.warn { "不一致" } } }
                        }
                    } }
                }
            }
            h2 { "展示记录" }
            @if logs.is_empty() { p.empty { "还没有收到展示记录。" } }
            @for (key, log) in &logs {
                @match log {
                    Ok(entries) => p { span.badge.approved data-testid="display-log-ok" { "核验通过" } " 密钥 " code { (&key[..12.min(key.len())]) } "…，共 " (entries.len()) " 条，每条都与上一条衔接并由这台屏签名。" },
                    Err(b) => p { span.badge.warn data-testid="display-log-broken" { "核验不通过" } " " (b.to_string()) },
                }
            }
            @if !recent.is_empty() {
                table {
                    thead { tr { th { "序号" } th { "时间" } th { "记录" } th { "公示内容数" } } }
                    tbody { @for e in &recent { tr {
                        td { (e.seq) } td { (beijing_minute(e.at)) } td { (e.event.label()) }
                        td { @if e.event.carries_items() { (e.items.len()) } }
                    } } }
                }
            }
            @let log = gongkai_protocol::paths::fill(gongkai_protocol::paths::KIOSK_DISPLAY_LOG, &[&id]);
            p { "审计人员可从 " a href=(log) { (log) } " 取得完整记录，用这台屏的公钥自行核验。" }
            h2 { "屏幕截图" }
            @if let Some(at) = k.record.screenshot_at {
                p { "截于 " (beijing_minute(at)) }
                img.shot src=(format!("/fleet/kiosks/{id}/screenshot.png?at={at}")) alt="公开屏截图" width="640";
            }
            @if k.record.screenshot_wanted.is_some() { p.hint { "已请求新的截图，公开屏下一次联系时上传（通常 30 秒内）。" } }
            @if user.publishes_directly() {
                form.inline method="post" action=(format!("/fleet/kiosks/{id}/screenshot")) {
                    (csrf_field(&session))
                    button type="submit" { "请求截图" }
                }
                h2 { "远程设置" }
                form.card method="post" action=(format!("/fleet/kiosks/{id}/config")) {
                    (csrf_field(&session))
                    p.hint { "设置由服务器签名后随心跳下发，只对这台屏有效；留空的项目用公开屏自己的配置。当前版本：" (config.as_ref().map_or(0, |c| c.version)) }
                    label { "同步间隔（秒，5–86400）" input name="poll_interval_secs" type="number" min="5" max="86400" value=[config.as_ref().and_then(|c| c.poll_interval_secs)]; }
                    label { "无人操作多久回到首页（秒，15–3600）" input name="idle_timeout_secs" type="number" min="15" max="3600" value=[config.as_ref().and_then(|c| c.idle_timeout_secs)]; }
                    label { "亮屏时段（北京时间，如 06:30-22:00；其余时间息屏，触摸可唤醒）" input name="display_hours" value=(hours) placeholder="06:30-22:00"; }
                    label { "默认关怀模式（大字）"
                        select name="care_mode_default" {
                            option value="" { "按公开屏配置" }
                            option value="on" selected[config.as_ref().and_then(|c| c.care_mode_default) == Some(true)] { "开" }
                            option value="off" selected[config.as_ref().and_then(|c| c.care_mode_default) == Some(false)] { "关" }
                        }
                    }
                    label { "手机页面地址（二维码指向这里，如 https://gk.yunxi.gov.cn；留空用公开屏自己的配置，都没有就不显示二维码）" input name="public_url" type="url" value=[config.as_ref().and_then(|c| c.public_url.clone())] placeholder="https://"; }
                    button type="submit" { "保存并下发" }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct ConfigForm {
    csrf: String,
    #[serde(default)]
    poll_interval_secs: String,
    #[serde(default)]
    idle_timeout_secs: String,
    #[serde(default)]
    display_hours: String,
    #[serde(default)]
    care_mode_default: String,
    #[serde(default)]
    public_url: String,
}

pub async fn set_config(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<ConfigForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let k = kiosk_for(&st, &session, &id).await?;
    if !user.publishes_directly() {
        return Err(ConsoleError::not_found().for_user(&user));
    }
    let bad = |m: &str| ConsoleError::bad(m).for_user(&user);
    let number =
        |text: &str, range: std::ops::RangeInclusive<u64>, m: &str| -> Result<Option<u64>> {
            let t = text.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<u64>()
                .ok()
                .filter(|v| range.contains(v))
                .map(Some)
                .ok_or_else(|| bad(m))
        };
    let config = RemoteConfig {
        kiosk_id: id.clone(),
        version: k.record.remote_config.as_ref().map_or(0, |c| c.version) + 1,
        poll_interval_secs: number(
            &f.poll_interval_secs,
            5..=86_400,
            "同步间隔为 5 到 86400 秒",
        )?,
        idle_timeout_secs: number(
            &f.idle_timeout_secs,
            15..=3_600,
            "回到首页的时间为 15 到 3600 秒",
        )?,
        display_hours: match f.display_hours.trim() {
            "" => None,
            h => Some(
                DisplayHours::parse(h).ok_or_else(|| bad("亮屏时段请写成 06:30-22:00 的样子"))?,
            ),
        },
        care_mode_default: match f.care_mode_default.as_str() {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        },
        public_url: match f.public_url.trim() {
            "" => None,
            u if (u.starts_with("https://") || u.starts_with("http://"))
                && !u.contains(char::is_whitespace)
                && u.len() <= 200 =>
            {
                Some(u.trim_end_matches('/').to_string())
            }
            _ => return Err(bad("手机页面地址请写成 https://开头的网址")),
        },
    };
    super::posting::blocking(&st.store, move |s| s.set_remote_config(&id, &config)).await?;
    Ok(Redirect::to(&format!("/fleet/kiosks/{}", k.record.kiosk_id)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn request_screenshot(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let k = kiosk_for(&st, &session, &id).await?;
    if !session.user.publishes_directly() {
        return Err(ConsoleError::not_found().for_user(&session.user));
    }
    let now = st.clock.unix();
    super::posting::blocking(&st.store, move |s| s.want_screenshot(&id, now)).await?;
    Ok(Redirect::to(&format!("/fleet/kiosks/{}", k.record.kiosk_id)).into_response())
}

pub async fn screenshot_png(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response> {
    kiosk_for(&st, &session, &id).await?;
    let shot = super::posting::blocking(&st.store, move |s| s.screenshot(&id))
        .await?
        .ok_or_else(|| ConsoleError::not_found().for_user(&session.user))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=60"),
        ],
        shot.0,
    )
        .into_response())
}

fn intervals(list: &[Interval]) -> Markup {
    html! {
        @for (n, i) in list.iter().enumerate() {
            @if n > 0 { "；" }
            (beijing_minute(i.from)) " 至 " (beijing_minute(i.until)) "（" (if i.secs() < 60 { format!("{} 秒", i.secs()) } else { duration(i.secs()) }) "）"
        }
    }
}

/// 公示核验.
pub async fn posting(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = session.user.clone();
    let now = st.clock.unix();
    let scopes = scopes_for(&st, &user).await?;
    let prefix = user.scope.as_str().to_string();
    let rows = super::posting::blocking(&st.store, move |s| {
        let kiosks = s.kiosks(&prefix)?;
        let mut logs = HashMap::new();
        for k in &kiosks {
            logs.insert(k.kiosk_id.clone(), verified_logs(s, &k.kiosk_id)?);
        }
        let mut rows = Vec::new();
        for p in postings(s, &scopes)? {
            // Only what has started, and only up to now.
            if p.period.from >= now {
                continue;
            }
            let period = Interval {
                from: p.period.from,
                until: p.period.until.min(now),
            };
            let at: Vec<_> = kiosks
                .iter()
                .filter(|k| k.scope.starts_with(p.scope.as_str()))
                .map(|k| {
                    let log = logs.get(&k.kiosk_id).map(Vec::as_slice).unwrap_or(&[]);
                    (
                        k.kiosk_id.clone(),
                        coverage(log, p.kind.key(), p.scope.as_str(), &p.id, period),
                    )
                })
                .collect();
            rows.push((p, period, at));
        }
        Ok(rows)
    })
    .await?;
    // Postings whose scope has no kiosk yet cannot be verified anywhere: counted once,
    // not repeated row after row.
    let (rows, unscreened): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|(_, _, at)| !at.is_empty());
    // Boards missing long enough somewhere in their village: the most missing at any one
    // kiosk is what the 公示期 should be extended by.
    let short: Vec<(&gongkai_api::fleet::Posting, i64)> = rows
        .iter()
        .filter(|(p, _, _)| p.kind == ContentKind::RelocationBoard)
        .filter_map(|(p, period, at)| {
            let missing = at
                .iter()
                .map(|(_, c)| {
                    if c.broken.is_some() {
                        period.secs()
                    } else {
                        c.gaps.iter().map(Interval::secs).sum()
                    }
                })
                .max()?;
            (missing >= POSTING_GAP_ALERT_SECS).then_some((p, missing))
        })
        .collect();
    Ok(page(
        "公示核验",
        Some(&user),
        html! {
            p.hint { "根据每台公开屏签名的展示记录，列出三榜和村务财务在各台屏上实际显示的时段，以及公示期内的空缺。三榜的公示期按榜上写明的日期；财务公开每期按首次发布起至少 " (FINANCE_POSTING_DAYS) " 天。屏幕关闭、应用停止或记录中断超过 11 分钟的时间都算空缺；一台屏上合计不到 " (POSTING_GAP_ALERT_SECS / 60) " 分钟的空缺（重启、首次同步）照样列出，但不算公示期不足。" }
            @if rows.is_empty() && unscreened.is_empty() { p.empty { "没有正在或已经公示的三榜和财务公开。" } }
            @if !unscreened.is_empty() {
                details.unscreened {
                    summary { "另有 " (unscreened.len()) " 项公示内容所在的村或乡镇还没有注册的公开屏，无法核验在屏时段" }
                    ul { @for (p, _, _) in &unscreened { li { (p.title) "（" (p.kind.label()) "）" } } }
                }
            }
            @if !short.is_empty() {
                h2 { "公示期不足，建议延长" }
                p.hint { "公示期内有公开屏没有显示三榜的时间，群众少了这么多天看榜和提异议。建议按缺少的时间延长公示期；延长是对这一榜的更正，经审核后发布，记入公开记录，公开屏上显示新的截止日期。" }
                table data-testid="posting-short" {
                    thead { tr { th { "三榜" } th { "公示期内缺少" } th { "建议" } th {} } }
                    tbody {
                        @for (p, missing) in &short {
                            tr {
                                td { (p.title) }
                                td { (hours(*missing)) " 小时" }
                                td { "公示截止日延长 " (extension_days(*missing)) " 天" }
                                td {
                                    @if user.covers(&p.scope) {
                                        form.inline method="post" action="/fleet/posting/extend" {
                                            (csrf_field(&session))
                                            input type="hidden" name="scope" value=(p.scope.as_str());
                                            input type="hidden" name="id" value=(p.id);
                                            button type="submit" { "申请延长公示期" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if !rows.is_empty() {
                table data-testid="posting" {
                    thead { tr { th { "公示内容" } th { "应公示期" } th { "公开屏" } th { "结论" } th { "在屏时长" } th { "空缺" } } }
                    tbody {
                        @for (p, period, at) in &rows {
                            @let span = at.len();
                            @for (n, (id, c)) in at.iter().enumerate() {
                                tr {
                                    @if n == 0 {
                                        td rowspan=(span) { (p.title) br; small { (p.kind.label()) } }
                                        td rowspan=(span) { (beijing_minute(p.period.from)) " 至 " (beijing_minute(p.period.until)) @if period.until < p.period.until { br; small { "（核验到现在）" } } }
                                    }
                                    td { a href=(format!("/fleet/kiosks/{id}")) { (id) } }
                                    @let missing: i64 = c.gaps.iter().map(Interval::secs).sum();
                                    td { @if c.broken.is_some() { span.badge.warn { "记录核验不通过" } } @else if missing < POSTING_GAP_ALERT_SECS { span.badge.approved data-testid="posting-complete" { "全程在屏" } } @else { span.badge.warn data-testid="posting-gaps" { "有空缺" } } }
                                    td { (duration(c.on_screen.iter().map(Interval::secs).sum())) }
                                    td { @if c.gaps.is_empty() { "无" } @else { (intervals(&c.gaps)) @if missing < POSTING_GAP_ALERT_SECS && c.broken.is_none() { br; small.hint { "合计不到 " (POSTING_GAP_ALERT_SECS / 60) " 分钟，不算缺少" } } } }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct ExtendForm {
    csrf: String,
    scope: String,
    id: String,
}

/// POST /fleet/posting/extend: the board's 公示期 extended by the time it was missing
/// (recomputed here from the verified display logs, not taken from the form), as a
/// correction of the board — reviewed, then published and recorded like any other.
pub async fn extend(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<ExtendForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let scope = covered_scope(&user, &f.scope)?;
    let now = st.clock.unix();
    let (sc, id) = (scope.clone(), f.id.clone());
    let found = super::posting::blocking(&st.store, move |s| {
        let missing = gongkai_api::fleet::posting_gaps(s, now)?
            .into_iter()
            .filter(|g| g.posting.scope == sc && g.posting.id == id)
            .map(|g| g.missing_secs)
            .max();
        let body = s.item_body(&sc, ContentKind::RelocationBoard, &id)?;
        Ok((missing, body))
    })
    .await?;
    let (Some(missing), Some(body)) = found else {
        return Err(
            ConsoleError::bad("这一榜在公示期内没有需要补足的空缺（或已撤回）").for_user(&user),
        );
    };
    let mut board: RelocationBoard = serde_json::from_str(&body)
        .map_err(|_| ConsoleError::bad("这一榜的内容无法读取").for_user(&user))?;
    let days = extension_days(missing);
    let old_until = board.posting_until;
    board.posting_until = old_until + chrono::Duration::days(days);
    let title = format!("延长公示期：{}", board.title);
    let summary = format!(
        "更正 · 公示期内公开屏上缺 {} 小时，公示截止日由 {} 延至 {}",
        hours(missing),
        old_until,
        board.posting_until
    );
    let edit = gongkai_store::Edit::put(ContentKind::RelocationBoard, f.id.clone(), &board);
    super::posting::publish_or_submit(&st, &user, scope, vec![edit], title, summary).await
}

/// The memory samples of the current run as a small line (static SVG, no script), with
/// the budget as a dashed line.
fn sparkline(samples: &[gongkai_store::fleet::MemorySample], budget: u64) -> Markup {
    let start = samples
        .windows(2)
        .rposition(|w| w[1].uptime_secs < w[0].uptime_secs)
        .map_or(0, |i| i + 1);
    let run = &samples[start..];
    if run.len() < 2 {
        return html! {};
    }
    let (w, h) = (320.0, 60.0);
    // Along the kiosk's uptime (its own clock since the restart).
    let (t0, t1) = (
        run[0].uptime_secs as f64,
        run[run.len() - 1].uptime_secs as f64,
    );
    let top = run
        .iter()
        .map(|s| s.rss_bytes)
        .max()
        .unwrap_or(1)
        .max(budget) as f64
        * 1.1;
    let x = |up: u64| (up as f64 - t0) / (t1 - t0).max(1.0) * w;
    let y = |b: u64| h - b as f64 / top * h;
    let points: Vec<String> = run
        .iter()
        .map(|s| format!("{:.1},{:.1}", x(s.uptime_secs), y(s.rss_bytes)))
        .collect();
    html! {
        svg.sparkline viewBox=(format!("0 0 {w} {h}")) width="320" height="60" role="img" aria-label="自启动以来的内存占用" {
            line x1="0" x2=(w) y1=(format!("{:.1}", y(budget))) y2=(format!("{:.1}", y(budget))) stroke="#c62828" stroke-dasharray="4 3" {}
            polyline points=(points.join(" ")) fill="none" stroke="#1565c0" stroke-width="2" {}
        }
    }
}
