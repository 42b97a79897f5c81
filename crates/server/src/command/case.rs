//! `casebook-server case settle --case ID --team NAME --allocate USER…`: IT's remedy for a case
//! another team's laptop sent first (squatting), found in the audit as refused pushes naming it.

use super::{parse_id, record, Failure};
use casebook_server::storage::Storage;

pub async fn settle(storage: &dyn Storage, case_id: &str, team: &str, holders: &[String]) -> Result<(), Failure> {
    let case = parse_id(case_id, "case")?;
    let done = storage.settle_case(case, team, holders, chrono::Utc::now()).await?;
    let taken = if done.taken_from.is_empty() { "nobody".to_string() } else { done.taken_from.join(", ") };
    record(
        storage,
        "cli_settle_case",
        Some(case),
        format!(
            "moved from {} to {team}; {} entries from {} laptops set aside; taken from {taken}; given to {}",
            done.from_team,
            done.entries_set_aside,
            done.laptops_set_aside,
            holders.join(", ")
        ),
    )
    .await?;
    println!("Case {case_id} now belongs to {team} and is allocated to {}.", holders.join(", "));
    println!(
        "Set aside: {} entries written to it by {} ({} laptops); they are kept in the store but no laptop receives them again.",
        done.entries_set_aside, done.from_team, done.laptops_set_aside
    );
    println!("Taken from: {taken} (their laptops remove the case at their next sync and cannot write to it again).");
    println!(
        "Next: ask {} to open the case in Casebook and press \"Send again\" on the entries that could not be sent.",
        holders.join(" or ")
    );
    Ok(())
}
