//! Complaints, reports, suggestions, inquiries, requests for disclosure and 三榜
//! objections: what a resident files at a kiosk, the code they leave with, and the
//! states an office moves it through.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintKind {
    /// 投诉
    Complaint,
    /// 举报
    Report,
    /// 建议
    Suggestion,
    /// 咨询
    Inquiry,
    /// 依申请公开: a request for government information.
    DisclosureRequest,
    /// 三榜异议: an objection to a relocation board.
    BoardObjection,
}

impl ComplaintKind {
    pub const ALL: [ComplaintKind; 6] = [
        ComplaintKind::Complaint,
        ComplaintKind::Report,
        ComplaintKind::Suggestion,
        ComplaintKind::Inquiry,
        ComplaintKind::DisclosureRequest,
        ComplaintKind::BoardObjection,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ComplaintKind::Complaint => "投诉",
            ComplaintKind::Report => "举报",
            ComplaintKind::Suggestion => "建议",
            ComplaintKind::Inquiry => "咨询",
            ComplaintKind::DisclosureRequest => "依申请公开",
            ComplaintKind::BoardObjection => "三榜异议",
        }
    }

    /// The time limit in working days. 依申请公开 is set by the regulation (20, extendable
    /// once by 20); the others follow the county's 限时办结 commitment.
    pub fn limit_working_days(self) -> u32 {
        match self {
            ComplaintKind::DisclosureRequest => 20,
            ComplaintKind::BoardObjection => 7,
            _ => 15,
        }
    }

    /// How many working days one extension adds, where the rules allow one: 依申请公开
    /// only (《政府信息公开条例》第三十三条: up to 20 more, once, with the requester told
    /// why). The other kinds run on the county's 限时办结 commitment and are answered
    /// within it; a 三榜 objection must be settled before the next board. The table with
    /// sources is docs/deadlines.md.
    pub fn extension_working_days(self) -> Option<u32> {
        match self {
            ComplaintKind::DisclosureRequest => Some(20),
            _ => None,
        }
    }

    /// 依申请公开 must say who asks and how to reach them; the others may be anonymous.
    pub fn requires_contact(self) -> bool {
        matches!(self, ComplaintKind::DisclosureRequest)
    }
}

/// The time limits a county has committed to, in working days, by kind. Defaults are
/// [`ComplaintKind::limit_working_days`]; a county may set its own (e.g. 10 for 投诉 under
/// a stricter 限时办结 commitment) — except that 依申请公开 cannot exceed the legal 20.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits(Vec<(ComplaintKind, u32)>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LimitError {
    #[error("时限格式应为 类别=工作日数（如 complaint=15），实际为“{0}”")]
    Format(String),
    #[error("未知的类别“{0}”")]
    Kind(String),
    #[error("{0} 的时限必须在1到{1}个工作日之间")]
    Range(String, u32),
}

impl Default for Limits {
    fn default() -> Limits {
        Limits(
            ComplaintKind::ALL
                .iter()
                .map(|k| (*k, k.limit_working_days()))
                .collect(),
        )
    }
}

impl Limits {
    /// Applies `kind=days` settings over the defaults.
    pub fn parse(settings: &[String]) -> Result<Limits, LimitError> {
        let mut limits = Limits::default();
        for s in settings {
            let (k, d) = s
                .split_once('=')
                .ok_or_else(|| LimitError::Format(s.clone()))?;
            let kind: ComplaintKind =
                serde_json::from_value(serde_json::Value::String(k.trim().into()))
                    .map_err(|_| LimitError::Kind(k.trim().into()))?;
            let max = if kind == ComplaintKind::DisclosureRequest {
                20
            } else {
                60
            };
            let days: u32 = d
                .trim()
                .parse()
                .map_err(|_| LimitError::Format(s.clone()))?;
            if !(1..=max).contains(&days) {
                return Err(LimitError::Range(k.trim().into(), max));
            }
            for entry in &mut limits.0 {
                if entry.0 == kind {
                    entry.1 = days;
                }
            }
        }
        Ok(limits)
    }

