//! The laptop's store: one SQLCipher database per clinician, opened with their passphrase.
//!
//! - [`keyring`]: the random data key, wrapped by an Argon2id-derived key.
//! - [`schema`]: versioned forward-only migrations.
//! - The append-only event log (SQLite triggers refuse UPDATE and DELETE), with an outbox row
//!   written in the same transaction as each local event.
//! - [`projection`]: current-state tables and the full-text index, derived from the log and
//!   rebuildable from it.
//! - Drafts: the one mutable thing, autosaved, private to their author.

pub mod error;
pub mod forms;
pub mod allocations;
pub mod keyring;
pub mod outbox;
use casebook_private_files as private;
pub mod projection;
pub mod record;
pub mod rules;
pub mod schema;
pub mod team;
/// Passphrase strength now lives in the domain crate, shared with the central store's accounts.
pub use casebook_domain::strength;

pub use error::{Result, StoreError};
pub use forms::FormDraft;
pub use keyring::KdfParams;
pub use outbox::{Acknowledged, RemoteEvent, SetAside, PUSH_BYTES};
pub use record::{
    AgreedActionInput, CaseFilter, ConsultationInput, DueItem, MeasureInput, PersonInput, PlanInput, ReferralCheck, ReferralInput,
    RiskInput, SupervisionInput, TodayDraft, TodayView, TodayVisit,
};
pub use rules::{BankHolidaysInUse, ProfileInUse, RulesInUse};
pub use strength::{passphrase_strength, PassphraseStrength, MIN_PASSPHRASE_CHARS};

use casebook_domain::{
    fold_received, AddendumAdded, AttendanceOutcome, CaseOpened, CaseState, ContactRecorded, ContactType, Event,
    EventBody, EventDraft, Hlc, HybridClock, NoteDrafted, NoteSigned, ValidationError, DEFAULT_MAX_DRIFT_MS,
};
use chrono::{DateTime, NaiveDate, Utc};
use keyring::{DataKey, Keyring};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use ts_rs::TS;
use uuid::Uuid;
use zeroize::Zeroizing;

pub const DATABASE_FILE: &str = "casebook.db";

/// Where "now" comes from. The domain never reads a clock; the store does, through this, so tests
/// can set the laptop's clock a day wrong.
pub trait WallClock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// The clinician's local calendar date, for "not in the future" checks.
    fn today(&self) -> NaiveDate;
}

pub struct SystemClock;

impl WallClock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn today(&self) -> NaiveDate {
        chrono::Local::now().date_naive()
    }
}

#[derive(Clone)]
pub struct StoreOptions {
    pub kdf: KdfParams,
    pub clock: Arc<dyn WallClock>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { kdf: KdfParams::DEFAULT, clock: Arc::new(SystemClock) }
    }
}

/// One line of the caseload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseSummary {
    pub case_id: Uuid,
    /// `None` while the event that opened the case has not reached this laptop.
    pub family_name: Option<String>,
    pub parent_name: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub infant_name: Option<String>,
    pub infant_dob: Option<NaiveDate>,
    pub opened_at: Option<DateTime<Utc>>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub contact_count: u32,
    pub signed_note_count: u32,
    /// This clinician's unsigned drafts on the case.
    pub my_draft_count: u32,
    /// Details changed on two laptops at once, waiting for a person to choose.
    pub conflict_count: u32,
    /// In plain words: "Referral received", "Acknowledged", "Contacted", "Accepted", "Declined",
    /// "Signposted" (the referral's status), "Open" (no referral), "Discharged".
    pub status: String,
    /// The current risk review's overall level.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<casebook_domain::RiskLevel>,
    /// The first-contact deadline, only while no contact has taken place and the referral is open.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact_due: Option<NaiveDate>,
    /// The latest contact that took place (attended).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact_on: Option<NaiveDate>,
    /// The earliest planned contact not yet recorded.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_visit_at: Option<chrono::NaiveDateTime>,
    #[serde(default)]
    pub active_alerts: u32,
    /// A risk item answered above zero has waited for a risk review since this date.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_to_review_since: Option<NaiveDate>,
}

/// A case as the clinician sees it: its state, and their own unsigned drafts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseView {
    pub state: CaseState,
    pub my_drafts: Vec<Draft>,
}

/// An unsigned note, private to its author, saved as they type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Draft {
    pub note_id: Uuid,
    pub case_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub occurred_on: NaiveDate,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Increases by one with every save.
    pub revision: u32,
}

/// What the clinician has typed for a note: saved as a draft, or signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DraftInput {
    pub case_id: Uuid,
    /// The draft being continued; `None` starts a new note.
    #[ts(optional)]
    pub note_id: Option<Uuid>,
    #[ts(optional)]
    pub contact_id: Option<Uuid>,
    pub occurred_on: NaiveDate,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ContactInput {
    pub date: NaiveDate,
    pub contact_type: ContactType,
    pub outcome: AttendanceOutcome,
    #[ts(optional)]
    #[serde(default)]
    pub location: Option<String>,
    /// The planned contact this records (it is then no longer only planned); `None` for a
    /// contact that was not planned in Casebook.
    #[ts(optional)]
    #[serde(default)]
    pub contact_id: Option<Uuid>,
    /// When it actually started.
    #[ts(optional)]
    #[serde(default)]
    pub started_at: Option<chrono::NaiveTime>,
    #[ts(optional)]
    #[serde(default)]
    pub duration_minutes: Option<u16>,
    /// Who was there ("Mum", "baby", "health visitor").
    #[ts(optional, as = "Option<Vec<String>>")]
    #[serde(default)]
    pub attendees: Vec<String>,
    /// Interventions used in the session.
    #[ts(optional, as = "Option<Vec<String>>")]
    #[serde(default)]
    pub interventions: Vec<String>,
}

