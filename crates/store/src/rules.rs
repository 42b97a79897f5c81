//! The rules this laptop works by, and where each came from: the service profiles (who can be
//! referred, how fast the first contact must be) and the bank holidays that working days skip.
//!
//! Both ship with Casebook, and a team or its IT can override them with files in the data folder:
//! `service-profiles/NAME.json` and gov.uk's `bank-holidays.json`. A file that cannot be used is
//! left out, so a typing mistake never half-applies, and Casebook carries on with the rules that
//! came with it. That fallback must not be silent: eligibility and first-contact deadlines would
//! be worked out under rules the team did not choose. So every file left out is reported as one
//! plain sentence that names the file, says what is wrong and what to do about it
//! ([`RulesInUse::problems`]); the app shows them in Settings and on the referral screen, and
//! `casebook rules check` prints them for IT.
//!
//! Everything here reads only the data folder, never the encrypted store, so it works before
//! anyone has unlocked Casebook (IT checking a laptop has no clinician's passphrase).

use crate::record::{BANK_HOLIDAYS_FILE, SERVICE_PROFILES_DIR};
use casebook_calendar::WorkingDays;
use casebook_domain::{ProfileError, ServiceProfile};
use serde::Serialize;
use std::path::{Path, PathBuf};

const GOV_UK_BANK_HOLIDAYS: &str = "https://www.gov.uk/bank-holidays.json";

/// What a laptop with this data folder works by, and every file there that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulesInUse {
    /// The data folder that was looked at.
    pub data_dir: String,
    /// The services that can be chosen for a referral, in the order intake lists them.
    pub profiles: Vec<ProfileInUse>,
    pub bank_holidays: BankHolidaysInUse,
    /// One sentence per file that could not be used, naming it and saying what to fix. Empty when
    /// every file in the data folder was used.
    pub problems: Vec<String>,
}

/// A service that can be chosen, and where its rules came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileInUse {
    pub id: String,
    pub name: String,
    /// The team's file the rules were read from; `None`: the rules that ship with Casebook.
    pub file: Option<String>,
}

/// Where the bank holidays come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankHolidaysInUse {
    /// gov.uk's list in the data folder; `None`: the England and Wales rule and one-off days that
    /// ship with Casebook.
    pub file: Option<String>,
    /// The first and last year the file lists days for; other years come from the shipped rule.
    pub file_years: Option<(i32, i32)>,
}

impl RulesInUse {
    /// Reads the data folder's rule files (nothing else) and says what is in use.
    pub fn read(data_dir: &Path) -> RulesInUse {
        let team = team_profiles(data_dir);
        let profiles = merged(team.used)
            .into_iter()
            .map(|(p, file)| ProfileInUse { id: p.id, name: p.name, file: file.map(|f| f.display().to_string()) })
            .collect();
        let mut problems = team.problems;
        let bank_holidays = match bank_holidays_file(data_dir) {
            Ok(Some((_, json))) => BankHolidaysInUse {
                file: Some(data_dir.join(BANK_HOLIDAYS_FILE).display().to_string()),
                file_years: gov_uk_years(&json),
            },
            Ok(None) => BankHolidaysInUse { file: None, file_years: None },
            Err(problem) => {
                problems.push(problem);
                BankHolidaysInUse { file: None, file_years: None }
            }
        };
        problems.extend(misnamed(data_dir));
        RulesInUse { data_dir: data_dir.display().to_string(), profiles, bank_holidays, problems }
    }
}

/// The service profiles to choose from: the shipped ones, each replaced by a team's file with the
/// same id, then the team's other services.
pub(crate) fn service_profiles(data_dir: &Path) -> Vec<ServiceProfile> {
    merged(team_profiles(data_dir).used).into_iter().map(|(p, _)| p).collect()
}

/// The shipped profiles with the team's laid over them (a team file with a shipped id replaces
/// it; other team services follow), each with the file it came from (`None`: shipped).
fn merged(team: Vec<(ServiceProfile, PathBuf)>) -> Vec<(ServiceProfile, Option<PathBuf>)> {
    let mut profiles: Vec<(ServiceProfile, Option<PathBuf>)> = ServiceProfile::shipped().into_iter().map(|p| (p, None)).collect();
    for (own, path) in team {
        match profiles.iter_mut().find(|(p, _)| p.id == own.id) {
            Some(shipped) => *shipped = (own, Some(path)),
            None => profiles.push((own, Some(path))),
        }
    }
    profiles
}

/// One sentence per file in `service-profiles/` that was left out.
pub(crate) fn service_profile_problems(data_dir: &Path) -> Vec<String> {
    team_profiles(data_dir).problems
}

