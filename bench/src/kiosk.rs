//! The kiosk app in its real window under Xvfb, driven through WebDriver:
//!
//! - cold start: from asking tauri-driver for a session (which launches the app) to the
//!   home screen painted with its synced counts; baseline: WebKitGTK's MiniBrowser,
//!   launched through WebKitWebDriver the same way, showing a static page;
//! - tap to next screen: measured inside the page, from `click()` to the frame after
//!   the next screen's element exists (IPC, cache read, render); baseline: the same
//!   measurement for a button that only appends a `<div>`;
//! - memory: the app and its WebKit processes' RSS while every screen and the attract
//!   loop are cycled for a while (an accelerated soak), sampled per process and fitted
//!   with a line after warm-up: the slope (MiB per hour, with its 95 % interval) says
//!   whether anything grows, where "last ÷ first" of one short run swings with noise.
//!
//! The long mode (`--only kiosk-long --minutes 120`, not in the test command) walks every
//! screen for hours: lists and items, voucher photos zoomed, PDF pages turned, the subsidy
//! search on the letter keyboard, the attract loop, and a filing typed on the pinyin
//! keyboard every few minutes.

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

/// RSS in KiB of the process running `binary` and of each of its child processes
/// (WebKit's web and network processes), by process name; several processes of one
/// name are added up.
fn rss_by_process(binary: &Path) -> Result<Vec<(String, u64)>> {
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
    let mut out: Vec<(String, u64)> = Vec::new();
    for p in pids
        .iter()
        .filter(|p| *p == app || status(p, "PPid:").as_deref() == Some(app.as_str()))
    {
        let Some(kib) =
            status(p, "VmRSS:").and_then(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
        else {
            continue;
        };
        // The executable's name; /proc/PID/comm cuts it at 15 bytes.
        let name = std::fs::read_link(format!("/proc/{p}/exe"))
            .ok()
            .and_then(|e| e.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "?".into());
        let name = if p == app { "app".to_string() } else { name };
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, sum)) => *sum += kib,
            None => out.push((name, kib)),
        }
    }
    Ok(out)
}

/// One reading of every process, `at` after the soak began.
struct Sample {
    at: Duration,
    procs: Vec<(String, u64)>,
}

impl Sample {
    fn total(&self) -> u64 {
        self.procs.iter().map(|(_, k)| k).sum()
    }
    fn of(&self, name: &str) -> Option<u64> {
        if name == TOTAL {
            return Some(self.total());
        }
        self.procs.iter().find(|(n, _)| n == name).map(|(_, k)| *k)
    }
}

const TOTAL: &str = "app + WebKit";

/// Reads RSS every `every` on its own thread, so samples come at an even pace whatever
/// the walk is doing.
struct Sampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Sample>>,
}

impl Sampler {
    fn start(binary: &Path, every: Duration) -> Sampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, binary) = (stop.clone(), binary.to_path_buf());
        let thread = std::thread::spawn(move || {
            let t0 = Instant::now();
            let mut samples = Vec::new();
            let mut next = t0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if Instant::now() >= next {
                    if let Ok(procs) = rss_by_process(&binary) {
                        samples.push(Sample {
                            at: t0.elapsed(),
                            procs,
                        });
                    }
                    next += every;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            samples
        });
        Sampler { stop, thread }
    }

    fn finish(self) -> Vec<Sample> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// A least-squares line through (seconds, KiB): its slope in MiB per hour and the half
/// width of the slope's 95 % interval. Neighbouring samples are not independent (memory
/// moves in steps), so the interval is a floor on the uncertainty, not a promise.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fit {
    slope_mib_h: f64,
    ci95_mib_h: f64,
    n: usize,
}

fn fit(points: &[(f64, f64)]) -> Option<Fit> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = points.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = sxy / sxx;
    let resid: f64 = points
        .iter()
        .map(|p| (p.1 - (my + slope * (p.0 - mx))).powi(2))
        .sum();
    let se = (resid / (nf - 2.0) / sxx).sqrt();
    // KiB per second → MiB per hour.
    let per_hour = 3600.0 / 1024.0;
    Some(Fit {
        slope_mib_h: slope * per_hour,
        ci95_mib_h: 1.96 * se * per_hour,
        n,
    })
}