impl ContactInput {
    /// A contact with only what every contact has; set the other fields as needed.
    pub fn new(date: NaiveDate, contact_type: ContactType, outcome: AttendanceOutcome) -> Self {
        ContactInput {
            date,
            contact_type,
            outcome,
            location: None,
            contact_id: None,
            started_at: None,
            duration_minutes: None,
            attendees: Vec::new(),
            interventions: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SearchHitKind {
    Family,
    Note,
    Addendum,
}

/// One search result. `snippet` marks matched words between U+0002 and U+0003.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SearchHit {
    pub case_id: Uuid,
    pub family_name: Option<String>,
    pub kind: SearchHitKind,
    pub ref_id: Uuid,
    pub snippet: String,
}

pub const SNIPPET_START: char = '\u{2}';
pub const SNIPPET_END: char = '\u{3}';

/// The identity and counters of this laptop's writer. Cloned before each write transaction and
/// restored if it fails, so the per-device sequence stays dense.
#[derive(Clone)]
struct Writer {
    username: String,
    device_id: Uuid,
    last_device_seq: u64,
    clock: HybridClock,
}

pub struct Store {
    dir: PathBuf,
    conn: Connection,
    writer: Writer,
    options: StoreOptions,
    /// Kept (wiped on drop) so a second handle can be opened without the passphrase: the sync
    /// runs on its own handle so that autosave never waits for the network.
    key: DataKey,
}

/// The folder 0700 and the keyring, database and WAL files 0600: a store made before they were
/// kept private is tightened the first time it is opened.
fn make_private(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    private::private_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    for name in [keyring::KEYRING_FILE, DATABASE_FILE, "casebook.db-wal", "casebook.db-shm"] {
        let path = dir.join(name);
        private::private_file_if_present(&path).map_err(|e| StoreError::io(&path, e))?;
    }
    Ok(())
}

fn open_connection(path: &Path, key: &DataKey, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    // `PRAGMA key` must come first; the statement holding the key is wiped after use.
    let literal = key.sqlcipher_literal();
    let statement = Zeroizing::new(format!("PRAGMA key = \"{}\";", literal.as_str()));
    conn.execute_batch(&statement)?;
    // SQLCipher accepts any key and fails only at the first read: read now, so a database that
    // does not belong to this key file says so here rather than halfway through a write.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())).map_err(|_| {
        StoreError::Keyring(format!("{} cannot be read with this key file (is it another store's?)", path.display()))
    })?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;",
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| StoreError::Keyring(format!("a stored id ({s}) is damaged")))
}

impl Store {
    pub fn exists(dir: &Path) -> bool {
        dir.join(DATABASE_FILE).exists() && dir.join(keyring::KEYRING_FILE).exists()
    }

    pub fn create(dir: &Path, passphrase: &str, username: &str) -> Result<Store> {
        Self::create_with(dir, passphrase, username, StoreOptions::default())
    }

    /// Creates a new, empty store. The database is built under a temporary name and moved into
    /// place only after the key file is safely written, so an interrupted `create` can simply be
    /// run again and never leaves a database without its key.
    pub fn create_with(dir: &Path, passphrase: &str, username: &str, options: StoreOptions) -> Result<Store> {
        Self::build(dir, passphrase, username, &options, schema::LATEST, |_| Ok(()))?;
        Self::open_with(dir, passphrase, options)
    }

    /// Builds a store whose schema stops at `version`, seeded by `seed`, as an older Casebook
    /// would have left it: for testing every migration path. Not for use outside tests.
    #[doc(hidden)]
    pub fn create_at_version_for_tests(
        dir: &Path,
        passphrase: &str,
        username: &str,
        options: &StoreOptions,
        version: i64,
        seed: impl FnOnce(&Transaction) -> Result<()>,
    ) -> Result<()> {
        Self::build(dir, passphrase, username, options, version, seed)
    }

