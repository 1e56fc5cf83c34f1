//! A kiosk's display log: its proof of posting. The kiosk appends an entry whenever the
//! set of posted items on its boards changes, when its screen turns off or on, and every
//! few minutes while it is alive; each entry commits to the one before and is signed with
//! the kiosk's own key, which never leaves it. From the log an auditor computes the
//! periods an item was really on screen, and the gaps in its posting period.
//!
//! An app that dies writes nothing, so silence is a gap: two entries further apart than
//! [`MAX_SILENCE_SECS`] prove nothing about the time between them.

use crate::changelog::{BrokenLink, GENESIS};
use crate::{PublicKey, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How often a kiosk that is running and showing says so.
pub const ALIVE_EVERY_SECS: i64 = 300;
/// The longest silence that still counts as continuous display: two missed alive
/// entries and a minute's slack (a nightly restart takes seconds).
pub const MAX_SILENCE_SECS: i64 = 2 * ALIVE_EVERY_SECS + 60;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayEvent {
    /// The app started; `items` is what it shows.
    Start,
    /// The posted items changed (after a sync); `items` is the new set.
    Showing,
    /// Still running and showing the same items.
    Alive,
    /// The screen turned off (outside display hours).
    ScreenOff,
    /// The screen turned on again; `items` is what it shows.
    ScreenOn,
}

impl DisplayEvent {
    pub fn key(self) -> &'static str {
        match self {
            DisplayEvent::Start => "start",
            DisplayEvent::Showing => "showing",
            DisplayEvent::Alive => "alive",
            DisplayEvent::ScreenOff => "screen_off",
            DisplayEvent::ScreenOn => "screen_on",
        }
    }

    pub fn from_key(key: &str) -> Option<DisplayEvent> {
        [
            DisplayEvent::Start,
            DisplayEvent::Showing,
            DisplayEvent::Alive,
            DisplayEvent::ScreenOff,
            DisplayEvent::ScreenOn,
        ]
        .into_iter()
        .find(|e| e.key() == key)
    }

    /// Whether the entry carries the full set of shown items.
    pub fn carries_items(self) -> bool {
        matches!(
            self,
            DisplayEvent::Start | DisplayEvent::Showing | DisplayEvent::ScreenOn
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            DisplayEvent::Start => "启动",
            DisplayEvent::Showing => "内容更新",
            DisplayEvent::Alive => "运行中",
            DisplayEvent::ScreenOff => "息屏",
            DisplayEvent::ScreenOn => "亮屏",
        }
    }
}

/// One posted item as the kiosk showed it: which version is the item hash.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ShownItem {
    pub kind: String,
    pub scope: String,
    pub id: String,
    /// Hex item hash of the version shown.
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayEntry {
    /// From 1, without gaps.
    pub seq: u64,
    /// Unix seconds, by the kiosk's clock.
    pub at: i64,
    pub event: DisplayEvent,
    /// The full set of posted items for start/showing/screen_on; empty otherwise.
    pub items: Vec<ShownItem>,
    /// Hex hash of the previous entry; 64 zeros for the first.
    pub prev_hash: String,
    pub hash: String,
    /// The kiosk's ed25519 signature over [`DisplayEntry::signing_bytes`].
    pub signature: String,
}

impl DisplayEntry {
    /// Builds, hashes and signs the entry that follows `prev` (`(seq, hash)` of the last
    /// entry, or `(0, GENESIS)`).
    pub fn signed(
        kiosk_id: &str,
        key: &SigningKey,
        prev: (u64, &str),
        at: i64,
        event: DisplayEvent,
        mut items: Vec<ShownItem>,
    ) -> DisplayEntry {
        items.sort();
        let mut e = DisplayEntry {
            seq: prev.0 + 1,
            at,
            event,
            items: if event.carries_items() {
                items
            } else {
                Vec::new()
            },
            prev_hash: prev.1.to_string(),
            hash: String::new(),
            signature: String::new(),
        };
        e.hash = e.compute_hash(kiosk_id);
        e.signature = key.sign(&DisplayEntry::signing_bytes(kiosk_id, &e.hash));
        e
    }

    /// The entry's hash over every field but the signature, length-prefixed, bound to
    /// the kiosk so an entry cannot be moved into another kiosk's log.
    pub fn compute_hash(&self, kiosk_id: &str) -> String {
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(b"gongkai-display-v1");
        field(kiosk_id.as_bytes());
        field(self.prev_hash.as_bytes());
        field(&self.seq.to_be_bytes());
        field(&self.at.to_be_bytes());
        field(self.event.key().as_bytes());
        field(&(self.items.len() as u64).to_be_bytes());
        for i in &self.items {
            field(i.kind.as_bytes());
            field(i.scope.as_bytes());
            field(i.id.as_bytes());
            field(i.hash.as_bytes());
        }
        hex::encode(h.finalize())
    }

