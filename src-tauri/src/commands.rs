//! Tauri commands: thin calls into the engine, errors turned into `{ code, message }`.
//! They run off the main thread (`async`) so a slow disk never freezes the screen.

use crate::EngineState;
use gongkai_kiosk::views::{
    CadreDraftView, CadreNoticeDraft, CadreView, CategoryCount, ComplaintDraft, ComplaintLookup,
    ComplaintReceipt, DisclosureView, FinanceView, GuideView, HomeView, IpcError, ItemPage,
    MySubsidies, NoticeView, RelocationView, SubsidyListView, SubsidyRowsPage, UsbPhoto,
};
use gongkai_kiosk::{Kiosk, KioskError};
use gongkai_model::ContentKind;
use std::sync::Arc;
use tauri::State;

fn ipc(code: &str, message: impl Into<String>) -> IpcError {
    IpcError {
        code: code.into(),
        message: message.into(),
    }
}

fn engine(state: &State<'_, EngineState>) -> Result<Arc<Kiosk>, IpcError> {
    state
        .0
        .clone()
        .map_err(|reason| ipc("not_configured", reason))
}

fn from_engine(e: KioskError) -> IpcError {
    match e {
        KioskError::NotFound => ipc("not_found", "没有找到这条内容，可能已经撤下"),
        KioskError::Invalid(message) => ipc("invalid", message),
        other => {
            tracing::error!(error = %other, "command failed");
            ipc("internal", "本机读取数据出错，请联系管理员")
        }
    }
}

fn kind(key: &str) -> Result<ContentKind, IpcError> {
    ContentKind::from_key(key).ok_or_else(|| ipc("bad_request", format!("未知的内容类别 {key}")))
}

#[tauri::command(async)]
pub fn home(state: State<'_, EngineState>) -> Result<HomeView, IpcError> {
    crate::watchdog::ui_alive();
    engine(&state)?
        .home(chrono::Utc::now())
        .map_err(from_engine)
}

#[tauri::command(async)]
pub fn categories(
    state: State<'_, EngineState>,
    kind: String,
) -> Result<Vec<CategoryCount>, IpcError> {
    engine(&state)?
        .categories(self::kind(&kind)?, chrono::Utc::now())
        .map_err(from_engine)
}

#[tauri::command(async)]
pub fn list_items(
    state: State<'_, EngineState>,
    kind: String,
    category: Option<String>,
    offset: u32,
    limit: u32,
) -> Result<ItemPage, IpcError> {
    engine(&state)?
        .list(
            self::kind(&kind)?,
            category.as_deref(),
            offset,
            limit,
            chrono::Utc::now(),
        )
        .map_err(from_engine)
}

#[tauri::command(async)]
pub fn disclosure(
    state: State<'_, EngineState>,
    scope: String,
    id: String,
) -> Result<DisclosureView, IpcError> {
    engine(&state)?.disclosure(&scope, &id).map_err(from_engine)
}

#[tauri::command(async)]
pub fn finance(
    state: State<'_, EngineState>,
    scope: String,
    id: String,
) -> Result<FinanceView, IpcError> {
    engine(&state)?.finance(&scope, &id).map_err(from_engine)
}

#[tauri::command(async)]
pub fn guide(
    state: State<'_, EngineState>,
    scope: String,
    id: String,
) -> Result<GuideView, IpcError> {
    engine(&state)?.guide(&scope, &id).map_err(from_engine)
}

#[tauri::command(async)]
pub fn notice(
    state: State<'_, EngineState>,
    scope: String,
    id: String,
) -> Result<NoticeView, IpcError> {
    engine(&state)?
        .notice(&scope, &id, chrono::Utc::now())
        .map_err(from_engine)
}

#[tauri::command(async)]
pub fn relocation(
    state: State<'_, EngineState>,
    scope: String,
    id: String,
) -> Result<RelocationView, IpcError> {
    engine(&state)?
        .relocation(&scope, &id, chrono::Utc::now())
        .map_err(from_engine)
}

#[tauri::command(async)]
pub fn subsidy_list(
    state: State<'_, EngineState>,
    scope: String,
    id: String,
) -> Result<SubsidyListView, IpcError> {
    engine(&state)?
        .subsidy_list(&scope, &id)
        .map_err(from_engine)
}

#[tauri::command(async)]
pub fn subsidy_rows(
    state: State<'_, EngineState>,
    list_id: String,
    query: String,
    offset: u32,
    limit: u32,
) -> Result<SubsidyRowsPage, IpcError> {
    engine(&state)?
        .subsidy_rows(&list_id, &query, offset, limit)
        .map_err(from_engine)
}

/// 查我的补贴: every list and board this kiosk shows with a row for this name (or its
/// initials) and ID tail.
#[tauri::command(async)]
pub fn my_subsidies(
    state: State<'_, EngineState>,
    name: String,
    id_tail: String,
) -> Result<MySubsidies, IpcError> {
    engine(&state)?
        .my_subsidies(&name, &id_tail, chrono::Utc::now())
        .map_err(from_engine)
}

/// Where the webview loads an image attachment from: the app's own `gkblob:` scheme
/// (`serve_attachment`), once the attachment is on this kiosk.
#[tauri::command(async)]
pub fn attachment_url(state: State<'_, EngineState>, sha256: String) -> Result<String, IpcError> {
    engine(&state)?
        .attachment_address(&sha256)
        .map_err(|e| match e {
            KioskError::NotFound => ipc("not_found", "附件尚未下载完成"),
            other => from_engine(other),
        })
}

