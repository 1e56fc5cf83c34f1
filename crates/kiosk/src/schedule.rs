//! What the kiosk does in the background, and how often: a sync round, then the fleet
//! round (display log, heartbeat, remote configuration), with signed updates looked for
//! hourly. The shell only runs [`Schedule::round`] on a thread and sleeps what it says.

use crate::Kiosk;
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// How often signed updates are looked for.
pub const UPDATE_CHECK_EVERY: Duration = Duration::from_secs(3600);

/// The background work's own memory: when updates were last looked for.
#[derive(Debug, Default)]
pub struct Schedule {
    update_checked: Option<Instant>,
}

impl Schedule {
    /// One round at `now`; answers how long to wait before the next (the poll interval,
    /// which a remote configuration may have changed during this round). Failures only
    /// change the status the screens show: the cache keeps serving.
    pub fn round(&mut self, kiosk: &Kiosk, now: DateTime<Utc>) -> Duration {
        if self
            .update_checked
            .is_none_or(|t| t.elapsed() >= UPDATE_CHECK_EVERY)
        {
            self.update_checked = Some(Instant::now());
            match kiosk.check_update() {
                Ok(Some(v)) => tracing::info!(version = %v, "update staged"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "update check failed"),
            }
        }
        match kiosk.sync_once(now) {
            Ok(report) => tracing::info!(?report.outcomes, "sync done"),
            Err(e) => tracing::warn!(error = %e, "sync failed"),
        }
        match kiosk.fleet_round(now) {
            Ok(report) => tracing::debug!(?report, "fleet round done"),
            Err(e) => tracing::warn!(error = %e, "fleet round failed"),
        }
        Duration::from_secs(kiosk.poll_interval_secs())
    }
}