    pub fn signing_bytes(kiosk_id: &str, hash: &str) -> Vec<u8> {
        let mut out = b"gongkai-display-sig-v1\0".to_vec();
        out.extend_from_slice(kiosk_id.as_bytes());
        out.push(0);
        out.extend_from_slice(hash.as_bytes());
        out
    }
}

/// Walks entries in order, continuing from `prev` (`(0, GENESIS)` for a whole log), and
/// checks numbering, links, hashes and signatures. Returns the last `(seq, hash)`.
pub fn verify_display_log<'a>(
    kiosk_id: &str,
    key: &PublicKey,
    prev: (u64, String),
    entries: impl IntoIterator<Item = &'a DisplayEntry>,
) -> Result<(u64, String), BrokenLink> {
    let (mut last_seq, mut last_hash) = prev;
    let mut last_at = i64::MIN;
    for e in entries {
        let broken = |reason: &str| BrokenLink {
            n: e.seq,
            reason: reason.to_string(),
        };
        if e.seq != last_seq + 1 {
            return Err(BrokenLink {
                n: last_seq + 1,
                reason: format!("记录缺失（下一条是第 {} 条）", e.seq),
            });
        }
        if e.prev_hash != last_hash {
            return Err(broken("与上一条记录的摘要不衔接"));
        }
        if e.compute_hash(kiosk_id) != e.hash {
            return Err(broken("记录内容与其摘要不符（被改动过）"));
        }
        if !key.verify(
            &DisplayEntry::signing_bytes(kiosk_id, &e.hash),
            &e.signature,
        ) {
            return Err(broken("签名不是这台公开屏的"));
        }
        if !e.event.carries_items() && !e.items.is_empty() {
            return Err(broken("此类记录不应带有内容清单"));
        }
        // A clock set back would let one hour count twice.
        if e.at < last_at {
            return Err(broken("时间早于上一条记录"));
        }
        last_at = e.at;
        last_seq = e.seq;
        last_hash = e.hash.clone();
    }
    Ok((last_seq, last_hash))
}

/// The first link of every log.
pub fn genesis() -> (u64, String) {
    (0, GENESIS.to_string())
}

/// A closed period of unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub from: i64,
    pub until: i64,
}

impl Interval {
    pub fn secs(&self) -> i64 {
        self.until - self.from
    }
}

/// The periods the item `(kind, scope, id)` — any version — was on screen according to
/// `entries` (a verified log, in order). Time between two entries counts when the screen
/// was on, the item was shown, and the entries are at most [`MAX_SILENCE_SECS`] apart.
/// The last entry's state counts on up to `now` if `now` is within that silence (the
/// kiosk has simply not had to write again yet).
pub fn on_screen(
    entries: &[DisplayEntry],
    kind: &str,
    scope: &str,
    id: &str,
    now: i64,
) -> Vec<Interval> {
    let mut out: Vec<Interval> = Vec::new();
    let mut shown = false;
    let mut screen_on = false;
    for pair in entries
        .windows(2)
        .chain(entries.last().map(std::slice::from_ref))
    {
        let e = &pair[0];
        if e.event.carries_items() {
            shown = e
                .items
                .iter()
                .any(|i| i.kind == kind && i.scope == scope && i.id == id);
        }
        match e.event {
            DisplayEvent::Start | DisplayEvent::ScreenOn => screen_on = true,
            DisplayEvent::ScreenOff => screen_on = false,
            // A sync at night changes what would be shown, not whether the screen is lit.
            DisplayEvent::Showing | DisplayEvent::Alive => {}
        }
        if !(shown && screen_on) {
            continue;
        }
        let until = match pair.get(1) {
            Some(next) if next.at - e.at <= MAX_SILENCE_SECS => next.at,
            Some(_) => e.at,
            None if now >= e.at && now - e.at <= MAX_SILENCE_SECS => now,
            None => e.at,
        };
        match out.last_mut() {
            Some(last) if last.until >= e.at => last.until = last.until.max(until),
            _ => out.push(Interval { from: e.at, until }),
        }
    }
    out
}

