//! Intake of filings from kiosks: check them, route each to the office that must answer,
//! set its deadline on the working-day calendar, and record it exactly once.

use crate::error::ApiError;
use crate::error::ApiPath;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gongkai_model::calendar::Calendar;
use gongkai_model::complaint::{ComplaintKind, TrackingCode};
use gongkai_model::{ScopeId, ScopeLevel};
use gongkai_protocol::complaints::{ComplaintUpload, Contact, UploadReceipt};
use gongkai_protocol::SigningKey;
use gongkai_store::{NewComplaint, Store};
use std::sync::Arc;

const MAX_TEXT_CHARS: usize = 2000;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_filing", message)
}

/// Checks a filing as a clerk at the window would, with the reason in Chinese; returns
/// the contact details opened with the server's key.
pub fn check(u: &ComplaintUpload, key: &SigningKey) -> Result<Option<Contact>, ApiError> {
    let uuid_ok = u.client_uuid.len() == 36
        && u.client_uuid
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '-');
    if !uuid_ok {
        return Err(bad("提交编号格式不正确"));
    }
    let text = u.text.trim();
    if text.is_empty() {
        return Err(bad("请填写具体内容"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(bad(format!("内容请不要超过{MAX_TEXT_CHARS}字")));
    }
    let contact = match &u.sealed_contact {
        None => None,
        Some(sealed) => {
            Some(Contact::unseal(sealed, key).ok_or_else(|| bad("联系方式无法解密，请重新提交"))?)
        }
    };
    if u.kind.requires_contact() {
        let ok = contact
            .as_ref()
            .is_some_and(|c| !c.name.trim().is_empty() && c.phone.trim().len() >= 7);
        if !ok {
            return Err(bad("申请政府信息公开需要填写姓名和联系电话"));
        }
    }
    if let Some(c) = &contact {
        if !c.phone.is_empty() && !c.phone.chars().all(|ch| ch.is_ascii_digit() || ch == '-') {
            return Err(bad("联系电话只能包含数字"));
        }
    }
    Ok(contact)
}

/// Which office answers: 依申请公开 goes to the county's 政务公开 office; everything about
/// a village or township goes to the township government, which holds first
/// responsibility (首问负责) for its villages.
pub fn route(store: &dyn Store, kind: ComplaintKind, scope: &ScopeId) -> String {
    let name = |s: &ScopeId| {
        store
            .head(s)
            .map(|h| h.name)
            .unwrap_or_else(|_| s.to_string())
    };
    let chain = scope.chain();
    let county = chain.last().map(name).unwrap_or_default();
    let township = chain
        .iter()
        .find(|s| s.level() == ScopeLevel::Township)
        .map(name);
    match (kind, township) {
        (ComplaintKind::DisclosureRequest, _) | (_, None) => format!("{county}人民政府办公室"),
        (ComplaintKind::BoardObjection, Some(t)) => format!("{t}人民政府（移民工作站）"),
        (_, Some(t)) => format!("{t}人民政府"),
    }
}

pub async fn upload(
    State(st): State<AppState>,
    ip: crate::error::ClientIp,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // Signed by the enrolled kiosk it names, over these exact bytes: a filing cannot be
    // made in another kiosk's name, nor changed on the way.
    let kiosk =
        crate::fleet::signed_by_kiosk(&st, &headers, gongkai_protocol::paths::COMPLAINTS, &body)
            .await?;
    let u: ComplaintUpload = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("请求内容不是有效的诉求：{e}"),
        )
    })?;
    if u.kiosk_id != kiosk.kiosk_id {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong_kiosk",
            "诉求里的公开屏编号与签名者不符",
        ));
    }
    crate::error::rate_limit(
        &st,
        vec![
            (
                format!("upload:kiosk:{}", u.kiosk_id),
                st.rate.uploads_per_hour_kiosk,
            ),
            (
                format!("upload:ip:{}", ip.0),
                st.rate.uploads_per_hour_address,
            ),
        ],
        3600,
    )
    .await?;
    let contact = check(&u, st.signer.key())?;
    let code = u.code.clone();
    let u = entered_by_cadre(&st, u).await?;
    let created = record(&st, u, contact).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(UploadReceipt { code, created })).into_response())
}

/// 代为提交 at a kiosk: a filing that names a cadre's unlock is marked as entered by that
/// cadre (its source becomes `cadre:USER@KIOSK`) when the unlock was this kiosk's, valid
/// when the filing was made, and for a place covering the filing's. Otherwise it is kept
/// as the kiosk's own filing — a resident's filing is never refused for a cadre's unlock.
async fn entered_by_cadre(
    st: &AppState,
    mut u: ComplaintUpload,
) -> Result<ComplaintUpload, ApiError> {
    let Some(hash) = u.cadre_session.clone() else {
        return Ok(u);
    };
    let store = st.store.clone();
    let at = u.filed_at;
    let session = tokio::task::spawn_blocking(move || store.kiosk_session(&hash, at))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "任务失败"))??;
    match session {
        Some((user, _, kiosk)) if kiosk == u.kiosk_id && user.covers(&u.scope) => {
            u.kiosk_id = format!(
                "{}{}@{}",
                gongkai_store::CADRE_SOURCE,
                user.username,
                u.kiosk_id
            );
        }
        _ => tracing::warn!(
            kiosk = %u.kiosk_id,
            "a filing names a cadre unlock that does not hold for it; kept as the kiosk's own"
        ),
    }
    Ok(u)
}

/// Records a checked filing: routed to its office, dated on the working-day calendar
/// with the county's limit for its kind. False if it was already recorded.
pub async fn record(
    st: &AppState,
    u: ComplaintUpload,
    contact: Option<gongkai_protocol::complaints::Contact>,
) -> Result<bool, gongkai_store::StoreError> {
    let store = st.store.clone();
    let base: Arc<Calendar> = st.calendar.clone();
    let limit_days = st.limits.get(u.kind);
    let now = st.clock.now();
    tokio::task::spawn_blocking(move || {
        let calendar = crate::workdays::calendar(store.as_ref(), &base)?;
        let received_on = gongkai_model::calendar::beijing_date(now);
        let due = calendar.add_working_days(received_on, limit_days, &[]);
        let filing = NewComplaint {
            contact,
            office: route(store.as_ref(), u.kind, &u.scope),
            received_at: now.timestamp(),
            received_on,
            due_on: due.date,
            due_provisional: due.missing_year,
            limit_days,
            upload: u,
        };
        store.file_complaint(&filing)
    })
    .await
    .map_err(|_| gongkai_store::StoreError::Refused("任务失败".into()))?
}

pub async fn lookup(
    State(st): State<AppState>,
    ip: crate::error::ClientIp,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    crate::error::rate_limit(
        &st,
        vec![(format!("lookup:ip:{}", ip.0), st.rate.lookups_per_10_min)],
        600,
    )
    .await?;
    let code = TrackingCode::parse(&code)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_code", e.to_string()))?;
    let store = st.store.clone();
    let status = tokio::task::spawn_blocking(move || store.complaint_status(&code))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "任务失败"))??;
    match status {
        Some(s) => Ok(Json(s).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_code",
            "没有找到这个查询码，可能尚未提交到服务器",
        )),
    }
}
