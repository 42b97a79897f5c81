//! `casebook-server demo`: a clearly fictional demo team and logins.

use super::{record, Failure};
use casebook_protocol::Role;
use casebook_server::auth;
use casebook_server::storage::{Storage, StorageError};

/// The fictional demo team. The password is printed because it is a demo: never use these
/// accounts with real families.
pub const DEMO_PASSWORD: &str = "demo-password-not-for-real-use";

pub async fn demo(storage: &dyn Storage) -> Result<(), Failure> {
    match storage.add_team("Demo Team (fictional)").await {
        Ok(()) | Err(StorageError::Exists { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let hash = auth::hash_password(DEMO_PASSWORD).map_err(Failure)?;
    for (user, role) in [("demo.clinician", Role::Clinician), ("demo.clinician2", Role::Clinician), ("demo.lead", Role::Lead), ("demo.admin", Role::Admin)] {
        match storage.add_user(user, "Demo Team (fictional)", role, &hash).await {
            Ok(()) | Err(StorageError::Exists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    record(storage, "cli_demo", None, "demo team and logins ready".into()).await?;
    println!("Demo team ready: demo.clinician, demo.clinician2, demo.lead and demo.admin (admin staff), password '{DEMO_PASSWORD}'. Fictional use only.");
    Ok(())
}
