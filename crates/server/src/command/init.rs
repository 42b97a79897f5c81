//! `casebook-server init`: create (or upgrade) the store, and for a new embedded store its key.

use super::{Failure, Settings};

pub async fn init(settings: &Settings) -> Result<(), Failure> {
    if !settings.postgres() {
        // A key is made only for a store that does not exist yet: an existing store whose key
        // is missing must be told so, not given a new key that cannot open it.
        settings.key_or_new(!settings.db_path().exists())?;
    }
    settings.open().await?;
    let what = if settings.postgres() { "PostgreSQL".to_string() } else { format!("{}, encrypted", settings.db_path().display()) };
    println!("The central store is ready ({what}).");
    Ok(())
}
