//! Money as integer fen (分). Floats never hold money anywhere in Gongkai.

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

/// An amount of money in fen (1 yuan = 100 fen). Negative amounts are allowed for
/// corrections and deficits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, TS)]
#[ts(type = "number")]
pub struct Fen(pub i64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("金额格式不正确：“{0}”")]
    Invalid(String),
    #[error("金额超出范围：“{0}”")]
    Overflow(String),
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// Parses a yuan amount as people write it: "1234", "1,234.5", "¥1234.56", "-12.30".
    /// More than two decimals is an error rather than a silent rounding.
    pub fn parse_yuan(text: &str) -> Result<Fen, MoneyError> {
        let invalid = || MoneyError::Invalid(text.to_string());
        let cleaned: String = text
            .trim()
            .trim_start_matches(['¥', '￥'])
            .trim_end_matches('元')
            .chars()
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, frac) = match digits.split_once('.') {
            Some((w, f)) => (w, f),
            None => (digits, ""),
        };
        if whole.is_empty() && frac.is_empty() {
            return Err(invalid());
        }
        if !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 2
        {
            return Err(invalid());
        }
        let whole_value: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| MoneyError::Overflow(text.to_string()))?
        };
        let frac_value: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac.parse().map_err(|_| invalid())?,
        };
        let fen = whole_value
            .checked_mul(100)
            .and_then(|v| v.checked_add(frac_value))
            .ok_or_else(|| MoneyError::Overflow(text.to_string()))?;
        Ok(Fen(if negative { -fen } else { fen }))
    }
}

impl Fen {
    /// The amount in Chinese capital numerals as written on receipts and vouchers
    /// (大写金额): 12345.60 → 壹万贰仟叁佰肆拾伍元陆角整.
    pub fn to_capital(self) -> String {
        const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
        const UNITS: [&str; 4] = ["", "拾", "佰", "仟"];
        const GROUPS: [&str; 4] = ["", "万", "亿", "万亿"];
        let negative = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let (mut yuan, jiao, fen) = (abs / 100, (abs / 10 % 10) as usize, (abs % 10) as usize);
        let mut out = String::new();
        if yuan > 0 {
            let mut groups = Vec::new();
            while yuan > 0 {
                groups.push((yuan % 10_000) as usize);
                yuan /= 10_000;
            }
            let mut pending_zero = false;
            for (gi, &g) in groups.iter().enumerate().rev() {
                if g == 0 {
                    pending_zero = !out.is_empty();
                    continue;
                }
                if pending_zero || (!out.is_empty() && g < 1000) {
                    out.push('零');
                }
                pending_zero = false;
                let digits = [g / 1000, g / 100 % 10, g / 10 % 10, g % 10];
                let mut zero = false;
                let mut started = false;
                for (i, &d) in digits.iter().enumerate() {
                    if d == 0 {
                        zero = started;
                        continue;
                    }
                    if zero {
                        out.push('零');
                        zero = false;
                    }
                    started = true;
                    out.push(DIGITS[d]);
                    out.push_str(UNITS[3 - i]);
                }
                out.push_str(GROUPS[gi.min(3)]);
            }
            out.push('元');
        }
        match (jiao, fen) {
            (0, 0) => out.push(if out.is_empty() { '零' } else { '整' }),
            (j, 0) => {
                out.push(DIGITS[j]);
                out.push_str("角整");
            }
            (j, f) => {
                if j > 0 {
                    out.push(DIGITS[j]);
                    out.push('角');
                } else if !out.is_empty() {
                    out.push('零');
                }
                out.push(DIGITS[f]);
                out.push('分');
            }
        }
        if out == "零" {
            out.push_str("元整");
        }
        if negative {
            out.insert(0, '负');
        }
        out
    }
}

// Serialized as a bare integer of fen. Written by hand rather than `#[serde(transparent)]`
// because ts-rs cannot read that attribute.
impl Serialize for Fen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(Fen)
    }
}

impl fmt::Display for Fen {
    /// "¥1,234.56": the form residents see on paper boards.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
        for (i, ch) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(f, "{sign}¥{grouped}.{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_with_grouping_and_two_decimals() {
        assert_eq!(Fen(0).to_string(), "¥0.00");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(123_456_789).to_string(), "¥1,234,567.89");
        assert_eq!(Fen(-100_050).to_string(), "-¥1,000.50");
    }

    #[test]
    fn parses_what_people_write() {
        assert_eq!(Fen::parse_yuan("1234"), Ok(Fen(123_400)));
        assert_eq!(Fen::parse_yuan("¥1,234.5"), Ok(Fen(123_450)));
        assert_eq!(Fen::parse_yuan("-12.30元"), Ok(Fen(-1_230)));
        assert_eq!(Fen::parse_yuan(".5"), Ok(Fen(50)));
    }

    #[test]
    fn capital_numerals_as_on_receipts() {
        assert_eq!(Fen(1_234_560).to_capital(), "壹万贰仟叁佰肆拾伍元陆角整");
        assert_eq!(Fen(10_000_000).to_capital(), "壹拾万元整");
        assert_eq!(Fen(100_507).to_capital(), "壹仟零伍元零柒分");
        assert_eq!(Fen(10_010_000).to_capital(), "壹拾万零壹佰元整");
        assert_eq!(Fen(5).to_capital(), "伍分");
        assert_eq!(Fen(0).to_capital(), "零元整");
        assert_eq!(Fen(3_000_000_000).to_capital(), "叁仟万元整");
    }

    #[test]
    fn rejects_what_would_lose_money() {
        assert!(Fen::parse_yuan("1.234").is_err());
        assert!(Fen::parse_yuan("12a").is_err());
        assert!(Fen::parse_yuan("").is_err());
        assert!(Fen::parse_yuan("99999999999999999999").is_err());
    }
}
