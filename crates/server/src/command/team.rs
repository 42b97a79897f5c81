//! `casebook-server team add NAME`.

use super::{record, Failure};
use casebook_server::storage::Storage;

pub async fn add(storage: &dyn Storage, name: &str) -> Result<(), Failure> {
    if name.trim().is_empty() {
        return Err(Failure("the team needs a name".into()));
    }
    storage.add_team(name.trim()).await?;
    record(storage, "cli_team_add", None, format!("added team {}", name.trim())).await?;
    println!("Added team {}.", name.trim());
    Ok(())
}
