//! 办事指南 from the console: the fields a service guide has on paper (设定依据, 申请材料,
//! 办理流程, 承诺时限, 收费标准, 办理地点, 咨询电话), one material or step per line.

use super::auth::csrf_field;
use super::auth::Session;
use super::posting::scopes_for;
use super::shell::{covered_scope, page, ConsoleError, Result};
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use gongkai_api::state::AppState;
use gongkai_model::{ContentKind, Guide};
use gongkai_store::Edit;
use maud::html;
use serde::Deserialize;

pub async fn new_page(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = &session.user;
    let scopes = scopes_for(&st, user).await?;
    Ok(page(
        "发布办事指南",
        Some(user),
        html! {
            form.card.wide method="post" action="/guides" data-keep="" {
                (csrf_field(&session))
                label { "公开到" select name="scope" required { @for (c, n) in &scopes { option value=(c.as_str()) { (n) "（" (super::shell::level_label(c)) "）" } } } }
                label { "事项名称" input name="title" required placeholder="例：城乡居民最低生活保障申请"; }
                div.row {
                    label { "办理部门" input name="department" required placeholder="例：云溪县民政局"; }
                    label { "承诺时限" input name="time_limit" required placeholder="例：20个工作日"; }
                }
                label { "设定依据" input name="basis" required placeholder="例：《社会救助暂行办法》第九条"; }
                label { "申请材料（每行一项）" textarea name="materials" rows="5" required {} }
                label { "办理流程（每行一步）" textarea name="steps" rows="5" required {} }
                div.row {
                    label { "收费标准" input name="fees" value="不收费" required; }
                    label { "咨询电话" input name="phone" required; }
                }
                label { "办理地点" input name="place" required placeholder="例：县政务服务中心一楼 12 号窗口"; }
                button type="submit" { @if user.publishes_directly() { "发布" } @else { "提交审核" } }
            }
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct GuideForm {
    csrf: String,
    scope: String,
    title: String,
    department: String,
    basis: String,
    materials: String,
    steps: String,
    time_limit: String,
    fees: String,
    place: String,
    phone: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(|c: char| c.is_ascii_digit() || "、.．)）".contains(c))
                .trim()
        })
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

pub async fn create(
    session: Session,
    State(st): State<AppState>,
    Form(f): Form<GuideForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let scope = covered_scope(&user, &f.scope)?;
    let guide = Guide {
        title: f.title.trim().into(),
        department: f.department.trim().into(),
        basis: f.basis.trim().into(),
        materials: lines(&f.materials),
        steps: lines(&f.steps),
        time_limit: f.time_limit.trim().into(),
        fees: f.fees.trim().into(),
        place: f.place.trim().into(),
        phone: f.phone.trim().into(),
    };
    let empty = [
        &guide.title,
        &guide.department,
        &guide.basis,
        &guide.time_limit,
        &guide.place,
        &guide.phone,
    ]
    .iter()
    .any(|s| s.is_empty());
    if empty || guide.materials.is_empty() || guide.steps.is_empty() {
        return Err(
            ConsoleError::bad("每一项都要填写（申请材料、办理流程至少各一行）").for_user(&user),
        );
    }
    let title = guide.title.clone();
    let edit = Edit::put(
        ContentKind::Guide,
        super::notices::new_item_id("guide", st.clock.now()),
        &guide,
    );
    super::staging::preview(
        &st,
        &session,
        &scope,
        vec![edit],
        title,
        "办事指南".into(),
        false,
        super::staging::Back("/guides"),
    )
    .await
}