    fn build(
        dir: &Path,
        passphrase: &str,
        username: &str,
        options: &StoreOptions,
        version: i64,
        seed: impl FnOnce(&Transaction) -> Result<()>,
    ) -> Result<()> {
        let db_path = dir.join(DATABASE_FILE);
        if db_path.exists() {
            return Err(StoreError::AlreadyInitialised { dir: dir.to_path_buf() });
        }
        let username = username.trim();
        if username.is_empty() {
            return Err(ValidationError::Empty { field: "Username" }.into());
        }
        let strength = passphrase_strength(passphrase, username);
        if !strength.acceptable {
            return Err(StoreError::WeakPassphrase { advice: strength.advice });
        }
        private::private_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        let store_id = Uuid::new_v4().to_string();
        let (ring, key) = Keyring::create(passphrase, &store_id, options.kdf)?;
        let building = dir.join(format!("{DATABASE_FILE}.new"));
        for leftover in ["", "-wal", "-shm", "-journal"] {
            let p = PathBuf::from(format!("{}{leftover}", building.display()));
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| StoreError::io(&p, e))?;
            }
        }
        // Made here, 0600, before SQLite opens it: SQLite gives the WAL files it creates later the
        // database file's own mode, and the file keeps it when renamed into place.
        private::replace_private_file(&building).map_err(|e| StoreError::io(&building, e))?;
        {
            let mut conn = open_connection(&building, &key, true)?;
            schema::migrate_to(&mut conn, version)?;
            let tx = conn.transaction()?;
            meta_set(&tx, "store_id", &store_id)?;
            meta_set(&tx, "username", username)?;
            meta_set(&tx, "device_id", &Uuid::new_v4().to_string())?;
            meta_set(&tx, "device_seq", "0")?;
            meta_set(&tx, "hlc", "0.0")?;
            meta_set(&tx, "created_at", &options.clock.now().to_rfc3339())?;
            seed(&tx)?;
            tx.commit()?;
            conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        }
        ring.save(dir)?;
        std::fs::rename(&building, &db_path).map_err(|e| StoreError::io(&db_path, e))?;
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StoreError::io(dir, e))?;
        Ok(())
    }

    pub fn open(dir: &Path, passphrase: &str) -> Result<Store> {
        Self::open_with(dir, passphrase, StoreOptions::default())
    }

    pub fn open_with(dir: &Path, passphrase: &str, options: StoreOptions) -> Result<Store> {
        make_private(dir)?;
        let ring = Keyring::load(dir)?;
        let db_path = dir.join(DATABASE_FILE);
        if !db_path.exists() {
            return Err(StoreError::NotInitialised { dir: dir.to_path_buf() });
        }
        let key = ring.unlock(passphrase)?;
        let mut conn = open_connection(&db_path, &key, false)?;
        Self::from_connection(dir, &mut conn, &ring)?;
        let migrated = schema::migrate_to(&mut conn, schema::LATEST)?;
        let writer = Self::load_writer(&conn)?;
        let mut store = Store { dir: dir.to_path_buf(), conn, writer, options, key };
        if migrated {
            // A new schema may add projections: derive them from the log, which is the truth.
            store.rebuild_projections()?;
        }
        Ok(store)
    }

    fn from_connection(dir: &Path, conn: &mut Connection, ring: &Keyring) -> Result<()> {
        if schema::version(conn)? >= 1 {
            if let Some(id) = meta_get(conn, "store_id")? {
                if id != ring.store_id() {
                    return Err(StoreError::Keyring(format!(
                        "the key file in {} belongs to another store",
                        dir.display()
                    )));
                }
            }
        }
        Ok(())
    }

    fn load_writer(conn: &Connection) -> Result<Writer> {
        let missing = || StoreError::Keyring("the store's identity is missing; it may be damaged".into());
        let username = meta_get(conn, "username")?.ok_or_else(missing)?;
        let device_id = parse_uuid(&meta_get(conn, "device_id")?.ok_or_else(missing)?)?;
        let last_device_seq: u64 = meta_get(conn, "device_seq")?.and_then(|s| s.parse().ok()).ok_or_else(missing)?;
        let hlc = meta_get(conn, "hlc")?.ok_or_else(missing)?;
        let (wall, counter) = hlc.split_once('.').ok_or_else(missing)?;
        let last = Hlc::new(wall.parse().map_err(|_| missing())?, counter.parse().map_err(|_| missing())?);
        Ok(Writer { username, device_id, last_device_seq, clock: HybridClock::new(last, DEFAULT_MAX_DRIFT_MS) })
    }

    /// Rewraps the data key under a new passphrase. The database is not rewritten.
    pub fn change_passphrase(dir: &Path, old: &str, new: &str) -> Result<()> {
        let ring = Keyring::load(dir)?;
        let key = ring.unlock(old)?;
        let strength = passphrase_strength(new, "");
        if !strength.acceptable {
            return Err(StoreError::WeakPassphrase { advice: strength.advice });
        }
        ring.rewrap(&key, new)?.save(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn username(&self) -> &str {
        &self.writer.username
    }

    pub fn device_id(&self) -> Uuid {
        self.writer.device_id
    }

    /// Another handle on the same store (its own connection, the same key and identity), for work
    /// that must not hold up the clinician: the sync. Handles may write at the same time; every
    /// write transaction takes SQLite's write lock first and re-reads the device counters inside
    /// it, so sequence numbers stay dense and the clock never goes backwards across handles.
    pub fn second_handle(&self) -> Result<Store> {
        let conn = open_connection(&self.dir.join(DATABASE_FILE), &self.key, false)?;
        let writer = Self::load_writer(&conn)?;
        Ok(Store { dir: self.dir.clone(), conn, writer, options: self.options.clone(), key: self.key.clone() })
    }

    /// Starts a write transaction holding SQLite's write lock from the start, so that two handles
    /// never both read and then fail to upgrade (which SQLite reports as busy without waiting).
    pub(crate) fn begin_write(conn: &mut Connection) -> Result<Transaction<'_>> {
        Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Runs `f` in one transaction; if anything fails, the writer's counters are put back so the
    /// next event gets the sequence number this one would have had.
    fn write<T>(&mut self, f: impl FnOnce(&Transaction, &mut Writer, &dyn WallClock) -> Result<T>) -> Result<T> {
        let snapshot = self.writer.clone();
        let tx = Self::begin_write(&mut self.conn)?;
        let result = self.writer.catch_up(&tx).and_then(|()| f(&tx, &mut self.writer, self.options.clock.as_ref())).and_then(|v| {
            tx.commit()?;
            Ok(v)
        });
        if result.is_err() {
            self.writer = snapshot;
        }
        result
    }

    fn require_case(&self, case_id: Uuid) -> Result<()> {
        let found: Option<i64> = self
            .conn
            .query_row("SELECT 1 FROM events WHERE case_id = ?1 LIMIT 1", [case_id.to_string()], |r| r.get(0))
            .optional()?;
        found.map(|_| ()).ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))
    }

    pub fn open_case(&mut self, details: CaseOpened) -> Result<CaseSummary> {
        let case_id = Uuid::now_v7();
        self.write(|tx, w, clock| w.append(tx, clock, case_id, EventBody::CaseOpened(details)).map(|_| ()))?;
        self.case_summary(case_id)
    }

    /// Records a contact. With `contact_id`, it records how a planned contact went (the planned
    /// one is then no longer shown as planned).
    pub fn record_contact(&mut self, case_id: Uuid, input: ContactInput) -> Result<casebook_domain::Contact> {
        let contact_id = match input.contact_id {
            None => {
                self.require_case(case_id)?;
                Uuid::now_v7()
            }
            Some(planned) => {
                let state = self.case(case_id)?.state;
                if state.contacts.iter().any(|c| c.contact_id == planned) {
                    return Err(StoreError::Refused("That planned contact has already been recorded.".into()));
                }
                if !state.record.planned_contacts.iter().any(|p| p.details.contact_id == planned) {
                    return Err(StoreError::Refused(format!("There is no planned contact with the id {planned} on this case.")));
                }
                planned
            }
        };
        let list = |v: Vec<String>| v.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        let body = EventBody::ContactRecorded(ContactRecorded {
            contact_id,
            date: input.date,
            contact_type: input.contact_type,
            outcome: input.outcome,
            location: input.location.map(|l| l.trim().to_string()).filter(|l| !l.is_empty()),
            started_at: input.started_at,
            duration_minutes: input.duration_minutes,
            attendees: list(input.attendees),
            interventions: list(input.interventions),
        });
        let (_, state) = self.write(|tx, w, clock| w.append(tx, clock, case_id, body))?;
        Ok(state.contacts.into_iter().find(|c| c.contact_id == contact_id).expect("just recorded"))
    }

    /// Autosaves a draft. The first save of a new note also records that a note is in progress.
    pub fn save_draft(&mut self, input: DraftInput) -> Result<Draft> {
        self.require_case(input.case_id)?;
        if input.text.chars().count() > casebook_domain::MAX_NOTE_LEN {
            return Err(ValidationError::TooLong {
                field: "Note text",
                len: input.text.chars().count(),
                max: casebook_domain::MAX_NOTE_LEN,
            }
            .into());
        }
        let note_id = input.note_id.unwrap_or_else(Uuid::now_v7);
        self.refuse_if_signed(note_id)?;
        self.write(|tx, w, clock| {
            let now = clock.now();
            let existing: Option<String> = tx
                .query_row("SELECT case_id FROM drafts WHERE note_id = ?1", [note_id.to_string()], |r| r.get(0))
                .optional()?;
            match existing {
                Some(case) if case != input.case_id.to_string() => return Err(StoreError::DraftCaseMismatch),
                Some(_) => {
                    tx.execute(
                        "UPDATE drafts SET text = ?2, contact_id = ?3, occurred_on = ?4, updated_at = ?5,
                         revision = revision + 1 WHERE note_id = ?1",
                        params![
                            note_id.to_string(),
                            input.text,
                            input.contact_id.map(|c| c.to_string()),
                            input.occurred_on.to_string(),
                            now.to_rfc3339()
                        ],
                    )?;
                }
                None => {
                    let body = EventBody::NoteDrafted(NoteDrafted {
                        note_id,
                        contact_id: input.contact_id,
                        occurred_on: input.occurred_on,
                    });
                    w.append(tx, clock, input.case_id, body)?;
                    tx.execute(
                        "INSERT INTO drafts (note_id, case_id, author, contact_id, occurred_on, text, created_at, updated_at, revision)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1)",
                        params![
                            note_id.to_string(),
                            input.case_id.to_string(),
                            w.username,
                            input.contact_id.map(|c| c.to_string()),
                            input.occurred_on.to_string(),
                            input.text,
                            now.to_rfc3339()
                        ],
                    )?;
                }
            }
            Ok(())
        })?;
        self.draft(note_id)?.ok_or_else(|| StoreError::NoteNotFound(note_id.to_string()))
    }

    fn refuse_if_signed(&self, note_id: Uuid) -> Result<()> {
        let signed: Option<i64> = self
            .conn
            .query_row("SELECT 1 FROM signed_notes WHERE note_id = ?1", [note_id.to_string()], |r| r.get(0))
            .optional()?;
        match signed {
            Some(_) => Err(StoreError::NoteAlreadySigned(note_id)),
            None => Ok(()),
        }
    }

    pub fn draft(&self, note_id: Uuid) -> Result<Option<Draft>> {
        Ok(self
            .conn
            .query_row(
                &format!("{DRAFT_SELECT} WHERE note_id = ?1"),
                [note_id.to_string()],
                draft_from_row,
            )
            .optional()?)
    }

    /// This clinician's unsigned drafts, newest first (all cases when `case_id` is `None`).
    pub fn drafts(&self, case_id: Option<Uuid>) -> Result<Vec<Draft>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{DRAFT_SELECT} WHERE author = ?1 AND (?2 IS NULL OR case_id = ?2) ORDER BY updated_at DESC, note_id"
        ))?;
        let rows = stmt.query_map(params![self.writer.username, case_id.map(|c| c.to_string())], draft_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Signs a note: its text becomes permanent, and its draft (if any) is removed in the same
    /// transaction, so a crash leaves either the draft or the signed note, never neither.
    pub fn sign_note(&mut self, input: DraftInput) -> Result<casebook_domain::SignedNote> {
        self.require_case(input.case_id)?;
        let note_id = input.note_id.unwrap_or_else(Uuid::now_v7);
        self.refuse_if_signed(note_id)?;
        if let Some(d) = self.draft(note_id)? {
            if d.case_id != input.case_id {
                return Err(StoreError::DraftCaseMismatch);
            }
        }
        let body = EventBody::NoteSigned(NoteSigned {
            note_id,
            contact_id: input.contact_id,
            occurred_on: input.occurred_on,
            text: input.text,
        });
        let state = self.write(|tx, w, clock| {
            let (_, state) = w.append(tx, clock, input.case_id, body)?;
            tx.execute("DELETE FROM drafts WHERE note_id = ?1", [note_id.to_string()])?;
            Ok(state)
        })?;
        Ok(state.signed_note(note_id).cloned().expect("just signed"))
    }

    pub fn add_addendum(&mut self, note_id: Uuid, reason: &str, text: &str) -> Result<casebook_domain::Addendum> {
        let case_id: String = self
            .conn
            .query_row("SELECT case_id FROM signed_notes WHERE note_id = ?1", [note_id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NoteNotFound(note_id.to_string()))?;
        let case_id = parse_uuid(&case_id)?;
        let addendum_id = Uuid::now_v7();
        let body = EventBody::AddendumAdded(AddendumAdded {
            addendum_id,
            note_id,
            reason: reason.trim().to_string(),
            text: text.to_string(),
        });
        let (_, state) = self.write(|tx, w, clock| w.append(tx, clock, case_id, body))?;
        let note = state.signed_note(note_id).expect("note exists");
        Ok(note.addenda.iter().find(|a| a.addendum_id == addendum_id).cloned().expect("just added"))
    }

    /// Changes one detail of a family (phone number, address…), based on the version(s) this
    /// laptop holds. If someone else changed it meanwhile on another laptop, both values are kept
    /// and shown as a conflict; choosing a value here while in conflict resolves it.
    pub fn change_detail(
        &mut self,
        case_id: Uuid,
        field: casebook_domain::DetailField,
        value: Option<String>,
    ) -> Result<casebook_domain::FieldState> {
        let state = self.case(case_id)?.state;
        let value = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let body = EventBody::DetailChanged(casebook_domain::DetailChanged { field, value, based_on: state.based_on(field) });
        let (_, state) = self.write(|tx, w, clock| w.append(tx, clock, case_id, body))?;
        Ok(state.field(field).cloned().expect("just changed"))
    }

    /// The events of one case, in the order they fold.
    pub fn case_events(&self, case_id: Uuid) -> Result<Vec<Event>> {
        projection::case_events(&self.conn, case_id)
    }

    pub fn case(&self, case_id: Uuid) -> Result<CaseView> {
        let events = self.case_events(case_id)?;
        if events.is_empty() {
            return Err(StoreError::CaseNotFound(case_id.to_string()));
        }
        let receipts = projection::receipts(&self.conn, case_id)?;
        Ok(CaseView { state: fold_received(case_id, &events, &receipts), my_drafts: self.drafts(Some(case_id))? })
    }

    pub fn case_summary(&self, case_id: Uuid) -> Result<CaseSummary> {
        let mut list = self.query_cases(Some(case_id))?;
        list.pop().ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))
    }

    /// The caseload, by family name.
    /// The caseload: every case on this laptop except referrals waiting in the team's inbox
    /// (they are listed by [`Store::inbox`]).
    pub fn list_cases(&self) -> Result<Vec<CaseSummary>> {
        let inbox = self.inbox_case_ids()?;
        Ok(self.query_cases(None)?.into_iter().filter(|c| !inbox.contains(&c.case_id)).collect())
    }

    /// Every case on this laptop, the inbox's included (for checks and exports over everything held).
    pub fn all_cases(&self) -> Result<Vec<CaseSummary>> {
        self.query_cases(None)
    }

    fn query_cases(&self, only: Option<Uuid>) -> Result<Vec<CaseSummary>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.case_id, c.family_name, c.parent_name, c.due_date, c.infant_name, c.infant_dob,
                    c.opened_at, c.last_activity_at, c.contact_count, c.signed_note_count,
                    (SELECT count(*) FROM drafts d WHERE d.case_id = c.case_id AND d.author = ?1),
                    c.conflict_count, c.status, c.risk, c.first_contact_due, c.last_contact_on,
                    c.next_visit_at, c.active_alerts, c.risk_to_review_since
             FROM cases c WHERE ?2 IS NULL OR c.case_id = ?2
             ORDER BY c.family_name COLLATE NOCASE, c.case_id",
        )?;
        let rows = stmt.query_map(params![self.writer.username, only.map(|c| c.to_string())], |r| {
            Ok((
                r.get::<_, String>(0)?,
                CaseSummary {
                    case_id: Uuid::nil(),
                    family_name: r.get(1)?,
                    parent_name: r.get(2)?,
                    due_date: r.get::<_, Option<String>>(3)?.and_then(|d| d.parse().ok()),
                    infant_name: r.get(4)?,
                    infant_dob: r.get::<_, Option<String>>(5)?.and_then(|d| d.parse().ok()),
                    opened_at: r.get::<_, Option<String>>(6)?.and_then(|d| d.parse().ok()),
                    last_activity_at: r.get::<_, Option<String>>(7)?.and_then(|d| d.parse().ok()),
                    contact_count: r.get(8)?,
                    signed_note_count: r.get(9)?,
                    my_draft_count: r.get(10)?,
                    conflict_count: r.get(11)?,
                    status: r.get(12)?,
                    risk: r.get::<_, Option<String>>(13)?.and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok()),
                    first_contact_due: r.get::<_, Option<String>>(14)?.and_then(|d| d.parse().ok()),
                    last_contact_on: r.get::<_, Option<String>>(15)?.and_then(|d| d.parse().ok()),
                    next_visit_at: r.get::<_, Option<String>>(16)?.and_then(|d| d.parse().ok()),
                    active_alerts: r.get(17)?,
                    risk_to_review_since: r.get::<_, Option<String>>(18)?.and_then(|d| d.parse().ok()),
                },
            ))
        })?;
        rows.map(|row| {
            let (id, mut summary) = row?;
            summary.case_id = parse_uuid(&id)?;
            Ok(summary)
        })
        .collect()
    }

    /// Full-text search over family names, signed notes and addenda. Each word typed matches as a
    /// prefix, so results appear as the clinician types.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        projection::search(&self.conn, query, limit)
    }

    /// Number of local events not yet acknowledged by the central store.
    pub fn outbox_len(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Throws away every projection and derives it again from the event log.
    pub fn rebuild_projections(&mut self) -> Result<()> {
        let tx = Self::begin_write(&mut self.conn)?;
        projection::rebuild(&tx, self.options.clock.now())?;
        tx.commit()?;
        Ok(())
    }

    /// A deterministic text dump of every projection table and the search index, for proving that a
    /// rebuild gives identical results.
    pub fn projection_dump(&self) -> Result<String> {
        projection::dump(&self.conn)
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Direct access for tests and tools that must prove what the database itself refuses.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Now, on this laptop's clock (the one the store was opened with).
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.options.clock.now()
    }
}

