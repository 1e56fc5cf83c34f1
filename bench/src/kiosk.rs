//! The kiosk app in its real window under Xvfb, driven through WebDriver:
//!
//! - cold start: from asking tauri-driver for a session (which launches the app) to the
//!   home screen painted with its synced counts; baseline: WebKitGTK's MiniBrowser,
//!   launched through WebKitWebDriver the same way, showing a static page;
//! - tap to next screen: measured inside the page, from `click()` to the frame after
//!   the next screen's element exists (IPC, cache read, render); baseline: the same
//!   measurement for a button that only appends a `<div>`;
//! - memory: the app and its WebKit processes' RSS while every screen and the attract
//!   loop are cycled for a while (an accelerated soak).

use anyhow::{anyhow, Context, Result};
use gongkai_tests::webdriver::{app_binary, find_program, free_port, KioskWindow, Session, Xvfb};
use gongkai_tests::TestServer;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{ms, percentile};

const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/// Clicks `sel` in the page and answers how many ms passed until the frame after
/// `target` exists (or -1 if `sel` is missing).
const TAP: &str = r#"
const [sel, target, done] = arguments;
const el = document.querySelector(sel);
if (!el) { done(-1); return; }
const t0 = performance.now();
// A finger sends pointerdown before click; the idle timer listens for it.
el.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
el.click();
const check = () => {
  if (document.querySelector(target)) requestAnimationFrame(() => done(performance.now() - t0));
  else requestAnimationFrame(check);
};
requestAnimationFrame(check);
"#;

/// The baseline tap: a button whose handler only appends an element.
const BARE_TAP: &str = r#"
const done = arguments[arguments.length - 1];
let b = document.getElementById('bench-bare');
if (!b) {
  b = document.createElement('button');
  b.id = 'bench-bare';
  b.onclick = () => { const d = document.createElement('div'); d.className = 'bench-done'; document.body.appendChild(d); };
  document.body.appendChild(b);
}
document.querySelectorAll('.bench-done').forEach((d) => d.remove());
const t0 = performance.now();
b.click();
const check = () => {
  if (document.querySelector('.bench-done')) requestAnimationFrame(() => done(performance.now() - t0));
  else requestAnimationFrame(check);
};
requestAnimationFrame(check);
"#;

