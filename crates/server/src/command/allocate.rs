//! `casebook-server allocate|deallocate --case ID --user NAME`: for IT; day-to-day allocation is
//! the team lead's, in the app.

use super::{parse_id, record, Failure};
use casebook_protocol::Role;
use casebook_server::storage::Storage;

pub async fn allocate(storage: &dyn Storage, case_id: &str, user: &str) -> Result<(), Failure> {
    let case = parse_id(case_id, "case")?;
    // Administrators never read clinical content, and an allocation is what lets a laptop
    // receive a case's whole history.
    if let Some(u) = storage.user(user).await?.filter(|u| u.role == Role::Admin) {
        return Err(Failure(format!("{} is an administrator, and administrators never hold cases; allocate it to a clinician or a lead", u.username)));
    }
    storage.allocate(case, user).await?;
    record(storage, "cli_allocate", Some(case), format!("allocated to {user}")).await?;
    println!("Allocated case {case_id} to {user}; it reaches their laptop at its next sync.");
    Ok(())
}

pub async fn deallocate(storage: &dyn Storage, case_id: &str, user: &str) -> Result<(), Failure> {
    let case = parse_id(case_id, "case")?;
    if storage.deallocate(case, user).await? {
        record(storage, "cli_deallocate", Some(case), format!("taken away from {user}")).await?;
        println!("Case {case_id} is no longer allocated to {user}.");
        Ok(())
    } else {
        Err(Failure(format!("case {case_id} was not allocated to {user}")))
    }
}
