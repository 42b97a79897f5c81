//! Reading the two file shapes: our own table of one-off changes, and gov.uk's published list.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use crate::{rule, CalendarError, FIRST_YEAR, LAST_YEAR};

pub(crate) const CHANGES_FILE: &str = "bank holiday changes table";
pub(crate) const GOV_UK_FILE: &str = "gov.uk bank holidays file";

pub(crate) type Days = BTreeMap<NaiveDate, String>;

/// Unknown fields are refused so that a misspelt "remove" is reported rather than silently
/// ignored, which would leave a moved holiday counted twice.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesFile {
    #[serde(default, rename = "note")]
    _note: IgnoredAny,
    #[serde(default)]
    removed: Vec<Entry>,
    #[serde(default)]
    added: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(deserialize_with = "iso_date")]
    date: NaiveDate,
    title: String,
}

/// Other divisions (Scotland, Northern Ireland) and per-event extras (notes, bunting) are ignored.
#[derive(Deserialize)]
struct GovUkFile {
    #[serde(rename = "england-and-wales")]
    england_and_wales: Option<GovUkDivision>,
}

#[derive(Deserialize)]
struct GovUkDivision {
    division: Option<String>,
    events: Vec<GovUkEvent>,
}

#[derive(Deserialize)]
struct GovUkEvent {
    #[serde(deserialize_with = "iso_date")]
    date: NaiveDate,
    title: String,
    #[serde(default)]
    notes: String,
}

impl GovUkEvent {
    /// gov.uk says "Substitute day" in the notes rather than the title; staff need to see it to
    /// understand why a Monday is off, so it goes into the title as the rule writes it.
    fn into_entry(self) -> Entry {
        let mut notes = self.notes.trim().chars();
        let title = match notes.next() {
            None => self.title,
            Some(first) => format!(
                "{} ({}{})",
                self.title,
                first.to_lowercase(),
                notes.as_str()
            ),
        };
        Entry {
            date: self.date,
            title,
        }
    }
}

/// Parsing the date inside serde keeps the line and column of a bad date in the error.
fn iso_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let text = String::deserialize(deserializer)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
        serde::de::Error::custom(format!(
            "\"{text}\" is not a date; write dates as YYYY-MM-DD, for example 2023-05-08"
        ))
    })
}

/// The standing rule for every covered year, with a table of one-off changes applied.
pub(crate) fn rule_with_changes(json: &str) -> Result<Days, CalendarError> {
    let file: ChangesFile =
        serde_json::from_str(json).map_err(|e| CalendarError::json(CHANGES_FILE, &e))?;
    check_entries(CHANGES_FILE, &file.removed)?;
    check_entries(CHANGES_FILE, &file.added)?;

    let mut days: Days = (FIRST_YEAR..=LAST_YEAR)
        .flat_map(rule::standing_rule)
        .map(|(date, title)| (date, title.to_owned()))
        .collect();
    for Entry { date, title } in file.removed {
        if days.remove(&date).is_none() {
            let file = CHANGES_FILE;
            return Err(CalendarError::NothingToRemove { file, date, title });
        }
    }
    for Entry { date, title } in file.added {
        if let Some(existing) = days.get(&date) {
            return Err(CalendarError::AlreadyAHoliday {
                file: CHANGES_FILE,
                date,
                title,
                existing: existing.clone(),
            });
        }
        days.insert(date, title);
    }
    Ok(days)
}

/// Replaces every year gov.uk lists anything for with gov.uk's list for that year.
pub(crate) fn overlay_gov_uk(mut days: Days, json: &str) -> Result<Days, CalendarError> {
    let file: GovUkFile =
        serde_json::from_str(json).map_err(|e| CalendarError::json(GOV_UK_FILE, &e))?;
    let division = file
        .england_and_wales
        .ok_or(CalendarError::NoEnglandAndWales)?;
    if let Some(found) = division.division.filter(|d| d != "england-and-wales") {
        return Err(CalendarError::WrongDivision { found });
    }
    if division.events.is_empty() {
        return Err(CalendarError::NoEvents);
    }
    let events: Vec<Entry> = division
        .events
        .into_iter()
        .map(GovUkEvent::into_entry)
        .collect();
    check_entries(GOV_UK_FILE, &events)?;

    let years: BTreeSet<i32> = events.iter().map(|e| e.date.year()).collect();
    days.retain(|date, _| !years.contains(&date.year()));
    days.extend(events.into_iter().map(|e| (e.date, e.title)));
    Ok(days)
}

fn check_entries(file: &'static str, entries: &[Entry]) -> Result<(), CalendarError> {
    let mut seen = BTreeSet::new();
    for &Entry { date, ref title } in entries {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            return Err(CalendarError::OutOfRange { file, date });
        }
        if title.trim().is_empty() {
            return Err(CalendarError::EmptyTitle { file, date });
        }
        if !seen.insert(date) {
            return Err(CalendarError::Duplicate { file, date });
        }
    }
    Ok(())
}
