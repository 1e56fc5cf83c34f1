//! Resident ID numbers (GB 11643-1999): check digit, masking, and finding unmasked
//! numbers in text a resident would read.
//!
//! Full ID numbers stay on the server; everything published to a kiosk carries only the
//! masked form (DESIGN invariant 5).

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    #[error("身份证号应为18位，实际为{0}位")]
    Length(usize),
    #[error("身份证号前17位只能是数字")]
    NotDigits,
    #[error("身份证号校验位错误，应为{expected}")]
    CheckDigit { expected: char },
}

/// The check character for the first 17 digits.
pub fn check_char(first17: &str) -> Result<char, IdError> {
    if first17.chars().count() != 17 {
        return Err(IdError::Length(first17.chars().count() + 1));
    }
    let mut sum = 0u32;
    for (ch, w) in first17.chars().zip(WEIGHTS) {
        let d = ch.to_digit(10).ok_or(IdError::NotDigits)?;
        sum += d * w;
    }
    Ok(CHECK[(sum % 11) as usize])
}

/// Validates an 18-character ID number, accepting a lower-case x.
pub fn validate(id: &str) -> Result<(), IdError> {
    let id = id.trim();
    let len = id.chars().count();
    if len != 18 {
        return Err(IdError::Length(len));
    }
    // Split after the 17th character, not the 17th byte: a cell may hold 18 characters
    // that are not all ASCII (found by fuzzing the importer).
    let at = id.char_indices().nth(17).map_or(id.len(), |(i, _)| i);
    let (first17, last) = id.split_at(at);
    let expected = check_char(first17)?;
    if last.to_ascii_uppercase() != expected.to_string() {
        return Err(IdError::CheckDigit { expected });
    }
    Ok(())
}

/// Masks an ID number for publication: the 4-digit region prefix and the last 4
/// characters stay, everything between becomes '*' (4107**********1234).
/// Short or odd input is masked entirely rather than leaked.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len().max(4));
    }
    let n = chars.len();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 4 || i >= n - 4 {
                c.to_ascii_uppercase()
            } else {
                '*'
            }
        })
        .collect()
}

