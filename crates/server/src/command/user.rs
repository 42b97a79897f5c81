//! `casebook-server user …`: accounts on the central store.
//!
//! A lead who stops being one (or changes team) keeps only the cases they created; the others
//! leave their laptop as after a deallocation.

use super::{record, Failure};
use casebook_domain::printable;
use casebook_protocol::Role;
use casebook_server::auth;
use casebook_server::storage::Storage;
use std::io::IsTerminal;

/// A new password from CASEBOOK_NEW_PASSWORD or typed twice at a prompt, checked against the rules.
pub fn new_password(username: &str) -> Result<String, Failure> {
    let password = match std::env::var("CASEBOOK_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => {
            let a = rpassword::prompt_password(format!("Password for {username}: "))?;
            let b = rpassword::prompt_password("Type it again: ")?;
            if a != b {
                return Err(Failure("the two passwords do not match; nothing was changed".into()));
            }
            a
        }
        Err(_) => return Err(Failure("no password given: set CASEBOOK_NEW_PASSWORD or run in a terminal".into())),
    };
    auth::check_new_password(&password, username).map_err(Failure)?;
    Ok(password)
}

pub async fn add(storage: &dyn Storage, username: &str, team: &str, role: &str) -> Result<(), Failure> {
    let role: Role = role.parse().map_err(Failure)?;
    let username = username.trim().to_string();
    if username.is_empty() || username.len() > 64 || username.contains(char::is_whitespace) {
        return Err(Failure("a username is 1 to 64 characters with no spaces".into()));
    }
    let password = new_password(&username)?;
    let hash = auth::hash_password(&password).map_err(Failure)?;
    storage.add_user(&username, team, role, &hash).await?;
    record(storage, "cli_user_add", None, format!("added {} {username} to {team}", role.as_str())).await?;
    println!("Added {} {username} to {team}.", role.as_str());
    Ok(())
}

/// Clears the sign-in slow-downs on an account (a clinician who mistyped too often).
pub async fn unlock(storage: &dyn Storage, username: &str) -> Result<(), Failure> {
    storage.unlock(username.trim()).await?;
    println!("{} can sign in again at once from anywhere.", printable(username.trim(), false));
    Ok(())
}

/// Sets a new password (from CASEBOOK_NEW_PASSWORD or a prompt); the clinician's laptops keep
/// syncing with their own credentials. To cut a laptop off too, revoke it.
pub async fn reset_password(storage: &dyn Storage, username: &str) -> Result<(), Failure> {
    let username = username.trim();
    if storage.user(username).await?.is_none() {
        return Err(Failure(format!("there is no user called '{}'", printable(username, false))));
    }
    let password = new_password(username)?;
    let hash = auth::hash_password(&password).map_err(Failure)?;
    storage.set_password(username, &hash).await?;
    println!("Set a new password for {}; give it to them in person or by phone.", printable(username, false));
    Ok(())
}

/// Stops an account signing in or using the access tokens it holds, at once.
pub async fn disable(storage: &dyn Storage, username: &str) -> Result<(), Failure> {
    storage.set_disabled(username.trim(), Some(chrono::Utc::now())).await?;
    println!("{} can no longer sign in or sync; their laptops are refused at their next request.", printable(username.trim(), false));
    Ok(())
}

pub async fn enable(storage: &dyn Storage, username: &str) -> Result<(), Failure> {
    storage.set_disabled(username.trim(), None).await?;
    println!("{} can sign in and sync again.", printable(username.trim(), false));
    Ok(())
}

pub async fn set_role(storage: &dyn Storage, username: &str, role: &str) -> Result<(), Failure> {
    let role: Role = role.parse().map_err(Failure)?;
    storage.set_role(username.trim(), role).await?;
    // Said so that IT knows what the change does at the person's next sync.
    let note = match role {
        Role::Lead => " They now hold every case of their team; their laptop receives them at its next sync.",
        Role::Admin => " They now see their team's referrals, contact details and appointments, never clinical content; give them a fresh laptop store (see central-store.md).",
        Role::Clinician => " They hold only the cases allocated to them; their laptop sends what it holds before the others leave it.",
    };
    println!("{} is now {}.{note}", printable(username.trim(), false), role.as_str());
    Ok(())
}

pub async fn set_supervisor(storage: &dyn Storage, username: &str, supervisor: &str) -> Result<(), Failure> {
    let named = match supervisor.trim() {
        "yes" => true,
        "no" => false,
        other => return Err(Failure(format!("'{other}' is not yes or no; say yes to name them a supervisor, no to stop"))),
    };
    storage.set_supervisor(username.trim(), named).await?;
    record(storage, "cli_user_set_supervisor", None, format!("{} named supervisor: {supervisor}", username.trim())).await?;
    let what = if named {
        "is now a named supervisor: they record case supervision on the cases they hold, from their next sync"
    } else {
        "is no longer a named supervisor"
    };
    println!("{} {what}.", printable(username.trim(), false));
    Ok(())
}

pub async fn set_team(storage: &dyn Storage, username: &str, team: &str) -> Result<(), Failure> {
    storage.set_team(username.trim(), team).await?;
    println!("{} is now on {}.", printable(username.trim(), false), printable(team, false));
    Ok(())
}