fn wait_text(s: &Session, css: &str, needle: &str, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        for e in s.find_all(css).unwrap_or_default() {
            if s.text(&e).map(|t| t.contains(needle)).unwrap_or(false) {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(anyhow!("{css} with {needle:?} not shown in {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn tap(s: &Session, sel: &str, target: &str) -> Result<Duration> {
    let v = s.execute_async(TAP, json!([sel, target]))?;
    let ms = v.as_f64().ok_or_else(|| anyhow!("tap {sel}: {v}"))?;
    if ms < 0.0 {
        return Err(anyhow!("no {sel} on screen"));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

/// One pass over the content screens: tile → list → item → list → home, for each kind.
fn cycle(s: &Session, taps: &mut Vec<Duration>) -> Result<()> {
    for tile in ["disclosure", "finance", "subsidy", "guide", "notice"] {
        taps.push(tap(
            s,
            &format!("[data-testid=tile-{tile}]"),
            "[data-testid=entry]",
        )?);
        taps.push(tap(s, "[data-testid=entry]", "[data-testid=detail-title]")?);
        taps.push(tap(s, "[data-testid=back]", "[data-testid=entry]")?);
        taps.push(tap(
            s,
            "[data-testid=back]",
            "[data-testid=tile-disclosure]",
        )?);
    }
    Ok(())
}

/// RSS in KiB of the process running `binary` and of its child processes (WebKit's web
/// and network processes).
fn rss_kib(binary: &Path) -> Result<u64> {
    let status = |pid: &str, key: &str| -> Option<String> {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()?
            .lines()
            .find(|l| l.starts_with(key))
            .map(|l| l[key.len()..].trim().to_string())
    };
    let pids: Vec<String> = std::fs::read_dir("/proc")?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let app = pids
        .iter()
        .find(|p| {
            std::fs::read_link(format!("/proc/{p}/exe"))
                .map(|exe| exe == binary)
                .unwrap_or(false)
        })
        .ok_or_else(|| anyhow!("the app is not running"))?;
    let family = pids
        .iter()
        .filter(|p| *p == app || status(p, "PPid:").as_deref() == Some(app.as_str()));
    Ok(family
        .filter_map(|p| status(p, "VmRSS:"))
        .filter_map(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum())
}

fn minibrowser_start(page: &Path) -> Result<Duration> {
    let display = Xvfb::start()?;
    let port = free_port()?;
    let native = find_program("WebKitWebDriver", "WEBKIT_WEBDRIVER")?;
    let mut driver = Command::new(native)
        .arg(format!("--port={port}"))
        .env("DISPLAY", &display.display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting WebKitWebDriver")?;
    let ready = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < ready {
        std::thread::sleep(Duration::from_millis(20));
    }
    let caps = json!({"capabilities": {"alwaysMatch": {
        "webkitgtk:browserOptions": { "binary": MINIBROWSER, "args": ["--automation"] }
    }}});
    let t0 = Instant::now();
    let result = (|| -> Result<Duration> {
        let s = Session::with_capabilities(port, caps)?;
        s.navigate(&format!("file://{}", page.display()))?;
        wait_text(&s, "#home", "首页", Duration::from_secs(30))?;
        Ok(t0.elapsed())
    })();
    let _ = driver.kill();
    let _ = driver.wait();
    result
}

pub fn run(quick: bool) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let config = tmp.path().join("kiosk.toml");
    // The shortest idle timeout, so the soak passes through the attract loop.
    let text = gongkai_tests::kiosk_config_text(&server.url(), &server.public_key_b64()?, None)
        .replace("idle_timeout_secs = 90", "idle_timeout_secs = 15");
    std::fs::write(&config, text)?;
    let data = tmp.path().join("kiosk-data");
    let binary = std::fs::canonicalize(app_binary()?)?;

    // First launch fills the cache; cold starts below open a synced kiosk, as every
    // morning's start does.
    {
        let w = KioskWindow::launch(&config, &data)?;
        wait_text(
            &w.app,
            "[data-testid=tile-disclosure]",
            "52 项",
            Duration::from_secs(120),
        )?;
    }

    let starts = if quick { 2 } else { 7 };
    let mut app_starts = Vec::new();
    for _ in 0..starts {
        let display = Xvfb::start()?;
        let driver = KioskWindow::driver(&display, &config, &data)?;
        let t0 = Instant::now();
        let session = Session::start(driver.port, &binary, &[])?;
        wait_text(
            &session,
            "[data-testid=tile-disclosure]",
            "项",
            Duration::from_secs(60),
        )?;
        app_starts.push(t0.elapsed());
        drop(session);
    }
    let page = tmp.path().join("bare.html");
    std::fs::write(
        &page,
        "<!doctype html><meta charset=utf-8><title>基线</title><div id=home>首页</div>",
    )?;
    let mut bare_starts = Vec::new();
    for _ in 0..starts {
        bare_starts.push(minibrowser_start(&page)?);
    }
    app_starts.sort();
    bare_starts.sort();
    let (app_start, bare_start) = (percentile(&app_starts, 0.5), percentile(&bare_starts, 0.5));

    // Taps, and the soak.
    let w = KioskWindow::launch(&config, &data)?;
    wait_text(
        &w.app,
        "[data-testid=tile-disclosure]",
        "项",
        Duration::from_secs(60),
    )?;
    let mut taps = Vec::new();
    cycle(&w.app, &mut taps)?; // warm-up pass, not counted
    taps.clear();
    let mut bare = Vec::new();
    for _ in 0..40 {
        let v = w.app.execute_async(BARE_TAP, json!([]))?;
        bare.push(Duration::from_secs_f64(v.as_f64().unwrap_or(0.0) / 1000.0));
    }
    let soak = Duration::from_secs(if quick { 20 } else { 300 });
    let started = Instant::now();
    let mut samples: Vec<(Duration, u64)> = vec![(Duration::ZERO, rss_kib(&binary)?)];
    let mut last_idle = Instant::now();
    while started.elapsed() < soak {
        cycle(&w.app, &mut taps)?;
        if last_idle.elapsed() > Duration::from_secs(if quick { 5 } else { 60 }) {
            // Leave it alone past the idle timeout: the attract loop runs; a tap ends it.
            std::thread::sleep(Duration::from_secs(17));
            let _ = w.app.execute(
                "document.body.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}))",
            );
            wait_text(
                &w.app,
                "[data-testid=tile-disclosure]",
                "项",
                Duration::from_secs(10),
            )?;
            last_idle = Instant::now();
        }
        samples.push((started.elapsed(), rss_kib(&binary)?));
    }
    drop(w);
    taps.sort();
    bare.sort();
    let (p50, p95) = (percentile(&taps, 0.5), percentile(&taps, 0.95));
    let (b50, b95) = (percentile(&bare, 0.5), percentile(&bare, 0.95));
    // Memory: the first sample after warm-up against the last, and the peak.
    let first = samples.get(1).map(|s| s.1).unwrap_or(samples[0].1);
    let last = samples.last().map(|s| s.1).unwrap_or(first);
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(first);
    let growth = last as f64 / first.max(1) as f64;
    let mib = |k: u64| format!("{:.0} MiB", k as f64 / 1024.0);
    let met = |ok: bool| if ok { "met" } else { "**missed**" };

    Ok(format!(
        "<!-- kiosk:start -->\n## Kiosk app (real window under Xvfb, WebDriver)\n\n\
         Measured {date}. Cold start: median of {starts} launches of a synced kiosk, from the \
         WebDriver session request (which starts the app) to the home screen painted with its \
         counts; baseline: WebKitGTK's MiniBrowser launched through WebKitWebDriver the same \
         way, showing a static page. Taps: {n} taps over every content screen (tile → list → \
         item → back → home), timed inside the page from `click()` to the frame after the \
         next screen's element exists; baseline: a button that only appends an element (both wait for a frame, and frames under Xvfb come about every 30 ms here, so the bare append is not faster). \
         Memory: RSS of the app and its WebKit processes while cycling every screen and the \
         attract loop for {soak} s ({samples} samples).\n\n\
         | Figure | Gongkai | Baseline | Ratio | Target | |\n|---|---|---|---|---|---|\n\
         | Cold start to painted home | {app_start} | {bare_start} | {r_start:.1}× | ≤ 2 s | {m_start} |\n\
         | Tap to next screen p50 | {p50} | {b50} | {r50:.1}× | | |\n\
         | Tap to next screen p95 | {p95} | {b95} | {r95:.1}× | ≤ 100 ms | {m_tap} |\n\
         | Memory over the soak (last / first after warm-up) | {last_m} (peak {peak_m}) | {first_m} | {growth:.2}× | ≤ 1.10× | {m_mem} |\n\n\
         <!-- kiosk:end -->\n",
        date = chrono::Utc::now().format("%Y-%m-%d"),
        n = taps.len(),
        soak = soak.as_secs(),
        samples = samples.len(),
        app_start = ms(app_start),
        bare_start = ms(bare_start),
        r_start = app_start.as_secs_f64() / bare_start.as_secs_f64().max(1e-9),
        m_start = met(app_start <= Duration::from_secs(2)),
        p50 = ms(p50),
        b50 = ms(b50),
        r50 = p50.as_secs_f64() / b50.as_secs_f64().max(1e-9),
        p95 = ms(p95),
        b95 = ms(b95),
        r95 = p95.as_secs_f64() / b95.as_secs_f64().max(1e-9),
        m_tap = met(p95 <= Duration::from_millis(100)),
        last_m = mib(last),
        peak_m = mib(peak),
        first_m = mib(first),
        m_mem = met(growth <= 1.10),
    ))
}