/// The last 4 characters of an ID number, upper-case: what a resident types to find their
/// row, and what the kiosk indexes.
pub fn tail(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    chars[chars.len().saturating_sub(4)..]
        .iter()
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A full (unmasked) resident ID number found in text a resident would read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundId {
    /// Where it starts, in characters from the start of the text.
    pub start: usize,
    /// How many characters it takes (18 or 15).
    pub len: usize,
    /// The number masked, so a refusal can point at it without repeating it.
    pub masked: String,
}

/// The two-digit province codes of GB/T 2260 (and 71/81/82/83 for Taiwan, Hong Kong and
/// Macao residence permits), which open every ID number.
fn province_ok(d: &[u32]) -> bool {
    let code = d[0] * 10 + d[1];
    matches!(code, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83)
}

/// Region of an ID: a province code, or (permanent residence cards for foreigners since
/// 2023) a 9 followed by the issuing province's code.
fn region_ok(d: &[u32]) -> bool {
    province_ok(d) || (d[0] == 9 && d.len() >= 3 && province_ok(&d[1..]))
}

fn date_ok(year: u32, month: u32, day: u32) -> bool {
    (1880..=2099).contains(&year)
        && chrono::NaiveDate::from_ymd_opt(year as i32, month, day).is_some()
}

fn number(d: &[u32]) -> u32 {
    d.iter().fold(0, |n, x| n * 10 + x)
}

/// Whether 17 digits and a check character form a real second-generation ID number:
/// a region, a birth date that exists, and the GB 11643 check character.
fn valid_18(d: &[u32], check: char) -> bool {
    if !region_ok(d) || !date_ok(number(&d[6..10]), number(&d[10..12]), number(&d[12..14])) {
        return false;
    }
    let sum: u32 = d.iter().zip(WEIGHTS).map(|(x, w)| x * w).sum();
    CHECK[(sum % 11) as usize] == check.to_ascii_uppercase()
}

/// Whether 15 digits form a first-generation ID number (no check character; the birth
/// year is written with two digits, all in the 1900s).
fn valid_15(d: &[u32]) -> bool {
    province_ok(d)
        && date_ok(
            1900 + number(&d[6..8]),
            number(&d[8..10]),
            number(&d[10..12]),
        )
}

/// Full-width digits and X, as an input method types them, read like their ASCII twins.
fn normal(c: char) -> char {
    match c {
        '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
        'Ｘ' | 'ｘ' => 'X',
        c => c,
    }
}

/// Every unmasked resident ID number in `text`: 17 digits and a check character that is
/// right under GB 11643 with a real birth date, anywhere in a run of digits, or a
/// first-generation 15-digit number standing alone (not touching digits or letters). Other digit runs (phone numbers,
/// account numbers, amounts, hashes) are not IDs: a random 18 digits passes all three
/// checks about once in ten thousand times.
pub fn find_full_ids(text: &str) -> Vec<FoundId> {
    let chars: Vec<char> = text.chars().map(normal).collect();
    let digit = |i: usize| chars.get(i).and_then(|c| c.to_digit(10));
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit(i).is_none() {
            i += 1;
            continue;
        }
        let run_start = i;
        while digit(i).is_some() {
            i += 1;
        }
        let run: Vec<u32> = (run_start..i).filter_map(digit).collect();
        let after = chars.get(i).copied();
        let x_after = matches!(after, Some('X' | 'x'));
        let mut s = 0;
        while s + 17 <= run.len() {
            let check = match run.get(s + 17) {
                Some(d) => char::from_digit(*d, 10).unwrap_or('?'),
                None if x_after => 'X',
                None => break,
            };
            if valid_18(&run[s..s + 17], check) {
                let written: String = chars[run_start + s..run_start + s + 18].iter().collect();
                found.push(FoundId {
                    start: run_start + s,
                    len: 18,
                    masked: mask(&written),
                });
            }
            s += 1;
        }
        // Fifteen digits carry no check character, so they count only standing alone as
        // a word: not against a letter, as inside a hexadecimal hash.
        let letter = |c: Option<&char>| c.is_some_and(char::is_ascii_alphabetic);
        let alone =
            !letter(run_start.checked_sub(1).and_then(|b| chars.get(b))) && !letter(chars.get(i));
        if run.len() == 15 && alone && valid_15(&run) {
            let written: String = chars[run_start..i].iter().collect();
            found.push(FoundId {
                start: run_start,
                len: 15,
                masked: mask(&written),
            });
        }
    }
    found
}

