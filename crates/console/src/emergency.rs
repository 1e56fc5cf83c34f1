//! 紧急通知: the county or a township takes over the screen of every kiosk in its scope
//! (flood, fire, cold wave, water cut). Published as soon as its preview is confirmed — an
//! emergency cannot wait for review — signed and logged like everything else, and always with an end: kiosks
//! clear it at its expiry by their own clocks, offline too.

use super::auth::csrf_field;
use super::auth::Session;
use super::posting::scopes_for;
use super::shell::{page, ConsoleError, Result};
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use gongkai_api::state::AppState;
use gongkai_model::{ContentKind, Emergency, EmergencyLevel, ScopeId};
use gongkai_store::Edit;
use maud::html;
use serde::Deserialize;

const LEVELS: [EmergencyLevel; 4] = [
    EmergencyLevel::Blue,
    EmergencyLevel::Yellow,
    EmergencyLevel::Orange,
    EmergencyLevel::Red,
];

fn level_key(l: EmergencyLevel) -> &'static str {
    match l {
        EmergencyLevel::Blue => "blue",
        EmergencyLevel::Yellow => "yellow",
        EmergencyLevel::Orange => "orange",
        EmergencyLevel::Red => "red",
    }
}

pub async fn new_page(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = &session.user;
    if !user.publishes_directly() {
        return Err(ConsoleError::not_found().for_user(user));
    }
    let scopes = scopes_for(&st, user).await?;
    Ok(page(
        "发布紧急通知",
        Some(user),
        html! {
            p.error { "紧急通知立即发布，不经审核，会在下一次同步（通常 30 秒内）占满范围内每一台公开屏，直到截止时间自动消失。只用于防汛、防火、寒潮、停水停电等需要群众马上知道的事。" }
            form.card method="post" action="/emergency" data-keep="" {
                (csrf_field(&session))
                label { "范围" select name="scope" required { @for (c, n) in &scopes { option value=(c.as_str()) { (n) "（" (super::shell::level_label(c)) "）全部公开屏" } } } }
                label { "级别" select name="level" { @for l in LEVELS { option value=(level_key(l)) selected[l == EmergencyLevel::Orange] { (l.label()) } } } }
                label { "标题" input name="title" required maxlength="40" placeholder="例：关于防御强降雨的紧急通知"; }
                label { "内容（每段一行，写清楚要群众做什么）" textarea name="body" rows="6" required {} }
                label { "显示多少小时" input name="hours" type="number" min="1" max="72" value="12" required; }
                button type="submit" { "预览" }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct EmergencyForm {
    csrf: String,
    scope: String,
    level: String,
    title: String,
    body: String,
    hours: u32,
}

pub async fn create(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<EmergencyForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let scope = ScopeId::parse(&f.scope)
        .ok()
        .filter(|s| user.publishes_directly() && user.covers(s))
        .ok_or_else(|| ConsoleError::not_found().for_user(&user))?;
    let bad = |m: &str| ConsoleError::bad(m).for_user(&user);
    let level = LEVELS
        .into_iter()
        .find(|l| level_key(*l) == f.level)
        .ok_or_else(|| bad("请选择级别"))?;
    if f.title.trim().is_empty() || f.body.trim().is_empty() {
        return Err(bad("标题和内容都要填写"));
    }
    if !(1..=72).contains(&f.hours) {
        return Err(bad("显示时间为 1 到 72 小时"));
    }
    let now = st.clock.now();
    let name = {
        let sc = scope.clone();
        super::posting::blocking(&st.store, move |s| s.head(&sc))
            .await?
            .name
    };
    let item = Emergency {
        title: f.title.trim().into(),
        body: f.body.trim().into(),
        level,
        issuer: super::notices::publisher(&scope, &name),
        publish_at: now,
        expire_at: now + chrono::Duration::hours(i64::from(f.hours)),
    };
    let edit = Edit::put(
        ContentKind::Emergency,
        super::notices::new_item_id("emergency", st.clock.now()),
        &item,
    );
    let title = format!("{}：{}", level.label(), item.title);
    super::staging::preview(
        &st,
        &session,
        &scope,
        vec![edit],
        title,
        "紧急通知".into(),
        true,
        super::staging::Back("/emergency"),
    )
    .await
}
