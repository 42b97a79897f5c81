//! `casebook-server rekey --new-key-file FILE`: re-encrypt the embedded store with a new key
//! (a key that may have leaked, or a scheduled rotation), with the server stopped.

use super::{sqlite_only, Failure, Settings};
use casebook_server::key::StoreKey;
use casebook_server::storage::{sqlite, OpenError};
use std::path::Path;

/// The environment variable that may hold the new key itself instead of a new key file.
pub const NEW_KEY_ENV: &str = "CASEBOOK_SERVER_NEW_KEY";

pub fn rekey(settings: &Settings, new_key_file: Option<&Path>) -> Result<(), Failure> {
    sqlite_only(settings, "rekey")?;
    let old = settings.key()?;
    let from_env = std::env::var(NEW_KEY_ENV).ok().filter(|k| !k.trim().is_empty());
    let (new, told) = match (new_key_file, from_env) {
        (Some(_), Some(_)) => return Err(Failure(format!("give the new key either with --new-key-file or in {NEW_KEY_ENV}, not both"))),
        (None, None) => return Err(Failure(format!("give the new key with --new-key-file FILE (a new random key is written there if it does not exist) or in {NEW_KEY_ENV}"))),
        (None, Some(hex)) => (StoreKey::from_hex(&hex, NEW_KEY_ENV)?, format!("the key in {NEW_KEY_ENV}")),
        (Some(path), None) if path.exists() => (StoreKey::from_file(path)?, format!("the key in {}", path.display())),
        (Some(path), None) => {
            // Written and flushed before the store changes, so no crash can leave a store whose
            // key was never saved.
            let key = StoreKey::generate();
            key.write_new_file(path)?;
            (key, format!("a new random key, saved in {}", path.display()))
        }
    };
    if new == old {
        return Err(Failure("the new key is the same as the current one; nothing was changed".into()));
    }
    match sqlite::rekey(&settings.db_path(), &old, &new) {
        Ok(()) => {}
        Err(OpenError::InUse { path }) => {
            return Err(Failure(format!("{} is in use (is the server running?); stop the server, run rekey again, then start it with the new key", path.display())))
        }
        Err(e) => return Err(e.into()),
    }
    println!("{} is now encrypted with {told}; the old key no longer opens it.", settings.db_path().display());
    println!("Start the server with the new key (--key-file, CASEBOOK_SERVER_KEY_FILE or CASEBOOK_SERVER_KEY). Backups made before now still need the old key: keep it, protected, for as long as you keep them.");
    Ok(())
}