/// True if the text holds an unmasked ID number ([`find_full_ids`]).
pub fn contains_full_id(text: &str) -> bool {
    !find_full_ids(text).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighteen_characters_that_are_not_all_ascii_are_an_error_not_a_panic() {
        // Found by `scripts/fuzz.sh` (target import): 18 characters, some of them wide,
        // where an ID number goes. Splitting at byte 17 panicked.
        for id in [
            "李谮-01m 月5日abcdefgh",
            "４１０７２３１９９００１０１１２３４",
            "41072319900101123身",
        ] {
            assert_eq!(id.chars().count(), 18, "{id}");
            assert!(validate(id).is_err(), "{id}");
        }
    }

    #[test]
    fn check_digit_matches_the_standard_example() {
        // The worked example from GB 11643-1999.
        assert_eq!(check_char("11010519491231002"), Ok('X'));
        assert_eq!(validate("11010519491231002X"), Ok(()));
        assert_eq!(validate("11010519491231002x"), Ok(()));
        assert_eq!(
            validate("110105194912310021"),
            Err(IdError::CheckDigit { expected: 'X' })
        );
        assert_eq!(validate("1101051949"), Err(IdError::Length(10)));
    }

    #[test]
    fn masks_keep_region_and_tail_only() {
        assert_eq!(mask("41078119900101123X"), "4107**********123X");
        assert_eq!(mask("123"), "****");
        assert!(!contains_full_id(&mask("41078119900101123X")));
        assert!(contains_full_id("身份证41078119900101111X号"));
        assert!(contains_full_id("410781199001011224"));
        assert!(!contains_full_id("410781199001011234"), "wrong check digit");
        assert!(!contains_full_id("电话13800138000"));
        assert_eq!(tail("4107**********123x"), "123X");
        assert_eq!(tail("12"), "12");
    }

    #[test]
    fn the_december_voucher_hash_is_not_an_id() {
        // 18 digits in a row inside a sha256 name, the false alarm that stopped the demo
        // county in December 2026: no region, no birth date, wrong check character.
        assert!(!contains_full_id(
            "b7e3c0a9f1d2e4b5a6c7d8e9f0123456789012345678a9b8c7d6e5f4a3b2c1d0"
        ));
        assert!(!contains_full_id("账号 6228480402564890018"));
        // Fifteen digits between hex letters (found by the property test below).
        assert!(!contains_full_id("000000000000ca110020000110003a0000"));
        assert!(contains_full_id("旧证 110020000110003 号"));
        assert!(!contains_full_id("合计 123456789012345678 元"));
    }

    #[test]
    fn finds_ids_where_people_write_them() {
        let found = find_full_ids(
            "户主李明，身份证号４１０７８１１９９００１０１１１１Ｘ，电话13800138000",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].masked, "4107**********111X");
        assert_eq!(found[0].start, 9);
        // Run together with a phone number, as pasted from a form.
        assert!(contains_full_id("41078119900101111X13800138000"));
        assert!(contains_full_id("1380013800011010519491231002X"));
        // First generation: 15 digits, 19YYMMDD.
        assert_eq!(
            find_full_ids("旧证410781900101123").first().map(|f| f.len),
            Some(15)
        );
        assert!(!contains_full_id("编号 410781901301123"), "month 13");
        // A foreigner's permanent residence card (2023): 9, then the province.
        let first17 = "94107819900101123";
        let id = format!("{first17}{}", check_char(first17).unwrap_or('?'));
        assert!(contains_full_id(&id));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// A real-looking ID: a province, a birth date that exists, a sequence number,
        /// and the right check character.
        fn valid_id() -> impl Strategy<Value = String> {
            (
                prop::sample::select(vec![11u32, 37, 41, 44, 53, 65, 82]),
                0u32..10_000,
                1900i32..2026,
                1u32..=12,
                1u32..=31,
                0u32..1000,
            )
                .prop_filter_map("a real date", |(p, r, y, m, d, n)| {
                    chrono::NaiveDate::from_ymd_opt(y, m, d)?;
                    let first17 = format!("{p:02}{r:04}{y:04}{m:02}{d:02}{n:03}");
                    Some(format!("{first17}{}", check_char(&first17).ok()?))
                })
        }

        /// Text around an ID: Chinese, punctuation, letters, and digits too.
        fn words() -> impl Strategy<Value = String> {
            "[村民委员会收入支出元号：，。 a-zA-Z0-9]{0,30}"
        }

        proptest! {
            #[test]
            fn sha256_hex_never_trips(bytes in prop::array::uniform32(any::<u8>())) {
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                prop_assert!(!contains_full_id(&hex), "{}", hex);
            }

            #[test]
            fn a_wrong_check_character_never_trips(
                id in valid_id(), wrong in 0usize..11, before in "[村民，。]{0,5}", after in "[村民，。]{0,5}",
            ) {
                let right = id.chars().last().unwrap_or('?');
                let bad = CHECK[wrong];
                prop_assume!(bad != right);
                let text = format!("{before}{}{bad}{after}", &id[..17]);
                prop_assert!(!contains_full_id(&text), "{}", text);
            }

            #[test]
            fn masked_numbers_never_trip(id in valid_id(), before in words(), after in words()) {
                let text = format!("{before}{}{after}", mask(&id));
                prop_assume!(!contains_full_id(&format!("{before}{after}")));
                prop_assert!(!contains_full_id(&text), "{}", text);
            }

            #[test]
            fn every_valid_id_anywhere_trips(id in valid_id(), before in words(), after in words()) {
                let text = format!("{before}{id}{after}");
                let found = find_full_ids(&text);
                prop_assert!(found.iter().any(|f| f.masked == mask(&id)), "{} {:?}", text, found);
            }
        }
    }
}