    pub fn get(&self, kind: ComplaintKind) -> u32 {
        self.0
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(kind.limit_working_days(), |(_, d)| *d)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    /// 已受理
    Accepted,
    /// 办理中
    InProgress,
    /// 补正中: waiting for the resident to clarify; the clock is paused.
    Clarifying,
    /// 已延期 (with reason)
    Extended,
    /// 已答复
    Answered,
    /// 已办结
    Closed,
    /// 不予受理 (with reason)
    Rejected,
}

impl ComplaintStatus {
    /// Whether an office may move a filing from this state to `to`. A 补正 ends by going
    /// back to 办理中; an answer closes only after it was given.
    pub fn can_move_to(self, to: ComplaintStatus) -> bool {
        use ComplaintStatus::*;
        matches!(
            (self, to),
            (
                Accepted,
                InProgress | Clarifying | Extended | Answered | Rejected
            ) | (InProgress, Clarifying | Extended | Answered | Rejected)
                | (Clarifying, InProgress | Rejected)
                | (Extended, InProgress | Clarifying | Answered)
                | (Answered, Closed)
        )
    }

    /// Finished: no deadline applies any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ComplaintStatus::Answered | ComplaintStatus::Closed | ComplaintStatus::Rejected
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            ComplaintStatus::Accepted => "已受理",
            ComplaintStatus::InProgress => "办理中",
            ComplaintStatus::Clarifying => "补正中",
            ComplaintStatus::Extended => "已延期",
            ComplaintStatus::Answered => "已答复",
            ComplaintStatus::Closed => "已办结",
            ComplaintStatus::Rejected => "不予受理",
        }
    }
}

/// Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or copied by hand
/// cannot be mistaken.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The check symbols add five to the alphabet (mod 37), so any single wrong character
/// and any swap of two neighbours is caught.
const CHECK: &[u8; 37] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";
/// Kiosk namespaces in fallback codes: 19 bits (524,288 kiosks).
pub const NAMESPACE_MASK: u32 = 0x7_FFFF;

/// A tracking code as shown to a resident: eight characters and a check character,
/// written "K7Q3-9XW2-M". Made on the kiosk without the network from 40 random bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, TS)]
#[ts(type = "string")]
pub struct TrackingCode(String);

// By hand rather than `#[serde(try_from)]`, which ts-rs cannot read.
impl Serialize for TrackingCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TrackingCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TrackingCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodeError {
    #[error("查询码应为9位（如 K7Q3-9XW2-M）")]
    Length,
    #[error("查询码中有无效字符“{0}”")]
    Character(char),
    #[error("查询码有误，请核对后重新输入")]
    Check,
}

fn value_of(c: char) -> Option<u32> {
    let c = c.to_ascii_uppercase();
    // Read the way people misread: O as 0, I and L as 1.
    let c = match c {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u32)
}

fn check_symbol(body: &[u32]) -> char {
    let mut r: u64 = 0;
    for v in body {
        r = (r * 32 + u64::from(*v)) % 37;
    }
    CHECK[r as usize] as char
}

impl TrackingCode {
    /// The code of 40 bits, whatever its check character.
    fn raw(bits: u64) -> TrackingCode {
        let body: Vec<u32> = (0..8)
            .rev()
            .map(|i| ((bits >> (i * 5)) & 31) as u32)
            .collect();
        let mut s: String = body.iter().map(|v| ALPHABET[*v as usize] as char).collect();
        s.push(check_symbol(&body));
        TrackingCode(s)
    }

    /// The code of 40 bits, if it can be read aloud and typed: `None` where its check
    /// character would be one of the five symbols (*~$=U) mod 37 needs beyond the alphabet
    /// (about 5 values in 37). Every way of making a code goes through here, so no new code
    /// ever carries a symbol; codes made before this rule still parse.
    pub fn from_bits(bits: u64) -> Option<TrackingCode> {
        Some(TrackingCode::raw(bits & 0xFF_FFFF_FFFF)).filter(TrackingCode::is_typeable)
    }

    /// A new code from random bits (40 of each draw), drawn again until it is typeable.
    /// `random` must be a random source (or a counter): a constant would never end.
    pub fn draw(mut random: impl FnMut() -> u64) -> TrackingCode {
        loop {
            if let Some(code) = TrackingCode::from_bits(random()) {
                return code;
            }
        }
    }

    /// A code the server reserves for one kiosk: 39 random bits, the top bit clear.
    pub fn pooled(mut random: impl FnMut() -> u64) -> TrackingCode {
        TrackingCode::draw(|| random() & 0x7F_FFFF_FFFF)
    }

    /// A code a kiosk makes alone when its reserved codes run out (long offline): the top
    /// bit set, the kiosk's namespace (19 bits, unique per kiosk, given at enrollment) and
    /// its own counter (20 bits). Distinct from every pooled code and from every other
    /// kiosk's, by construction; `None` for the counters whose code is not typeable (the
    /// kiosk moves on to the next counter).
    pub fn namespaced(namespace: u32, counter: u32) -> Option<TrackingCode> {
        TrackingCode::from_bits(
            (1 << 39)
                | (u64::from(namespace & NAMESPACE_MASK) << 20)
                | u64::from(counter & 0xF_FFFF),
        )
    }