impl Writer {
    /// Takes in what another handle on the same store has written since this one last looked:
    /// its device sequence and its clock (raised by events it received).
    fn catch_up(&mut self, tx: &Transaction) -> Result<()> {
        let stored = Store::load_writer(tx)?;
        self.last_device_seq = self.last_device_seq.max(stored.last_device_seq);
        if stored.clock.last() > self.clock.last() {
            self.clock = HybridClock::new(stored.clock.last(), self.clock.max_drift_ms());
        }
        Ok(())
    }

    /// Appends one local event: validated, stamped, logged, queued for sending and projected, all
    /// inside the caller's transaction.
    fn append(&mut self, tx: &Transaction, clock: &dyn WallClock, case_id: Uuid, body: EventBody) -> Result<(Event, CaseState)> {
        body.validate(clock.today())?;
        let now = clock.now();
        let hlc = self.clock.tick(now.timestamp_millis().max(0) as u64);
        self.last_device_seq += 1;
        let event = EventDraft {
            id: Uuid::now_v7(),
            case_id,
            author: self.username.clone(),
            device_id: self.device_id,
            device_seq: self.last_device_seq,
            hlc,
            recorded_at: now,
            body,
        }
        .seal();
        // Admin staff's laptops refuse clinical entries at once, in words, rather than leave the
        // central store to set them aside later (it refuses them all the same).
        let role: Option<String> = tx
            .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
            .query_row([team::TEAM_ROLE_KEY], |r| r.get(0))
            .optional()?;
        if role.as_deref() == Some("admin") && !casebook_domain::roles::admin_may_write(&event) {
            return Err(StoreError::Refused(
                "Admin staff log referrals, contact details and appointments; clinical entries are written by the family's clinicians.".into(),
            ));
        }
        projection::insert_event(tx, &event)?;
        tx.execute(
            "INSERT INTO outbox (event_id, queued_at) VALUES (?1, ?2)",
            params![event.id.to_string(), now.to_rfc3339()],
        )?;
        meta_set(tx, "device_seq", &self.last_device_seq.to_string())?;
        meta_set(tx, "hlc", &format!("{}.{}", hlc.wall_ms, hlc.counter))?;
        let state = projection::refresh_case(tx, case_id)?;
        Ok((event, state))
    }
}

