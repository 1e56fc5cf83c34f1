//! Read-aloud for 关怀模式: the current page's text spoken by espeak-ng's Mandarin voice.
//! WebKitGTK as shipped in Debian 12 offers speechSynthesis only through Flite's four
//! English voices (kal, slt, rms, awb: checked in the app under Xvfb), so Mandarin comes
//! from this offline engine instead; one utterance at a time, a new one stops the last.
//!
//! The sound goes `espeak-ng --stdout | aplay`: straight to ALSA's default device, the one
//! audio path a kiosk under cage has (no desktop sound server runs for the service user;
//! espeak-ng's own output would try PulseAudio first and, without one, behaved differently
//! from run to run). The kiosk package puts its user in `audio` for the sound card.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// Longest text read in one go: a screen's worth, not a whole document.
const MAX_CHARS: usize = 600;

#[derive(Default)]
pub struct Speech {
    /// The running utterance: the speech engine and, unless writing a file, the player.
    current: Mutex<Vec<Child>>,
    /// An ALSA configuration for the player (tests route the default device into a file).
    alsa_config: Option<PathBuf>,
}

impl Speech {
    /// Plays through the ALSA configuration at `path` (appended to the system's).
    #[cfg(test)]
    pub fn with_alsa_config(path: PathBuf) -> Speech {
        Speech {
            current: Mutex::default(),
            alsa_config: Some(path),
        }
    }

    pub fn stop(&self) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        for mut child in current.drain(..) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until the current utterance has been played.
    #[cfg(test)]
    pub fn wait(&self) -> std::io::Result<()> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        for mut child in current.drain(..) {
            let status = child.wait()?;
            if !status.success() {
                return Err(std::io::Error::other(format!(
                    "read-aloud ended with {status}"
                )));
            }
        }
        Ok(())
    }

    /// Starts speaking `text`. With `GONGKAI_SPEECH_WAV` set, writes the audio to that file
    /// instead of the sound card (for tests and machines without sound).
    pub fn say(&self, text: &str) -> std::io::Result<()> {
        self.stop();
        let text: String = text.chars().take(MAX_CHARS).collect();
        let mut engine = Command::new("espeak-ng");
        engine.args(["-v", "cmn", "-s", "150"]);
        let wav = std::env::var_os("GONGKAI_SPEECH_WAV");
        match &wav {
            Some(path) => engine.arg("-w").arg(path).stdout(Stdio::null()),
            None => engine.arg("--stdout").stdout(Stdio::piped()),
        };
        // The text goes on stdin, never through a shell or as an option-like argument.
        engine
            .arg("--stdin")
            .stdin(Stdio::piped())
            .stderr(Stdio::null());
        let mut engine = engine.spawn()?;
        let mut children = Vec::with_capacity(2);
        if let Some(audio) = engine.stdout.take() {
            let mut player = Command::new("aplay");
            player.args(["-q", "-D", "default"]);
            if let Some(conf) = &self.alsa_config {
                let system = "/usr/share/alsa/alsa.conf";
                player.env("ALSA_CONFIG_PATH", format!("{system}:{}", conf.display()));
            }
            match player
                .stdin(Stdio::from(audio))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            {
                Ok(p) => children.push(p),
                Err(e) => {
                    let _ = engine.kill();
                    let _ = engine.wait();
                    return Err(e);
                }
            }
        }
        if let Some(mut stdin) = engine.stdin.take() {
            use std::io::Write;
            stdin.write_all(text.as_bytes())?;
        }
        children.insert(0, engine);
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = children;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The read-aloud reaches ALSA's default device and is sound, not silence: the device
    /// here is ALSA's `file` plugin in front of its null sink (a machine without a sound
    /// card), so the samples that would reach the speaker are in a file to read.
    #[test]
    fn read_aloud_plays_non_silent_samples_into_alsa() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let raw = dir.path().join("played.raw");
        let conf = dir.path().join("asound.conf");
        std::fs::write(
            &conf,
            format!(
                "pcm.!default {{\n  type file\n  slave.pcm \"null\"\n  file \"{}\"\n  format \"raw\"\n}}\n",
                raw.display()
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let speech = Speech::with_alsa_config(conf);
        speech
            .say("石桥村二〇二六年第三季度村务公开：本季度收入合计十二万三千元。")
            .unwrap_or_else(|e| {
                panic!("espeak-ng and aplay (scripts/setup.sh installs them): {e}")
            });
        speech.wait().unwrap_or_else(|e| panic!("{e}"));
        let bytes = std::fs::read(&raw).unwrap_or_else(|e| panic!("nothing played: {e}"));
        // espeak-ng speaks 16-bit little-endian mono at 22,050 Hz.
        let samples: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let seconds = samples.len() as f64 / 22_050.0;
        assert!(seconds > 2.0, "only {seconds:.2} s played");
        let rms = (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>()
            / samples.len() as f64)
            .sqrt();
        assert!(rms > 300.0, "silence (RMS {rms:.0})");
        let loud = samples.iter().filter(|s| s.unsigned_abs() > 2000).count();
        assert!(loud > samples.len() / 50, "almost no loud samples: {loud}");
    }

    #[test]
    fn a_new_utterance_stops_the_last() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let conf = dir.path().join("asound.conf");
        std::fs::write(&conf, "pcm.!default { type null }\n").unwrap_or_else(|e| panic!("{e}"));
        let speech = Speech::with_alsa_config(conf);
        speech
            .say(&"长".repeat(500))
            .unwrap_or_else(|e| panic!("{e}"));
        speech.say("短").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(speech.current.lock().map(|c| c.len()).unwrap_or(0), 2);
        speech.stop();
        assert!(speech.current.lock().map(|c| c.is_empty()).unwrap_or(false));
    }
}
