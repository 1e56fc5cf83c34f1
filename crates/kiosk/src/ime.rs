//! Pinyin input for the on-screen keyboard: letters in, Chinese words out, ranked by the
//! word frequencies of a real dictionary — Rime's `pinyin_simp` (derived from Android's
//! Google Pinyin IME), installed from Debian's rime-data-pinyin-simp. Nothing here is a
//! hand-made word list.

use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use ts_rs::TS;

/// Where Debian puts the dictionary.
pub const DEFAULT_DICT: &str = "/usr/share/rime-data/pinyin_simp.dict.yaml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Candidate {
    pub word: String,
    /// How many letters of the input this word uses up (the rest stay in composition).
    pub consumed: u32,
}

#[derive(Debug, Default)]
pub struct Ime {
    /// "zhong guo" → [(中国, 106588), …], heaviest first.
    words: BTreeMap<String, Vec<(String, u64)>>,
    syllables: HashSet<String>,
    longest_syllable: usize,
    /// Words of two or more characters by their first character, heaviest first: what
    /// may follow a character written by hand (phrase continuation).
    following: std::collections::HashMap<char, Vec<(String, u64)>>,
}

impl Ime {
    pub fn load(path: &Path) -> std::io::Result<Ime> {
        Ok(Ime::parse(&std::fs::read_to_string(path)?))
    }

    /// Reads a Rime dictionary: a YAML header ending in `...`, then `word<TAB>pin yin<TAB>weight`.
    pub fn parse(text: &str) -> Ime {
        let mut ime = Ime::default();
        let body = text.split_once("\n...").map_or(text, |(_, b)| b);
        for line in body.lines() {
            let mut cols = line.split('\t');
            let (Some(word), Some(code)) = (cols.next(), cols.next()) else {
                continue;
            };
            if word.is_empty() || word.starts_with('#') || code.is_empty() {
                continue;
            }
            let weight: u64 = cols.next().and_then(|w| w.trim().parse().ok()).unwrap_or(0);
            for s in code.split(' ') {
                ime.longest_syllable = ime.longest_syllable.max(s.len());
                ime.syllables.insert(s.to_string());
            }
            ime.words
                .entry(code.to_string())
                .or_default()
                .push((word.to_string(), weight));
            let mut chars = word.chars();
            if let (Some(first), Some(_)) = (chars.next(), chars.next()) {
                ime.following
                    .entry(first)
                    .or_default()
                    .push((word.to_string(), weight));
            }
        }
        for list in ime.words.values_mut() {
            list.sort_by_key(|w| std::cmp::Reverse(w.1));
        }
        for list in ime.following.values_mut() {
            list.sort_by_key(|w| std::cmp::Reverse(w.1));
            list.dedup_by(|a, b| a.0 == b.0);
            list.truncate(Self::FOLLOWING_KEPT);
        }
        ime
    }

    const FOLLOWING_KEPT: usize = 40;