struct TeamProfiles {
    /// The profiles used, with the file each came from, in file-name order.
    used: Vec<(ServiceProfile, PathBuf)>,
    problems: Vec<String>,
}

/// The team's own service profiles: every `*.json` in `<data dir>/service-profiles/`, in name
/// order. When two files give the same id the later one is used and the earlier one reported.
fn team_profiles(data_dir: &Path) -> TeamProfiles {
    let dir = data_dir.join(SERVICE_PROFILES_DIR);
    let mut team = TeamProfiles { used: Vec::new(), problems: Vec::new() };
    let Ok(entries) = std::fs::read_dir(&dir) else { return team };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    paths.sort();
    // Read first, so that a broken file can say which rules its service has instead.
    let mut read: Vec<(PathBuf, Result<ServiceProfile, String>)> = Vec::new();
    for path in paths {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")) {
            let profile = read_profile_file(&path);
            read.push((path, profile));
        } else if name.to_ascii_lowercase().contains(".json") && !name.starts_with('.') {
            // "sefton-babs.json.txt": Notepad's doing, with extensions hidden.
            team.problems.push(format!(
                "The service profile {} was skipped: only files whose names end in .json are read. Rename it to end in .json.",
                path.display()
            ));
        }
    }
    let valid: Vec<(String, PathBuf)> = read
        .iter()
        .filter_map(|(path, r)| r.as_ref().ok().map(|p| (p.id.clone(), path.clone())))
        .collect();
    for (path, result) in read {
        match result {
            Ok(profile) => {
                if let Some((_, later)) = valid.iter().rev().find(|(id, p)| *id == profile.id && *p > path) {
                    team.problems.push(format!(
                        "The service profile {} was skipped: {} is also for the service \"{}\" and is the one used. Remove one of the two files, or give one a different id.",
                        path.display(),
                        later.display(),
                        profile.id
                    ));
                } else {
                    team.used.push((profile, path));
                }
            }
            Err(why) => {
                let instead = match id_in_broken_file(&path) {
                    Some(id) => match valid.iter().rev().find(|(v, _)| *v == id) {
                        Some((_, other)) => format!("the service \"{id}\" uses the rules in {} instead", other.display()),
                        None => match ServiceProfile::shipped_by_id(&id) {
                            Some(shipped) => format!("{} uses the rules that came with Casebook instead", shipped.name),
                            None => format!("the service \"{id}\" cannot be chosen for a referral"),
                        },
                    },
                    None => "nothing in it is used".to_string(),
                };
                team.problems.push(format!(
                    "The service profile {} was skipped: {}. Until the file is corrected, {instead}.",
                    path.display(),
                    why.trim_end_matches('.')
                ));
            }
        }
    }
    team
}

fn read_profile_file(path: &Path) -> Result<ServiceProfile, String> {
    let json = std::fs::read_to_string(path).map_err(|e| format!("it could not be read ({e})"))?;
    ServiceProfile::from_json(&json).map_err(|e| match e {
        ProfileError::Unreadable { reason } => plain_json_error(&reason),
        other => other.to_string(),
    })
}

/// The id a file that could not be used was meant to give, when it is there to be found.
fn id_in_broken_file(path: &Path) -> Option<String> {
    let json = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&json).ok()?;
    let id = value.get("id")?.as_str()?.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// serde_json's message ("unknown field `eligibilty`, expected one of `id`, `name`, … at line 3
/// column 17") said the way someone fixing the file by hand needs it.
fn plain_json_error(reason: &str) -> String {
    let (what, place) = match reason.rfind(" at line ") {
        Some(at) => {
            let place = reason[at + " at ".len()..].replacen(" column ", ", column ", 1);
            (&reason[..at], format!(" (at {place})"))
        }
        None => (reason, String::new()),
    };
    let ticked = |s: &str| s.replace('`', "\"");
    if let Some(rest) = what.strip_prefix("unknown field ") {
        let (field, allowed) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let allowed = match allowed.strip_prefix("one of ") {
            Some(list) => format!(": the settings allowed there are {}", ticked(list)),
            None if !allowed.is_empty() => format!(": the only setting allowed there is {}", ticked(allowed)),
            None => String::new(),
        };
        let field = field.split_once(", there are no fields").map_or(field, |(f, _)| f);
        return format!(
            "it has a setting {}{place} that Casebook does not know; check its spelling{allowed}",
            ticked(field)
        );
    }
    if let Some(field) = what.strip_prefix("missing field ") {
        return format!("the setting {} is missing{place}; add it", ticked(field));
    }
    if let Some(rest) = what.strip_prefix("unknown variant ") {
        let (value, allowed) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let allowed = allowed.strip_prefix("one of ").unwrap_or(allowed);
        return format!("{}{place} is not one of the choices allowed there ({})", ticked(value), ticked(allowed));
    }
    if what.starts_with("EOF while parsing") {
        return format!("the file ends too soon{place}; a closing }} or ] may be missing");
    }
    format!("it is not a valid profile file: {}{place}", ticked(what))
}

