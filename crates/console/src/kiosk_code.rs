//! The console page where a cadre takes a one-time code for cadre mode on a kiosk of
//! their village (`/kiosk-code`); the kiosk's unlock with it is `gongkai_api::cadre`.

use crate::auth::{csrf_field, Session};
use crate::shell::{page, ConsoleError, Result};
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use gongkai_api::state::AppState;
use gongkai_model::{ScopeId, ScopeLevel};
use maud::html;
use serde::Deserialize;

pub async fn code_page(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = &session.user;
    let villages: Vec<(ScopeId, String)> = crate::posting::scopes_for(&st, user)
        .await?
        .into_iter()
        .filter(|(s, _)| s.level() == ScopeLevel::Village)
        .collect();
    Ok(page(
        "在公开屏上发布",
        Some(user),
        html! {
            p { "在村里的公开屏上也可以直接发通知、配照片（照片从 U 盘选取）。先在这里取一个授权码，15 分钟内在公开屏上输入，只能用一次。" }
            p.hint { "公开屏入口：首页右下角“村干部入口”。在公开屏上提交的通知同样要经乡镇审核后才显示。" }
            @if villages.is_empty() {
                p.empty { "您的账号没有可以发布的村。" }
            } @else {
                form.card method="post" action="/kiosk-code" {
                    (csrf_field(&session))
                    label { "哪个村的公开屏"
                        select name="scope" { @for (code, name) in &villages { option value=(code.as_str()) { (name) } } }
                    }
                    label { "公开屏编号（可不填；填了只能在这台屏上用）" input name="kiosk_id" placeholder="例：419901102201-01"; }
                    button type="submit" { "获取授权码" }
                }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    csrf: String,
    scope: String,
    #[serde(default)]
    kiosk_id: String,
}

pub async fn issue_code(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<CodeForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let scope = ScopeId::parse(&f.scope)
        .ok()
        .filter(|s| s.level() == ScopeLevel::Village && user.covers(s))
        .ok_or_else(|| ConsoleError::not_found().for_user(&user))?;
    let code = format!("{:08}", rand::random::<u32>() % 100_000_000);
    let kiosk_id = f.kiosk_id.trim().to_string();
    let expires = st.clock.unix() + gongkai_api::cadre::CODE_SECS;
    let (hash, uid, sc, kid) = (
        gongkai_api::cadre::code_hash(&code),
        user.id,
        scope.clone(),
        kiosk_id.clone(),
    );
    crate::posting::blocking(&st.store, move |s| {
        s.issue_cadre_code(
            &hash,
            uid,
            &sc,
            (!kid.is_empty()).then_some(kid.as_str()),
            expires,
        )
    })
    .await?;
    let shown = format!("{} {}", &code[..4], &code[4..]);
    Ok(page(
        "授权码",
        Some(&user),
        html! {
            p { "请在公开屏上输入：" }
            p.code data-testid="cadre-code" { (shown) }
            p { "有效期至 " (gongkai_model::calendar::beijing_minute(expires)) "，只能使用一次。" @if !kiosk_id.is_empty() { "仅限公开屏 " (kiosk_id) "。" } }
            p.hint { "不要把授权码告诉别人。用它发布的内容会记在您的名下。" }
        },
    ))
}
