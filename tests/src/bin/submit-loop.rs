//! Helper for the crash trials: files complaints one after another at a kiosk and prints
//! each tracking code only after `submit_complaint` returned — exactly when the screen
//! would show it. The test kills this process at random moments.
#![forbid(unsafe_code)]

use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::{Kiosk, KioskConfig};
use gongkai_model::complaint::ComplaintKind;
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(config), Some(data)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: submit-loop CONFIG DATA_DIR");
    };
    let kiosk = Kiosk::open(KioskConfig::load(config.as_ref())?, data.as_ref())?;
    let mut out = std::io::stdout().lock();
    for i in 0..10_000 {
        let draft = ComplaintDraft {
            kind: ComplaintKind::Complaint,
            scope: String::new(),
            subject: format!("试验{i}"),
            text: "村东头路灯坏了，请尽快维修。".into(),
            name: String::new(),
            phone: "13800138000".into(),
            on_behalf: false,
        };
        let receipt = kiosk.submit_complaint(&draft, chrono::Utc::now())?;
        writeln!(out, "{}", receipt.code)?;
        out.flush()?;
    }
    Ok(())
}
