//! One storage trait, two backends: SQLite (default, embedded, one file) and PostgreSQL.
//!
//! The trait holds no rules beyond what must be atomic in the database (sequence allocation,
//! "store each event once", allocation on first write); validation and access decisions that need
//! no transaction live in the service layer above it, so both backends share them.

pub mod sqlite;
pub mod postgres;
mod postgres_push;
pub mod pg_tls;

use async_trait::async_trait;
use casebook_domain::Event;
use casebook_protocol::{AuditEntry, CaseAllocation, CaseDigest, Cursor, DraftBackup, PulledEvent, PushResult, Role};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use thiserror::Error;
use uuid::Uuid;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("there is no team called '{0}'")]
    NoSuchTeam(String),
    #[error("there is no user called '{0}'")]
    NoSuchUser(String),
    #[error("there is already a {what} called '{name}'")]
    Exists { what: &'static str, name: String },
    #[error("event {id} was already stored with different content; it has been refused")]
    ConflictingEvent { index: usize, id: Uuid },
    #[error("{username} may not write to case {case_id}: it is not allocated to them")]
    CaseNotAllowed { index: usize, case_id: Uuid, username: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("the database reported a problem: {0}")]
    Backend(String),
}

/// Why a store could not be opened, re-keyed, encrypted or restored: things IT can fix before the
/// server starts, as opposed to the failures of a request.
#[derive(Debug, Error)]
pub enum OpenError {
    #[error("{} could not be opened with the key given: it was encrypted with another key, or it is not a Casebook store (check --key-file or CASEBOOK_SERVER_KEY, and --backup-key-file for a backup)", path.display())]
    WrongKey { path: PathBuf },
    #[error("{} is not encrypted; stop the server and run `casebook-server encrypt` to encrypt it with the configured key", path.display())]
    NotEncrypted { path: PathBuf },
    #[error("{} is already encrypted", path.display())]
    AlreadyEncrypted { path: PathBuf },
    #[error("there is no central store at {}", path.display())]
    NoStore { path: PathBuf },
    #[error("{} is in use by another process (is the server running?); stop it first", path.display())]
    InUse { path: PathBuf },
    #[error("could not make {} private to the server's account: {source}", path.display())]
    Permissions { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Key(#[from] crate::key::KeyError),
    /// Connecting to PostgreSQL over TLS failed or was refused; the sentence says why.
    #[error("{0}")]
    Tls(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<rusqlite::Error> for OpenError {
    fn from(e: rusqlite::Error) -> Self {
        OpenError::Storage(e.into())
    }
}

impl From<tokio_postgres::Error> for OpenError {
    fn from(e: tokio_postgres::Error) -> Self {
        OpenError::Storage(e.into())
    }
}

/// A store that can no longer be reached mid-service (a reconnect refused) is a request's failure.
impl From<OpenError> for StorageError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Storage(e) => e,
            other => StorageError::Backend(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                StorageError::Backend(format!("constraint failed: {}", msg.unwrap_or_default()))
            }
            other => StorageError::Backend(other.to_string()),
        }
    }
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(e: tokio_postgres::Error) -> Self {
        StorageError::Backend(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub team: String,
    pub role: Role,
    pub password_hash: String,
    pub failed_logins: u32,
    pub locked_until: Option<DateTime<Utc>>,
    /// Set by IT (`user disable`): the account can neither sign in nor use its tokens.
    pub disabled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceRecord {
    pub id: Uuid,
    pub username: String,
    pub name: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub device_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// What an access token leads to, looked up in one go: the token, its device (absent if the
/// device or its user is gone) and the device's user (absent if the account no longer exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    pub token: TokenRecord,
    pub device: Option<DeviceRecord>,
    pub user: Option<UserRecord>,
}

/// The audit rows a push leaves: one per case the batch touched, saying how many of its events
/// were new, how many were already held and how many were refused (each refusal is also recorded
/// on its own, as a security event, by the service).
pub fn push_audit_entries(user: &UserRecord, device_id: Uuid, events: &[Event], results: &[PushResult], at: DateTime<Utc>) -> Vec<AuditEntry> {
    let mut per_case: std::collections::BTreeMap<Uuid, (usize, usize, usize)> = std::collections::BTreeMap::new();
    for (e, r) in events.iter().zip(results) {
        let entry = per_case.entry(e.case_id).or_default();
        if r.refused.is_some() {
            entry.2 += 1
        } else if r.stored_now {
            entry.0 += 1
        } else {
            entry.1 += 1
        }
    }
    per_case
        .into_iter()
        .map(|(case_id, (new, repeated, refused))| AuditEntry {
            at,
            username: user.username.clone(),
            device_id: Some(device_id),
            action: "push".into(),
            case_id: Some(case_id),
            detail: if refused == 0 {
                format!("wrote {new} events ({repeated} already held)")
            } else {
                format!("wrote {new} events ({repeated} already held, {refused} refused)")
            },
            source: None,
        })
        .collect()
}

/// The note ids of a batch's signed notes that were stored (or already held), whose draft
/// backups a push removes. A refused signature leaves its draft backup in place.
pub fn signed_note_ids(events: &[Event], results: &[PushResult]) -> Vec<Uuid> {
    events
        .iter()
        .zip(results)
        .filter(|(_, r)| r.refused.is_none())
        .filter_map(|(e, _)| match &e.body {
            casebook_domain::EventBody::NoteSigned(n) => Some(n.note_id),
            _ => None,
        })
        .collect()
}

/// The claims every stored event makes, worked out from events kept before claims were recorded,
/// in the order they were stored: the first holder of a claim keeps it.
pub fn claims_of(stored: impl IntoIterator<Item = Event>) -> Vec<(Uuid, String, Uuid)> {
    stored.into_iter().filter_map(|e| e.claim().map(|c| (e.case_id, c.to_string(), e.id))).collect()
}

/// What settling a squatted case did (see [`Storage::settle_case`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSettled {
    /// The team the case had been taken by.
    pub from_team: String,
    /// Entries of the case set aside: kept in the store, never again sent to any laptop.
    pub entries_set_aside: u64,
    /// Laptops whose entries in the case are set aside (every laptop that had written to it).
    pub laptops_set_aside: u64,
    /// Accounts that held the case and no longer do (bytewise order).
    pub taken_from: Vec<String>,
}

/// Who may be given a settled case: accounts of the rightful team, never an administrator. `found`
/// is each named account as the store has it (username, team, role), or None when there is no
/// such account. One check for both backends.
pub fn check_settle_holders(team: &str, named: &[(String, Option<(String, Role)>)]) -> Result<()> {
    if named.is_empty() {
        return Err(StorageError::Unsupported("name at least one clinician or lead of the rightful team to give the case to (--allocate)".into()));
    }
    for (username, found) in named {
        match found {
            None => return Err(StorageError::NoSuchUser(username.clone())),
            Some((_, Role::Admin)) => {
                return Err(StorageError::Unsupported(format!("the account {username} is an administrator, and administrators never hold cases; name a clinician or a lead")))
            }
            Some((their_team, _)) if their_team != team => {
                return Err(StorageError::Unsupported(format!("the account {username} is on {their_team}, not {team}; the case can only be given to people of the team it belongs to")))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Who gained and who lost a case when its triage decisions were applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriageChanges {
    pub granted: Vec<String>,
    pub taken_away: Vec<String>,
}

impl TriageChanges {
    pub fn is_empty(&self) -> bool {
        self.granted.is_empty() && self.taken_away.is_empty()
    }
}

/// What applying a case's triage decisions changes, given its team (username, role, whether they
/// hold the case now): everyone a standing decision to accept names gets the case; a clinician
/// who holds it and is named by none loses it (their laptop is told, as for a deallocation).
/// Leads and admin staff keep their team-wide access. No decision: nothing changes. One rule for
/// both backends.
pub fn triage_changes(decisions: &[Event], team: &[(String, String, bool)]) -> TriageChanges {
    let triaged: Vec<&casebook_domain::ReferralTriaged> = decisions
        .iter()
        .filter_map(|e| match &e.body {
            casebook_domain::EventBody::ReferralTriaged(t) => Some(t),
            _ => None,
        })
        .collect();
    let Some(holders) = casebook_domain::triage::holders(&triaged) else { return TriageChanges::default() };
    let mut changes = TriageChanges::default();
    for (username, role, holds) in team {
        let named = holders.contains(username);
        match role.as_str() {
            "admin" => {}
            _ if named && !holds => changes.granted.push(username.clone()),
            "clinician" if !named && *holds => changes.taken_away.push(username.clone()),
            _ => {}
        }
    }
    changes.granted.sort();
    changes.taken_away.sort();
    changes
}

/// An audit row with its place in the table, for exporting the audit in the order it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Increases with every row written; a reader resumes after the last one it saw.
    pub id: u64,
    pub entry: AuditEntry,
}

/// One page of a user's feed.
#[derive(Debug, Clone)]
pub struct PullPage {
    pub events: Vec<PulledEvent>,
    pub next_cursor: Cursor,
    pub more: bool,
    pub access_removed: Vec<Uuid>,
}

/// Sign-in attempts counted in one throttling bucket, as they stood before the attempt just
/// counted (see `Accounts::signin_attempt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SigninCount {
    pub attempts: u32,
    pub last_at: Option<DateTime<Utc>>,
}

/// Accounts as IT administers them, and the sign-in throttle's counters. Kept apart from the sync
/// storage so that it lives in files of its own in each backend.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Replaces the password and clears the account's sign-in slow-downs.
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()>;
    /// Disables the account from `at` (its access tokens are refused from then on), or enables it
    /// again with `None`.
    async fn set_disabled(&self, username: &str, at: Option<DateTime<Utc>>) -> Result<()>;
    /// Changes the role. Becoming a lead grants every case of the team; ceasing to be one takes
    /// away the team's cases the user did not create (their laptop is told, as for a
    /// deallocation).
    async fn set_role(&self, username: &str, role: Role) -> Result<()>;
    /// Moves the user to another team. A lead's team-wide access moves with them, as in `set_role`.
    async fn set_team(&self, username: &str, team: &str) -> Result<()>;
    /// Names a clinician as a supervisor (who, like a lead, records case supervision on the cases
    /// they hold), or stops naming them.
    async fn set_supervisor(&self, username: &str, supervisor: bool) -> Result<()>;
    /// Whether the account is a named supervisor.
    async fn is_supervisor(&self, username: &str) -> Result<bool>;
    /// Clears the account's consecutive failures and every throttling bucket naming it.
    async fn unlock(&self, username: &str) -> Result<()>;
    /// Counts one attempt in `bucket` (created on first use; started afresh when its last attempt
    /// is before `forget_before`) and returns the count as it was before, in one statement so
    /// that simultaneous attempts each see a different count.
    async fn signin_attempt(&self, bucket: &str, username: &str, at: DateTime<Utc>, forget_before: DateTime<Utc>) -> Result<SigninCount>;
    /// Forgets a bucket (a successful sign-in from that address to that account).
    async fn signin_clear(&self, bucket: &str) -> Result<()>;
    /// Takes one attempt back out of a bucket (a successful sign-in is not held against its
    /// address).
    async fn signin_forgive(&self, bucket: &str) -> Result<()>;
    /// Ends one access token (sign-out). False when there was no such token.
    async fn revoke_token(&self, token_hash: &str) -> Result<bool>;
    /// Ends every access token of a device (it signed in again with a new credential).
    async fn revoke_device_tokens(&self, device_id: Uuid) -> Result<()>;
}

/// Everything the central store keeps. Implementations must make `push` atomic (all of a batch or
/// none of it) and must make sequence numbers visible in commit order: no puller may ever see seq
/// N+1 and later find N.
#[async_trait]
pub trait Storage: Accounts + Send + Sync + 'static {
    /// Creates or upgrades the schema. Safe to run on every start.
    async fn migrate(&self) -> Result<()>;

    async fn add_team(&self, name: &str) -> Result<()>;
    async fn add_user(&self, username: &str, team: &str, role: Role, password_hash: &str) -> Result<()>;
    async fn user(&self, username: &str) -> Result<Option<UserRecord>>;
    /// Records a failed login and returns the number of consecutive failures; in the same
    /// statement, locks the account until `lock_until` once that number reaches `lock_after`, so
    /// simultaneous wrong passwords cannot slip past the limit.
    async fn login_failed(&self, username: &str, lock_after: u32, lock_until: DateTime<Utc>) -> Result<u32>;
    async fn login_succeeded(&self, username: &str) -> Result<()>;

    async fn add_device(&self, device: &DeviceRecord) -> Result<()>;
    async fn device(&self, id: Uuid) -> Result<Option<DeviceRecord>>;
    /// Replaces a device's credential (the clinician signed in again on the same laptop).
    async fn renew_device_secret(&self, id: Uuid, secret_hash: &str) -> Result<()>;
    async fn devices(&self) -> Result<Vec<DeviceRecord>>;
    /// Returns false when there is no such device.
    async fn revoke_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool>;
    async fn device_seen(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;
    async fn add_token(&self, token_hash: &str, device_id: Uuid, expires_at: DateTime<Utc>) -> Result<()>;
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRecord>>;
    /// The token with its device and user, in one look-up (every authenticated request makes it).
    /// Decisions (expired, revoked, locked) are the caller's, exactly as with `token`, `device`
    /// and `user` called in turn.
    async fn authenticate(&self, token_hash: &str) -> Result<Option<Authentication>>;

    /// Gives `username` access to a case (and so its whole history, as a backfill).
    async fn allocate(&self, case_id: Uuid, username: &str) -> Result<()>;
    /// Takes access away; the user's laptop is told at its next pull.
    async fn deallocate(&self, case_id: Uuid, username: &str) -> Result<bool>;
    /// Whether `user` may read a case's clinical content: it is allocated to them (a lead: their
    /// team's cases). Never for an administrator, whatever access rows exist.
    async fn can_read(&self, user: &UserRecord, case_id: Uuid) -> Result<bool>;
    /// The team a case belongs to, or None when the central store does not hold it.
    async fn case_team(&self, case_id: Uuid) -> Result<Option<String>>;
    /// For every case `user` has access to, the usernames of the clinicians (role clinician, so
    /// not the team's leads) who have access to it: cases sorted by id, usernames sorted
    /// bytewise. A case with no clinician left is listed with none.
    async fn allocations(&self, user: &UserRecord) -> Result<Vec<CaseAllocation>>;

    /// Stores a batch in one transaction, deciding each event on its own with
    /// [`crate::admission::decide`]: an event already held with the same content is a successful
    /// no-op; one that breaks a rule of the record (a second signature, an addendum to no note,
    /// someone else's case, a case taken away from a laptop that had been told) is refused with
    /// its reason and the others are stored. A case seen for the first time (by its opening) is
    /// created in the author's team and allocated to the author (and visible to the team's leads).
    async fn push(&self, user: &UserRecord, events: &[Event]) -> Result<Vec<PushResult>>;
    /// What the push endpoint does with a valid batch, in one transaction where the backend can:
    /// `push`, then remove the draft backups of the batch's stored signed notes (`signed_note_ids`) and
    /// record one audit row per case touched (`push_audit_entries`, dated `at`). Either all of it
    /// is kept or none.
    async fn push_recorded(&self, user: &UserRecord, device_id: Uuid, events: &[Event], at: DateTime<Utc>) -> Result<Vec<PushResult>>;
    /// Events of cases `user` may see, after `after`, not written by `exclude_device`.
    async fn pull(
        &self,
        user: &UserRecord,
        exclude_device: Uuid,
        after: Cursor,
        limit: usize,
        max_bytes: usize,
    ) -> Result<PullPage>;
    /// Records that `device` has been told it no longer holds `cases`, and how far it had written
    /// then (its own sequence number): what it wrote up to there still arrives, nothing after.
    /// The first telling counts; later ones change nothing.
    async fn removal_told(&self, device_id: Uuid, cases: &[Uuid], written_up_to: u64, at: DateTime<Utc>) -> Result<()>;
    /// IT's remedy for a case another team's laptop opened first (squatting), in one transaction:
    /// the case moves to `team`; every entry already stored for it (all written by the team that
    /// took it) is set aside (kept, never sent to a laptop again, its claims released so the
    /// rightful opening and notes can be stored); everyone who held it loses it (their laptops are
    /// told and cannot write to it again); `holders` (of `team`) and the team's leads are given it.
    /// The rightful clinician's entries, set aside on their laptop, are then sent again.
    async fn settle_case(&self, case_id: Uuid, team: &str, holders: &[String], at: DateTime<Utc>) -> Result<CaseSettled>;
    /// Makes who holds a case follow its stored triage decisions ([`triage_changes`]), in one
    /// transaction that reads the decisions it applies. Safe to repeat.
    async fn reconcile_triage(&self, case_id: Uuid) -> Result<TriageChanges>;
    /// Records the end of a laptop's complete sync, and how many signed notes it held unsent when
    /// the sync began (as the laptop said; kept from before when it did not say).
    async fn device_synced(&self, device_id: Uuid, at: DateTime<Utc>, notes_waiting: Option<u32>) -> Result<()>;
    /// The people of a team with their laptops, by username.
    async fn roster(&self, team: &str) -> Result<Vec<casebook_domain::team::RosterMember>>;
    async fn case_digest(&self, case_id: Uuid) -> Result<CaseDigest>;
    /// Every case the central store holds with its team, by case id (for reports over all cases,
    /// such as the records past their retention date).
    async fn cases(&self) -> Result<Vec<(Uuid, String)>>;
    /// Every event of a case, in sequence order (for tests, repair and reports).
    async fn case_events(&self, case_id: Uuid) -> Result<Vec<PulledEvent>>;
    async fn event_count(&self) -> Result<u64>;
    /// The highest sequence number handed out so far. A laptop holding acknowledgements beyond it
    /// knows the store was restored from an older backup.
    async fn latest_seq(&self) -> Result<u64>;

    async fn put_draft(&self, user: &UserRecord, draft: &DraftBackup) -> Result<()>;
    async fn drafts(&self, user: &UserRecord) -> Result<Vec<DraftBackup>>;
    /// Returns the case of the draft removed, or None when `user` held no such draft.
    async fn delete_draft(&self, user: &UserRecord, note_id: Uuid) -> Result<Option<Uuid>>;

    async fn audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Several entries written together (one per case a request touched), in one transaction.
    async fn audit_many(&self, entries: &[AuditEntry]) -> Result<()>;
    async fn audit_for_case(&self, case_id: Uuid) -> Result<Vec<AuditEntry>>;
    /// Up to `limit` rows dated at or after `since` and written after row `after`, oldest first
    /// (the order they were written in), for exporting the whole audit page by page.
    async fn audit_since(&self, since: DateTime<Utc>, after: u64, limit: usize) -> Result<Vec<AuditRow>>;

    /// A consistent copy of the whole store, taken while it serves, encrypted with the store's
    /// own key; never overwrites `to`.
    async fn backup(&self, to: &Path) -> Result<()>;
    /// The same copy, encrypted with a separate backup key.
    async fn backup_with_key(&self, to: &Path, key: &crate::key::StoreKey) -> Result<()>;
}
