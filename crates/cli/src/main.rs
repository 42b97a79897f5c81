//! `casebook`: the same core as the app, for scripting, IT support and black-box tests.
//!
//! Every error is printed to stderr as one plain sentence, with a non-zero exit status; `--json`
//! prints machine-readable output on stdout.

use casebook_domain::{AttendanceOutcome, CaseOpened, ContactType, Infant, Person};
use casebook_store::{default_data_dir, ContactInput, DraftInput, Store, StoreError};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "casebook", version, about = "Casebook case notes, from the command line", long_about = None)]
struct Cli {
    /// The store's directory (default: the same place the Casebook app uses).
    #[arg(long, global = true, value_name = "DIR", env = "CASEBOOK_DATA_DIR")]
    data: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new, empty encrypted store (passphrase from CASEBOOK_PASSPHRASE or a prompt).
    Init {
        /// Your username on the team's central store (default: your login name).
        #[arg(long)]
        user: Option<String>,
    },
    /// Open, list and show cases.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Record contacts (sessions) with a family.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Sign notes and add addenda.
    #[command(subcommand)]
    Note(NoteCommand),
    /// Search family names, signed notes and addenda.
    Search { query: String },
    /// Change the store's passphrase (new one from CASEBOOK_NEW_PASSPHRASE or a prompt).
    #[command(subcommand)]
    Passphrase(PassphraseCommand),
    /// Sign in to the team's central store (password from CASEBOOK_PASSWORD or a prompt).
    Login {
        #[arg(long)]
        server: String,
        #[arg(long)]
        user: String,
        /// How this laptop appears in IT's device list (default: the computer's name).
        #[arg(long)]
        device_name: Option<String>,
    },
    /// Send what is waiting and receive what is new.
    Sync {
        /// Remove cases no longer allocated to you even when that is most of the caseload.
        #[arg(long)]
        confirm_removals: bool,
    },
    /// What is waiting to be sent, and when this laptop last synced.
    Status,
}

#[derive(Subcommand)]
enum CaseCommand {
    /// Open a new case for a family.
    New(NewCase),
    /// List the caseload.
    List,
    /// Show a case's current state and chronology.
    Show { case_id: String },
    /// Team leads: allocate a case to a clinician of your team.
    Allocate {
        case_id: String,
        #[arg(long)]
        to: String,
    },
    /// Team leads: take a case away from a clinician.
    Deallocate {
        case_id: String,
        #[arg(long)]
        from: String,
    },
}

#[derive(Args)]
struct NewCase {
    #[arg(long)]
    family_name: String,
    /// The parent or carer's name.
    #[arg(long)]
    parent: Option<String>,
    /// Estimated due date, when the parent is pregnant (YYYY-MM-DD).
    #[arg(long, conflicts_with = "infant_dob")]
    due_date: Option<String>,
    /// The baby's date of birth (YYYY-MM-DD).
    #[arg(long)]
    infant_dob: Option<String>,
    #[arg(long, requires = "infant_dob")]
    infant_name: Option<String>,
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Record a contact with the family.
    Add {
        #[arg(long = "case")]
        case_id: String,
        /// The day of the contact (YYYY-MM-DD; default today).
        #[arg(long)]
        date: Option<String>,
        /// home-visit, hub-visit, drop-in, group-session, telephone, video, joint-visit, professionals-consultation
        #[arg(long = "type", default_value = "home-visit")]
        contact_type: String,
        /// attended, did-not-attend, cancelled-by-family, cancelled-by-service, no-access-visit
        #[arg(long, default_value = "attended")]
        outcome: String,
        #[arg(long)]
        location: Option<String>,
    },
}

#[derive(Subcommand)]
enum NoteCommand {
    /// Write and sign a note in one step. Signed notes cannot be changed afterwards.
    Sign {
        #[arg(long = "case")]
        case_id: String,
        #[arg(long)]
        text: String,
        /// The day the note is about (YYYY-MM-DD; default today).
        #[arg(long)]
        date: Option<String>,
        /// The contact this note records.
        #[arg(long = "contact")]
        contact_id: Option<String>,
    },
    /// Add an addendum to a signed note, with the reason for it.
    Addendum {
        #[arg(long = "note")]
        note_id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        text: String,
    },
}