/// The phone page of one item (手机查看), for the QR code on its screen; none when the
/// kiosk has no public base URL.
#[tauri::command(async)]
pub fn phone_url(
    state: State<'_, EngineState>,
    kind: String,
    scope: String,
    id: String,
) -> Result<Option<String>, IpcError> {
    let kind = self::kind(&kind)?;
    Ok(engine(&state)?.phone_url(kind, &scope, &id))
}

/// Speaks the given text (the page the resident is looking at) with the offline voice.
#[tauri::command(async)]
pub fn read_aloud(speech: State<'_, crate::speech::Speech>, text: String) -> Result<(), IpcError> {
    speech.say(&text).map_err(|e| {
        tracing::warn!(error = %e, "read-aloud failed");
        ipc("unavailable", "本机暂时不能朗读")
    })
}

#[tauri::command(async)]
pub fn stop_reading(speech: State<'_, crate::speech::Speech>) {
    speech.stop();
}

/// Saves a filing durably on this kiosk; the receipt (with its code) comes back only after
/// the commit.
#[tauri::command(async)]
pub fn submit_complaint(
    state: State<'_, EngineState>,
    draft: ComplaintDraft,
) -> Result<ComplaintReceipt, IpcError> {
    engine(&state)?
        .submit_complaint(&draft, chrono::Utc::now())
        .map_err(from_engine)
}

/// Asks the server, so it runs on the blocking pool: the engine's HTTP client is
/// blocking and must not run on an async worker.
#[tauri::command]
pub async fn complaint_status(
    state: State<'_, EngineState>,
    code: String,
) -> Result<ComplaintLookup, IpcError> {
    let kiosk = engine(&state)?;
    tauri::async_runtime::spawn_blocking(move || kiosk.complaint_status(&code))
        .await
        .map_err(|_| ipc("internal", "查询失败，请稍后再试"))?
        .map_err(from_engine)
}

#[tauri::command(async)]
pub fn pinyin_candidates(
    state: State<'_, EngineState>,
    input: String,
) -> Result<Vec<gongkai_kiosk::ime::Candidate>, IpcError> {
    engine(&state)?
        .pinyin_candidates(&input, 12)
        .map_err(from_engine)
}

/// The likeliest characters for the strokes on the writing pad: each stroke a list of
/// `[x, y]` points in the pad's pixels.
#[tauri::command(async)]
pub fn handwriting(
    state: State<'_, EngineState>,
    strokes: Vec<Vec<[f32; 2]>>,
    width: f32,
    height: f32,
) -> Result<Vec<String>, IpcError> {
    engine(&state)?
        .handwriting(&strokes, width, height, 10)
        .map_err(from_engine)
}

/// What usually follows the character just written (phrase continuation).
#[tauri::command(async)]
pub fn continuations(
    state: State<'_, EngineState>,
    last: String,
) -> Result<Vec<gongkai_kiosk::ime::Candidate>, IpcError> {
    engine(&state)?.continuations(&last, 8).map_err(from_engine)
}

/// Runs an engine call that reaches the network or decodes photos on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: State<'_, EngineState>,
    f: impl FnOnce(&Kiosk) -> Result<T, KioskError> + Send + 'static,
) -> Result<T, IpcError> {
    let kiosk = engine(&state)?;
    tauri::async_runtime::spawn_blocking(move || f(&kiosk))
        .await
        .map_err(|_| ipc("internal", "操作失败，请稍后再试"))?
        .map_err(from_engine)
}

#[tauri::command]
pub async fn cadre_unlock(
    state: State<'_, EngineState>,
    code: String,
) -> Result<CadreView, IpcError> {
    blocking(state, move |k| k.cadre_unlock(&code, chrono::Utc::now())).await
}

/// The unlocked cadre, or null once the unlock lapsed or idled out.
#[tauri::command]
pub fn cadre_status(state: State<'_, EngineState>) -> Result<Option<CadreView>, IpcError> {
    Ok(engine(&state)?.cadre_status(chrono::Utc::now()))
}

/// The screen went dark (night hours) or woke: the panel's power follows, if the kiosk
/// is configured with programs for it.
#[tauri::command]
pub async fn panel_power(state: State<'_, EngineState>, on: bool) -> Result<(), IpcError> {
    blocking(state, move |k| k.set_panel_power(on).map(|_| ())).await
}

#[tauri::command]
pub fn cadre_lock(state: State<'_, EngineState>) -> Result<(), IpcError> {
    engine(&state)?.cadre_lock();
    Ok(())
}

#[tauri::command]
pub async fn usb_photos(state: State<'_, EngineState>) -> Result<Vec<UsbPhoto>, IpcError> {
    blocking(state, |k| k.usb_photos(chrono::Utc::now())).await
}

#[tauri::command]
pub async fn cadre_submit(
    state: State<'_, EngineState>,
    draft: CadreNoticeDraft,
) -> Result<CadreDraftView, IpcError> {
    blocking(state, move |k| k.cadre_submit(&draft, chrono::Utc::now())).await
}

#[tauri::command]
pub async fn cadre_drafts(state: State<'_, EngineState>) -> Result<Vec<CadreDraftView>, IpcError> {
    blocking(state, |k| k.cadre_drafts(chrono::Utc::now())).await
}