const DRAFT_SELECT: &str =
    "SELECT note_id, case_id, contact_id, occurred_on, text, created_at, updated_at, revision FROM drafts";

fn draft_from_row(r: &rusqlite::Row) -> rusqlite::Result<Draft> {
    let uuid = |i: usize| -> rusqlite::Result<Uuid> {
        let s: String = r.get(i)?;
        Uuid::parse_str(&s).map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into()))
    };
    let parse_err = |i: usize, e: chrono::ParseError| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(Draft {
        note_id: uuid(0)?,
        case_id: uuid(1)?,
        contact_id: r.get::<_, Option<String>>(2)?.and_then(|s| Uuid::parse_str(&s).ok()),
        occurred_on: r.get::<_, String>(3)?.parse().map_err(|e| parse_err(3, e))?,
        text: r.get(4)?,
        created_at: r.get::<_, String>(5)?.parse().map_err(|e| parse_err(5, e))?,
        updated_at: r.get::<_, String>(6)?.parse().map_err(|e| parse_err(6, e))?,
        revision: r.get(7)?,
    })
}

/// The application identifier, shared with the desktop shell so that the app and the `casebook`
/// command find the same store by default.
pub const APP_IDENTIFIER: &str = "org.casebook.desktop";

/// Where the store lives when no directory is given: the OS data directory
/// (`~/.local/share/org.casebook.desktop` on Linux), the same place the app uses.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join(APP_IDENTIFIER))
}

