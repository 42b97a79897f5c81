//! `casebook-server restore --from FILE`: a new store from an encrypted backup, checked first.

use super::{sqlite_only, Failure, Settings};
use casebook_server::key::StoreKey;
use casebook_server::storage::sqlite;
use std::path::Path;

pub async fn restore(settings: &Settings, from: &Path, backup_key_file: Option<&Path>) -> Result<(), Failure> {
    sqlite_only(settings, "restore")?;
    let db = settings.db_path();
    if db.exists() {
        return Err(Failure(format!(
            "there is already a store at {}; stop the server and move it (with its -wal and -shm files) aside first, so that nothing is overwritten",
            db.display()
        )));
    }
    if !from.exists() {
        return Err(Failure(format!("there is no backup at {}", from.display())));
    }
    if sqlite::is_plaintext(from)? {
        return Err(Failure(format!(
            "{} is an unencrypted backup, made before the store was encrypted: copy it into place as {} and run `casebook-server encrypt`",
            from.display(),
            db.display()
        )));
    }
    // With a separate backup key, the restored store may get a new key of its own (a new
    // machine); without one, the backup was made with the store's key, which must be given.
    let key = settings.key_or_new(backup_key_file.is_some())?;
    let backup_key = match backup_key_file {
        Some(f) => StoreKey::from_file(f)?,
        None => key.clone(),
    };
    sqlite::restore(from, &backup_key, &db, &key)?;
    let events = settings.open().await?.event_count().await?;
    println!("Restored {} from {} ({events} events); start the server with the same key.", db.display(), from.display());
    Ok(())
}
