use casebook_domain::{EventError, ValidationError};
use std::path::{Path, PathBuf};
use thiserror::Error;
use uuid::Uuid;

/// Everything that can go wrong in the laptop's store. Each message is one sentence a clinician
/// (or the trust's IT, for the rarer ones) can act on.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("That passphrase is not right. Please try again; nothing has been changed.")]
    WrongPassphrase,
    #[error("There is no Casebook store in {dir}; create one first (casebook init).")]
    NotInitialised { dir: PathBuf },
    #[error("There is already a Casebook store in {dir}; it has not been touched.")]
    AlreadyInitialised { dir: PathBuf },
    #[error("The passphrase is too weak: {advice}")]
    WeakPassphrase { advice: String },
    #[error("There is no case with the id {0} on this laptop.")]
    CaseNotFound(String),
    #[error("There is no signed note with the id {0} on this laptop.")]
    NoteNotFound(String),
    #[error("That note has already been signed; signed notes cannot be changed, but you can add an addendum.")]
    NoteAlreadySigned(Uuid),
    #[error("That draft belongs to another case.")]
    DraftCaseMismatch,
    #[error("{}", sentence(&.0.to_string()))]
    Invalid(#[from] ValidationError),
    /// A rule of the record refused the change (a status move not allowed, a second discharge, an
    /// unknown service): the whole sentence to show.
    #[error("{0}")]
    Refused(String),
    #[error("A stored record could not be read: {0}")]
    Event(#[from] EventError),
    #[error("The store's key file could not be used: {0}.")]
    Keyring(String),
    #[error("This store was written by a newer version of Casebook (version {found}, this one knows up to {known}); update Casebook to open it.")]
    TooNew { found: i64, known: i64 },
    #[error("Could not read or write {path}: {source}.")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("The local database reported a problem: {0}.")]
    Database(#[from] rusqlite::Error),
}

/// Makes a clause from the domain ("a referral needs the family's consent…") into a sentence:
/// a capital letter at the start and a full stop at the end.
pub fn sentence(clause: &str) -> String {
    let clause = clause.trim();
    let mut chars = clause.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl StoreError {
    /// A refusal from a clause of the domain's (made into a sentence).
    pub fn refused(clause: impl std::fmt::Display) -> Self {
        StoreError::Refused(sentence(&clause.to_string()))
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io { path: path.to_path_buf(), source }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