/// What applying a page of events from the central store did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ApplyReport {
    /// Events new to this laptop.
    pub stored: u32,
    /// Events it already held (a repeated page): harmless.
    pub already_held: u32,
    /// Signed notes among the new events.
    pub notes: u32,
    /// Other records a clinician would recognise among them (not internal markers such as "a
    /// note was started").
    pub records: u32,
    /// Events refused because this laptop holds a different event under the same id.
    pub refused: Vec<Uuid>,
    /// Open detail conflicts on the cases this page touched.
    pub conflicts: u32,
}

impl Store {
    pub fn sync_value(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_sync_value(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, v],
            )?,
            None => self.conn.execute("DELETE FROM sync_state WHERE key = ?1", [key])?,
        };
        Ok(())
    }

    /// Stores a page of events from the central store and moves the pull cursor, in one
    /// transaction: an interruption leaves either the whole page and its cursor or neither.
    /// Events are never re-validated against this laptop's date (a colleague's clock may differ),
    /// but each must match its content hash.
    pub fn apply_remote(&mut self, events: &[RemoteEvent], cursor_key: &str, cursor: &str) -> Result<ApplyReport> {
        self.apply_remote_inner(events, Some((cursor_key, cursor)))
    }

    /// Stores events fetched to repair a case, without moving the pull cursor.
    pub fn apply_repair(&mut self, events: &[RemoteEvent]) -> Result<ApplyReport> {
        self.apply_remote_inner(events, None)
    }

    fn apply_remote_inner(&mut self, events: &[RemoteEvent], cursor: Option<(&str, &str)>) -> Result<ApplyReport> {
        let wall_ms = self.options.clock.now().timestamp_millis().max(0) as u64;
        let snapshot = self.writer.clone();
        let tx = Self::begin_write(&mut self.conn)?;
        self.writer.catch_up(&tx)?;
        let mut report = ApplyReport::default();
        let mut touched = std::collections::BTreeSet::new();
        let result = (|| -> Result<()> {
            for RemoteEvent { seq, event: e, received_at, flag } in events {
                e.verify()?;
                let existing: Option<String> = tx
                    .prepare_cached("SELECT content_hash FROM events WHERE id = ?1")?
                    .query_row([e.id.to_string()], |r| r.get(0))
                    .optional()?;
                match existing {
                    Some(hash) if hash == e.content_hash => report.already_held += 1,
                    Some(_) => {
                        report.refused.push(e.id);
                        continue;
                    }
                    None => {
                        projection::insert_event(&tx, e)?;
                        // Later local events sort after what was read; a timestamp implausibly far
                        // ahead is stored (never lose a note) but does not drag our clock along.
                        let _ = self.writer.clock.observe(e.hlc, wall_ms);
                        report.stored += 1;
                        match e.body {
                            EventBody::NoteSigned(_) => report.notes += 1,
                            EventBody::NoteDrafted(_) => {}
                            _ => report.records += 1,
                        }
                        touched.insert(e.case_id);
                    }
                }
                tx.prepare_cached("INSERT INTO server_seq (event_id, seq, received_at, flag) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (event_id) DO UPDATE SET seq = excluded.seq,
                        received_at = coalesce(server_seq.received_at, excluded.received_at), flag = coalesce(excluded.flag, server_seq.flag)")?
                    .execute(params![e.id.to_string(), *seq as i64, received_at.map(|t| t.to_rfc3339()), flag])?;
                // What the central store says of an event can change how its case folds (which
                // of two signatures it took first), so the case is refreshed either way.
                touched.insert(e.case_id);
            }
            for case_id in &touched {
                report.conflicts += projection::refresh_case(&tx, *case_id)?.conflicts.len() as u32;
            }
            let hlc = self.writer.clock.last();
            meta_set(&tx, "hlc", &format!("{}.{}", hlc.wall_ms, hlc.counter))?;
            if let Some((key, value)) = cursor {
                tx.execute(
                    "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )?;
            }
            Ok(())
        })();
        match result.and_then(|()| tx.commit().map_err(StoreError::from)) {
            Ok(()) => Ok(report),
            Err(e) => {
                self.writer = snapshot;
                Err(e)
            }
        }
    }

    /// Every event id this laptop holds for a case, for comparing digests with the central store.
    pub fn case_event_ids(&self, case_id: Uuid) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM events WHERE case_id = ?1")?;
        let ids = stmt
            .query_map([case_id.to_string()], |r| r.get::<_, String>(0))?
            .map(|r| r.map_err(StoreError::from).and_then(|s| parse_uuid(&s)))
            .collect::<Result<Vec<_>>>()?;
        Ok(ids)
    }

    /// Signed notes waiting to be sent (for the warning before locking or quitting).
    pub fn unsent_signed_notes(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM outbox o JOIN events e ON e.id = o.event_id WHERE e.kind IN ('note_signed', 'addendum_added')",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}

impl Store {
    /// Details in conflict across the whole caseload.
    pub fn open_conflicts(&self) -> Result<u32> {
        Ok(self.conn.query_row("SELECT coalesce(sum(conflict_count), 0) FROM cases", [], |r| r.get(0))?)
    }
}

/// Why a case that is no longer allocated to this clinician stays on the laptop for now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum PurgeOutcome {
    /// Removed from this laptop.
    Removed,
    /// Something written for it has not been sent yet; it goes once that is sent.
    WaitingToSend,
    /// The clinician has an unsigned draft on it: finish or discard it first.
    DraftOpen,
    /// This laptop never held it.
    NotHeld,
}

impl Store {
    /// Removes a case that is no longer allocated to this clinician, but never while anything
    /// written for it is unsent or a draft of theirs is open: unsent work is never wiped.
    pub fn purge_case(&mut self, case_id: Uuid) -> Result<PurgeOutcome> {
        let id = case_id.to_string();
        let count = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [&id], |r| r.get(0))?) };
        if count("SELECT count(*) FROM events WHERE case_id = ?1")? == 0 {
            return Ok(PurgeOutcome::NotHeld);
        }
        if count("SELECT count(*) FROM outbox o JOIN events e ON e.id = o.event_id WHERE e.case_id = ?1")? > 0 {
            return Ok(PurgeOutcome::WaitingToSend);
        }
        if count("SELECT count(*) FROM drafts WHERE case_id = ?1")? > 0 {
            return Ok(PurgeOutcome::DraftOpen);
        }
        // Entries the central store refused are never wiped: they stay with their reason.
        if count("SELECT count(*) FROM set_aside s JOIN events e ON e.id = s.event_id WHERE e.case_id = ?1")? > 0 {
            return Ok(PurgeOutcome::WaitingToSend);
        }
        let tx = Self::begin_write(&mut self.conn)?;
        tx.execute("INSERT INTO case_purge (case_id) VALUES (?1)", [&id])?;
        tx.execute("INSERT INTO projection_rebuild (started_at) VALUES ('purge')", [])?;
        tx.execute_batch(&format!(
            "DELETE FROM server_seq WHERE event_id IN (SELECT id FROM events WHERE case_id = '{id}');
             DELETE FROM events WHERE case_id = '{id}';
             DELETE FROM cases WHERE case_id = '{id}';
             DELETE FROM contacts WHERE case_id = '{id}';
             DELETE FROM signed_notes WHERE case_id = '{id}';
             DELETE FROM addenda WHERE case_id = '{id}';
             DELETE FROM search_index WHERE case_id = '{id}';
             DELETE FROM planned_visits WHERE case_id = '{id}';
             DELETE FROM due_items WHERE case_id = '{id}';
             DELETE FROM case_allocations WHERE case_id = '{id}';"
        ))?;
        tx.execute("DELETE FROM projection_rebuild", [])?;
        tx.execute("DELETE FROM case_purge", [])?;
        tx.commit()?;
        Ok(PurgeOutcome::Removed)
    }

    /// Puts this laptop's own events back in the outbox: the central store has lost them (it was
    /// restored from an older backup) and they must be sent again. Returns how many were queued.
    pub fn requeue_own(&mut self, event_ids: &[Uuid]) -> Result<u32> {
        let tx = Self::begin_write(&mut self.conn)?;
        let mut queued = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO outbox (event_id, queued_at)
                 SELECT id, ?2 FROM events WHERE id = ?1 AND device_id = ?3
                   AND NOT EXISTS (SELECT 1 FROM set_aside s WHERE s.event_id = ?1)",
            )?;
            let now = self.options.clock.now().to_rfc3339();
            for id in event_ids {
                queued += insert.execute(params![id.to_string(), now, self.writer.device_id.to_string()])? as u32;
            }
        }
        tx.commit()?;
        Ok(queued)
    }

    /// The highest sequence number the central store has given any event this laptop holds.
    pub fn max_server_seq(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT coalesce(max(seq), 0) FROM server_seq", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// This clinician's drafts whose latest revision the central store does not hold yet.
    pub fn drafts_to_back_up(&self) -> Result<Vec<Draft>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{DRAFT_SELECT} WHERE author = ?1 AND revision > backed_up_revision ORDER BY updated_at, note_id"
        ))?;
        let rows = stmt.query_map([&self.writer.username], draft_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that the central store holds `revision` of a draft.
    pub fn draft_backed_up(&mut self, note_id: Uuid, revision: u32) -> Result<()> {
        self.conn.execute(
            "UPDATE drafts SET backed_up_revision = max(backed_up_revision, ?2) WHERE note_id = ?1",
            params![note_id.to_string(), revision],
        )?;
        Ok(())
    }

    /// Brings back a draft from the central store's private backup onto this laptop (after a new
    /// laptop signs in), unless the note is already signed or a local draft exists.
    pub fn restore_draft(&mut self, draft: &Draft) -> Result<bool> {
        if self.draft(draft.note_id)?.is_some() || self.refuse_if_signed(draft.note_id).is_err() || self.require_case(draft.case_id).is_err() {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO drafts (note_id, case_id, author, contact_id, occurred_on, text, created_at, updated_at, revision, backed_up_revision)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?8)",
            params![
                draft.note_id.to_string(),
                draft.case_id.to_string(),
                self.writer.username,
                draft.contact_id.map(|c| c.to_string()),
                draft.occurred_on.to_string(),
                draft.text,
                draft.updated_at.to_rfc3339(),
                draft.revision
            ],
        )?;
        Ok(true)
    }

    /// Number of cases on this laptop.
    pub fn case_count(&self) -> Result<u32> {
        Ok(self.conn.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?)
    }
}
