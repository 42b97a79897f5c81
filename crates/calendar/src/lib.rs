//! Working days in England and Wales.
//!
//! Statutory and service deadlines (a referral answered within so many working days, a report
//! due after a review) are counted in working days, and the app has to count them the same way on
//! a laptop that has been offline for weeks. So the calendar is worked out here by rule, with a
//! small shipped table for the one-off days no rule can predict, and nothing is fetched or read
//! from the clock: "today" is always passed in.

mod error;
mod rule;
mod table;

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

pub use error::CalendarError;

/// The first year the calendar answers from history rather than by extrapolating the rule.
pub const FIRST_YEAR: i32 = 1970;
/// The last year the calendar answers for with any confidence; later years get the rule alone.
pub const LAST_YEAR: i32 = 2100;

/// The one-off changes shipped with the app. Kept as data, not code, so that IT can read it and
/// hand over a corrected copy without waiting for a release.
const SHIPPED_CHANGES: &str = include_str!("../one-off-days.json");

/// A bank holiday as staff would see it named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub title: String,
}

/// Which days are working days in England and Wales.
///
/// Built once and then only read, so it can be shared by every deadline calculation. The years
/// [`FIRST_YEAR`] to [`LAST_YEAR`] are worked out in full when it is built; dates outside them get
/// the standing rule alone, as no one-off days are known there.
#[derive(Debug, Clone)]
pub struct WorkingDays {
    holidays: BTreeMap<NaiveDate, String>,
}

impl WorkingDays {
    /// The rule plus the one-off days shipped with this version of the app.
    pub fn england_and_wales() -> WorkingDays {
        let holidays = table::rule_with_changes(SHIPPED_CHANGES)
            .expect("the shipped one-off-days.json is checked by this crate's tests");
        WorkingDays { holidays }
    }

    /// The rule plus a table of one-off changes supplied by the trust, in the same format as the
    /// shipped `one-off-days.json`, which it replaces entirely: a trust that needs to correct the
    /// shipped table should start from a copy of it.
    pub fn with_changes_json(json: &str) -> Result<WorkingDays, CalendarError> {
        let holidays = table::rule_with_changes(json)?;
        Ok(WorkingDays { holidays })
    }

    /// gov.uk's published list (<https://www.gov.uk/bank-holidays.json>), which is the official
    /// word for the years it covers, so any year with at least one event in it is taken from the
    /// file alone. Other years come from the rule and the shipped table, since gov.uk only lists
    /// a few years either side of the present.
    pub fn from_gov_uk_json(json: &str) -> Result<WorkingDays, CalendarError> {
        let holidays = table::overlay_gov_uk(Self::england_and_wales().holidays, json)?;
        Ok(WorkingDays { holidays })
    }

    /// The bank holiday's title, so a date picker can say why a day is greyed out.
    pub fn is_bank_holiday(&self, date: NaiveDate) -> Option<&str> {
        if covered(date.year()) {
            self.holidays.get(&date).map(String::as_str)
        } else {
            rule::standing_rule(date.year())
                .into_iter()
                .find(|&(day, _)| day == date)
                .map(|(_, title)| title)
        }
    }

    /// Every bank holiday in `year`, earliest first.
    pub fn bank_holidays(&self, year: i32) -> Vec<BankHoliday> {
        let holiday = |(date, title): (NaiveDate, &str)| BankHoliday {
            date,
            title: title.to_owned(),
        };
        if covered(year) {
            let first = NaiveDate::from_yo_opt(year, 1).expect("covered years are valid");
            let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("covered years are valid");
            self.holidays
                .range(first..=last)
                .map(|(&date, title)| holiday((date, title)))
                .collect()
        } else {
            rule::standing_rule(year).into_iter().map(holiday).collect()
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && self.is_bank_holiday(date).is_none()
    }

    /// The day a deadline of `days` working days from `from` falls on; `from` itself is not
    /// counted, as a referral received on a Monday with two working days to answer is due on the
    /// Wednesday.
    ///
    /// With `days` 0 the answer is `from` if it is a working day and otherwise the next working
    /// day, because a deadline has to fall on a day someone is at work to meet it.
    ///
    /// # Panics
    ///
    /// If the answer is beyond the last date chrono can represent (some 260,000 years away).
    pub fn add_working_days(&self, from: NaiveDate, days: u32) -> NaiveDate {
        let mut date = from;
        if days == 0 {
            while !self.is_working_day(date) {
                date = next(date);
            }
            return date;
        }
        for _ in 0..days {
            date = next(date);
            while !self.is_working_day(date) {
                date = next(date);
            }
        }
        date
    }

    /// How many working days after `from`, up to and including `to`, so that it undoes
    /// [`add_working_days`](Self::add_working_days) for any `days` above 0. Negative when `to` is
    /// before `from`, as for an overdue deadline.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (start, end, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let count = start
            .iter_days()
            .skip(1)
            .take_while(|&date| date <= end)
            .filter(|&date| self.is_working_day(date))
            .count();
        sign * i64::try_from(count).expect("a count of days fits in an i64")
    }
}

fn covered(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

fn next(date: NaiveDate) -> NaiveDate {
    date.checked_add_days(Days::new(1))
        .expect("working days counted past the last date chrono can represent")
}
