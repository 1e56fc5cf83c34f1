//! A minimal W3C WebDriver client (the few endpoints the kiosk tests use), plus the
//! processes behind it: an Xvfb display and tauri-driver with WebKitWebDriver.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A virtual X display of its own, so tests never share a screen.
pub struct Xvfb {
    pub display: String,
    child: Child,
}

impl Xvfb {
    pub fn start() -> Result<Xvfb> {
        Xvfb::start_sized(1920, 1080)
    }

    /// A display of the given size (1080×1920 for a portrait kiosk).
    ///
    /// Xvfb picks a free display number itself (`-displayfd`) and writes it to our pipe:
    /// it knows which lock files are stale, where guessing numbers here ran out of them
    /// after many killed runs had left their locks behind.
    pub fn start_sized(width: u32, height: u32) -> Result<Xvfb> {
        use std::io::Read;
        let screen = format!("{width}x{height}x24");
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &screen,
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb (apt-get install xvfb)")?;
        let mut out = child.stdout.take().context("Xvfb stdout")?;
        let mut number = String::new();
        let mut byte = [0u8; 1];
        // Xvfb writes "N\n" once it listens, or closes the pipe when it gives up.
        while out.read(&mut byte)? == 1 && byte[0] != b'\n' {
            number.push(byte[0] as char);
        }
        let x = Xvfb {
            display: format!(":{}", number.trim()),
            child,
        };
        if number.trim().parse::<u32>().is_err() {
            bail!("Xvfb did not start (no display number reported)");
        }
        Ok(x)
    }

    /// Saves what the display shows (the WebDriver screenshot endpoint hangs under Xvfb).
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let status = Command::new("import")
            .args([
                "-display",
                &self.display,
                "-window",
                "root",
                &path.display().to_string(),
            ])
            .status()
            .context("running ImageMagick import")?;
        if !status.success() {
            bail!("import failed for {}", path.display());
        }
        Ok(())
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: Xvfb then removes its lock file and socket.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub fn find_program(name: &str, env: &str) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(PathBuf::from(p));
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join(name)).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cargo/bin").join(name));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow!("{name} not found (set {env}); run scripts/test.sh to install it"))
}

/// tauri-driver on its own pair of ports, with the environment the app should inherit.
pub struct TauriDriver {
    pub port: u16,
    child: Child,
}

impl TauriDriver {
    pub fn start(display: &str, envs: &[(&str, String)]) -> Result<TauriDriver> {
        let driver = find_program("tauri-driver", "TAURI_DRIVER")?;
        let native = find_program("WebKitWebDriver", "WEBKIT_WEBDRIVER")?;
        let port = free_port()?;
        let mut native_port = free_port()?;
        while native_port == port {
            native_port = free_port()?;
        }
        let mut cmd = Command::new(driver);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
            "--native-driver",
            &native.display().to_string(),
        ])
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        // Its own process group: tauri-driver starts WebKitWebDriver, which starts the
        // app, and killing tauri-driver alone left a WebKitWebDriver behind per test.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().context("starting tauri-driver")?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(TauriDriver { port, child });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("tauri-driver did not listen on {port}")
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // The whole group — tauri-driver, WebKitWebDriver and anything they started —
        // asked to stop, then killed if still there.
        let group = format!("-{}", self.child.id());
        let signal = |sig: &str| {
            let _ = Command::new("kill")
                .args([sig, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(20));
        }
        signal("-KILL");
        let _ = self.child.wait();
    }
}

pub struct Session {
    http: reqwest::blocking::Client,
    base: String,
}

