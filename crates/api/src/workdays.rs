//! The working-day calendar every deadline is counted on: the years shipped with Gongkai
//! (`AppState::calendar`) plus each year a county entered on the 节假日安排 page, which is
//! published as a `calendar` item in the county's scope. Read from the store each time, so
//! every instance counts on the same years the moment one is entered.

use gongkai_model::calendar::Calendar;
use gongkai_model::{CalendarYear, ContentKind, ScopeLevel};
use gongkai_store::{Store, StoreError};

/// The years entered by counties, oldest first (a year entered twice: the last one read).
pub fn entered_years(store: &dyn Store) -> Result<Vec<CalendarYear>, StoreError> {
    let mut years = Vec::new();
    for head in store.heads()? {
        if head.scope.level() != ScopeLevel::County {
            continue;
        }
        for (_, body) in store.items_of_kind(&head.scope, ContentKind::Calendar)? {
            if let Ok(year) = serde_json::from_str::<CalendarYear>(&body) {
                years.push(year);
            }
        }
    }
    years.sort_by_key(|y| y.year);
    Ok(years)
}

/// `base` with every entered year laid over it (an entered year replaces a shipped one:
/// the county corrects what it was given).
pub fn calendar(store: &dyn Store, base: &Calendar) -> Result<Calendar, StoreError> {
    let mut calendar = base.clone();
    for year in entered_years(store)? {
        // Each was checked when it was published; one that no longer parses is skipped,
        // and the deadlines it would count stay provisional, which they show.
        let _ = calendar.add_year(year.year, &year.text);
    }
    Ok(calendar)
}

/// The first day the county is reminded that next year's holidays are missing: the State
/// Council publishes them in November or December.
pub fn reminder_due(calendar: &Calendar, today: chrono::NaiveDate) -> Option<i32> {
    use chrono::Datelike;
    let next = today.year() + 1;
    (today.month() >= 11 && !calendar.years().any(|y| y == next)).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn next_year_is_asked_for_from_the_first_of_november() {
        let c = Calendar::official();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap_or_default();
        assert_eq!(reminder_due(&c, d("2026-10-31")), None);
        assert_eq!(reminder_due(&c, d("2026-11-01")), Some(2027));
        assert_eq!(reminder_due(&c, d("2025-11-15")), None, "2026 is shipped");
        let mut c = c;
        let _ = c.add_year(2027, "holiday 2027-01-01 元旦");
        assert_eq!(reminder_due(&c, d("2026-12-31")), None);
    }
}