#[derive(Subcommand)]
enum PassphraseCommand {
    /// Change the passphrase; the notes themselves are not rewritten.
    Change,
}

/// A failure, as the one sentence the person at the terminal sees.
struct Failure(String);

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure(e.to_string())
    }
}

impl From<casebook_sync::SyncError> for Failure {
    fn from(e: casebook_sync::SyncError) -> Self {
        Failure(e.to_string())
    }
}

type CliResult<T> = Result<T, Failure>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand { ExitCode::from(2) } else { ExitCode::SUCCESS };
            }
            // clap's message plus usage is several lines; the first states the problem.
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut first = lines.next().unwrap_or("the command line could not be understood").to_string();
            if first.ends_with(':') {
                // "the following required arguments were not provided:" names them on the next line.
                first = format!("{} {}", first, lines.next().unwrap_or_default());
            }
            let first = first.strip_prefix("error: ").unwrap_or(&first);
            eprintln!("{}. Run 'casebook --help' for usage.", first.trim_end_matches('.'));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn data_dir(cli: &Cli) -> CliResult<PathBuf> {
    cli.data
        .clone()
        .or_else(default_data_dir)
        .ok_or_else(|| Failure("There is no data directory on this system; give one with --data DIR.".into()))
}

fn passphrase_from(var: &str, prompt: &str) -> CliResult<String> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        let what = if var.contains("PASSPHRASE") { "passphrase" } else { "password" };
        return Err(Failure(format!("No {what} given: set {var} or run casebook in a terminal to be asked for it.")));
    }
    rpassword::prompt_password(prompt).map_err(|e| Failure(format!("The passphrase could not be read ({e}).")))
}

fn new_passphrase(var: &str) -> CliResult<String> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    let first = passphrase_from(var, "New passphrase: ")?;
    let again = passphrase_from(var, "Type it again: ")?;
    if first != again {
        return Err(Failure("The two passphrases do not match; nothing has been changed.".into()));
    }
    Ok(first)
}

fn open(cli: &Cli) -> CliResult<Store> {
    let dir = data_dir(cli)?;
    if !Store::exists(&dir) {
        return Err(StoreError::NotInitialised { dir }.into());
    }
    let passphrase = passphrase_from("CASEBOOK_PASSPHRASE", "Passphrase: ")?;
    Ok(Store::open(&dir, &passphrase)?)
}

fn date(value: &str, what: &str) -> CliResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        Failure(format!("The {what} '{value}' is not a valid date; write it as YYYY-MM-DD, for example 2026-11-24."))
    })
}

fn id(value: &str, what: &str) -> CliResult<Uuid> {
    Uuid::parse_str(value.trim())
        .map_err(|_| Failure(format!("'{value}' is not a {what} id; ids look like 0190c3b2-7f1e-7a33-9c4d-2b1e5f6a7c8d.")))
}

/// Parses a kebab-case choice (`home-visit`) into one of the domain's snake_case enums.
fn choice<T: serde::de::DeserializeOwned + Serialize + Copy>(value: &str, what: &str, all: &[T], label: fn(T) -> String) -> CliResult<T> {
    let key = value.trim().to_lowercase().replace('-', "_");
    serde_json::from_value(serde_json::Value::String(key)).map_err(|_| {
        let options: Vec<String> = all.iter().map(|t| label(*t)).collect();
        Failure(format!("'{value}' is not a {what}; choose one of: {}.", options.join(", ")))
    })
}

fn kebab<T: Serialize>(t: T) -> String {
    serde_json::to_value(t).unwrap().as_str().unwrap_or_default().replace('_', "-")
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn print<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T) -> String) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).expect("output serialises"));
    } else {
        println!("{}", human(value));
    }
}