    /// The namespace of a namespaced code (None for a pooled or random one).
    pub fn namespace(&self) -> Option<u32> {
        let bits = self.bits();
        (bits >> 39 == 1).then_some(((bits >> 20) as u32) & NAMESPACE_MASK)
    }

    fn bits(&self) -> u64 {
        self.0
            .chars()
            .take(8)
            .filter_map(value_of)
            .fold(0u64, |acc, v| (acc << 5) | u64::from(v))
    }

    /// Whether every character is one a resident can type on the kiosk keyboard and read
    /// aloud: true unless the check character is one of the five symbols (*~$=U) that
    /// mod 37 needs beyond the alphabet. Kiosks only hand out typeable codes.
    pub fn is_typeable(&self) -> bool {
        self.0.bytes().all(|b| ALPHABET.contains(&b))
    }

    /// Parses what a resident typed: any case, with or without dashes and spaces,
    /// O/I/L read as 0/1. The check character must match.
    pub fn parse(text: &str) -> Result<TrackingCode, CodeError> {
        let chars: Vec<char> = text.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        if chars.len() != 9 {
            return Err(CodeError::Length);
        }
        let mut body = Vec::with_capacity(8);
        for c in &chars[..8] {
            body.push(value_of(*c).ok_or(CodeError::Character(*c))?);
        }
        let check = chars[8].to_ascii_uppercase();
        if check != check_symbol(&body) {
            return Err(CodeError::Check);
        }
        let mut s: String = body.iter().map(|v| ALPHABET[*v as usize] as char).collect();
        s.push(check);
        Ok(TrackingCode(s))
    }

    /// The nine characters without separators, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "K7Q3-9XW2-M", as printed on screen and receipts.
    pub fn display(&self) -> String {
        format!("{}-{}-{}", &self.0[..4], &self.0[4..8], &self.0[8..])
    }
}