/// The bank holidays from `<data dir>/bank-holidays.json`, `None` when there is no such file, or
/// the sentence saying why it is not used.
pub(crate) fn working_days_from_file(data_dir: &Path) -> Result<Option<WorkingDays>, String> {
    Ok(bank_holidays_file(data_dir)?.map(|(days, _)| days))
}

/// As [`working_days_from_file`], with the file's text (read once) for anything else to be said
/// about it.
fn bank_holidays_file(data_dir: &Path) -> Result<Option<(WorkingDays, String)>, String> {
    let path = data_dir.join(BANK_HOLIDAYS_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let json = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "The bank holidays in {} could not be read ({e}); the shipped list is used instead. Check the file can be opened, or remove it.",
            path.display()
        )
    })?;
    match WorkingDays::from_gov_uk_json(&json) {
        Ok(days) => Ok(Some((days, json))),
        Err(e) => {
            let why = e.to_string();
            let fix = if why.contains(GOV_UK_BANK_HOLIDAYS) {
                String::new()
            } else {
                format!(" Download {GOV_UK_BANK_HOLIDAYS} again and save it there unchanged, or remove the file.")
            };
            Err(format!(
                "The bank holidays in {} were not used ({}); the shipped list is used instead.{fix}",
                path.display(),
                why.trim_end_matches('.')
            ))
        }
    }
}

/// The first and last year gov.uk's file lists England and Wales days for.
fn gov_uk_years(json: &str) -> Option<(i32, i32)> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let years = value.get("england-and-wales")?.get("events")?.as_array()?.iter().filter_map(|e| {
        e.get("date")?.as_str()?.get(..4)?.parse::<i32>().ok()
    });
    years.fold(None, |range, y| match range {
        None => Some((y, y)),
        Some((first, last)) => Some((first.min(y), last.max(y))),
    })
}

/// Files and folders that were plainly meant to be read but are not, because of their names: a
/// browser saves a second download as "bank-holidays (1).json"; a folder typed "service-profile".
fn misnamed(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir) else { return Vec::new() };
    let mut found: Vec<(String, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    found.sort();
    let holidays_there = data_dir.join(BANK_HOLIDAYS_FILE).is_file();
    let profiles_there = data_dir.join(SERVICE_PROFILES_DIR).is_dir();
    let mut problems = Vec::new();
    for (name, path) in found {
        let lower = name.to_lowercase();
        if path.is_file() && lower.contains("holiday") && lower.contains("json") && name != BANK_HOLIDAYS_FILE && !holidays_there {
            problems.push(format!(
                "The file {} looks like a bank holiday list but is not used: Casebook only reads a file named exactly {BANK_HOLIDAYS_FILE}, so the shipped list is used instead. Rename the file to {BANK_HOLIDAYS_FILE}.",
                path.display()
            ));
        }
        if path.is_dir() && lower.contains("profile") && name != SERVICE_PROFILES_DIR && !(profiles_there && lower == SERVICE_PROFILES_DIR) {
            problems.push(format!(
                "The folder {} is not read: Casebook reads a team's service profiles only from a folder named exactly {SERVICE_PROFILES_DIR}, so the rules that came with Casebook are used instead. Rename the folder to {SERVICE_PROFILES_DIR}.",
                path.display()
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::plain_json_error;

    #[test]
    fn serde_messages_are_said_plainly() {
        assert_eq!(
            plain_json_error("unknown field `eligibilty`, expected one of `id`, `name` at line 3 column 17"),
            "it has a setting \"eligibilty\" (at line 3, column 17) that Casebook does not know; check its spelling: the settings allowed there are \"id\", \"name\""
        );
        assert_eq!(
            plain_json_error("missing field `eligibility` at line 1 column 40"),
            "the setting \"eligibility\" is missing (at line 1, column 40); add it"
        );
        assert_eq!(
            plain_json_error("unknown variant `lives_inn`, expected one of `lives_in`, `none` at line 4 column 30"),
            "\"lives_inn\" (at line 4, column 30) is not one of the choices allowed there (\"lives_in\", \"none\")"
        );
        assert_eq!(
            plain_json_error("EOF while parsing an object at line 1 column 1"),
            "the file ends too soon (at line 1, column 1); a closing } or ] may be missing"
        );
        assert_eq!(
            plain_json_error("expected `,` or `}` at line 2 column 5"),
            "it is not a valid profile file: expected \",\" or \"}\" (at line 2, column 5)"
        );
    }
}
