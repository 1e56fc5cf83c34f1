//! The official working-day calendar: weekends, public holidays and 调休 make-up working
//! days, as published each year by the State Council. Legal time limits (依申请公开's 20
//! working days, 限时办结) are counted on it.
//!
//! The years shipped with Gongkai are data in `calendar/YYYY.txt`; later years are entered
//! by the county in the same text form (the console's 节假日安排 page) and published as
//! content, signed and synced like any item. Outside the covered years the calendar falls
//! back to plain weekdays and says so ([`Due::exact`], [`Calendar::first_missing_year`]),
//! so a deadline is never silently wrong.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

/// China Standard Time is UTC+8 all year (no daylight saving): every date a resident, a
/// cadre or an office sees, and every deadline, is a date there.
pub const BEIJING_OFFSET_SECS: i64 = 8 * 3600;

/// The date in Beijing at instant `t`.
pub fn beijing_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (t + Duration::seconds(BEIJING_OFFSET_SECS)).date_naive()
}

/// The date in Beijing at unix second `at` (1970-01-01 if out of range).
pub fn beijing_date_of(at: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(at, 0)
        .map(beijing_date)
        .unwrap_or_default()
}

/// Unix second `at` as staff read a time: "2026-12-03 09:05", Beijing time.
pub fn beijing_minute(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            (t + Duration::seconds(BEIJING_OFFSET_SECS))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Unix second `at` as residents read a time on the kiosk (`formatDateTime` in the UI) and
/// on the phone pages: "2026年12月3日 09:05", Beijing time.
pub fn beijing_reading(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            (t + Duration::seconds(BEIJING_OFFSET_SECS))
                .format("%Y年%-m月%-d日 %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Unix seconds at 00:00 Beijing time on `date`.
pub fn beijing_midnight(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp() - BEIJING_OFFSET_SECS)
        .unwrap_or(0)
}

const YEARS: &[(i32, &str)] = &[
    (2025, include_str!("../calendar/2025.txt")),
    (2026, include_str!("../calendar/2026.txt")),
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("calendar line {line}: {message}")]
pub struct CalendarError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeMap<NaiveDate, String>,
    workdays: BTreeMap<NaiveDate, String>,
    years: BTreeSet<i32>,
}

/// What every surface shows beside a deadline counted across `year` before it was entered.
pub fn provisional_note(year: i32) -> String {
    format!("暂按周一至周五计算，待录入 {year} 年节假日安排后更新")
}

/// A due date, and the first year it was counted across without official data (then it
/// is provisional: those days were counted Monday to Friday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub date: NaiveDate,
    pub missing_year: Option<i32>,
}

impl Due {
    /// Every day up to the due date was counted on official data.
    pub fn is_exact(&self) -> bool {
        self.missing_year.is_none()
    }
}

impl Calendar {
    /// The calendar of every year Gongkai ships data for.
    pub fn official() -> Calendar {
        let mut cal = Calendar::default();
        for (year, text) in YEARS {
            // The shipped files are checked by a test; a bad one is a build defect.
            if cal.add_year(*year, text).is_err() {
                continue;
            }
        }
        cal
    }

