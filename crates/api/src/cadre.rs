//! Cadre mode's kiosk side: the unlock a kiosk asks for with a one-time code (which the
//! console's `/kiosk-code` page issues), and notices posted from the kiosk, which become
//! drafts for the township's 保密审查 like any cadre posting.

use crate::error::ApiError;
use crate::error::ApiJson;
use crate::state::AppState;
use crate::text::{paragraphs, publisher};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use gongkai_model::{ContentKind, Notice, ScopeId, ScopeLevel};
use gongkai_protocol::cadre::{
    CadreDraftStatus, CadreNotice, CadreSession, CadreUnlock, MAX_PHOTOS,
};
use gongkai_store::{Edit, NewDraft, User};

/// A code is good for 15 minutes and one unlock.
pub const CODE_SECS: i64 = 15 * 60;
/// A kiosk session lasts the working session at the board; the kiosk itself locks
/// after a few idle minutes.
const SESSION_SECS: i64 = 2 * 3600;
/// Wrong codes allowed per kiosk, and per village, in 15 minutes.
const MAX_TRIES_KIOSK: u32 = 5;
const MAX_TRIES_VILLAGE: u32 = 20;
const WINDOW: i64 = 15 * 60;

pub fn code_hash(code: &str) -> String {
    crate::staff::token_hash(&format!("cadre-code:{code}"))
}

fn internal() -> ApiError {
    refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "服务器内部错误",
    )
}

// --- Kiosk API --------------------------------------------------------------------------

fn refused(status: StatusCode, code: &'static str, message: &str) -> ApiError {
    ApiError::new(status, code, message)
}

pub async fn unlock(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<CadreSession>, ApiError> {
    let req: CadreUnlock = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!("请求内容不是所要求的 JSON：{e}"),
        )
    })?;
    // An enrolled kiosk signs its unlock with its own key: a code, even one leaked or
    // read over a shoulder, then works only at that kiosk.
    let lookup = req.kiosk_id.clone();
    let store = st.store.clone();
    let enrolled = crate::error::blocking(move || store.kiosk(&lookup)).await?;
    if enrolled.is_some() {
        let record = crate::fleet::signed_by_kiosk(
            &st,
            &headers,
            gongkai_protocol::paths::CADRE_UNLOCK,
            &body,
        )
        .await?;
        if record.kiosk_id != req.kiosk_id {
            return Err(refused(
                StatusCode::UNAUTHORIZED,
                "bad_signature",
                "签名与公开屏编号不符",
            ));
        }
    }
    let scope = ScopeId::parse(&req.scope)
        .ok()
        .filter(|s| s.level() == ScopeLevel::Village)
        .ok_or_else(|| refused(StatusCode::BAD_REQUEST, "bad_scope", "公开屏的村设置有误"))?;
    let code: String = req.code.chars().filter(char::is_ascii_digit).collect();
    let kiosk_key = format!("kiosk:{}", req.kiosk_id);
    let village_key = format!("village:{scope}");
    let store = st.store.clone();
    let kiosk_id = req.kiosk_id.clone();
    let now = st.clock.unix();
    let outcome = tokio::task::spawn_blocking(move || -> Result<Result<CadreSession, ApiError>, gongkai_store::StoreError> {
        if store.login_failures(&kiosk_key, WINDOW)? >= MAX_TRIES_KIOSK
            || store.login_failures(&village_key, WINDOW)? >= MAX_TRIES_VILLAGE
        {
            return Ok(Err(refused(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_tries",
                "输错次数太多，请 15 分钟后再试",
            )));
        }
        let token = crate::staff::new_token();
        let expires = now + SESSION_SECS;
        let user = store.redeem_cadre_code(
            &code_hash(&code),
            &scope,
            &kiosk_id,
            &crate::staff::token_hash(&token),
            now,
            expires,
        )?;
        match user {
            Some(user) => {
                store.clear_login_failures(&kiosk_key)?;
                tracing::info!(user = %user.username, kiosk = %kiosk_id, "cadre unlocked a kiosk");
                Ok(Ok(CadreSession {
                    token,
                    display_name: user.display_name,
                    scope: scope.to_string(),
                    expires_at: expires,
                }))
            }
            None => {
                store.login_failed(&kiosk_key, WINDOW)?;
                store.login_failed(&village_key, WINDOW)?;
                Ok(Err(refused(
                    StatusCode::UNAUTHORIZED,
                    "bad_code",
                    "授权码不对或已过期，请在管理平台重新获取",
                )))
            }
        }
    })
    .await
    .map_err(|_| internal())??;
    outcome.map(Json)
}