#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// Starts the app at `application` through the driver on `port`.
    pub fn start(port: u16, application: &Path, args: &[String]) -> Result<Session> {
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "tauri:options": { "application": application, "args": args }
            }}
        });
        Session::with_capabilities(port, caps)
    }

    /// Starts a session with any capabilities (e.g. WebKitGTK's MiniBrowser for a
    /// baseline).
    pub fn with_capabilities(port: u16, caps: Value) -> Result<Session> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        // tauri-driver accepts connections a moment before it can start sessions; a
        // transport error on the first tries is that, not a failure of the app.
        let mut attempt = 0;
        let resp: Value = loop {
            attempt += 1;
            match http
                .post(format!("http://127.0.0.1:{port}/session"))
                .json(&caps)
                .send()
            {
                Ok(r) => break r.json()?,
                Err(e) if attempt < 5 => {
                    eprintln!("new session, attempt {attempt}: {e}");
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(e) => return Err(e.into()),
            }
        };
        let id = resp["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session: {resp}"))?;
        Ok(Session {
            http,
            base: format!("http://127.0.0.1:{port}/session/{id}"),
        })
    }

    fn post(&self, path: &str, body: Value) -> Result<Value> {
        let resp: Value = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()?
            .json()?;
        if resp["value"]["error"].is_string() {
            bail!("{path}: {}", resp["value"]);
        }
        Ok(resp["value"].clone())
    }

    fn get(&self, path: &str) -> Result<Value> {
        let resp: Value = self
            .http
            .get(format!("{}{path}", self.base))
            .send()?
            .json()?;
        if resp["value"]["error"].is_string() {
            bail!("{path}: {}", resp["value"]);
        }
        Ok(resp["value"].clone())
    }

    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let v = self.post("/elements", json!({"using": "css selector", "value": css}))?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str().map(|s| Element(s.to_string())))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until at least one element matches and returns the first.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.find_all(css)?.into_iter().next() {
                return Ok(e);
            }
            if Instant::now() > deadline {
                bail!("no element matches {css} after {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits until the first match of `css` has text satisfying `pred`.
    pub fn wait_for_text(
        &self,
        css: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            if let Some(e) = self.find_all(css)?.into_iter().next() {
                // The screen may re-render between finding and reading (a stale element
                // reference): that is "not yet", not a failure.
                if let Ok(text) = self.text(&e) {
                    last = text;
                    if pred(&last) {
                        return Ok(last);
                    }
                }
            }
            if Instant::now() > deadline {
                bail!("{css} never had the expected text; last was {last:?}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn click(&self, e: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", e.0), json!({}))?;
        Ok(())
    }

    pub fn text(&self, e: &Element) -> Result<String> {
        Ok(self
            .get(&format!("/element/{}/text", e.0))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// An attribute of `e` (empty when it has none).
    pub fn attribute(&self, e: &Element, name: &str) -> Result<String> {
        Ok(self
            .get(&format!("/element/{}/attribute/{name}", e.0))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Draws `strokes` on `e` with the pointer (W3C actions): each stroke pressed at its
    /// first point, moved through the rest, released. Points are fractions (0..1) of the
    /// largest square centred in the element, so a character keeps its shape on a pad of
    /// any size or proportions.
    pub fn draw(&self, e: &Element, strokes: &[Vec<(f64, f64)>]) -> Result<()> {
        let rect = self.get(&format!("/element/{}/rect", e.0))?;
        let (w, h) = (
            rect["width"].as_f64().unwrap_or(0.0),
            rect["height"].as_f64().unwrap_or(0.0),
        );
        // Offsets from an element origin count from its centre.
        let side = w.min(h);
        let at = |(fx, fy): (f64, f64)| {
            (
                ((fx - 0.5) * side).round() as i64,
                ((fy - 0.5) * side).round() as i64,
            )
        };
        let mut actions = Vec::new();
        for stroke in strokes {
            let Some(first) = stroke.first() else {
                continue;
            };
            let (x, y) = at(*first);
            actions.push(json!({"type": "pointerMove", "duration": 0, "origin": {ELEMENT_KEY: e.0}, "x": x, "y": y}));
            actions.push(json!({"type": "pointerDown", "button": 0}));
            for p in &stroke[1..] {
                let (x, y) = at(*p);
                actions.push(json!({"type": "pointerMove", "duration": 15, "origin": {ELEMENT_KEY: e.0}, "x": x, "y": y}));
            }
            actions.push(json!({"type": "pointerUp", "button": 0}));
            actions.push(json!({"type": "pause", "duration": 50}));
        }
        self.post(
            "/actions",
            json!({"actions": [{
                "type": "pointer",
                "id": "finger",
                "parameters": {"pointerType": "mouse"},
                "actions": actions,
            }]}),
        )?;
        let _ = self.http.delete(format!("{}/actions", self.base)).send();
        Ok(())
    }

    pub fn execute(&self, script: &str) -> Result<Value> {
        self.post("/execute/sync", json!({"script": script, "args": []}))
    }

    /// Runs an asynchronous script: its last argument is the callback that ends it.
    pub fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/async", json!({"script": script, "args": args}))
    }

    pub fn navigate(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url }))?;
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.base).send();
    }
}

