//! The quarterly 考核 (performance review) of each unit's openness work, as county offices
//! are assessed on it: how much it published, whether catalog items went up within 20
//! working days of being made or changed (政府信息公开条例 第二十六条), whether each
//! month's village finance was posted by the 10th of the next month, and whether filings
//! were answered by their deadlines. Pure: the console gathers the inputs.

use chrono::{Datelike, NaiveDate};
use gongkai_model::calendar::beijing_date_of as beijing_date;
use gongkai_model::calendar::Calendar;
use gongkai_model::{ScopeId, ScopeLevel};
use gongkai_protocol::changelog::{LogAction, LogEntry};
use std::collections::HashMap;

/// Working days within which a catalog item must be public once made or changed.
pub const DISCLOSURE_WORKING_DAYS: u32 = 20;
/// A month's village finance is due by this day of the next month.
pub const FINANCE_DUE_DAY: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub year: i32,
    pub q: u32,
}

impl Quarter {
    /// "2026-Q4" (also "2026Q4", "2026-4").
    pub fn parse(text: &str) -> Option<Quarter> {
        let t = text
            .trim()
            .to_ascii_uppercase()
            .replace('Q', "-")
            .replace("--", "-");
        let (y, q) = t.split_once('-')?;
        let (year, q) = (y.parse().ok()?, q.parse().ok()?);
        (1..=4).contains(&q).then_some(Quarter { year, q })
    }

    pub fn containing(date: NaiveDate) -> Quarter {
        Quarter {
            year: date.year(),
            q: (date.month() - 1) / 3 + 1,
        }
    }

    pub fn label(&self) -> String {
        format!("{}年第{}季度", self.year, self.q)
    }

    pub fn key(&self) -> String {
        format!("{}-Q{}", self.year, self.q)
    }

    pub fn months(&self) -> [(i32, u32); 3] {
        let m = (self.q - 1) * 3 + 1;
        [(self.year, m), (self.year, m + 1), (self.year, m + 2)]
    }

    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, (self.q - 1) * 3 + 1, 1).unwrap_or_default()
    }

    /// The day after the quarter.
    pub fn end(&self) -> NaiveDate {
        if self.q == 4 {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year, self.q * 3 + 1, 1)
        }
        .unwrap_or_default()
    }

    pub fn previous(&self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }
}

/// What became of one filing, for the report.
#[derive(Debug, Clone)]
pub struct FilingOutcome {
    pub office: String,
    pub received_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    /// When it was answered, closed or rejected; none while open.
    pub finished_on: Option<NaiveDate>,
}

/// One unit's line in the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitReport {
    pub scope: String,
    pub name: String,
    pub level: String,
    /// First publications in the quarter (corrections and withdrawals not counted).
    pub published: u32,
    pub corrections: u32,
    pub disclosures: u32,
    pub disclosures_on_time: u32,
    /// Months of the quarter whose finance deadline has passed (villages).
    pub finance_due: u32,
    pub finance_on_time: u32,
    pub filings: u32,
    pub filings_on_time: u32,
    /// Still open after their deadline.
    pub filings_overdue: u32,
}

/// The office whose filings count for a unit (filings are routed to townships and the
/// county office; villages answer through their township).
fn office_of(level: ScopeLevel, name: &str) -> Option<String> {
    match level {
        ScopeLevel::County => Some(format!("{name}人民政府办公室")),
        ScopeLevel::Township => Some(format!("{name}人民政府")),
        ScopeLevel::Village => None,
    }
}

