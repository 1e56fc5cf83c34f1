//! Helper for the crash trials: syncs a kiosk over and over, as its sync thread does.
//! The test kills this process with SIGKILL at random moments — mid-download, mid-stage,
//! mid-merge — and then checks what it left on disk.
#![forbid(unsafe_code)]

use gongkai_kiosk::{Kiosk, KioskConfig};
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(config), Some(data)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: sync-loop CONFIG DATA_DIR");
    };
    let kiosk = Kiosk::open(KioskConfig::load(config.as_ref())?, data.as_ref())?;
    let mut out = std::io::stdout().lock();
    loop {
        // The test reads the last line to know whether the kill landed inside a round.
        writeln!(out, "start")?;
        out.flush()?;
        let report = kiosk.sync_once(chrono::Utc::now())?;
        writeln!(out, "synced {}", report.outcomes.len())?;
        out.flush()?;
    }
}
