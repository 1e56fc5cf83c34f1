//! systemd's watchdog (deploy/kiosk/gongkai-kiosk.service, `WatchdogSec=`): the app says
//! READY=1 once its window is up, then WATCHDOG=1 every few seconds — but only while the
//! screen's script is alive, proven by its calls to the `home` command (the UI polls it
//! every 5 s). A hung webview stops those calls, the pings stop, and systemd restarts the
//! app. Without `NOTIFY_SOCKET` (not under systemd) this does nothing.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Unix seconds of the UI's last call.
static LAST_UI_CALL: AtomicI64 = AtomicI64::new(0);
/// The UI counts as alive this long after its last call.
const UI_SILENCE_SECS: i64 = 30;
const PING_EVERY: Duration = Duration::from_secs(10);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Called by the commands the UI polls.
pub fn ui_alive() {
    LAST_UI_CALL.store(now(), Ordering::Relaxed);
}

/// Sends one state line to the service manager at `socket` (a path, or `@name` for an
/// abstract socket). True if sent.
pub fn notify_to(socket: &str, state: &str) -> bool {
    use std::os::unix::net::UnixDatagram;
    let Ok(sock) = UnixDatagram::unbound() else {
        return false;
    };
    let sent = if let Some(name) = socket.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .and_then(|addr| sock.send_to_addr(state.as_bytes(), &addr))
    } else {
        sock.send_to(state.as_bytes(), socket)
    };
    sent.is_ok()
}

fn notify(state: &str) -> bool {
    std::env::var("NOTIFY_SOCKET").is_ok_and(|s| notify_to(&s, state))
}

/// Tells systemd the app is up and starts the pinging thread.
pub fn start() {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    ui_alive(); // the first poll comes a moment after the window opens
    notify("READY=1");
    let _ = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(|| loop {
            std::thread::sleep(PING_EVERY);
            if now() - LAST_UI_CALL.load(Ordering::Relaxed) <= UI_SILENCE_SECS {
                notify("WATCHDOG=1");
            } else {
                tracing::warn!(
                    "the screen has not called in; letting the watchdog restart the app"
                );
            }
        });
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn notifications_reach_a_path_socket_and_an_abstract_one() {
        use std::os::unix::net::UnixDatagram;
        let dir = std::env::temp_dir().join(format!("gongkai-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixDatagram::bind(&path).expect("bind");
        assert!(notify_to(&path.display().to_string(), "WATCHDOG=1"));
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"WATCHDOG=1");

        use std::os::linux::net::SocketAddrExt;
        let name = format!("gongkai-notify-test-{}", std::process::id());
        let addr =
            std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("addr");
        let abs = UnixDatagram::bind_addr(&addr).expect("bind abstract");
        assert!(notify_to(&format!("@{name}"), "READY=1"));
        let n = abs.recv(&mut buf).expect("recv");
        assert_eq!(&buf[..n], b"READY=1");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!notify_to("/nonexistent/notify.sock", "READY=1"));
    }
}
