//! The server's one clock. Handlers, the demo and the background sweeps ask it for "now"
//! instead of reading the system clock, so a test can run the whole server on 31
//! December, in 春节 or on 2028-02-29, and `--now` can start a demo on any date.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
enum Source {
    System,
    /// Real time shifted by a fixed amount: the server lives on another date but time
    /// still passes (sessions expire, checkpoints age).
    Shifted(Duration),
    /// Stands still until told to move: tests that step through dates.
    Fixed(Mutex<DateTime<Utc>>),
}

/// A clock shared by every part of one server (cheap to clone).
#[derive(Debug, Clone)]
pub struct Clock(Arc<Source>);

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl Clock {
    /// The machine's clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Source::System))
    }

    /// A clock that reads `start` now and runs on from there in real time.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Source::Shifted(start - Utc::now())))
    }

    /// A clock standing at `at` until [`Clock::set`] or [`Clock::advance`] moves it.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Source::Fixed(Mutex::new(at))))
    }

    /// A fixed clock at 09:00 Beijing time on `date`: office hours on a test day.
    pub fn fixed_on(date: NaiveDate) -> Clock {
        let at = gongkai_model::calendar::beijing_midnight(date) + 9 * 3600;
        Clock::fixed(DateTime::from_timestamp(at, 0).unwrap_or_default())
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Source::System => Utc::now(),
            Source::Shifted(by) => Utc::now() + *by,
            Source::Fixed(at) => *at.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Now in unix seconds.
    pub fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Today's date in Beijing: the date every deadline and posting period is counted in.
    pub fn today(&self) -> NaiveDate {
        gongkai_model::calendar::beijing_date(self.now())
    }

    /// Moves a fixed clock to `at` (other clocks ignore it: only tests set time).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Source::Fixed(t) = &*self.0 {
            *t.lock().unwrap_or_else(|p| p.into_inner()) = at;
        }
    }

    /// Moves a fixed clock on by `by`.
    pub fn advance(&self, by: Duration) {
        if let Source::Fixed(t) = &*self.0 {
            let mut t = t.lock().unwrap_or_else(|p| p.into_inner());
            *t += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_until_moved() {
        let date = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap_or_default();
        let clock = Clock::fixed_on(date);
        assert_eq!(clock.today(), date);
        let copy = clock.clone();
        copy.advance(Duration::hours(15));
        assert_eq!(clock.today().to_string(), "2028-03-01", "midnight Beijing");
    }

    #[test]
    fn a_shifted_clock_runs_from_its_start() {
        let start = DateTime::from_timestamp(1_830_000_000, 0).unwrap_or_default();
        let clock = Clock::starting_at(start);
        let d = clock.now() - start;
        assert!(d >= Duration::zero() && d < Duration::seconds(60), "{d}");
        // The real-clock path: the system clock is near the machine's own.
        let s = Clock::system().now() - Utc::now();
        assert!(s.num_seconds().abs() < 60);
    }
}
