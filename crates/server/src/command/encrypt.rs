//! `casebook-server encrypt`: encrypt a store made before the central store was encrypted at
//! rest, in place, with the server stopped.

use super::{sqlite_only, Failure, Settings};
use casebook_server::storage::{sqlite, OpenError};

pub fn encrypt(settings: &Settings) -> Result<(), Failure> {
    sqlite_only(settings, "encrypt")?;
    let db = settings.db_path();
    if !sqlite::is_plaintext(&db)? {
        return Err(Failure(if db.exists() {
            format!("{} is already encrypted; to change its key use `casebook-server rekey`", db.display())
        } else {
            format!("there is no central store at {}", db.display())
        }));
    }
    let key = settings.key_or_new(true)?;
    let tables = match sqlite::encrypt_plaintext(&db, &key) {
        Ok(n) => n,
        Err(OpenError::InUse { path }) => {
            return Err(Failure(format!("{} is in use (is the server running?); stop the server and run encrypt again", path.display())))
        }
        Err(e) => return Err(e.into()),
    };
    println!("Encrypted {} ({tables} tables copied and checked).", db.display());
    println!("Backups made before now are not encrypted: destroy them, or keep them as protected as the store itself.");
    Ok(())
}
