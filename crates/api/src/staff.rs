//! The staff API the console builds on: an office's filings (all, overdue, due soon), one
//! filing in full, and actions on it. Every request carries a staff token
//! (`Authorization: Bearer …`, issued by `gongkai-server staff-token`); a token sees and
//! acts only on its own office's filings — another office's look exactly like codes that
//! do not exist.

use crate::error::ApiError;
use crate::error::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use gongkai_model::calendar::provisional_note;
use gongkai_model::complaint::{ComplaintStatus, TrackingCode};
use gongkai_store::{StoreError, Transition};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A person at an office, as established from their token.
#[derive(Debug, Clone)]
pub struct Staff {
    pub name: String,
    /// `None`: the whole county.
    pub office: Option<String>,
}

impl Staff {
    /// An office sees its own filings and those of its sub-offices: 柳湾乡人民政府 also
    /// sees 柳湾乡人民政府（移民工作站）.
    pub fn may_see(&self, office: &str) -> bool {
        self.office
            .as_deref()
            .is_none_or(|o| !o.is_empty() && office.starts_with(o))
    }
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token (shown once; only its hash is stored).
pub fn new_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unauthorized() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "请先登录")
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "unknown_code", "没有这个查询码")
}

/// The sha256 of the request's `Authorization: Bearer` token, if it has one: tokens are
/// looked up by hash, never stored or compared in the clear.
pub fn bearer_hash(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| token_hash(t.trim()))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Staff, ApiError> {
        let hash = bearer_hash(parts).ok_or_else(unauthorized)?;
        let store = st.store.clone();
        let found = tokio::task::spawn_blocking(move || store.staff_by_token(&hash))
            .await
            .map_err(|_| unauthorized())??;
        let (name, office) = found.ok_or_else(unauthorized)?;
        Ok(Staff {
            name,
            office: (office != "*").then_some(office),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `all` (default), `overdue`, or `due_soon` (within 3 working days).
    view: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ListedFiling {
    pub code: String,
    pub kind: String,
    pub subject: String,
    pub status: String,
    pub office: String,
    pub received_on: String,
    pub due_on: Option<String>,
    /// Said beside `due_on` when it was counted across a year whose holidays are not
    /// entered yet (暂按周一至周五计算…); none when exact.
    pub due_note: Option<String>,
    pub overdue: bool,
    pub due_soon: bool,
    /// Entered by staff for a resident who could not use a kiosk (代为提交): the user name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entered_by: Option<String>,
}

pub async fn list(
    staff: Staff,
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ListedFiling>>, ApiError> {
    let view = q.view.unwrap_or_else(|| "all".into());
    Ok(Json(listed(&st, staff, &view).await?))
}

/// A staff member's filings, earliest due first, with overdue and due-soon marked;
/// `view` is `all`, `overdue` or `due_soon`.
pub async fn listed(
    st: &AppState,
    staff: Staff,
    view: &str,
) -> Result<Vec<ListedFiling>, StoreError> {
    let (store, base) = (st.store.clone(), st.calendar.clone());
    let (rows, calendar) = tokio::task::spawn_blocking(move || {
        let calendar = crate::workdays::calendar(store.as_ref(), &base)?;
        Ok::<_, StoreError>((store.complaints(None)?, calendar))
    })
    .await
    .map_err(|_| StoreError::Refused("任务失败".into()))??;
    let today = st.clock.today();
    let soon = calendar.add_working_days(today, 3, &[]).date;
    let out = rows
        .into_iter()
        .filter(|r| staff.may_see(&r.office))
        .map(|r| {
            let due = r
                .due_on
                .as_deref()
                .and_then(|d| d.parse::<chrono::NaiveDate>().ok());
            let open = !r.status.is_final();
            ListedFiling {
                overdue: open && due.is_some_and(|d| d < today),
                due_soon: open && due.is_some_and(|d| d >= today && d <= soon),
                code: r.code.display(),
                kind: r.kind.label().into(),
                subject: r.subject,
                status: r.status.label().into(),
                office: r.office,
                received_on: r.received_on,
                due_on: r.due_on,
                due_note: r.due_provisional.map(provisional_note),
                entered_by: r.entered_by,
            }
        })
        .filter(|f| match view {
            "overdue" => f.overdue,
            "due_soon" => f.due_soon,
            _ => true,
        })
        .collect();
    Ok(out)
}

pub async fn detail(
    staff: Staff,
    State(st): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<gongkai_store::StaffDetail>, ApiError> {
    let code = TrackingCode::parse(&code).map_err(|_| not_found())?;
    let d = detail_for(&st, staff, code).await?.ok_or_else(not_found)?;
    Ok(Json(d))
}

/// One filing in full, if this staff member may see it.
pub async fn detail_for(
    st: &AppState,
    staff: Staff,
    code: TrackingCode,
) -> Result<Option<gongkai_store::StaffDetail>, StoreError> {
    let store = st.store.clone();
    Ok(
        tokio::task::spawn_blocking(move || store.complaint_detail(&code))
            .await
            .map_err(|_| StoreError::Refused("任务失败".into()))??
            .filter(|d| staff.may_see(&d.public.office)),
    )
}

#[derive(Debug, Deserialize)]
pub struct Action {
    /// in_progress, clarifying, extended, answered, closed, rejected
    pub to: ComplaintStatus,
    #[serde(default)]
    pub note: String,
    pub answer: Option<String>,
}

pub async fn act(
    staff: Staff,
    State(st): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiJson(action): ApiJson<Action>,
) -> Result<Json<gongkai_protocol::complaints::PublicStatus>, ApiError> {
    let code = TrackingCode::parse(&code).map_err(|_| not_found())?;
    let status = act_as(&st, staff, code, action)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(status))
}

/// An action on a filing by a staff member; `None` if they may not see it.
pub async fn act_as(
    st: &AppState,
    staff: Staff,
    code: TrackingCode,
    action: Action,
) -> Result<Option<gongkai_protocol::complaints::PublicStatus>, StoreError> {
    let store = st.store.clone();
    let base = st.calendar.clone();
    let (at, today) = (st.clock.unix(), st.clock.today());
    tokio::task::spawn_blocking(move || {
        let calendar = crate::workdays::calendar(store.as_ref(), &base)?;
        let Some(current) = store.complaint_status(&code)? else {
            return Ok(None);
        };
        if !staff.may_see(&current.office) {
            return Ok(None);
        }
        let t = Transition {
            code,
            to: action.to,
            actor: staff.name.clone(),
            note: action.note,
            answer: action.answer,
            at,
            today,
        };
        store.complaint_transition(&t, &calendar).map(Some)
    })
    .await
    .map_err(|_| StoreError::Refused("任务失败".into()))?
}
