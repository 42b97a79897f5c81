use chrono::NaiveDate;
use thiserror::Error;

/// Why a bank holiday file was refused. The files are edited by hand by a trust's IT staff, so each
/// message names the day or the place in the file and says what to fix; a refused file changes
/// nothing, so a mistake never quietly moves someone's deadline.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("the {file} could not be read at line {line}, column {column}: {problem}")]
    Json {
        file: &'static str,
        line: usize,
        column: usize,
        problem: String,
    },
    #[error("the {file} has {date}, but only the years {first} to {last} are covered; remove that entry", first = crate::FIRST_YEAR, last = crate::LAST_YEAR)]
    OutOfRange { file: &'static str, date: NaiveDate },
    #[error(
        "the {file} lists {date} more than once in the same list; keep one entry for each day"
    )]
    Duplicate { file: &'static str, date: NaiveDate },
    #[error("the {file} has no title for {date}; give the name staff should see, such as \"Spring bank holiday\"")]
    EmptyTitle { file: &'static str, date: NaiveDate },
    #[error("the {file} removes {date} (\"{title}\"), but that is not a bank holiday under the standing rule, so there is nothing to remove; check the date")]
    NothingToRemove {
        file: &'static str,
        date: NaiveDate,
        title: String,
    },
    #[error("the {file} adds {date} (\"{title}\"), but that day is already a bank holiday (\"{existing}\"); check the date, or remove the existing day first")]
    AlreadyAHoliday {
        file: &'static str,
        date: NaiveDate,
        title: String,
        existing: String,
    },
    #[error("the gov.uk bank holidays file has no \"england-and-wales\" section; download it again from https://www.gov.uk/bank-holidays.json")]
    NoEnglandAndWales,
    #[error("the \"england-and-wales\" section of the gov.uk bank holidays file says its division is \"{found}\"; download the file again from https://www.gov.uk/bank-holidays.json")]
    WrongDivision { found: String },
    #[error("the \"england-and-wales\" section of the gov.uk bank holidays file lists no events; download the file again from https://www.gov.uk/bank-holidays.json")]
    NoEvents,
}

impl CalendarError {
    /// serde_json puts the position at the end of its message; it is pulled out into fields so the
    /// message can lead with where to look.
    pub(crate) fn json(file: &'static str, error: &serde_json::Error) -> Self {
        let full = error.to_string();
        let position = format!(" at line {} column {}", error.line(), error.column());
        let problem = full.strip_suffix(&position).unwrap_or(&full).to_owned();
        CalendarError::Json {
            file,
            line: error.line(),
            column: error.column(),
            problem,
        }
    }
}
