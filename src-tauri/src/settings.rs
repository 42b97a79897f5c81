//! Preferences, kept by tauri-plugin-store in a plain JSON file next to the app's other files.
//! Preferences only (data folder, auto-lock minutes, theme): never patient data. The window
//! writes them through the plugin's JS API; the shell only reads the two it needs.

use std::path::PathBuf;
use std::time::Duration;

use tauri::{AppHandle, Manager};
use tauri_plugin_store::StoreExt;

/// The preferences file, resolved by the plugin inside the app's data folder.
pub const SETTINGS_FILE: &str = "settings.json";
pub const DEFAULT_AUTO_LOCK_MINUTES: u64 = 5;
/// Auto-lock cannot be switched off: a laptop left in a family's living room must lock.
const MIN_AUTO_LOCK_MINUTES: u64 = 1;
const MAX_AUTO_LOCK_MINUTES: u64 = 60;

fn setting(app: &AppHandle, key: &str) -> Option<serde_json::Value> {
    app.store(SETTINGS_FILE).ok()?.get(key)
}

/// Where the encrypted store lives: `CASEBOOK_DATA_DIR` if set (tests use it), else the
/// preference, else the system's per-user data folder for the app.
pub fn data_dir(app: &AppHandle) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("CASEBOOK_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = setting(app, "data_dir")
        .and_then(|v| v.as_str().map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
    {
        return Ok(PathBuf::from(dir));
    }
    app.path()
        .app_data_dir()
        .map_err(|e| format!("Casebook could not find a folder for its data: {e}"))
}

/// How long the app may sit idle before it locks. `CASEBOOK_AUTO_LOCK_SECONDS` overrides the
/// preference (tests use it to see auto-lock happen in seconds).
pub fn auto_lock_after(app: &AppHandle) -> Duration {
    if let Some(secs) = std::env::var("CASEBOOK_AUTO_LOCK_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
    {
        return Duration::from_secs(secs);
    }
    let minutes = setting(app, "auto_lock_minutes")
        .and_then(|v| v.as_u64())
        .unwrap_or(DEFAULT_AUTO_LOCK_MINUTES)
        .clamp(MIN_AUTO_LOCK_MINUTES, MAX_AUTO_LOCK_MINUTES);
    Duration::from_secs(minutes * 60)
}

pub const DEFAULT_SYNC_MINUTES: u64 = 5;

/// How often the app tries to sync on its own while unlocked and signed in.
/// `CASEBOOK_SYNC_SECONDS` overrides the preference (tests).
pub fn sync_every(app: &AppHandle) -> Duration {
    if let Some(secs) = std::env::var("CASEBOOK_SYNC_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
    {
        return Duration::from_secs(secs);
    }
    let minutes = setting(app, "sync_minutes")
        .and_then(|v| v.as_u64())
        .unwrap_or(DEFAULT_SYNC_MINUTES)
        .clamp(1, 120);
    Duration::from_secs(minutes * 60)
}

/// The central store address to pre-fill on the sign-in form (`CASEBOOK_DEFAULT_SERVER`).
pub fn default_server_url() -> Option<String> {
    std::env::var("CASEBOOK_DEFAULT_SERVER").ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}