/// What staff see where a filing's subject belongs when the resident left it empty
/// (filings from kiosks before a subject was required): the start of their own words,
/// marked as such, so no cell is blank and nothing is made up.
pub fn subject_or_excerpt(subject: &str, text: &str) -> String {
    let subject = subject.trim();
    if !subject.is_empty() {
        return subject.to_string();
    }
    const SHOWN: usize = 16;
    let text = text.trim();
    if text.is_empty() {
        return "（未填事由）".to_string();
    }
    let mut excerpt: String = text.chars().take(SHOWN).collect();
    if text.chars().count() > SHOWN {
        excerpt.push('…');
    }
    format!("（未填事由）{excerpt}")
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_configurable_within_the_law() {
        let l = Limits::parse(&["complaint=10".into(), " inquiry = 5 ".into()]).unwrap_or_default();
        assert_eq!(l.get(ComplaintKind::Complaint), 10);
        assert_eq!(l.get(ComplaintKind::Inquiry), 5);
        assert_eq!(l.get(ComplaintKind::DisclosureRequest), 20);
        assert!(
            Limits::parse(&["disclosure_request=30".into()]).is_err(),
            "beyond the legal 20"
        );
        assert!(Limits::parse(&["complaint".into()]).is_err());
        assert!(Limits::parse(&["gripe=3".into()]).is_err());
    }

    #[test]
    fn the_state_machine_allows_only_what_an_office_may_do() {
        use ComplaintStatus::*;
        assert!(Accepted.can_move_to(Clarifying));
        assert!(Clarifying.can_move_to(InProgress));
        assert!(
            !Clarifying.can_move_to(Answered),
            "answer only after the clarification came back"
        );
        assert!(Answered.can_move_to(Closed));
        assert!(!Closed.can_move_to(InProgress));
        assert!(!Rejected.can_move_to(Answered));
        assert!(!Extended.can_move_to(Extended), "one extension only");
    }

    #[test]
    fn codes_round_trip_and_tolerate_how_people_type() {
        for bits in [0u64, 1, 0xFF_FFFF_FFFF, 0x12_3456_789A] {
            let code = TrackingCode::raw(bits);
            assert_eq!(code.as_str().len(), 9);
            assert_eq!(TrackingCode::parse(&code.display()), Ok(code.clone()));
            assert_eq!(
                TrackingCode::parse(&code.as_str().to_lowercase()),
                Ok(code.clone())
            );
        }
        let code = TrackingCode::raw(0);
        assert_eq!(code.as_str(), "000000000");
        assert_eq!(TrackingCode::parse("OOOO-OOOO-0"), Ok(code));
    }

    #[test]
    fn typeable_codes_use_only_letters_and_digits() {
        let typeable = (0u64..2000)
            .filter_map(|i| TrackingCode::from_bits(i * 7919))
            .count();
        // About 32 in 37 are typeable; the rest are drawn again.
        assert!((1600..1950).contains(&typeable), "{typeable}");
        for i in 0u64..2000 {
            let c = TrackingCode::raw(i * 7919);
            if TrackingCode::from_bits(i * 7919).is_some() {
                assert!(c
                    .as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() && ch != 'U'));
            }
        }
    }

    /// Whatever the source, a new code has only digits and unambiguous capital letters,
    /// the check character included; codes made before the rule still parse.
    #[test]
    fn every_new_code_can_be_read_aloud() {
        use rand::{RngCore, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(20);
        for _ in 0..100_000 {
            let c = TrackingCode::draw(|| rng.next_u64());
            assert!(c.is_typeable(), "{}", c.display());
            let p = TrackingCode::pooled(|| rng.next_u64());
            assert!(p.is_typeable(), "{}", p.display());
        }
        let old = (0u64..100)
            .map(TrackingCode::raw)
            .find(|c| !c.is_typeable())
            .expect("some old code ends in a symbol");
        assert_eq!(TrackingCode::parse(&old.display()), Ok(old.clone()));
        // Typed without dashes, O for 0 and I for 1.
        let c = TrackingCode::draw(|| rng.next_u64());
        let typed: String = c
            .as_str()
            .chars()
            .map(|ch| match ch {
                '0' => 'O',
                '1' => 'I',
                other => other.to_ascii_lowercase(),
            })
            .collect();
        assert_eq!(TrackingCode::parse(&typed), Ok(c));
    }

    #[test]
    fn any_single_typo_or_neighbour_swap_is_caught() {
        let code = TrackingCode::raw(0x1A_2B3C_4D5E).as_str().to_string();
        let chars: Vec<char> = code.chars().collect();
        for i in 0..8 {
            for &a in ALPHABET.iter() {
                let c = a as char;
                if c == chars[i] {
                    continue;
                }
                let mut typo = chars.clone();
                typo[i] = c;
                let t: String = typo.iter().collect();
                assert!(TrackingCode::parse(&t).is_err(), "{t} accepted");
            }
            if i < 7 && chars[i] != chars[i + 1] {
                let mut swap = chars.clone();
                swap.swap(i, i + 1);
                let t: String = swap.iter().collect();
                assert!(TrackingCode::parse(&t).is_err(), "{t} accepted");
            }
        }
        assert_eq!(TrackingCode::parse("ABC"), Err(CodeError::Length));
    }

    #[test]
    fn pooled_and_namespaced_codes_never_meet() {
        let mut made = 0;
        for (ns, n) in [(0, 0), (1, 0), (0, 1), (0x7_FFFF, 0xF_FFFF), (12_345, 678)] {
            for n in n..n + 6 {
                let Some(c) = TrackingCode::namespaced(ns, n) else {
                    continue;
                };
                made += 1;
                assert_eq!(c.namespace(), Some(ns), "{}", c.display());
                assert_eq!(TrackingCode::parse(&c.display()), Ok(c.clone()));
            }
        }
        assert!(made >= 20, "{made}");
        // The same counter in two namespaces: two codes (or none).
        for n in 0..40 {
            if let (Some(a), Some(b)) = (
                TrackingCode::namespaced(7, n),
                TrackingCode::namespaced(8, n),
            ) {
                assert_ne!(a, b);
            }
        }
        // A pooled code is never namespaced, whatever the random bits.
        for r in [0, u64::MAX, 0xFF_FFFF_FFFF, 1 << 39] {
            let mut next = r;
            let code = TrackingCode::pooled(|| {
                next = next.wrapping_add(1);
                next
            });
            assert_eq!(code.namespace(), None);
        }
    }

    #[test]
    fn an_empty_subject_shows_the_residents_words() {
        assert_eq!(subject_or_excerpt(" 村道路灯 ", "不亮"), "村道路灯");
        assert_eq!(subject_or_excerpt("", "路灯不亮"), "（未填事由）路灯不亮");
        assert_eq!(
            subject_or_excerpt("  ", "村东头的路灯已经坏了三个月，晚上出门很不方便"),
            "（未填事由）村东头的路灯已经坏了三个月，晚上…"
        );
        assert_eq!(subject_or_excerpt("", ""), "（未填事由）");
    }
}