    /// Adds one year's holiday notice in the text format of `calendar/YYYY.txt`.
    pub fn add_year(&mut self, year: i32, text: &str) -> Result<(), CalendarError> {
        let mut holidays = BTreeMap::new();
        let mut workdays = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: &str| CalendarError {
                line: i + 1,
                message: format!("{message}：{line}"),
            };
            let mut parts = line.splitn(3, ' ');
            let kind = parts.next().unwrap_or_default();
            let range = parts.next().ok_or_else(|| err("缺少日期"))?;
            let name = parts.next().unwrap_or_default().to_string();
            let (from, to) = match range.split_once("..") {
                Some((a, b)) => (a, b),
                None => (range, range),
            };
            let parse = |s: &str| {
                s.parse::<NaiveDate>().map_err(|_| {
                    let shaped = s.len() == 10 && s.chars().filter(|c| *c == '-').count() == 2;
                    err(if shaped {
                        "没有这一天"
                    } else {
                        "日期格式不对（应为 2027-01-01）"
                    })
                })
            };
            let (from, to) = (parse(from)?, parse(to)?);
            if to < from {
                return Err(err("起止日期颠倒"));
            }
            if from.year() != year || to.year() != year {
                return Err(err(&format!("日期不在 {year} 年内")));
            }
            let mut d = from;
            while d <= to {
                match kind {
                    "holiday" => holidays.insert(d, name.clone()),
                    "workday" => workdays.insert(d, name.clone()),
                    _ => return Err(err("每行应以 holiday（放假）或 workday（调休上班）开头")),
                };
                if holidays.contains_key(&d) && workdays.contains_key(&d) {
                    return Err(err(&format!("{d} 不能既放假又上班")));
                }
                d += Duration::days(1);
            }
        }
        // All or nothing: a year with a bad line changes nothing.
        self.holidays.retain(|d, _| d.year() != year);
        self.workdays.retain(|d, _| d.year() != year);
        self.holidays.extend(holidays);
        self.workdays.extend(workdays);
        self.years.insert(year);
        Ok(())
    }

    /// The years with official data, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The first year from `from` to `to` (inclusive) with no official data: a deadline
    /// counted across it is provisional (Monday to Friday) until that year is entered.
    pub fn first_missing_year(&self, from: NaiveDate, to: NaiveDate) -> Option<i32> {
        (from.year()..=to.year()).find(|y| !self.years.contains(y))
    }

    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains_key(&date) {
            return true;
        }
        if self.holidays.contains_key(&date) {
            return false;
        }
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// A weekend day made a working day (调休).
    pub fn is_make_up_day(&self, date: NaiveDate) -> bool {
        self.workdays.contains_key(&date)
    }

    /// The holiday's name, if the date is one.
    pub fn holiday(&self, date: NaiveDate) -> Option<&str> {
        self.holidays.get(&date).map(String::as_str)
    }

    /// The `n`-th working day after `start` (the day of receipt does not count), skipping
    /// any day inside a pause (补正: from the day the office asks until the day the
    /// clarification arrives, that day counting again).
    pub fn add_working_days(
        &self,
        start: NaiveDate,
        n: u32,
        pauses: &[(NaiveDate, NaiveDate)],
    ) -> Due {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d += Duration::days(1);
            let paused = pauses.iter().any(|(from, until)| d >= *from && d < *until);
            if !paused && self.is_working_day(d) {
                left -= 1;
            }
        }
        Due {
            date: d,
            missing_year: self.first_missing_year(start, d),
        }
    }

    /// Working days after `start` up to and including `end` (0 if `end` ≤ `start`),
    /// leaving out paused days: how much of a time limit has been used.
    pub fn working_days_between(
        &self,
        start: NaiveDate,
        end: NaiveDate,
        pauses: &[(NaiveDate, NaiveDate)],
    ) -> u32 {
        let mut d = start;
        let mut n = 0;
        while d < end {
            d += Duration::days(1);
            let paused = pauses.iter().any(|(from, until)| d >= *from && d < *until);
            if !paused && self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn times_read_as_the_kiosk_writes_them() {
        // The UI's formatDateTime("2026-11-26T11:40:00+08:00") (ui/src/lib/status.test.ts).
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-26T11:40:00+08:00")
            .map(|t| t.timestamp())
            .unwrap_or_default();
        assert_eq!(beijing_reading(at), "2026年11月26日 11:40");
        // Past midnight in Beijing while still the day before in UTC.
        let late = chrono::DateTime::parse_from_rfc3339("2028-02-28T16:05:00Z")
            .map(|t| t.timestamp())
            .unwrap_or_default();
        assert_eq!(beijing_reading(late), "2028年2月29日 00:05");
    }

    #[test]
    fn shipped_years_parse() {
        for (year, text) in YEARS {
            let mut c = Calendar::default();
            assert_eq!(c.add_year(*year, text), Ok(()), "year {year}");
        }
        let c = Calendar::official();
        assert!(c.covers(d("2025-06-01")) && c.covers(d("2026-12-31")));
        assert!(!c.covers(d("2027-01-04")));
    }

    #[test]
    fn holidays_and_make_up_days() {
        let c = Calendar::official();
        assert!(!c.is_working_day(d("2026-02-16")), "春节");
        assert_eq!(c.holiday(d("2026-02-17")), Some("春节"));
        assert!(c.is_working_day(d("2026-02-14")), "Saturday 调休");
        assert!(c.is_working_day(d("2026-02-28")), "Saturday 调休");
        assert!(
            c.is_working_day(d("2026-10-08")),
            "2026 国庆 ends on the 7th"
        );
        assert!(
            !c.is_working_day(d("2025-10-08")),
            "2025 国庆 ran to the 8th"
        );
        assert!(c.is_working_day(d("2025-09-28")), "Sunday 调休");
        assert!(!c.is_working_day(d("2026-11-28")), "an ordinary Saturday");
    }

    #[test]
    fn twenty_working_days_across_spring_festival_2026() {
        let c = Calendar::official();
        // Received Tue 10 Feb: 11,12,13 (3), Sat 14 make-up (4), 15–23 holiday,
        // 24–27 (8), Sat 28 make-up (9), 2–6 Mar (14), 9–13 (19), Mon 16 Mar (20).
        let due = c.add_working_days(d("2026-02-10"), 20, &[]);
        assert_eq!(
            due,
            Due {
                date: d("2026-03-16"),
                missing_year: None
            }
        );
        assert_eq!(
            c.working_days_between(d("2026-02-10"), d("2026-03-16"), &[]),
            20
        );
    }

    #[test]
    fn labour_day_and_national_day_2025() {
        let c = Calendar::official();
        // Received Fri 25 Apr 2025: Sun 27 Apr is a make-up working day (1), 28–30 (4),
        // 1–5 May holiday, 6–9 (8), 12–16 (13), 19–23 (18), 26–27 May (20).
        assert_eq!(
            c.add_working_days(d("2025-04-25"), 20, &[]).date,
            d("2025-05-27")
        );
        // Received Thu 25 Sep 2025: 26 (1), Sun 28 make-up (2), 29–30 (4), 1–8 Oct
        // holiday, 9–10 (6), Sat 11 make-up (7), 13–17 (12), 20–24 (17), 27–29 (20).
        assert_eq!(
            c.add_working_days(d("2025-09-25"), 20, &[]).date,
            d("2025-10-29")
        );
    }

    #[test]
    fn extension_and_pause_for_clarification() {
        let c = Calendar::official();
        let base = c.add_working_days(d("2026-03-02"), 20, &[]);
        assert_eq!(base.date, d("2026-03-30"));
        // Extended once by 20 working days: 31 Mar (21), 1–3 Apr (24), 清明 4–6 Apr,
        // 7–10 (28), 13–17 (33), 20–24 (38), 27–28 Apr (40).
        let extended = c.add_working_days(d("2026-03-02"), 40, &[]);
        assert_eq!(extended.date, d("2026-04-28"));
        // 补正 asked on Mon 9 Mar, clarification received Mon 16 Mar: five working days
        // paused, so the due date moves by one working week.
        let paused = c.add_working_days(d("2026-03-02"), 20, &[(d("2026-03-09"), d("2026-03-16"))]);
        assert_eq!(paused.date, d("2026-04-07"));
    }

    #[test]
    fn beyond_the_data_it_says_so() {
        let c = Calendar::official();
        let due = c.add_working_days(d("2026-12-20"), 20, &[]);
        assert_eq!(due.missing_year, Some(2027));
        assert!(!due.is_exact());
    }

    #[test]
    fn bad_data_names_the_line() {
        let mut c = Calendar::default();
        let e = c.add_year(2027, "# x\nholiday 2027-13-01 x").err();
        assert_eq!(e.map(|e| e.line), Some(2));
        assert!(c.add_year(2027, "vacation 2027-01-01 x").is_err());
        assert!(c.add_year(2027, "holiday 2026-01-01 x").is_err());
        let both = c.add_year(
            2027,
            "holiday 2027-02-06..2027-02-13 春节\nworkday 2027-02-07 春节",
        );
        assert_eq!(both.map_err(|e| e.line), Err(2), "a day both off and on");
        assert!(c.years().next().is_none(), "a bad year adds nothing");
    }

    #[test]
    fn a_deadline_across_a_missing_year_says_which() {
        let c = Calendar::official();
        assert_eq!(
            c.first_missing_year(d("2026-12-10"), d("2027-01-08")),
            Some(2027)
        );
        assert_eq!(c.first_missing_year(d("2026-03-01"), d("2026-04-01")), None);
        let mut c = c;
        assert_eq!(c.add_year(2027, "holiday 2027-01-01 元旦"), Ok(()));
        assert_eq!(c.first_missing_year(d("2026-12-10"), d("2027-01-08")), None);
        assert!(provisional_note(2027).contains("2027 年节假日安排"));
    }
}