/// Builds the report. `log` must cover the quarter and the 10 days after it (finance for
/// its last month); `formed` gives each catalog item's 成文/发布 date.
pub fn compute(
    quarter: Quarter,
    units: &[(ScopeId, String)],
    log: &[LogEntry],
    formed: &HashMap<(String, String), NaiveDate>,
    filings: &[FilingOutcome],
    calendar: &Calendar,
    today: NaiveDate,
) -> Vec<UnitReport> {
    let (start, end) = (quarter.first_day(), quarter.end());
    let in_quarter = |d: NaiveDate| d >= start && d < end;
    units
        .iter()
        .map(|(scope, name)| {
            let mut r = UnitReport {
                scope: scope.to_string(),
                name: name.clone(),
                level: match scope.level() {
                    ScopeLevel::County => "县",
                    ScopeLevel::Township => "乡镇",
                    ScopeLevel::Village => "村",
                }
                .into(),
                ..UnitReport::default()
            };
            let own = log.iter().filter(|e| e.scope == scope.as_str());
            for e in own {
                let day = beijing_date(e.at);
                if !in_quarter(day) {
                    continue;
                }
                match e.action {
                    LogAction::Publish => r.published += 1,
                    LogAction::Correct => r.corrections += 1,
                    LogAction::Withdraw => {}
                }
                // Timeliness is judged on first publication against the item's 成文 date;
                // a correction's own date of change is not recorded in the item.
                if e.kind == "disclosure" && e.action == LogAction::Publish {
                    r.disclosures += 1;
                    let key = (e.scope.clone(), e.item_id.clone());
                    if let Some(made) = formed.get(&key) {
                        let due = calendar.add_working_days(*made, DISCLOSURE_WORKING_DAYS, &[]);
                        if day <= due.date {
                            r.disclosures_on_time += 1;
                        }
                    }
                }
            }
            if scope.level() == ScopeLevel::Village {
                for (y, m) in quarter.months() {
                    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                    let Some(deadline) = NaiveDate::from_ymd_opt(ny, nm, FINANCE_DUE_DAY) else {
                        continue;
                    };
                    if deadline >= today {
                        continue; // not due yet
                    }
                    r.finance_due += 1;
                    let id = format!("finance-{y}-{m:02}");
                    let posted = log.iter().any(|e| {
                        e.scope == scope.as_str()
                            && e.kind == "finance"
                            && e.item_id == id
                            && e.action == LogAction::Publish
                            && beijing_date(e.at) <= deadline
                    });
                    if posted {
                        r.finance_on_time += 1;
                    }
                }
            }
            if let Some(office) = office_of(scope.level(), name) {
                for f in filings
                    .iter()
                    .filter(|f| f.office.starts_with(&office) && in_quarter(f.received_on))
                {
                    r.filings += 1;
                    match (f.finished_on, f.due_on) {
                        (Some(done), Some(due)) if done <= due => r.filings_on_time += 1,
                        (Some(_), None) => r.filings_on_time += 1,
                        (None, Some(due)) if due < today => r.filings_overdue += 1,
                        _ => {}
                    }
                }
            }
            r
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(scope: &str, kind: &str, id: &str, action: LogAction, day: &str) -> LogEntry {
        let d: NaiveDate = day.parse().unwrap();
        LogEntry {
            n: 1,
            at: d.and_hms_opt(2, 0, 0).unwrap().and_utc().timestamp(),
            scope: scope.into(),
            kind: kind.into(),
            item_id: id.into(),
            title: String::new(),
            action,
            seq: 1,
            content_hash: String::new(),
            actor: String::new(),
            draft: None,
            prev_hash: String::new(),
            entry_hash: String::new(),
        }
    }

    #[test]
    fn quarters_parse_and_bound() {
        let q = Quarter::parse("2026-Q4").unwrap();
        assert_eq!(q.first_day().to_string(), "2026-10-01");
        assert_eq!(q.end().to_string(), "2027-01-01");
        assert_eq!(q.previous(), Quarter { year: 2026, q: 3 });
        assert_eq!(Quarter::parse("2026-Q5"), None);
        assert_eq!(
            Quarter::containing("2026-11-26".parse().unwrap()).key(),
            "2026-Q4"
        );
    }

    #[test]
    fn counts_on_time_work_per_unit() {
        let q = Quarter { year: 2026, q: 3 };
        let village = ScopeId::parse("419901102201").unwrap();
        let township = ScopeId::parse("419901102").unwrap();
        let log = vec![
            // Made 2026-07-01; 20 working days later is 2026-07-29.
            entry(
                "419901102",
                "disclosure",
                "d1",
                LogAction::Publish,
                "2026-07-20",
            ),
            entry(
                "419901102",
                "disclosure",
                "d2",
                LogAction::Publish,
                "2026-08-20",
            ),
            entry(
                "419901102",
                "disclosure",
                "d1",
                LogAction::Correct,
                "2026-09-01",
            ),
            // July finance by Aug 10 (on time), August late, September missing.
            entry(
                "419901102201",
                "finance",
                "finance-2026-07",
                LogAction::Publish,
                "2026-08-05",
            ),
            entry(
                "419901102201",
                "finance",
                "finance-2026-08",
                LogAction::Publish,
                "2026-09-15",
            ),
        ];
        let mut formed = HashMap::new();
        formed.insert(
            ("419901102".to_string(), "d1".to_string()),
            "2026-07-01".parse().unwrap(),
        );
        formed.insert(
            ("419901102".to_string(), "d2".to_string()),
            "2026-07-01".parse().unwrap(),
        );
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let filings = vec![
            FilingOutcome {
                office: "石桥镇人民政府".into(),
                received_on: d("2026-07-02"),
                due_on: Some(d("2026-07-16")),
                finished_on: Some(d("2026-07-10")),
            },
            FilingOutcome {
                office: "石桥镇人民政府".into(),
                received_on: d("2026-08-02"),
                due_on: Some(d("2026-08-14")),
                finished_on: Some(d("2026-08-20")),
            },
            FilingOutcome {
                office: "石桥镇人民政府".into(),
                received_on: d("2026-09-02"),
                due_on: Some(d("2026-09-16")),
                finished_on: None,
            },
            FilingOutcome {
                office: "柳湾乡人民政府".into(),
                received_on: d("2026-09-02"),
                due_on: Some(d("2026-09-16")),
                finished_on: None,
            },
        ];
        let units = vec![
            (township, "石桥镇".to_string()),
            (village, "石桥村".to_string()),
        ];
        let r = compute(
            q,
            &units,
            &log,
            &formed,
            &filings,
            &Calendar::official(),
            d("2026-11-26"),
        );
        let t = &r[0];
        assert_eq!((t.published, t.corrections), (2, 1));
        assert_eq!((t.disclosures, t.disclosures_on_time), (2, 1));
        assert_eq!((t.filings, t.filings_on_time, t.filings_overdue), (3, 1, 1));
        let v = &r[1];
        assert_eq!((v.finance_due, v.finance_on_time), (3, 1));
        assert_eq!(v.filings, 0);
    }
}
