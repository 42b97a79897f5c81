//! One storage trait, two backends: SQLite (default, embedded, one file) and PostgreSQL.
//!
//! The trait holds no rules beyond what must be atomic in the database (sequence allocation,
//! "store each event once", allocation on first write); validation and access decisions that need
//! no transaction live in the service layer above it, so both backends share them.

pub mod sqlite;
pub mod postgres;

use async_trait::async_trait;
use casebook_domain::Event;
use casebook_protocol::{AuditEntry, CaseAllocation, CaseDigest, Cursor, DraftBackup, PulledEvent, PushResult, Role};
use chrono::{DateTime, Utc};
use std::path::Path;
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
/// were new and how many were already held.
pub fn push_audit_entries(user: &UserRecord, device_id: Uuid, events: &[Event], results: &[PushResult], at: DateTime<Utc>) -> Vec<AuditEntry> {
    let mut per_case: std::collections::BTreeMap<Uuid, (usize, usize)> = std::collections::BTreeMap::new();
    for (e, r) in events.iter().zip(results) {
        let entry = per_case.entry(e.case_id).or_default();
        if r.stored_now {
            entry.0 += 1
        } else {
            entry.1 += 1
        }
    }
    per_case
        .into_iter()
        .map(|(case_id, (new, repeated))| AuditEntry {
            at,
            username: user.username.clone(),
            device_id: Some(device_id),
            action: "push".into(),
            case_id: Some(case_id),
            detail: format!("wrote {new} events ({repeated} already held)"),
        })
        .collect()
}

/// The note ids of a batch's signed notes, whose draft backups a successful push removes.
pub fn signed_note_ids(events: &[Event]) -> Vec<Uuid> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            casebook_domain::EventBody::NoteSigned(n) => Some(n.note_id),
            _ => None,
        })
        .collect()
}

/// One page of a user's feed.
#[derive(Debug, Clone)]
pub struct PullPage {
    pub events: Vec<PulledEvent>,
    pub next_cursor: Cursor,
    pub more: bool,
    pub access_removed: Vec<Uuid>,
}

/// Everything the central store keeps. Implementations must make `push` atomic (all of a batch or
/// none of it) and must make sequence numbers visible in commit order: no puller may ever see seq
/// N+1 and later find N.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
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
    async fn can_read(&self, user: &UserRecord, case_id: Uuid) -> Result<bool>;
    /// For every case `user` has access to, the usernames of the clinicians (role clinician, so
    /// not the team's leads) who have access to it: cases sorted by id, usernames sorted
    /// bytewise. A case with no clinician left is listed with none.
    async fn allocations(&self, user: &UserRecord) -> Result<Vec<CaseAllocation>>;

    /// Stores a batch atomically. An event already held with the same hash is a successful no-op;
    /// with a different hash the whole batch is refused. A case seen for the first time is created
    /// in the author's team and allocated to the author (and visible to the team's leads). A user
    /// may write to a case allocated to them, or one that was and has since been taken away (what
    /// they wrote offline before hearing of it is still accepted); anyone else is refused.
    async fn push(&self, user: &UserRecord, events: &[Event]) -> Result<Vec<PushResult>>;
    /// What the push endpoint does with a valid batch, in one transaction where the backend can:
    /// `push`, then remove the draft backups of the batch's signed notes (`signed_note_ids`) and
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
    async fn case_digest(&self, case_id: Uuid) -> Result<CaseDigest>;
    /// Every event of a case, in sequence order (for tests and repair).
    async fn case_events(&self, case_id: Uuid) -> Result<Vec<PulledEvent>>;
    async fn event_count(&self) -> Result<u64>;
    /// The highest sequence number handed out so far. A laptop holding acknowledgements beyond it
    /// knows the store was restored from an older backup.
    async fn latest_seq(&self) -> Result<u64>;

    async fn put_draft(&self, user: &UserRecord, draft: &DraftBackup) -> Result<()>;
    async fn drafts(&self, user: &UserRecord) -> Result<Vec<DraftBackup>>;
    async fn delete_draft(&self, user: &UserRecord, note_id: Uuid) -> Result<()>;

    async fn audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Several entries written together (one per case a request touched), in one transaction.
    async fn audit_many(&self, entries: &[AuditEntry]) -> Result<()>;
    async fn audit_for_case(&self, case_id: Uuid) -> Result<Vec<AuditEntry>>;

    /// A consistent copy of the whole store, taken while it serves.
    async fn backup(&self, to: &Path) -> Result<()>;
}