fn run(cli: Cli) -> CliResult<()> {
    match &cli.command {
        Command::Init { user } => {
            let dir = data_dir(&cli)?;
            if Store::exists(&dir) {
                return Err(StoreError::AlreadyInitialised { dir }.into());
            }
            let username = user
                .clone()
                .or_else(|| std::env::var("USER").ok())
                .ok_or_else(|| Failure("Give your username with --user NAME.".into()))?;
            let passphrase = new_passphrase("CASEBOOK_PASSPHRASE")?;
            let store = Store::create(&dir, &passphrase, &username)?;
            #[derive(Serialize)]
            struct Created<'a> {
                data_dir: &'a std::path::Path,
                username: &'a str,
                device_id: Uuid,
            }
            let out = Created { data_dir: store.dir(), username: store.username(), device_id: store.device_id() };
            print(cli.json, &out, |o| format!("Created an encrypted Casebook store for {} in {}.", o.username, o.data_dir.display()));
        }
        Command::Case(CaseCommand::New(c)) => {
            let due_date = c.due_date.as_deref().map(|d| date(d, "due date")).transpose()?;
            let infant = match &c.infant_dob {
                Some(dob) => Some(Infant { name: c.infant_name.clone(), date_of_birth: date(dob, "date of birth")? }),
                None => None,
            };
            let details = CaseOpened {
                family_name: c.family_name.clone(),
                parent: c.parent.clone().map(|name| Person { name }),
                due_date,
                infant,
            };
            let mut store = open(&cli)?;
            let summary = store.open_case(details)?;
            print(cli.json, &summary, |s| format!("Opened case {} for the {} family.", s.case_id, s.family_name.as_deref().unwrap_or("")));
        }
        Command::Case(CaseCommand::List) => {
            let store = open(&cli)?;
            let cases = store.list_cases()?;
            print(cli.json, &cases, |cases| {
                if cases.is_empty() {
                    return "No cases yet.".into();
                }
                cases
                    .iter()
                    .map(|c| {
                        format!(
                            "{}  {}  ({} signed notes)",
                            c.case_id,
                            c.family_name.as_deref().unwrap_or("(details not yet received)"),
                            c.signed_note_count
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Case(CaseCommand::Show { case_id }) => {
            let case_id = id(case_id, "case")?;
            let store = open(&cli)?;
            let view = store.case(case_id)?;
            print(cli.json, &view, |v| {
                let mut out = format!(
                    "{} family\n",
                    v.state.details.as_ref().map(|d| d.family_name.as_str()).unwrap_or("(details not yet received)")
                );
                for n in &v.state.signed_notes {
                    out.push_str(&format!("\n{} — {} (signed {})\n{}\n", n.occurred_on, n.author, n.signed_at.format("%d %b %Y %H:%M"), n.text));
                    for a in &n.addenda {
                        out.push_str(&format!("  Addendum by {} ({}): {}\n", a.author, a.reason, a.text));
                    }
                }
                out
            });
        }
        Command::Case(CaseCommand::Allocate { case_id, to }) => {
            let case_id = id(case_id, "case")?;
            let mut store = open(&cli)?;
            casebook_sync::allocate(&mut store, case_id, to)?;
            print(cli.json, &serde_json::json!({ "allocated": true, "case_id": case_id, "username": to }), |_| {
                format!("Allocated the case to {to}; it reaches their laptop at its next sync.")
            });
        }
        Command::Case(CaseCommand::Deallocate { case_id, from }) => {
            let case_id = id(case_id, "case")?;
            let mut store = open(&cli)?;
            casebook_sync::deallocate(&mut store, case_id, from)?;
            print(cli.json, &serde_json::json!({ "deallocated": true, "case_id": case_id, "username": from }), |_| {
                format!("The case is no longer allocated to {from}; their laptop lets go of it after sending what it holds.")
            });
        }
        Command::Contact(ContactCommand::Add { case_id, date: day, contact_type, outcome, location }) => {
            let case_id = id(case_id, "case")?;
            let input = ContactInput {
                location: location.clone(),
                ..ContactInput::new(
                    day.as_deref().map(|d| date(d, "contact date")).transpose()?.unwrap_or_else(today),
                    choice(contact_type, "contact type", &ContactType::ALL, kebab)?,
                    choice(outcome, "attendance outcome", &AttendanceOutcome::ALL, kebab)?,
                )
            };
            let mut store = open(&cli)?;
            let contact = store.record_contact(case_id, input)?;
            print(cli.json, &contact, |c| format!("Recorded a {} on {} ({}).", c.contact_type.label().to_lowercase(), c.date, c.outcome.label().to_lowercase()));
        }
        Command::Note(NoteCommand::Sign { case_id, text, date: day, contact_id }) => {
            let input = DraftInput {
                case_id: id(case_id, "case")?,
                note_id: None,
                contact_id: contact_id.as_deref().map(|c| id(c, "contact")).transpose()?,
                occurred_on: day.as_deref().map(|d| date(d, "note date")).transpose()?.unwrap_or_else(today),
                text: text.clone(),
            };
            let mut store = open(&cli)?;
            let note = store.sign_note(input)?;
            print(cli.json, &note, |n| format!("Signed note {} for {}.", n.note_id, n.occurred_on));
        }
        Command::Note(NoteCommand::Addendum { note_id, reason, text }) => {
            let note_id = id(note_id, "note")?;
            let mut store = open(&cli)?;
            let addendum = store.add_addendum(note_id, reason, text)?;
            print(cli.json, &addendum, |a| format!("Added addendum {} to note {}.", a.addendum_id, a.note_id));
        }
        Command::Search { query } => {
            let store = open(&cli)?;
            let hits = store.search(query, 50)?;
            print(cli.json, &hits, |hits| {
                if hits.is_empty() {
                    return format!("Nothing found for '{query}'.");
                }
                hits.iter()
                    .map(|h| {
                        let snippet = h.snippet.replace(casebook_store::SNIPPET_START, "[").replace(casebook_store::SNIPPET_END, "]");
                        format!("{}  {}: {}", h.case_id, h.family_name.as_deref().unwrap_or(""), snippet)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Login { server, user, device_name } => {
            let mut store = open(&cli)?;
            let password = passphrase_from("CASEBOOK_PASSWORD", &format!("Password for {user} on {server}: "))?;
            let device_name = device_name.clone().unwrap_or_else(|| {
                std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "Casebook laptop".into())
            });
            let signed_in = casebook_sync::login(&mut store, server, user, &password, &device_name)?;
            print(cli.json, &signed_in, |s| format!("Signed in to {} as {} ({} team).", s.server_url, s.username, s.team));
        }
        Command::Sync { confirm_removals } => {
            let mut store = open(&cli)?;
            let options = casebook_sync::SyncOptions { confirm_removals: *confirm_removals, ..Default::default() };
            let summary = casebook_sync::sync_with(&mut store, options)?;
            print(cli.json, &summary, |s| {
                let mut lines = vec![s.sentence.clone()];
                lines.extend(s.clock_warning.clone());
                lines.extend(s.notices.iter().cloned());
                lines.join("\n")
            });
        }
        Command::Status => {
            let store = open(&cli)?;
            let status = casebook_sync::status(&store)?;
            print(cli.json, &status, |s| {
                let server = match (&s.server_url, &s.signed_in_as) {
                    (Some(url), Some(user)) => format!("Signed in to {url} as {user}."),
                    _ => "Not connected to a central store yet.".into(),
                };
                let last = s.last_sync_at.map(|t| format!(" Last synced {}.", t.with_timezone(&chrono::Local).format("%d %b %Y at %H:%M"))).unwrap_or_default();
                format!("{server} {} waiting to be sent ({} signed notes or addenda).{last}", s.waiting, s.unsent_notes)
            });
        }
        Command::Passphrase(PassphraseCommand::Change) => {
            let dir = data_dir(&cli)?;
            let old = passphrase_from("CASEBOOK_PASSPHRASE", "Current passphrase: ")?;
            let new = new_passphrase("CASEBOOK_NEW_PASSPHRASE")?;
            Store::change_passphrase(&dir, &old, &new)?;
            #[derive(Serialize)]
            struct Changed {
                changed: bool,
            }
            print(cli.json, &Changed { changed: true }, |_| "Passphrase changed. Use the new one from now on.".into());
        }
    }
    Ok(())
}
