//! `casebook-server backup --to FILE`: an encrypted, consistent copy of the embedded store while
//! it serves.

use super::{record, Failure, Settings};
use casebook_server::key::StoreKey;
use casebook_server::storage::Storage;
use std::path::Path;

pub async fn backup(storage: &dyn Storage, settings: &Settings, to: &Path, backup_key_file: Option<&Path>) -> Result<(), Failure> {
    if settings.postgres() {
        return Err(Failure("for PostgreSQL, back up with pg_dump to encrypted storage (see the README)".into()));
    }
    if to.exists() {
        return Err(Failure(format!("{} already exists; choose a new file so no backup is overwritten", to.display())));
    }
    match backup_key_file {
        None => {
            storage.backup(to).await?;
            record(storage, "cli_backup", None, format!("copied the whole store to {}", to.display())).await?;
            println!("Backed up to {}, encrypted with the store's key.", to.display());
        }
        Some(f) => {
            let key = if f.exists() {
                StoreKey::from_file(f)?
            } else {
                let key = StoreKey::generate();
                key.write_new_file(f)?;
                println!("Made a new random backup key in {}; keep it apart from the backups.", f.display());
                key
            };
            storage.backup_with_key(to, &key).await?;
            record(storage, "cli_backup", None, format!("copied the whole store to {}, under a backup key", to.display())).await?;
            println!("Backed up to {}, encrypted with the backup key in {}.", to.display(), f.display());
        }
    }
    Ok(())
}