/// A cadre at a kiosk, established from the bearer token an unlock returned.
pub struct KioskCadre {
    pub user: User,
    pub scope: ScopeId,
    pub kiosk_id: String,
}

impl FromRequestParts<AppState> for KioskCadre {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<KioskCadre, ApiError> {
        let unauthorized = || refused(StatusCode::UNAUTHORIZED, "unauthorized", "请重新输入授权码");
        let hash = crate::staff::bearer_hash(parts).ok_or_else(unauthorized)?;
        let store = st.store.clone();
        let now = st.clock.unix();
        let (user, scope, kiosk_id) =
            tokio::task::spawn_blocking(move || store.kiosk_session(&hash, now))
                .await
                .map_err(|_| unauthorized())??
                .ok_or_else(unauthorized)?;
        Ok(KioskCadre {
            user,
            scope,
            kiosk_id,
        })
    }
}

pub async fn post_notice(
    cadre: KioskCadre,
    State(st): State<AppState>,
    ApiJson(n): ApiJson<CadreNotice>,
) -> Result<Json<CadreDraftStatus>, ApiError> {
    let bad = |m: &str| refused(StatusCode::UNPROCESSABLE_ENTITY, "bad_notice", m);
    let title = n.title.trim();
    if title.is_empty() || title.chars().count() > 60 {
        return Err(bad("标题要填写，最多 60 个字"));
    }
    if n.body.trim().is_empty() || n.body.chars().count() > 5000 {
        return Err(bad("正文要填写，最多 5000 个字"));
    }
    if n.photos.len() > MAX_PHOTOS {
        return Err(bad("照片最多 6 张"));
    }
    if n.client_id.is_empty() || n.client_id.len() > 64 {
        return Err(bad("请求编号有误"));
    }
    let now = st.clock.now();
    let expire_at = match n.expire_on.as_deref() {
        None | Some("") => None,
        Some(d) => {
            let date: chrono::NaiveDate = d.parse().map_err(|_| bad("截止日期格式不对"))?;
            Some(chrono::TimeZone::from_utc_datetime(
                &chrono::Utc,
                &date.and_hms_opt(15, 59, 59).unwrap_or_default(),
            ))
        }
    };
    let store = st.store.clone();
    let blobs = st.blobs.clone();
    let status = tokio::task::spawn_blocking(move || -> Result<CadreDraftStatus, ApiError> {
        // Photos are decoded and re-encoded here too: the server never publishes bytes
        // it did not make itself.
        let mut images = Vec::new();
        for p in &n.photos {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(p)
                .map_err(|_| bad("照片数据有误"))?;
            let prepared = gongkai_photo::prepare(&bytes).map_err(|e| bad(&e.to_string()))?;
            let sha = blobs.put(&prepared.jpeg).map_err(|_| {
                refused(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "照片保存失败",
                )
            })?;
            images.push(sha);
        }
        let village = store.head(&cadre.scope)?.name;
        let notice = Notice {
            title: n.title.trim().to_string(),
            publisher: publisher(&cadre.scope, &village),
            body_html: paragraphs(&n.body),
            publish_at: now,
            expire_at,
            images,
        };
        let edit = Edit::put(
            ContentKind::Notice,
            format!("kiosk-{}", n.client_id),
            &notice,
        );
        let draft = NewDraft {
            scope: cadre.scope.clone(),
            title: notice.title.clone(),
            summary: format!("通知公告 · {} 张照片", notice.images.len()),
            source: format!("kiosk:{}", cadre.kiosk_id),
            author_id: cadre.user.id,
            edits: vec![edit],
            client_id: Some(n.client_id.clone()),
        };
        let id = store.submit_draft(&draft)?;
        Ok(CadreDraftStatus {
            id,
            title: notice.title,
            status: "pending".into(),
            reason: String::new(),
            created_at: now.timestamp(),
        })
    })
    .await
    .map_err(|_| internal())??;
    Ok(Json(status))
}

/// The cadre's own postings, newest first, with the reviewer's reason when rejected.
pub async fn my_drafts(
    cadre: KioskCadre,
    State(st): State<AppState>,
) -> Result<Json<Vec<CadreDraftStatus>>, ApiError> {
    let store = st.store.clone();
    let id = cadre.user.id;
    let rows = tokio::task::spawn_blocking(move || store.drafts_by(id, 20))
        .await
        .map_err(|_| internal())??;
    Ok(Json(
        rows.into_iter()
            .map(|d| CadreDraftStatus {
                id: d.id,
                title: d.title,
                status: d.status,
                reason: d.reason,
                created_at: d.created_at,
            })
            .collect(),
    ))
}
