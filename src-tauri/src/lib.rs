//! The Tauri shell of the kiosk: opens the engine, keeps it syncing in the background, and
//! exposes its reads as commands. No logic lives here that a test without a window needs.
//!
//! Architecture invariant: the webview reaches only the commands in `build.rs`; it never
//! talks to the network (CSP `default-src 'self'`).
#![forbid(unsafe_code)]

mod commands;
mod speech;
mod watchdog;

use gongkai_kiosk::{Kiosk, KioskConfig};
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{Manager, Runtime};

/// The engine, or why it could not be opened (shown on screen for staff).
pub struct EngineState(pub Result<Arc<Kiosk>, String>);

/// Where the configuration file is: `--config PATH`, `GONGKAI_KIOSK_CONFIG`, or the
/// system location.
fn config_path() -> PathBuf {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--config" {
            if let Some(p) = args.next() {
                return PathBuf::from(p);
            }
        } else if let Some(p) = a.strip_prefix("--config=") {
            return PathBuf::from(p);
        }
    }
    std::env::var_os("GONGKAI_KIOSK_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/gongkai/kiosk.toml"))
}

/// Opens the engine: data in `GONGKAI_KIOSK_DATA`, else the config's `data_dir`, else the
/// app's data directory.
pub fn open_engine(fallback_data_dir: Option<PathBuf>) -> Result<Arc<Kiosk>, String> {
    let path = config_path();
    let config = KioskConfig::load(&path).map_err(|e| format!("配置文件有误：{e}"))?;
    let data_dir = std::env::var_os("GONGKAI_KIOSK_DATA")
        .map(PathBuf::from)
        .or_else(|| config.data_dir.clone())
        .or(fallback_data_dir)
        .ok_or_else(|| "没有可用的数据目录".to_string())?;
    Kiosk::open(config, &data_dir)
        .map(Arc::new)
        .map_err(|e| format!("无法打开本机数据：{e}"))
}

/// Runs the kiosk's background rounds (`gongkai_kiosk::schedule`) forever on their own
/// thread: right away, then after the pause each round asks for.
fn spawn_sync(kiosk: Arc<Kiosk>) {
    let mut schedule = gongkai_kiosk::schedule::Schedule::default();
    std::thread::Builder::new()
        .name("sync".into())
        .spawn(move || loop {
            let pause = schedule.round(&kiosk, chrono::Utc::now());
            std::thread::sleep(pause);
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start sync thread"));
}

/// Registers the commands on any runtime (the real one, or the mock in tests).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::home,
        commands::categories,
        commands::list_items,
        commands::disclosure,
        commands::finance,
        commands::guide,
        commands::notice,
        commands::relocation,
        commands::subsidy_list,
        commands::subsidy_rows,
        commands::my_subsidies,
        commands::attachment_url,
        commands::phone_url,
        commands::read_aloud,
        commands::submit_complaint,
        commands::complaint_status,
        commands::pinyin_candidates,
        commands::handwriting,
        commands::continuations,
        commands::stop_reading,
        commands::cadre_unlock,
        commands::cadre_status,
        commands::cadre_lock,
        commands::panel_power,
        commands::usb_photos,
        commands::cadre_submit,
        commands::cadre_drafts,
    ])
}

/// Opens the kiosk window covering the whole primary monitor. It is built here rather than
/// in tauri.conf.json because kiosks often run without a window manager (cage, or Xvfb in
/// tests) where a fullscreen request alone is ignored, and the screen may be portrait.
fn open_window<R: Runtime>(app: &tauri::App<R>) -> tauri::Result<tauri::WebviewWindow<R>> {
    let (width, height) = match app.primary_monitor() {
        Ok(Some(m)) => {
            let size = m.size().to_logical::<f64>(m.scale_factor());
            (size.width, size.height)
        }
        _ => (1920.0, 1080.0),
    };
    tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::default())
        .title("公开 · 村务政务公开查询")
        .inner_size(width, height)
        .position(0.0, 0.0)
        .decorations(false)
        .resizable(false)
        .fullscreen(true)
        // Lockdown: the window only ever shows the app. A link or script pointing
        // anywhere else (a pasted URL in a notice, a redirect) goes nowhere.
        .on_navigation(is_app_url)
        .build()
}

/// Tells WebKit the window is a document viewer: its memory and page caches stay small
/// (the default model, for a web browser, keeps decoded images and whole pages around
/// for going back, and a kiosk that shows the same few screens all day only grows).
#[cfg(target_os = "linux")]
fn small_caches<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    let done = window.with_webview(|webview| {
        use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
        if let Some(context) = webview.inner().context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
    });
    if let Err(e) = done {
        tracing::warn!(error = %e, "cannot set the webview's cache model");
    }
}

#[cfg(not(target_os = "linux"))]
fn small_caches<R: Runtime>(_window: &tauri::WebviewWindow<R>) {}

/// Serves image attachments under `gkblob:` to the app's own webview (see
/// `Kiosk::attachment_address`): the bytes straight from the kiosk's blob store.
fn serve_attachment<R: Runtime>(
    ctx: tauri::UriSchemeContext<'_, R>,
    request: tauri::http::Request<Vec<u8>>,
) -> tauri::http::Response<Vec<u8>> {
    use tauri::http::{header, Response, StatusCode};
    let sha = request.uri().path().trim_start_matches('/');
    let engine = ctx
        .app_handle()
        .try_state::<EngineState>()
        .and_then(|s| s.0.as_ref().ok().cloned());
    let (status, mime, body) = match engine.map(|k| k.attachment_image(sha)) {
        Some(Ok((mime, bytes))) => (StatusCode::OK, mime, bytes),
        Some(Err(gongkai_kiosk::KioskError::NotFound)) => {
            (StatusCode::NOT_FOUND, "text/plain", Vec::new())
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "text/plain", Vec::new()),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, mime)
        // The blob store is on this disk: nothing gained by WebKit keeping a second copy.
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

/// The app's own pages: the embedded frontend (`tauri://localhost` on Linux,
/// `http://tauri.localhost` on Windows).
fn is_app_url(url: &tauri::Url) -> bool {
    url.scheme() == "tauri" || url.host_str() == Some("tauri.localhost")
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let result = with_commands(tauri::Builder::default())
        .register_uri_scheme_protocol(gongkai_kiosk::ATTACHMENT_SCHEME, serve_attachment)
        .setup(|app| {
            let window = open_window(app)?;
            small_caches(&window);
            let engine = open_engine(app.path().app_data_dir().ok());
            match &engine {
                Ok(k) => spawn_sync(k.clone()),
                Err(e) => tracing::error!("{e}"),
            }
            app.manage(EngineState(engine));
            watchdog::start();
            app.manage(speech::Speech::default());
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("gongkai-kiosk: {e}");
        std::process::exit(1);
    }
}