/// The kiosk app binary: `GONGKAI_APP_BIN`, or the debug build in the target directory.
pub fn app_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("GONGKAI_APP_BIN") {
        return Ok(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"));
    let bin = target.join("debug").join("gongkai-kiosk");
    if !bin.is_file() {
        bail!(
            "{} not built: run `cargo build -p gongkai-kiosk-app` (scripts/test.sh does)",
            bin.display()
        );
    }
    Ok(bin)
}

/// The kiosk app in its own Xvfb display, driven through its own tauri-driver.
/// Fields drop in order: the session closes before the driver and display go.
pub struct KioskWindow {
    pub app: Session,
    _driver: TauriDriver,
    pub display: Xvfb,
}

impl KioskWindow {
    pub fn launch(config: &Path, data_dir: &Path) -> Result<KioskWindow> {
        KioskWindow::launch_on(Xvfb::start()?, config, data_dir)
    }

    pub fn launch_on(display: Xvfb, config: &Path, data_dir: &Path) -> Result<KioskWindow> {
        let driver = KioskWindow::driver(&display, config, data_dir)?;
        let app = Session::start(driver.port, &app_binary()?, &[])?;
        Ok(KioskWindow {
            app,
            _driver: driver,
            display,
        })
    }

    /// A tauri-driver on `display` whose app will use `config` and `data_dir`; the app
    /// starts when a session is made (benchmarks time that).
    pub fn driver(display: &Xvfb, config: &Path, data_dir: &Path) -> Result<TauriDriver> {
        TauriDriver::start(
            &display.display,
            &[
                ("GONGKAI_KIOSK_CONFIG", config.display().to_string()),
                ("GONGKAI_KIOSK_DATA", data_dir.display().to_string()),
                // Read-aloud writes here instead of to a sound card.
                (
                    "GONGKAI_SPEECH_WAV",
                    KioskWindow::speech_wav(data_dir).display().to_string(),
                ),
            ],
        )
    }

    /// Where read-aloud audio of the app using `data_dir` ends up.
    pub fn speech_wav(data_dir: &Path) -> PathBuf {
        data_dir.with_extension("speech.wav")
    }

    /// Saves a screenshot into the artifacts directory under `name`.png.
    pub fn shot(&self, name: &str) -> Result<()> {
        self.display
            .screenshot(&crate::artifacts_dir().join(format!("{name}.png")))
    }

    /// Taps the first element matching `css`, waiting for it to appear.
    /// On failure a screenshot `failed-tap.png` shows what was on screen instead.
    pub fn tap(&self, css: &str) -> Result<()> {
        match self.app.wait_for(css, Duration::from_secs(30)) {
            Ok(e) => self.app.click(&e).with_context(|| {
                let _ = self.shot("failed-tap");
                format!("tapping {css}")
            }),
            Err(err) => {
                let _ = self.shot("failed-tap");
                Err(err)
            }
        }
    }

    /// Waits for `css`; on failure a screenshot `failed-wait.png` shows the screen.
    pub fn wait_for(&self, css: &str) -> Result<Element> {
        self.app
            .wait_for(css, Duration::from_secs(30))
            .inspect_err(|_| {
                let _ = self.shot("failed-wait");
            })
    }

    /// Waits until some element matching `css` has text containing `needle`, and returns
    /// it: screens render a moment after a tap, so never look just once.
    pub fn find_text(&self, css: &str, needle: &str) -> Result<Element> {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            for e in self.app.find_all(css)? {
                // An element can vanish between the lookup and the read; look again.
                if self
                    .app
                    .text(&e)
                    .map(|t| t.contains(needle))
                    .unwrap_or(false)
                {
                    return Ok(e);
                }
            }
            if std::time::Instant::now() > deadline {
                let _ = self.shot("failed-find");
                bail!("no {css} containing {needle:?} after 30 s");
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// The page's visible text.
    pub fn page_text(&self) -> Result<String> {
        Ok(self
            .app
            .execute("return document.body.innerText")?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }
}
