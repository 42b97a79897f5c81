//! `casebook`: the same core as the app, for scripting, IT support and black-box tests.
//!
//! Every error is printed to stderr as one plain sentence, with a non-zero exit status; `--json`
//! prints machine-readable output on stdout.

mod command;
mod rules;

use casebook_domain::{
    AttendanceOutcome, CaseOpened, ContactType, DischargeReason, Infant, Person, Professional, ReferralReason,
    ReferralStatus, ReferrerRole, RiskLevel, SafeguardingStatus, ThriveGroup,
};
use casebook_measures::{Entry, Goal, MeasureKind, TimePoint};
use casebook_store::{
    default_data_dir, ContactInput, DraftInput, MeasureInput, PlanInput, ReferralInput, RiskInput, Store, StoreError,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
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
    /// Log referrals and move them on.
    #[command(subcommand)]
    Referral(ReferralCommand),
    /// Record contacts (sessions) with a family, or plan them.
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Record outcome measures (EPDS, PHQ-9, GAD-7, CORE-10, Goal Based Outcomes).
    #[command(subcommand)]
    Measure(MeasureCommand),
    /// Record a risk and safeguarding review.
    #[command(subcommand)]
    Risk(RiskCommand),
    /// Record case supervision (team leads).
    #[command(subcommand)]
    Supervision(command::supervision::SupervisionCommand),
    /// The referrals waiting for triage, and the waiting list.
    Inbox,
    /// Triage a referral (team leads): accept and allocate, consultation, signpost or decline.
    Triage(command::triage::TriageArgs),
    /// The lead's view of the team: caseloads, waiting list, laptops not synced, recent alerts.
    Team(command::team::TeamArgs),
    /// Discharge a case.
    Discharge {
        #[arg(long = "case")]
        case_id: String,
        /// goals-met, family-chose-to-end, did-not-engage, moved-away, transferred-to-another-service, other
        #[arg(long)]
        reason: String,
        #[arg(long)]
        summary: String,
        /// The discharge date (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
    /// Today's visits, what is due within a week, and your unsigned drafts.
    Today {
        /// The day to show (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
    /// Sign notes and add addenda.
    #[command(subcommand)]
    Note(NoteCommand),
    /// Search family names, signed notes and addenda.
    Search { query: String },
    /// Change the store's passphrase (new one from CASEBOOK_NEW_PASSPHRASE or a prompt).
    #[command(subcommand)]
    Passphrase(PassphraseCommand),
    /// For IT: check the service rules and bank holiday files in the data folder (no passphrase needed).
    #[command(subcommand)]
    Rules(rules::RulesCommand),
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
    /// Print the session record headings for a kind of contact, to write a note under, e.g.
    /// casebook note sign --case ID --text "$(casebook template --type home-visit)".
    Template {
        /// home-visit, hub-visit, drop-in, group-session, telephone, video, joint-visit, professionals-consultation
        #[arg(long = "type", default_value = "home-visit")]
        contact_type: String,
    },
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
enum ReferralCommand {
    /// Log a referral: opens the case, checks eligibility and works out the first-contact deadline.
    Add(Box<ReferralAdd>),
    /// Move a referral on.
    Status {
        #[arg(long = "case")]
        case_id: String,
        /// acknowledged, contacted, accepted, declined, signposted
        #[arg(long)]
        to: String,
        /// The day it happened (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
        /// Why (required when declining; where to, when signposting).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Take on a referral the eligibility check found not eligible; the first-contact deadline
    /// counts from this decision.
    TakeOn {
        #[arg(long = "case")]
        case_id: String,
        /// Why the family is being seen after all.
        #[arg(long)]
        reason: String,
        /// The day of the decision (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
}

#[derive(Args)]
struct ReferralAdd {
    /// The family, as for `case new`.
    #[command(flatten)]
    family: NewCase,
    /// The day the referral was received (YYYY-MM-DD).
    #[arg(long)]
    received: String,
    /// The service whose rules apply: wigan-babs, sefton-babs, or a team's own profile id.
    #[arg(long)]
    service: String,
    #[arg(long)]
    referrer_name: String,
    /// midwife, health-visitor, gp, perinatal-team, social-worker, other
    #[arg(long)]
    referrer_role: String,
    #[arg(long)]
    referrer_org: Option<String>,
    #[arg(long)]
    referrer_phone: Option<String>,
    #[arg(long)]
    referrer_email: Option<String>,
    /// Whether the family agreed to the referral: yes or no.
    #[arg(long)]
    consent: String,
    /// A reason for referral, by id (repeatable), e.g. lack-of-bonding, history-of-aces-or-trauma.
    #[arg(long = "reason", num_args = 1..)]
    reasons: Vec<String>,
    /// Reasons not on the checklist, in words.
    #[arg(long)]
    other_reason: Option<String>,
    /// The parent's registered GP practice.
    #[arg(long)]
    gp_practice: Option<String>,
    /// Whether the parent is pregnant: yes or no (a due date implies yes).
    #[arg(long)]
    pregnant: Option<String>,
    /// Whether the family meets the service's residence rule (lives there, or registered with a GP there): yes or no.
    #[arg(long)]
    residence: Option<String>,
}

/// What `--answers` means for each measure: the order the answers are printed in, and what each
/// scores. Kept beside the scoring in casebook-measures' tests, which check the same facts.
const MEASURE_ENTRY_HELP: &str = "\
--answers: which answer was ticked on each item, 0 for the first answer printed, 1 for the second…
  phq9, gad7  Not at all (0), Several days (1), More than half the days (2), Nearly every day (3);
              each answer scores its number.
  epds        first box (0) to fourth box (3), counting from the top of the printed form. Items 1, 2
              and 4 score 0-3 from the first box; items 3 and 5-10 are printed highest score first
              and score 3-0. Item 10 scored above 0 is a self-harm risk.
  core10      Not at all (0), Only occasionally (1), Sometimes (2), Often (3), Most or all of the
              time (4). Items 2 and 3 are worded positively and score 4-0; the rest score 0-4.
--scores: each item's score, as written on a form that has already been scored on paper.
  Use it only to transcribe a scored form; the risk item is flagged from its score either way.

Examples:
  casebook measure add --case ID --kind epds --answers 0,0,1,0,2,3,3,3,3,3
  casebook measure add --case ID --kind epds --scores 0,0,2,0,1,0,0,0,0,0
  casebook measure add --case ID --kind gbo --goal \"Enjoy bath time together=3\"";

#[derive(Subcommand)]
enum MeasureCommand {
    /// Record a completed measure; prints its total, band and any risk flags.
    #[command(after_long_help = MEASURE_ENTRY_HELP)]
    Add {
        #[arg(long = "case")]
        case_id: String,
        /// epds, phq9, gad7, core10 or gbo
        #[arg(long)]
        kind: String,
        /// Which answer the parent ticked on each item, in form order, counting each item's answers
        /// in the order they are printed from 0 (0 = the first answer printed): 0,2,1,3,…
        /// Casebook applies the measure's own scoring (see below).
        #[arg(long, conflicts_with = "scores")]
        answers: Option<String>,
        /// Each item's score, in form order, copied from a form already scored on paper: 1,0,2,3,…
        #[arg(long)]
        scores: Option<String>,
        /// Not accepted: it did not say whether the numbers were answers or scores.
        #[arg(long, hide = true)]
        items: Option<String>,
        /// Goal Based Outcomes: a goal and its score, as "description=score" (repeatable, up to three).
        #[arg(long = "goal")]
        goals: Vec<String>,
        /// baseline, review or discharge
        #[arg(long, default_value = "baseline")]
        time_point: String,
        /// The day it was completed (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
}

#[derive(Subcommand)]
enum RiskCommand {
    /// Record a risk and safeguarding review.
    Add {
        #[arg(long = "case")]
        case_id: String,
        /// Risk to self: none-known, low, medium, high
        #[arg(long)]
        to_self: String,
        /// Risk to the infant: none-known, low, medium, high
        #[arg(long)]
        to_infant: String,
        /// Risk from others: none-known, low, medium, high
        #[arg(long)]
        from_others: String,
        /// none-known, child-in-need, child-protection-plan, looked-after
        #[arg(long, default_value = "none-known")]
        safeguarding: String,
        /// getting-advice, getting-help, getting-more-help, getting-risk-support
        #[arg(long)]
        thrive: String,
        #[arg(long)]
        summary: String,
        #[arg(long)]
        actions: Option<String>,
        /// The next review date (YYYY-MM-DD).
        #[arg(long)]
        review_on: Option<String>,
        /// The day of this review (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Plan (book) a visit or session.
    Plan {
        #[arg(long = "case")]
        case_id: String,
        /// Local date and time, as "2026-11-27 14:00".
        #[arg(long)]
        at: String,
        /// home-visit, hub-visit, drop-in, group-session, telephone, video, joint-visit, professionals-consultation
        #[arg(long = "type", default_value = "home-visit")]
        contact_type: String,
        #[arg(long)]
        location: Option<String>,
    },
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
        /// When it started (HH:MM).
        #[arg(long)]
        time: Option<String>,
        /// How long it lasted, in minutes.
        #[arg(long)]
        duration: Option<String>,
        /// Who was there (repeatable).
        #[arg(long = "attendee")]
        attendees: Vec<String>,
        /// An intervention used (repeatable).
        #[arg(long = "intervention")]
        interventions: Vec<String>,
        /// The planned contact this records.
        #[arg(long = "contact")]
        contact_id: Option<String>,
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
            eprintln!("{}", casebook_domain::printable(&message, true));
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

fn yes_no(value: &str, what: &str) -> CliResult<bool> {
    match value.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" => Ok(true),
        "no" | "n" | "false" => Ok(false),
        _ => Err(Failure(format!("'{value}' is not an answer for {what}; write yes or no."))),
    }
}

fn time(value: &str) -> CliResult<NaiveTime> {
    NaiveTime::parse_from_str(value.trim(), "%H:%M")
        .map_err(|_| Failure(format!("The time '{value}' is not a valid time; write it as HH:MM, for example 14:30.")))
}

fn date_time(value: &str) -> CliResult<NaiveDateTime> {
    let v = value.trim();
    NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M"))
        .map_err(|_| Failure(format!("'{value}' is not a valid date and time; write it as \"YYYY-MM-DD HH:MM\", for example \"2026-11-27 14:00\".")))
}

fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// A measure as recorded, with what the clinician needs to act on.
#[derive(Serialize)]
struct MeasureOut {
    measure_id: Uuid,
    kind: MeasureKind,
    time_point: TimePoint,
    administered_on: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    entered_as: Option<Entry>,
    /// Each item's score as it counts towards the total (reversed items reversed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    item_scores: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    band: Option<String>,
    risk_flags: Vec<casebook_measures::RiskFlag>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    goals: Vec<Goal>,
}

fn goal(value: &str) -> CliResult<Goal> {
    let bad = || Failure(format!("'{value}' is not a goal; write it as \"description=score\", for example \"Enjoy bath time together=3\"."));
    let (description, score) = value.rsplit_once('=').ok_or_else(bad)?;
    let score = score.trim();
    if score.is_empty() || !score.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    Ok(Goal { description: description.to_string(), score: score.parse().map_err(|_| bad())? })
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Every answer goes out here. The human form holds colleagues' words (notes, names), so its
/// control characters are escaped before a terminal can obey them; JSON escapes them itself.
fn print<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T) -> String) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).expect("output serialises"));
    } else {
        println!("{}", casebook_domain::printable(&human(value), true));
    }
}

fn run(cli: Cli) -> CliResult<()> {
    match &cli.command {
        Command::Supervision(c) => command::supervision::run(&cli, c)?,
        Command::Inbox => command::inbox::run(&cli)?,
        Command::Triage(a) => command::triage::run(&cli, a)?,
        Command::Team(a) => command::team::run(&cli, a)?,
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
                to_team_inbox: false,
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
            // The header goes with the JSON too, so a script reading NHS numbers also reads the
            // warning on a test or placeholder number.
            #[derive(Serialize)]
            struct Shown {
                #[serde(flatten)]
                view: casebook_store::CaseView,
                header: casebook_domain::CaseHeader,
            }
            let header = casebook_domain::CaseHeader::of(&view.state, today());
            print(cli.json, &Shown { view, header }, |shown| {
                let v = &shown.view;
                let mut out = format!(
                    "{} family\n",
                    v.state.details.as_ref().map(|d| d.family_name.as_str()).unwrap_or("(details not yet received)")
                );
                for p in &shown.header.people {
                    out.push_str(&format!("{}: {}", p.role, p.name));
                    if let Some(age) = &p.age {
                        out.push_str(&format!(", {age}"));
                    }
                    if let Some(corrected) = &p.corrected_age {
                        out.push_str(&format!("; corrected age {corrected}"));
                    }
                    if let Some(nhs) = &p.nhs_number {
                        out.push_str(&format!("; NHS number {nhs}"));
                        if let Some(warning) = &p.nhs_number_warning {
                            out.push_str(&format!(" (WARNING: {warning})"));
                        }
                    }
                    out.push('\n');
                }
                if let Some(flag) = &shown.header.risk_to_review {
                    out.push_str(&format!("RISK TO REVIEW: {}; record a risk review (casebook risk add).\n", flag.summary()));
                }
                out.push_str(&format!("{}\n", shown.header.retention.summary));
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
        Command::Contact(ContactCommand::Add {
            case_id,
            date: day,
            contact_type,
            outcome,
            location,
            time: started,
            duration,
            attendees,
            interventions,
            contact_id,
        }) => {
            let case_id = id(case_id, "case")?;
            let duration_minutes = match duration {
                Some(d) => Some(d.trim().parse::<u16>().map_err(|_| {
                    Failure(format!("The duration '{d}' is not a number of minutes; write it as a whole number, for example 45."))
                })?),
                None => None,
            };
            let input = ContactInput {
                location: location.clone(),
                contact_id: contact_id.as_deref().map(|c| id(c, "planned contact")).transpose()?,
                started_at: started.as_deref().map(time).transpose()?,
                duration_minutes,
                attendees: attendees.clone(),
                interventions: interventions.clone(),
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
        Command::Contact(ContactCommand::Plan { case_id, at, contact_type, location }) => {
            let case_id = id(case_id, "case")?;
            let input = PlanInput {
                planned_for: date_time(at)?,
                contact_type: choice(contact_type, "contact type", &ContactType::ALL, kebab)?,
                location: location.clone(),
            };
            let mut store = open(&cli)?;
            let before: Vec<Uuid> =
                store.case(case_id)?.state.record.planned_contacts.iter().map(|p| p.details.contact_id).collect();
            let state = store.plan_contact(case_id, input)?;
            let planned = state
                .record
                .planned_contacts
                .into_iter()
                .find(|p| !before.contains(&p.details.contact_id))
                .expect("just planned");
            print(cli.json, &planned, |p| {
                format!(
                    "Planned a {} for {} at {} (contact {}).",
                    p.details.contact_type.label().to_lowercase(),
                    long_date(p.details.planned_for.date()),
                    p.details.planned_for.format("%H:%M"),
                    p.details.contact_id
                )
            });
        }
        Command::Referral(ReferralCommand::Add(r)) => {
            let reasons = r
                .reasons
                .iter()
                .map(|x| choice(x, "reason for referral", &ReferralReason::ALL, kebab))
                .collect::<CliResult<Vec<_>>>()?;
            let input = ReferralInput {
                family_name: r.family.family_name.clone(),
                parent_name: r.family.parent.clone(),
                due_date: r.family.due_date.as_deref().map(|d| date(d, "due date")).transpose()?,
                infant_name: r.family.infant_name.clone(),
                infant_dob: r.family.infant_dob.as_deref().map(|d| date(d, "date of birth")).transpose()?,
                received_on: date(&r.received, "date received")?,
                profile_id: r.service.clone(),
                referrer: Professional {
                    name: r.referrer_name.clone(),
                    role: choice(&r.referrer_role, "referrer's role", &ReferrerRole::ALL, kebab)?,
                    organisation: r.referrer_org.clone(),
                    phone: r.referrer_phone.clone(),
                    email: r.referrer_email.clone(),
                },
                consent_to_refer: yes_no(&r.consent, "--consent")?,
                reasons,
                other_reasons: r.other_reason.clone(),
                gp_practice: r.gp_practice.clone(),
                pregnant: r.pregnant.as_deref().map(|p| yes_no(p, "--pregnant")).transpose()?,
                residence_confirmed: r.residence.as_deref().map(|p| yes_no(p, "--residence")).transpose()?,
            };
            let mut store = open(&cli)?;
            let check = store.check_referral(&input)?;
            let case = store.receive_referral(input)?;
            #[derive(Serialize)]
            struct Received {
                #[serde(flatten)]
                case: casebook_store::CaseSummary,
                service: String,
                eligibility: casebook_domain::EligibilityResult,
                eligibility_summary: String,
                #[serde(skip_serializing_if = "Option::is_none")]
                crisis_route: Option<casebook_domain::CrisisRoute>,
            }
            let out = Received {
                case,
                service: check.profile_name,
                eligibility_summary: check.eligibility.summary(),
                eligibility: check.eligibility,
                crisis_route: check.crisis_route,
            };
            print(cli.json, &out, |o| {
                let mut lines = vec![
                    format!("Logged the referral: case {} for the {} family.", o.case.case_id, o.case.family_name.as_deref().unwrap_or("")),
                    o.eligibility_summary.clone(),
                ];
                lines.push(match o.case.first_contact_due {
                    Some(due) => format!("First contact due by {} ({} target).", long_date(due), o.service),
                    None => format!("{} sets no first-contact target; use the team's own.", o.service),
                });
                lines.join("\n")
            });
        }
        Command::Referral(ReferralCommand::TakeOn { case_id, reason, on }) => {
            let case_id = id(case_id, "case")?;
            let on = on.as_deref().map(|d| date(d, "date")).transpose()?.unwrap_or_else(today);
            let mut store = open(&cli)?;
            let state = store.take_on_referral(case_id, on, reason.clone())?;
            let referral = state.record.referral.expect("the case has a referral");
            print(cli.json, &referral, |r| match r.first_contact_due() {
                Some(due) => format!("The referral is taken on. First contact due by {}.", long_date(due)),
                None => "The referral is taken on. Its service sets no first-contact target; use the team's own.".into(),
            });
        }
        Command::Referral(ReferralCommand::Status { case_id, to, on, reason }) => {
            let case_id = id(case_id, "case")?;
            let status = choice(to, "referral status", &ReferralStatus::ALL, kebab)?;
            let on = on.as_deref().map(|d| date(d, "date")).transpose()?.unwrap_or_else(today);
            let mut store = open(&cli)?;
            let state = store.change_referral_status(case_id, status, on, reason.clone())?;
            let referral = state.record.referral.expect("the case has a referral");
            print(cli.json, &referral, |r| format!("The referral is now {}.", r.status.label().to_lowercase()));
        }
        Command::Measure(MeasureCommand::Add { case_id, kind, answers, scores, items, goals, time_point, on }) => {
            if items.is_some() {
                return Err(Failure(
                    "--items is ambiguous, so it is not accepted: give --answers with the answers ticked (0 = the first answer printed on the form) or --scores with item scores copied from a form already scored on paper.".into(),
                ));
            }
            let case_id = id(case_id, "case")?;
            let kind: MeasureKind = kind.parse().map_err(|e: casebook_measures::MeasureError| Failure(e.to_string()))?;
            let (entered_as, numbers) = match (answers, scores) {
                (Some(a), _) => (Some(Entry::Answers), Some(a)),
                (None, Some(s)) => (Some(Entry::Scores), Some(s)),
                (None, None) => (None, None),
            };
            let items = match (kind, numbers) {
                (MeasureKind::Gbo, None) => Vec::new(),
                (MeasureKind::Gbo, Some(_)) => {
                    return Err(Failure("Goal Based Outcomes are recorded with --goal \"description=score\", not --answers or --scores.".into()))
                }
                (kind, None) => {
                    return Err(Failure(format!(
                        "Give the {} as --answers (the answers ticked, 0 = the first printed) or --scores (item scores from a form already scored on paper).",
                        kind.label()
                    )))
                }
                (_, Some(n)) => casebook_measures::parse_items(n).map_err(|e| Failure(e.to_string()))?,
            };
            let input = MeasureInput {
                kind,
                time_point: choice(time_point, "time point", &TimePoint::ALL, kebab)?,
                administered_on: on.as_deref().map(|d| date(d, "date completed")).transpose()?.unwrap_or_else(today),
                items,
                entered_as,
                goals: goals.iter().map(|g| goal(g)).collect::<CliResult<_>>()?,
            };
            let mut store = open(&cli)?;
            let entry = store.record_measure(case_id, input)?;
            let scored = entry.scored.clone();
            let out = MeasureOut {
                measure_id: entry.details.measure_id,
                kind: entry.details.kind,
                time_point: entry.details.time_point,
                administered_on: entry.details.administered_on,
                entered_as: entry.details.entered_as,
                item_scores: scored.as_ref().map(|s| s.item_scores.clone()).unwrap_or_default(),
                total: scored.as_ref().map(|s| s.total),
                max: scored.as_ref().map(|s| s.max),
                band: scored.as_ref().map(|s| s.band.label.clone()),
                risk_flags: scored.map(|s| s.risk_flags).unwrap_or_default(),
                goals: entry.details.goals,
            };
            print(cli.json, &out, |m| {
                let mut lines = vec![match (m.total, m.max, &m.band) {
                    (Some(total), Some(max), Some(band)) => {
                        let from = m.entered_as.map(|e| format!(" from the {}", e.label())).unwrap_or_default();
                        format!("Recorded {} ({}){from}: {total} out of {max}, {band}.", m.kind.label(), m.time_point.label().to_lowercase())
                    }
                    _ => format!(
                        "Recorded {} ({}): {}.",
                        m.kind.label(),
                        m.time_point.label().to_lowercase(),
                        m.goals.iter().map(|g| format!("{} {}/10", g.description, g.score)).collect::<Vec<_>>().join("; ")
                    ),
                }];
                lines.extend(m.risk_flags.iter().map(|f| format!("Risk: {}", f.message)));
                lines.join("\n")
            });
        }
        Command::Risk(RiskCommand::Add {
            case_id,
            to_self,
            to_infant,
            from_others,
            safeguarding,
            thrive,
            summary,
            actions,
            review_on,
            on,
        }) => {
            let case_id = id(case_id, "case")?;
            let levels = [RiskLevel::NoneKnown, RiskLevel::Low, RiskLevel::Medium, RiskLevel::High];
            let input = RiskInput {
                on: on.as_deref().map(|d| date(d, "date of the review")).transpose()?.unwrap_or_else(today),
                to_self: choice(to_self, "risk level", &levels, kebab)?,
                to_infant: choice(to_infant, "risk level", &levels, kebab)?,
                from_others: choice(from_others, "risk level", &levels, kebab)?,
                safeguarding: choice(
                    safeguarding,
                    "safeguarding status",
                    &[
                        SafeguardingStatus::NoneKnown,
                        SafeguardingStatus::ChildInNeed,
                        SafeguardingStatus::ChildProtectionPlan,
                        SafeguardingStatus::LookedAfter,
                    ],
                    kebab,
                )?,
                thrive: choice(thrive, "THRIVE group", &ThriveGroup::ALL, kebab)?,
                summary: summary.clone(),
                actions: actions.clone(),
                review_on: review_on.as_deref().map(|d| date(d, "review date")).transpose()?,
            };
            let mut store = open(&cli)?;
            let state = store.assess_risk(case_id, input)?;
            let review = state.record.current_risk().cloned().expect("just reviewed");
            print(cli.json, &review, |r| {
                let next = r.details.review_on.map(|d| format!(" Next review by {}.", long_date(d))).unwrap_or_default();
                format!("Recorded the risk review: overall {}.{next}", r.overall().label().to_lowercase())
            });
        }
        Command::Discharge { case_id, reason, summary, on } => {
            let case_id = id(case_id, "case")?;
            let reasons = [
                DischargeReason::GoalsMet,
                DischargeReason::FamilyChoseToEnd,
                DischargeReason::DidNotEngage,
                DischargeReason::MovedAway,
                DischargeReason::TransferredToAnotherService,
                DischargeReason::Other,
            ];
            let reason = choice(reason, "discharge reason", &reasons, kebab)?;
            let on = on.as_deref().map(|d| date(d, "discharge date")).transpose()?.unwrap_or_else(today);
            let mut store = open(&cli)?;
            let state = store.discharge(case_id, on, reason, summary.clone())?;
            #[derive(Serialize)]
            struct Discharged {
                #[serde(flatten)]
                discharge: casebook_domain::Discharge,
                /// Each measure's change from baseline, as the app and the chronology show it.
                outcome_changes: Vec<casebook_domain::OutcomeChange>,
            }
            let out = Discharged {
                outcome_changes: state.record.outcome_changes(),
                discharge: state.record.discharge.expect("just discharged"),
            };
            print(cli.json, &out, |o| {
                let d = &o.discharge.details;
                let mut lines = vec![format!("Discharged on {} ({}).", long_date(d.on), d.reason.label().to_lowercase())];
                if o.outcome_changes.is_empty() {
                    lines.push("No outcome measure was scored twice, so there is no change from baseline to show.".into());
                } else {
                    lines.push("Outcome change from baseline:".into());
                    lines.extend(o.outcome_changes.iter().flat_map(|c| c.dated_lines().map(|l| format!("  {l}"))));
                }
                lines.join("\n")
            });
        }
        Command::Today { on } => {
            let on = on.as_deref().map(|d| date(d, "day")).transpose()?.unwrap_or_else(today);
            let store = open(&cli)?;
            let view = store.today(on)?;
            print(cli.json, &view, |v| {
                let mut out = vec![format!("{}", long_date(v.on))];
                out.push(String::new());
                if v.visits.is_empty() {
                    out.push("No visits planned.".into());
                }
                for visit in &v.visits {
                    let place = visit.location.as_deref().or(visit.address.as_deref()).map(|p| format!(", {p}")).unwrap_or_default();
                    out.push(format!("{}  {} — {}{place}", visit.planned_for.format("%H:%M"), visit.family_name, visit.contact_type.label()));
                    out.extend(visit.alerts.iter().map(|a| format!("       Alert: {a}")));
                }
                if !v.due.is_empty() {
                    out.push(String::new());
                    out.push("Due:".into());
                }
                for d in &v.due {
                    let flag = match (d.risk, d.overdue) {
                        (true, _) => "  RISK: review today",
                        (false, true) => "  OVERDUE",
                        (false, false) => "",
                    };
                    out.push(format!("{}  {} — {}{flag}", d.due_on, d.family_name, d.what));
                    if d.risk {
                        out.push(match &d.crisis_route {
                            Some(r) => format!("    Crisis route: {}, {} ({}).", r.name, r.phone, r.hours),
                            None => "    No crisis route is set for this family's service: follow your team's risk procedure.".into(),
                        });
                    }
                }
                if !v.drafts.is_empty() {
                    out.push(String::new());
                    out.push("Unsigned drafts:".into());
                }
                for d in &v.drafts {
                    out.push(format!("{}  {} — {}", d.occurred_on, d.family_name, d.first_line));
                }
                out.join("\n")
            });
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
        Command::Template { contact_type } => {
            let contact_type = choice(contact_type, "contact type", &ContactType::ALL, kebab)?;
            // Exactly the text the app's "Use the session record headings" puts in a note.
            print(cli.json, &casebook_domain::session_template(contact_type), |t| t.text.trim_end().to_string());
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
        Command::Rules(command) => rules::run(&cli, command)?,
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
