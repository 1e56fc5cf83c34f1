//! Load from outside: `wrk` (Debian's, installed by scripts/setup.sh) pinned to one core,
//! the server under test pinned to the other, each its own process. An in-process loader
//! topped out below what one server core answers, so every figure here comes with the
//! loader's own ceiling: the same wrk against [`serve_static`], a responder that writes a
//! fixed 304 per request with no HTTP framework and no routing.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The core servers run on; wrk gets the other one.
pub const SERVER_CORE: usize = 0;
pub const LOADER_CORE: usize = 1;
/// Connections wrk keeps open (kiosks keep theirs alive between polls).
pub const CONNECTIONS: u32 = 64;

/// What one wrk run measured.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers that were neither 2xx nor 3xx (a poll answered 404 would count here).
    pub errors: u64,
}

impl Load {
    pub fn row(&self, what: &str, baseline: Option<&Load>) -> String {
        let ratio = baseline.map_or_else(
            || "—".to_string(),
            |b| format!("{:.0} %", self.rps / b.rps.max(1.0) * 100.0),
        );
        format!(
            "| {what} | {:.0} | {:.2} ms | {:.2} ms | {ratio} |",
            self.rps,
            self.p50.as_secs_f64() * 1000.0,
            self.p99.as_secs_f64() * 1000.0,
        )
    }
}

/// Whether the machine can run these measurements (wrk and taskset present, two cores).
pub fn available() -> Result<()> {
    for tool in ["wrk", "taskset"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !found {
            bail!("{tool} not found: scripts/setup.sh installs it");
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        bail!("the external load needs two cores (server on one, wrk on the other)");
    }
    Ok(())
}

/// Runs wrk on [`LOADER_CORE`] against each URL at once (one wrk per URL, the connections
/// shared out), with `header` on every request. Throughput is summed; latencies are the
/// slowest URL's.
pub fn run(urls: &[String], header: Option<&str>, secs: u64) -> Result<Load> {
    let per = (CONNECTIONS / urls.len().max(1) as u32).max(1);
    let children = urls
        .iter()
        .map(|url| {
            let mut cmd = Command::new("taskset");
            cmd.args(["-c", &LOADER_CORE.to_string(), "wrk", "-t1", "--latency"])
                .arg(format!("-c{per}"))
                .arg(format!("-d{secs}s"));
            if let Some(h) = header {
                cmd.args(["-H", h]);
            }
            cmd.arg(url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("starting wrk")
        })
        .collect::<Result<Vec<_>>>()?;
    let mut total = Load {
        rps: 0.0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        errors: 0,
    };
    for child in children {
        let out = child.wait_with_output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let one = parse(&text).with_context(|| format!("reading wrk's output:\n{text}"))?;
        total.rps += one.rps;
        total.p50 = total.p50.max(one.p50);
        total.p99 = total.p99.max(one.p99);
        total.errors += one.errors;
    }
    Ok(total)
}

/// Reads wrk's `--latency` report.
pub fn parse(text: &str) -> Result<Load> {
    let mut load = Load {
        rps: 0.0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        errors: 0,
    };
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(v)) => load.rps = v.parse()?,
            (Some("50%"), Some(v)) => load.p50 = duration(v)?,
            (Some("99%"), Some(v)) => load.p99 = duration(v)?,
            _ if line.starts_with("Non-2xx or 3xx responses:") => {
                load.errors = line.rsplit(' ').next().unwrap_or("0").parse()?;
            }
            _ => {}
        }
    }
    if load.rps == 0.0 {
        bail!("no Requests/sec line");
    }
    Ok(load)
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.01s`.
fn duration(v: &str) -> Result<Duration> {
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1.0)
    } else {
        bail!("unknown duration {v}")
    };
    Ok(Duration::from_secs_f64(num.parse::<f64>()? * scale))
}

/// This process's threads pinned to [`SERVER_CORE`] while it lives (for servers that run
/// in-process, such as the province's PostgreSQL instances), then free on every core again.
pub struct PinSelf;

impl PinSelf {
    pub fn to_server_core() -> Result<PinSelf> {
        set_own_cores(&SERVER_CORE.to_string())?;
        Ok(PinSelf)
    }
}

impl Drop for PinSelf {
    fn drop(&mut self) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let _ = set_own_cores(&format!("0-{}", cores.saturating_sub(1).max(LOADER_CORE)));
    }
}

/// `taskset -a -p -c CORES <this pid>`: every thread, present ones included.
fn set_own_cores(cores: &str) -> Result<()> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", cores, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("taskset could not pin this process to {cores}");
    }
    Ok(())
}

/// A server process pinned to [`SERVER_CORE`], ended when dropped.
pub struct Pinned {
    child: Child,
    pub addr: SocketAddr,
}

impl Pinned {
    /// Starts `program args…` on the server core and waits for the line on its standard
    /// output that contains `http://ADDR` (gongkai-server's "listening on http://…").
    pub fn start(program: &std::path::Path, args: &[&str]) -> Result<Pinned> {
        let mut child = Command::new("taskset")
            .args(["-c", &SERVER_CORE.to_string()])
            .arg(program)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{} ended before saying where it listens", program.display());
            };
            let line = line?;
            if let Some(rest) = line.split("http://").nth(1) {
                let addr: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '/')
                    .collect();
                break addr.parse()?;
            }
        };
        // Keep reading so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Pinned { child, addr })
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The loader's ceiling: answers every request with the same 304, finding requests by
/// their blank line, with no HTTP library and no routing. Run inside `gongkai-bench
/// --serve static`.
pub async fn serve_static(listener: tokio::net::TcpListener) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const ANSWER: &[u8] =
        b"HTTP/1.1 304 Not Modified\r\netag: \"1-37-1\"\r\ndate: Thu, 03 Dec 2026 00:00:00 GMT\r\n\r\n";
    loop {
        let (mut sock, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut carry = 0usize;
            loop {
                let n = match sock.read(&mut buf[carry..]).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let filled = carry + n;
                let mut start = 0;
                let mut out = Vec::new();
                while let Some(at) = buf[start..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                    out.extend_from_slice(ANSWER);
                    start += at + 4;
                }
                buf.copy_within(start..filled, 0);
                carry = filled - start;
                if carry == buf.len() {
                    return;
                }
                if !out.is_empty() && sock.write_all(&out).await.is_err() {
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_latency_report() {
        let text = "Running 5s test @ http://127.0.0.1:1/x\n  1 threads and 64 connections\n  Latency Distribution\n     50%  812.00us\n     75%    1.10ms\n     90%    1.50ms\n     99%    3.45ms\n  123456 requests in 5.00s, 12.34MB read\n  Non-2xx or 3xx responses: 12\nRequests/sec:  24691.20\nTransfer/sec:      2.47MB\n";
        let l = parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert!((l.rps - 24691.2).abs() < 0.01);
        assert_eq!(l.p50, Duration::from_micros(812));
        assert_eq!(l.p99, Duration::from_micros(3450));
        assert_eq!(l.errors, 12);
        assert!(parse("nothing").is_err());
    }
}