    /// What usually follows `last` (the character just written): the rest of the most
    /// frequent words that begin with it ("村" → 委会, 民, 里 …), as candidates that add
    /// text without consuming any.
    pub fn continuations(&self, last: &str, limit: usize) -> Vec<Candidate> {
        let Some(c) = last.chars().last() else {
            return Vec::new();
        };
        let mut seen = HashSet::new();
        self.following
            .get(&c)
            .into_iter()
            .flatten()
            .filter_map(|(w, _)| {
                let rest: String = w.chars().skip(1).collect();
                seen.insert(rest.clone()).then_some(Candidate {
                    word: rest,
                    consumed: 0,
                })
            })
            .take(limit)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Splits letters into syllables; the last piece may be the start of a syllable.
    /// Prefers the split with the fewest pieces ("xian" is 先, not 西安).
    fn segment(&self, input: &str) -> Option<Vec<String>> {
        fn go(
            ime: &Ime,
            rest: &str,
            memo: &mut BTreeMap<usize, Option<Vec<String>>>,
        ) -> Option<Vec<String>> {
            if rest.is_empty() {
                return Some(vec![]);
            }
            if let Some(hit) = memo.get(&rest.len()) {
                return hit.clone();
            }
            let mut best: Option<Vec<String>> = None;
            for len in (1..=ime.longest_syllable.min(rest.len())).rev() {
                let (head, tail) = rest.split_at(len);
                let whole = ime.syllables.contains(head);
                let partial = tail.is_empty() && ime.syllables.iter().any(|s| s.starts_with(head));
                if !(whole || partial) {
                    continue;
                }
                if let Some(mut more) = go(ime, tail, memo) {
                    more.insert(0, head.to_string());
                    if best.as_ref().is_none_or(|b| more.len() < b.len()) {
                        best = Some(more);
                    }
                }
            }
            memo.insert(rest.len(), best.clone());
            best
        }
        go(self, input, &mut BTreeMap::new())
    }

    /// Candidates for the letters typed so far, best first: words spelling all of it
    /// (the last syllable may be unfinished), then words for its first syllables.
    pub fn candidates(&self, input: &str, limit: usize) -> Vec<Candidate> {
        let input: String = input
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let Some(pieces) = self.segment(&input) else {
            return vec![];
        };
        let mut out: Vec<Candidate> = Vec::new();
        let mut seen = HashSet::new();
        for k in (1..=pieces.len()).rev() {
            let key = pieces[..k].join(" ");
            let consumed: usize = pieces[..k].iter().map(String::len).sum();
            // Exact syllables first, then words whose last syllable continues the typing.
            let mut found: Vec<(&String, u64)> = Vec::new();
            for (code, words) in self.words.range(key.clone()..) {
                if !code.starts_with(&key) {
                    break;
                }
                let extra = &code[key.len()..];
                if !extra.is_empty()
                    && (k < pieces.len() || extra.contains(' ') || extra.starts_with(' '))
                {
                    continue;
                }
                found.extend(words.iter().map(|(w, weight)| (w, *weight)));
            }
            found.sort_by_key(|w| std::cmp::Reverse(w.1));
            for (w, _) in found {
                if out.len() >= limit {
                    return out;
                }
                if seen.insert(w.clone()) {
                    out.push(Candidate {
                        word: w.clone(),
                        consumed: consumed as u32,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DICT: &str =
        "---\nname: t\n...\n\n中国\tzhong guo\t106588\n中\tzhong\t900000\n种\tzhong\t50000\n\
        国\tguo\t400000\n路灯\tlu deng\t548\n路\tlu\t90000\n灯\tdeng\t30000\n先\txian\t80000\n\
        西安\txi an\t9000\n西\txi\t40000\n安\tan\t60000\n";

    #[test]
    fn whole_words_first_then_shorter() {
        let ime = Ime::parse(DICT);
        let c = ime.candidates("zhongguo", 5);
        assert_eq!(
            c[0],
            Candidate {
                word: "中国".into(),
                consumed: 8
            }
        );
        assert_eq!(c[1].word, "中");
        assert_eq!(c[1].consumed, 5);
    }

    #[test]
    fn an_unfinished_last_syllable_still_finds_the_word() {
        let ime = Ime::parse(DICT);
        assert_eq!(ime.candidates("ludeng", 3)[0].word, "路灯");
        assert_eq!(ime.candidates("ludn", 3).len(), 0, "not a spelling");
        assert_eq!(ime.candidates("lude", 3)[0].word, "路灯");
    }

    #[test]
    fn what_follows_a_written_character_comes_by_frequency() {
        let ime = Ime::parse(DICT);
        let next: Vec<String> = ime
            .continuations("中", 5)
            .into_iter()
            .map(|c| c.word)
            .collect();
        assert_eq!(next, ["国"]);
        assert!(ime.continuations("灯", 5).is_empty());
        assert!(ime.continuations("", 5).is_empty());
        assert_eq!(ime.continuations("路", 1)[0].consumed, 0);
    }

    #[test]
    fn fewest_syllables_win() {
        let ime = Ime::parse(DICT);
        assert_eq!(ime.candidates("xian", 5)[0].word, "先");
        assert!(ime.candidates("", 5).is_empty());
    }

    /// The dictionary Debian ships (scripts/setup.sh installs it): common words a
    /// resident would write in a complaint come first.
    #[test]
    fn the_installed_dictionary_ranks_everyday_words_first() {
        let ime = Ime::load(Path::new(DEFAULT_DICT)).unwrap_or_else(|e| {
            panic!("{DEFAULT_DICT}: {e} (apt-get install rime-data-pinyin-simp)")
        });
        assert!(ime.words.values().map(Vec::len).sum::<usize>() > 50_000);
        let first = |q: &str| ime.candidates(q, 1).first().map(|c| c.word.clone());
        assert_eq!(first("zhongguo").as_deref(), Some("中国"));
        assert_eq!(first("ludeng").as_deref(), Some("路灯"));
        assert_eq!(first("cunweihui").as_deref(), Some("村委会"));
        assert_eq!(first("de").as_deref(), Some("的"));
        assert!(ime
            .candidates("buzhengche", 8)
            .iter()
            .any(|c| c.word == "不"));
    }
}
