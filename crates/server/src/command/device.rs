//! `casebook-server device list|revoke`: the laptops registered with the central store.

use super::{parse_id, record, Failure};
use casebook_domain::printable;
use casebook_server::storage::Storage;

pub async fn list(storage: &dyn Storage, json: bool) -> Result<(), Failure> {
    let devices = storage.devices().await?;
    record(storage, "cli_device_list", None, format!("{} laptops listed", devices.len())).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&devices)?);
    } else if devices.is_empty() {
        println!("No laptops are registered yet.");
    } else {
        for d in devices {
            let state = match d.revoked_at {
                Some(at) => format!("revoked {}", at.format("%d %b %Y %H:%M")),
                None => format!("last seen {}", d.last_seen_at.map(|t| t.format("%d %b %Y %H:%M").to_string()).unwrap_or_else(|| "never".into())),
            };
            // A laptop names itself, so its name is escaped before the terminal sees it.
            println!("{}  {}  {}  ({state})", d.id, printable(&d.username, false), printable(&d.name, false));
        }
    }
    Ok(())
}

pub async fn revoke(storage: &dyn Storage, device_id: &str) -> Result<(), Failure> {
    if storage.revoke_device(parse_id(device_id, "device")?, chrono::Utc::now()).await? {
        record(storage, "cli_device_revoke", None, format!("revoked laptop {}", device_id.trim())).await?;
        println!("Device {device_id} can no longer sync; it locks at its next attempt.");
        Ok(())
    } else {
        Err(Failure(format!("there is no device {device_id}")))
    }
}
