//! Search keys for people's names: pinyin initials as residents type them ("wjg" for
//! 王建国), with the surname readings that general pinyin tables get wrong.

use pinyin::ToPinyinMulti;

/// Surnames whose reading differs from the character's most common reading, and compound
/// surnames read as one unit. Longest first, so 欧阳 wins over 欧.
const SURNAMES: &[(&str, &str)] = &[
    ("欧阳", "oy"),
    ("司马", "sm"),
    ("诸葛", "zg"),
    ("上官", "sg"),
    ("尉迟", "yc"),
    ("长孙", "zs"),
    ("单", "s"),
    ("曾", "z"),
    ("解", "x"),
    ("仇", "q"),
    ("区", "o"),
    ("查", "z"),
    ("朴", "p"),
    ("盖", "g"),
    ("缪", "m"),
    ("覃", "q"),
    ("召", "s"),
    ("乐", "y"),
    ("员", "y"),
    ("种", "c"),
    ("秘", "b"),
    ("繁", "p"),
    ("宓", "f"),
    ("翟", "z"),
    ("尉", "y"),
    ("华", "h"),
    ("任", "r"),
    ("沈", "s"),
    ("重", "c"),
];

/// Lower-case pinyin initials of a name, in its most likely reading.
pub fn initials(name: &str) -> String {
    initials_variants(name)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Every way the name's initials may be typed, most likely first: the surname by the
/// surname table, other characters by each of their readings (长顺 is "cs" or "zs").
/// Capped, so a name of many heteronyms cannot blow up the index.
pub fn initials_variants(name: &str) -> Vec<String> {
    const MAX: usize = 8;
    let name = name.trim();
    let (mut variants, rest) = match SURNAMES.iter().find(|(s, _)| name.starts_with(s)) {
        Some((s, key)) => (vec![key.to_string()], &name[s.len()..]),
        None => (vec![String::new()], name),
    };
    for (ch, readings) in rest.chars().zip(rest.to_pinyin_multi()) {
        let mut letters: Vec<String> = match readings {
            Some(multi) => multi
                .into_iter()
                .map(|p| p.first_letter().to_string())
                .collect(),
            None if ch.is_alphanumeric() => vec![ch.to_lowercase().collect()],
            None => continue,
        };
        letters.dedup();
        let mut seen = std::collections::HashSet::new();
        letters.retain(|l| seen.insert(l.clone()));
        variants = variants
            .iter()
            .flat_map(|v| letters.iter().map(move |l| format!("{v}{l}")))
            .take(MAX)
            .collect();
    }
    variants
}

/// What a resident's search text means, by what it is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameQuery {
    /// Chinese characters: a part of the name.
    Name(String),
    /// Latin letters: pinyin initials from the start of the name.
    Initials(String),
    /// Digits (and a final X): the end of the masked ID number.
    IdTail(String),
    Empty,
}

pub fn classify(query: &str) -> NameQuery {
    let q: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    if q.is_empty() {
        return NameQuery::Empty;
    }
    let digits_x = q
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || (i + 1 == q.chars().count() && matches!(c, 'x' | 'X')));
    if digits_x {
        return NameQuery::IdTail(q.to_ascii_uppercase());
    }
    if q.chars().all(|c| c.is_ascii_alphabetic()) {
        return NameQuery::Initials(q.to_ascii_lowercase());
    }
    NameQuery::Name(q)
}

/// Whether a row's name is the person asked for: the whole name, or the pinyin initials
/// of the whole name (any reading of a 多音字). A part of a name never is: with only the
/// ID tail it would show other people's rows. The one rule of 查我的补贴, on the kiosk and
/// on the public phone pages alike.
pub fn same_person(asked: &NameQuery, name: &str) -> bool {
    match asked {
        NameQuery::Name(n) => name == n,
        NameQuery::Initials(i) => initials_variants(name).iter().any(|v| v == i),
        NameQuery::IdTail(_) | NameQuery::Empty => false,
    }
}

/// What 查我的补贴 asks, checked the same way wherever it is asked (the kiosk, the phone
/// pages): a whole name of at least two characters or the initials of at least two, and
/// exactly the last four characters of the ID number. Returns the name query and the ID
/// tail as stored, or the resident's message.
pub fn person_query(name: &str, id_tail: &str) -> Result<(NameQuery, String), &'static str> {
    let asked = classify(name);
    if !matches!(&asked, NameQuery::Name(n) if n.chars().count() >= 2)
        && !matches!(&asked, NameQuery::Initials(i) if i.len() >= 2)
    {
        return Err("请输入完整姓名，或姓名每个字的拼音首字母（至少2个）");
    }
    let tail = crate::idcard::tail(id_tail);
    if id_tail.trim().chars().count() != 4
        || !tail
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 3 && c == 'X'))
    {
        return Err("请输入身份证号的最后4位");
    }
    Ok((asked, tail))
}

/// The grams a name is indexed under: every single character and every pair of
/// neighbouring characters. A query of one character looks up a single, of two or more
/// its first pair (then filters), so two-character names are found as fast as longer ones.
pub fn grams(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.trim().chars().collect();
    let mut out: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_common_names() {
        assert_eq!(initials("王建国"), "wjg");
        assert_eq!(initials("李秀英"), "lxy");
        assert_eq!(initials("张伟"), "zw");
    }

    #[test]
    fn surnames_read_as_surnames() {
        assert_eq!(initials("单雪梅"), "sxm");
        assert_eq!(initials("曾国强"), "zgq");
        assert_eq!(initials("解放"), "xf");
        assert_eq!(initials("仇德胜"), "qds");
        assert_eq!(initials("区永福"), "oyf");
        assert!(initials_variants("查长顺").contains(&"zcs".to_string()));
        assert!(initials_variants("查长顺")
            .iter()
            .all(|v| v.starts_with('z')));
        assert_eq!(initials("朴春生"), "pcs");
        assert_eq!(initials("欧阳明"), "oym");
    }

    #[test]
    fn queries_are_classified_by_what_they_are_made_of() {
        assert_eq!(classify(" 1234 "), NameQuery::IdTail("1234".into()));
        assert_eq!(classify("123x"), NameQuery::IdTail("123X".into()));
        assert_eq!(classify("WJG"), NameQuery::Initials("wjg".into()));
        assert_eq!(classify("建国"), NameQuery::Name("建国".into()));
        assert_eq!(classify(""), NameQuery::Empty);
    }

    #[test]
    fn grams_cover_singles_and_pairs() {
        assert_eq!(grams("王伟"), vec!["伟", "王", "王伟"]);
        assert_eq!(grams("王建国").len(), 5);
    }
}