/// Per process (and for all of them): the fit after `warm_up`, and the peak.
struct ProcessMemory {
    name: String,
    fit: Option<Fit>,
    mean_kib: f64,
    peak_kib: u64,
}

fn per_process(samples: &[Sample], warm_up: Duration) -> Vec<ProcessMemory> {
    let mut names: Vec<String> = vec![TOTAL.into()];
    for s in samples {
        for (n, _) in &s.procs {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let after: Vec<(f64, f64)> = samples
                .iter()
                .filter(|s| s.at >= warm_up)
                .filter_map(|s| s.of(&name).map(|k| (s.at.as_secs_f64(), k as f64)))
                .collect();
            ProcessMemory {
                fit: fit(&after),
                mean_kib: after.iter().map(|p| p.1).sum::<f64>() / after.len().max(1) as f64,
                peak_kib: samples
                    .iter()
                    .filter_map(|s| s.of(&name))
                    .max()
                    .unwrap_or(0),
                name,
            }
        })
        .collect()
}

fn mib(kib: f64) -> String {
    format!("{:.0} MiB", kib / 1024.0)
}

fn slope_text(f: Option<Fit>) -> String {
    f.map(|f| format!("{:+.1} ± {:.1} MiB/h", f.slope_mib_h, f.ci95_mib_h))
        .unwrap_or_else(|| "—".into())
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

/// Taps the first element matching `sel` (whose text contains `needle`, when given) as
/// soon as it is on screen, as a finger would (pointerdown, then click); with `click`
/// false only waits for it. Answers false if it did not appear within 15 s.
const ACT: &str = r#"
const [sel, needle, click, done] = arguments;
const t0 = performance.now();
const go = () => {
  const el = [...document.querySelectorAll(sel)]
    .find((e) => !needle || (e.textContent || '').includes(needle));
  if (el && !el.disabled) {
    if (click) {
      el.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
      el.click();
    }
    requestAnimationFrame(() => done(true));
  } else if (performance.now() - t0 > 15000) done(false);
  else setTimeout(go, 20);
};
go();
"#;

fn act_on(s: &Session, sel: &str, needle: Option<&str>, click: bool) -> Result<()> {
    let v = s.execute_async(ACT, json!([sel, needle, click]))?;
    if v.as_bool() != Some(true) {
        return Err(anyhow!("{sel} {needle:?} not on screen"));
    }
    Ok(())
}

fn act(s: &Session, sel: &str) -> Result<()> {
    act_on(s, sel, None, true)
}

fn act_text(s: &Session, sel: &str, needle: &str) -> Result<()> {
    act_on(s, sel, Some(needle), true)
}

fn seen(s: &Session, sel: &str) -> Result<()> {
    act_on(s, sel, None, false)
}

/// Waits until the image viewer's picture has loaded and decoded: the memory of a photo is
/// only spent once it is, and an empty frame must fail the walk, not pass it.
const IMAGE_SHOWN: &str = r#"
const done = arguments[arguments.length - 1];
const t0 = performance.now();
const go = () => {
  const i = document.querySelector('[data-testid=image-viewer] img');
  if (i && i.complete && i.naturalWidth > 0) requestAnimationFrame(() => done(true));
  else if (performance.now() - t0 > 15000) done(false);
  else setTimeout(go, 20);
};
go();
"#;

fn image_shown(s: &Session) -> Result<()> {
    if s.execute_async(IMAGE_SHOWN, json!([]))?.as_bool() != Some(true) {
        return Err(anyhow!("the viewer's image did not load"));
    }
    Ok(())
}

/// Back to the home screen from wherever the walk stopped.
fn go_home(s: &Session) -> Result<()> {
    for _ in 0..4 {
        if !s.find_all("[data-testid=tile-disclosure]")?.is_empty() {
            return Ok(());
        }
        for way in [
            "[data-testid=close-viewer]",
            "[data-testid=close-row]",
            "[data-testid=receipt-done]",
            "[data-testid=home]",
        ] {
            if let Some(e) = s.find_all(way)?.into_iter().next() {
                let _ = s.click(&e);
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    seen(s, "[data-testid=tile-disclosure]")
}

/// 村务财务: the newest month's voucher photos, zoomed and turned.
fn vouchers(s: &Session) -> Result<()> {
    act(s, "[data-testid=tile-finance]")?;
    act(s, "[data-testid=entry]")?;
    act(s, "[data-testid=voucher-button]")?;
    image_shown(s)?;
    act(s, "[data-testid=zoom-in]")?;
    act(s, "[data-testid=zoom-in]")?;
    if !s
        .find_all("[data-testid=next-image]:not([disabled])")?
        .is_empty()
    {
        act(s, "[data-testid=next-image]")?;
        image_shown(s)?;
    }
    act(s, "[data-testid=close-viewer]")?;
    act(s, "[data-testid=home]")
}

/// 公开目录: a document's PDF pages, both turned.
fn document_pages(s: &Session) -> Result<()> {
    act(s, "[data-testid=tile-disclosure]")?;
    act_text(s, "[data-testid=category]", "规划计划")?;
    act_text(s, "[data-testid=entry]", "政务公开工作要点")?;
    act(s, "[data-testid=open-document]")?;
    image_shown(s)?;
    act(s, "[data-testid=next-image]")?;
    act_on(s, "[data-testid=image-viewer]", Some("页 2/2"), false)?;
    image_shown(s)?;
    act(s, "[data-testid=close-viewer]")?;
    act(s, "[data-testid=home]")
}

/// 补贴名单: the township's 5,200-row list searched on the letter keyboard, by initials
/// and by an ID tail.
fn subsidy_search(s: &Session) -> Result<()> {
    act(s, "[data-testid=tile-subsidy]")?;
    act_text(s, "[data-testid=entry]", "粮食直补")?;
    seen(s, "[data-testid=found]")?;
    for ch in "wj".chars() {
        act(s, &format!("[data-testid=key-{ch}]"))?;
    }
    act_on(s, "[data-testid=found]", Some("拼音首字母"), false)?;
    act(s, "[data-testid=key-clear]")?;
    for ch in "0012".chars() {
        act(s, &format!("[data-testid=key-{ch}]"))?;
    }
    act_on(s, "[data-testid=found]", Some("身份证号后4位"), false)?;
    act(s, "[data-testid=key-clear]")?;
    act(s, "[data-testid=home]")
}

/// 我要反映: a suggestion typed on the pinyin keyboard, a phrase, a phone number on the
/// keypad, submitted; the receipt closed.
fn filing(s: &Session) -> Result<()> {
    act(s, "[data-testid=tile-complaint]")?;
    act(s, "[data-testid=kind-suggestion]")?;
    act(s, "[data-testid=mode-pinyin]")?;
    for ch in "ludeng".chars() {
        act(s, &format!("[data-testid=py-{ch}]"))?;
    }
    act_text(s, "[data-testid=candidate]", "路灯")?;
    act(s, "[data-testid=mode-phrases]")?;
    act(s, "[data-testid=phrase]")?;
    for d in "13937012345".chars() {
        act(s, &format!("[data-testid=digit-{d}]"))?;
    }
    act(s, "[data-testid=submit]")?;
    seen(s, "[data-testid=receipt-code]")?;
    act(s, "[data-testid=receipt-done]")?;
    go_home(s)
}

/// Leaves the screen alone past the idle timeout (the attract loop runs), then touches it.
fn attract(s: &Session) -> Result<()> {
    std::thread::sleep(Duration::from_secs(17));
    let _ =
        s.execute("document.body.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}))");
    wait_text(
        s,
        "[data-testid=tile-disclosure]",
        "项",
        Duration::from_secs(10),
    )
}

/// What a soak did.
#[derive(Default)]
struct Walked {
    taps: Vec<Duration>,
    extras: usize,
    filings: usize,
    attracts: usize,
    failures: Vec<String>,
}

/// Walks the kiosk for `soak`: the content cycle every round, the attract loop every
/// `idle_every`; with `extras`, also vouchers, document pages and the subsidy search in
/// turn, and a filing every `filing_every`.
fn soak(
    w: &KioskWindow,
    soak: Duration,
    idle_every: Duration,
    extras: Option<Duration>,
) -> Result<Walked> {
    let s = &w.app;
    let mut done = Walked::default();
    let started = Instant::now();
    let (mut last_idle, mut last_filing) = (Instant::now(), Instant::now());
    let mut round = 0usize;
    while started.elapsed() < soak {
        round += 1;
        let mut step = cycle(s, &mut done.taps);
        if let (Ok(()), Some(filing_every)) = (&step, extras) {
            let flows: [fn(&Session) -> Result<()>; 3] = [vouchers, document_pages, subsidy_search];
            step = flows[round % flows.len()](s).map(|()| done.extras += 1);
            if step.is_ok() && last_filing.elapsed() >= filing_every {
                step = filing(s).map(|()| done.filings += 1);
                last_filing = Instant::now();
            }
        }
        if let Err(e) = step {
            // A long run should not end on one missed tap: note it, show where it was,
            // and go on from home. Many of them mean the walk is broken.
            let n = done.failures.len();
            let _ = w.display.screenshot(
                &gongkai_tests::artifacts_dir().join(format!("kiosk-soak-failure-{n}.png")),
            );
            done.failures
                .push(format!("{:.0} s: {e}", started.elapsed().as_secs_f64()));
            if done.failures.len() > 20 {
                return Err(anyhow!("the walk keeps failing: {:?}", done.failures));
            }
            go_home(s)?;
        }
        if last_idle.elapsed() > idle_every {
            attract(s)?;
            done.attracts += 1;
            last_idle = Instant::now();
        }
    }
    Ok(done)
}

/// How long a benchmark run walks the kiosk.
pub enum Mode {
    /// The CI smoke mode: proves it runs.
    Quick,
    /// The benchmark run: cold starts, taps, a 300 s soak.
    Full,
    /// The long soak only, for `minutes`, every screen.
    Long { minutes: u64 },
}

/// A synced kiosk of 石桥村 on the demo server, enrolled (its filings are signed), with
/// the shortest idle timeout so a soak passes through the attract loop.
fn synced_kiosk(
    tmp: &Path,
    server: &TestServer,
) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
    let config = tmp.join("kiosk.toml");
    let text = server
        .enrolled_config_text("419901102201", None)?
        .replace("idle_timeout_secs = 90", "idle_timeout_secs = 15");
    std::fs::write(&config, text)?;
    let data = tmp.join("kiosk-data");
    // The first launch fills the cache; later launches open a synced kiosk, as every
    // morning's start does.
    let w = KioskWindow::launch(&config, &data)?;
    wait_text(
        &w.app,
        "[data-testid=tile-disclosure]",
        "52 项",
        Duration::from_secs(120),
    )?;
    Ok((config, data))
}

pub fn run(mode: Mode) -> Result<String> {
    match mode {
        Mode::Quick => short(true),
        Mode::Full => short(false),
        Mode::Long { minutes } => long(minutes),
    }
}

/// How many filings the server holds.
fn filed(server: &TestServer) -> Result<usize> {
    Ok(gongkai_server::Store::complaints(&server.store()?, None)?.len())
}

fn long(minutes: u64) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let (config, data) = synced_kiosk(tmp.path(), &server)?;
    let binary = std::fs::canonicalize(app_binary()?)?;
    let w = KioskWindow::launch(&config, &data)?;
    wait_text(
        &w.app,
        "[data-testid=tile-disclosure]",
        "项",
        Duration::from_secs(60),
    )?;
    let filed_before = filed(&server)?;
    let every = Duration::from_secs(10);
    let warm_up = Duration::from_secs(600.min(minutes * 60 / 4));
    let sampler = Sampler::start(&binary, every);
    let walked = soak(
        &w,
        Duration::from_secs(minutes * 60),
        Duration::from_secs(600),
        Some(Duration::from_secs(180)),
    );
    let samples = sampler.finish();
    drop(w);
    let walked = walked?;
    // Filings reach the server on the kiosk's next rounds; count what arrived.
    let uploaded = filed(&server)?.saturating_sub(filed_before);
    let rows = per_process(&samples, warm_up);
    let budget_mib = 600.0;
    let mut table = String::from(
        "| Process | Mean after warm-up | Slope after warm-up (95 % interval) | Peak | Target | |\n|---|---|---|---|---|---|\n",
    );
    for r in &rows {
        let (target, met) = if r.name == TOTAL {
            let ok = r.fit.is_some_and(|f| f.slope_mib_h <= 5.0)
                && (r.peak_kib as f64) / 1024.0 <= budget_mib;
            (
                format!("≤ 5 MiB/h, peak ≤ {budget_mib:.0} MiB"),
                if ok { "met" } else { "**missed**" },
            )
        } else {
            (String::new(), "")
        };
        table.push_str(&format!(
            "| {} | {} | {} | {} | {target} | {met} |\n",
            r.name,
            mib(r.mean_kib),
            slope_text(r.fit),
            mib(r.peak_kib as f64),
        ));
    }
    Ok(format!(
        "<!-- kiosk-long:start -->\n### Kiosk memory over {minutes} minutes (release app under Xvfb, {date})\n\n\
         `scripts/bench.sh --only kiosk-long --minutes {minutes}`. One kiosk of 石桥村 on the demo county, \
         walked without pause: every content screen ({taps} timed taps), voucher photos zoomed and turned, \
         a PDF document's pages, the subsidy search on the letter keyboard ({extras} of those walks), \
         the attract loop every 10 minutes ({attracts} times) and a suggestion typed on the pinyin keyboard \
         every 3 minutes ({filings} filed at the kiosk, {uploaded} of them on the server when the walk ended). RSS of each process every \
         {every} s ({n} samples); the slope is a least-squares line after the first {warm} minutes; its \
         interval treats samples as independent, which they are not, so read it as a floor. \
         {failures}\n\n{table}\n<!-- kiosk-long:end -->\n",
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        taps = walked.taps.len(),
        extras = walked.extras,
        attracts = walked.attracts,
        filings = walked.filings,
        every = every.as_secs(),
        n = samples.len(),
        warm = warm_up.as_secs() / 60,
        failures = if walked.failures.is_empty() {
            "No step of the walk failed.".to_string()
        } else {
            format!("{} steps failed and the walk went on from home: {}.", walked.failures.len(), walked.failures.join("; "))
        },
    ))
}

fn short(quick: bool) -> Result<String> {
    let tmp = tempfile::tempdir()?;
    let server = TestServer::demo(tmp.path())?;
    let (config, data) = synced_kiosk(tmp.path(), &server)?;
    let binary = std::fs::canonicalize(app_binary()?)?;
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
    let soak_for = Duration::from_secs(if quick { 20 } else { 300 });
    let sampler = Sampler::start(&binary, Duration::from_secs(1));
    let walked = soak(
        &w,
        soak_for,
        Duration::from_secs(if quick { 5 } else { 60 }),
        None,
    );
    let samples = sampler.finish();
    drop(w);
    let mut taps = walked?.taps;
    taps.sort();
    bare.sort();
    let (p50, p95) = (percentile(&taps, 0.5), percentile(&taps, 0.95));
    let (b50, b95) = (percentile(&bare, 0.5), percentile(&bare, 0.95));
    // Memory: the first sample against the last, the peak, and the slope after a minute.
    let totals: Vec<u64> = samples.iter().map(Sample::total).collect();
    let first = totals.first().copied().unwrap_or(0);
    let last = totals.last().copied().unwrap_or(first);
    let peak = totals.iter().copied().max().unwrap_or(first);
    let growth = last as f64 / first.max(1) as f64;
    let warm_up = Duration::from_secs(if quick { 5 } else { 60 });
    let slope = per_process(&samples, warm_up)
        .into_iter()
        .find(|p| p.name == TOTAL)
        .and_then(|p| p.fit);
    let mib = |k: u64| mib(k as f64);
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
         attract loop for {soak} s ({samples} samples, one a second); the slope is a least-squares line after the first {warm} s (the long mode below walks more screens for hours).\n\n\
         | Figure | Gongkai | Baseline | Ratio | Target | |\n|---|---|---|---|---|---|\n\
         | Cold start to painted home | {app_start} | {bare_start} | {r_start:.1}× | ≤ 2 s | {m_start} |\n\
         | Tap to next screen p50 | {p50} | {b50} | {r50:.1}× | | |\n\
         | Tap to next screen p95 | {p95} | {b95} | {r95:.1}× | ≤ 100 ms | {m_tap} |\n\
         | Memory over the soak (last / first) | {last_m} (peak {peak_m}) | {first_m} | {growth:.2}× | ≤ 1.10× | {m_mem} |\n\
         | Memory slope after warm-up (95 % interval) | {slope} | | | ≤ 5 MiB/h in the long mode | |\n\n\
         <!-- kiosk:end -->\n",
        date = chrono::Utc::now().format("%Y-%m-%d"),
        n = taps.len(),
        soak = soak_for.as_secs(),
        warm = warm_up.as_secs(),
        slope = slope_text(slope),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_fitted_exactly_and_noise_around_flat_gives_a_slope_near_zero() {
        // 1 MiB (1024 KiB) per hour, sampled every 10 s for two hours.
        let line: Vec<(f64, f64)> = (0..720)
            .map(|i| {
                let t = i as f64 * 10.0;
                (t, 500_000.0 + t * 1024.0 / 3600.0)
            })
            .collect();
        let f = fit(&line).unwrap();
        assert!((f.slope_mib_h - 1.0).abs() < 1e-9, "{f:?}");
        assert!(f.ci95_mib_h < 1e-6, "{f:?}");
        // Flat, with a ±8 MiB saw: the slope is near zero and its interval covers it.
        let flat: Vec<(f64, f64)> = (0..720)
            .map(|i| {
                (
                    i as f64 * 10.0,
                    500_000.0 + ((i % 7) as f64 - 3.0) * 2_730.0,
                )
            })
            .collect();
        let f = fit(&flat).unwrap();
        assert!(f.slope_mib_h.abs() <= f.ci95_mib_h, "{f:?}");
        assert!(f.slope_mib_h.abs() < 1.0, "{f:?}");
        assert_eq!(fit(&flat[..2]), None);
    }

    #[test]
    fn processes_are_fitted_apart_and_together() {
        let samples: Vec<Sample> = (0..100)
            .map(|i| Sample {
                at: Duration::from_secs(i * 10),
                procs: vec![
                    ("app".into(), 100_000),
                    ("WebKitWebProcess".into(), 200_000 + i * 10),
                ],
            })
            .collect();
        let rows = per_process(&samples, Duration::from_secs(100));
        let by = |n: &str| rows.iter().find(|r| r.name == n).unwrap();
        assert_eq!(by("app").fit.unwrap().slope_mib_h, 0.0);
        let web = by("WebKitWebProcess").fit.unwrap().slope_mib_h;
        assert!((web - 3.515625).abs() < 1e-9, "{web}"); // 1 KiB/s
        assert!((by(TOTAL).fit.unwrap().slope_mib_h - web).abs() < 1e-9);
        assert_eq!(by(TOTAL).peak_kib, 100_000 + 200_000 + 990);
        assert_eq!(by("app").fit.unwrap().n, 90);
    }
}
