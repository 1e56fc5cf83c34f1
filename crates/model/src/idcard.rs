//! Resident ID numbers (GB 11643-1999): check digit and masking.
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

/// True if the text contains something that looks like an unmasked 18-character ID.
/// Used by the server before publishing and by tests that search kiosk files.
pub fn contains_full_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut run = 0usize;
    for (i, b) in bytes.iter().enumerate() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 17 {
                let next = bytes.get(i + 1).copied();
                if matches!(next, Some(b'X') | Some(b'x')) || run >= 18 {
                    return true;
                }
            }
        } else {
            run = 0;
        }
    }
    false
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
        assert!(contains_full_id("身份证41078119900101123X号"));
        assert!(contains_full_id("410781199001011234"));
        assert!(!contains_full_id("电话13800138000"));
        assert_eq!(tail("4107**********123x"), "123X");
        assert_eq!(tail("12"), "12");
    }
}
