//! Read-aloud for 关怀模式: the current page's text spoken by espeak-ng's Mandarin voice.
//! WebKitGTK as shipped in Debian 12 offers speechSynthesis only through Flite's four
//! English voices (kal, slt, rms, awb: checked in the app under Xvfb), so Mandarin comes
//! from this offline engine instead; one utterance at a time, a new one stops the last.

use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// Longest text read in one go: a screen's worth, not a whole document.
const MAX_CHARS: usize = 600;

#[derive(Default)]
pub struct Speech {
    current: Mutex<Option<Child>>,
}

impl Speech {
    pub fn stop(&self) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut child) = current.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts speaking `text`. With `GONGKAI_SPEECH_WAV` set, writes the audio to that file
    /// instead of the sound card (for tests and machines without sound).
    pub fn say(&self, text: &str) -> std::io::Result<()> {
        self.stop();
        let text: String = text.chars().take(MAX_CHARS).collect();
        let mut cmd = Command::new("espeak-ng");
        cmd.args(["-v", "cmn", "-s", "150"]);
        if let Some(wav) = std::env::var_os("GONGKAI_SPEECH_WAV") {
            cmd.arg("-w").arg(wav);
        }
        // The text goes on stdin, never through a shell or as an option-like argument.
        cmd.arg("--stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            stdin.write_all(text.as_bytes())?;
        }
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
        Ok(())
    }
}