/// The parts of `period` that `covered` (sorted, non-overlapping) leaves out.
pub fn gaps(covered: &[Interval], period: Interval) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut cursor = period.from;
    for c in covered {
        if c.until <= cursor {
            continue;
        }
        if c.from >= period.until {
            break;
        }
        if c.from > cursor {
            out.push(Interval {
                from: cursor,
                until: c.from.min(period.until),
            });
        }
        cursor = cursor.max(c.until);
    }
    if cursor < period.until {
        out.push(Interval {
            from: cursor,
            until: period.until,
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn board() -> ShownItem {
        ShownItem {
            kind: "board".into(),
            scope: "419901102201".into(),
            id: "b1".into(),
            hash: "ab".repeat(32),
        }
    }

    fn log(key: &SigningKey, events: &[(i64, DisplayEvent, bool)]) -> Vec<DisplayEntry> {
        let mut prev = genesis();
        events
            .iter()
            .map(|&(at, ev, with_board)| {
                let items = if with_board { vec![board()] } else { vec![] };
                let e = DisplayEntry::signed("k-01", key, (prev.0, &prev.1), at, ev, items);
                prev = (e.seq, e.hash.clone());
                e
            })
            .collect()
    }

    fn steady(key: &SigningKey, from: i64, hours: i64) -> Vec<DisplayEntry> {
        let mut ev = vec![(from, DisplayEvent::Start, true)];
        let mut t = from;
        while t < from + hours * 3600 {
            t += ALIVE_EVERY_SECS;
            ev.push((t, DisplayEvent::Alive, false));
        }
        log(key, &ev)
    }

    #[test]
    fn a_whole_log_verifies_and_a_removed_or_edited_entry_is_found() {
        let key = SigningKey::generate();
        let l = steady(&key, 1_000_000, 2);
        assert_eq!(
            verify_display_log("k-01", &key.public(), genesis(), &l)
                .unwrap()
                .0,
            l.len() as u64
        );

        let mut removed = l.clone();
        removed.remove(5);
        let err = verify_display_log("k-01", &key.public(), genesis(), &removed).unwrap_err();
        assert_eq!(err.n, 6);

        // Edited and re-hashed: the signature no longer matches.
        let mut edited = l.clone();
        edited[3].at += 1;
        edited[3].hash = edited[3].compute_hash("k-01");
        let err = verify_display_log("k-01", &key.public(), genesis(), &edited).unwrap_err();
        assert_eq!(err.n, 4);

        // Another kiosk's key, or this log claimed by another kiosk.
        let other = SigningKey::generate();
        assert!(verify_display_log("k-01", &other.public(), genesis(), &l).is_err());
        assert!(verify_display_log("k-02", &key.public(), genesis(), &l).is_err());
    }

    #[test]
    fn coverage_follows_the_board_and_silence_is_a_gap() {
        let key = SigningKey::generate();
        let t0 = 1_000_000;
        let mut ev = vec![(t0, DisplayEvent::Start, true)];
        for k in 1..=12 {
            ev.push((t0 + k * 300, DisplayEvent::Alive, false));
        }
        // The app dies at t0+3600 and comes back two hours later.
        ev.push((t0 + 3 * 3600, DisplayEvent::Start, true));
        ev.push((t0 + 3 * 3600 + 300, DisplayEvent::Alive, false));
        // Night: screen off for eight hours, alive entries continue.
        ev.push((t0 + 3 * 3600 + 600, DisplayEvent::ScreenOff, false));
        ev.push((t0 + 3 * 3600 + 900, DisplayEvent::Alive, false));
        ev.push((t0 + 3 * 3600 + 1200, DisplayEvent::ScreenOn, true));
        // The board is withdrawn.
        ev.push((t0 + 3 * 3600 + 1500, DisplayEvent::Showing, false));
        ev.push((t0 + 3 * 3600 + 1800, DisplayEvent::Alive, false));
        let l = log(&key, &ev);
        let on = on_screen(&l, "board", "419901102201", "b1", t0 + 100 * 3600);
        assert_eq!(
            on,
            vec![
                Interval {
                    from: t0,
                    until: t0 + 3600
                },
                Interval {
                    from: t0 + 3 * 3600,
                    until: t0 + 3 * 3600 + 600
                },
                Interval {
                    from: t0 + 3 * 3600 + 1200,
                    until: t0 + 3 * 3600 + 1500
                },
            ]
        );
        let period = Interval {
            from: t0,
            until: t0 + 4 * 3600,
        };
        let g = gaps(&on, period);
        assert_eq!(g.len(), 3);
        assert_eq!(
            g[0],
            Interval {
                from: t0 + 3600,
                until: t0 + 3 * 3600
            }
        );
        assert_eq!(g[2].until, t0 + 4 * 3600);
        assert!(gaps(
            &on,
            Interval {
                from: t0,
                until: t0 + 3600
            }
        )
        .is_empty());
        assert!(on_screen(&l, "board", "419901102201", "other", t0).is_empty());
        // Five minutes after the last entry the withdrawn board stays off; a board still
        // shown would count on to now.
        let shown = log(&key, &[(t0, DisplayEvent::Start, true)]);
        assert_eq!(
            on_screen(&shown, "board", "419901102201", "b1", t0 + 300),
            vec![Interval {
                from: t0,
                until: t0 + 300
            }]
        );
        assert_eq!(
            on_screen(&shown, "board", "419901102201", "b1", t0 + 3600),
            vec![Interval {
                from: t0,
                until: t0
            }]
        );
    }
}
