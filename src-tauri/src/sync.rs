//! Sync commands and the automatic sync: thin wrappers over `casebook_sync`. Every sync runs off
//! the UI thread, never two at once, and a failure is never reported as success.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use casebook_sync::{SignedIn, SyncError, SyncOptions, SyncStatus, SyncSummary};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::{settings, AppState, LOCKED, LOCKED_EVENT};

const ALREADY_RUNNING: &str = "A sync is already running.";
/// Emitted with the `SyncSummary` after every successful sync (manual or automatic).
const SYNC_FINISHED: &str = "sync-finished";
/// Emitted with the error sentence after every failed sync.
const SYNC_FAILED: &str = "sync-failed";
/// Emitted when a sync starts, so the indicator can say "Sending and receiving…".
const SYNC_STARTED: &str = "sync-started";
/// Longest wait between automatic attempts after failures.
const BACKOFF_CAP: Duration = Duration::from_secs(15 * 60);
const BACKOFF_FIRST: Duration = Duration::from_secs(30);

/// At most one sync at a time; `kick` asks the automatic sync to run at once (after sign-in).
#[derive(Default)]
pub struct SyncGate {
    running: Mutex<()>,
    kick: AtomicBool,
}

/// Runs one sync on the open store. Handles a revoked device by locking.
fn run_sync(app: &AppHandle, options: SyncOptions) -> Result<SyncSummary, String> {
    let state = app.state::<AppState>();
    let _one = state.sync.running.try_lock().map_err(|_| ALREADY_RUNNING.to_string())?;
    let _ = app.emit(SYNC_STARTED, ());
    // The sync gets its own handle on the store, so the clinician's typing and autosave never wait
    // for the network. The main lock is held only long enough to open it.
    let handle = state.store().as_ref().map(|store| store.second_handle());
    let mut store = match handle {
        Some(Ok(store)) => store,
        Some(Err(e)) => {
            let sentence = format!("Casebook could not start sending and receiving ({e}). Nothing was lost; try again.");
            let _ = app.emit(SYNC_FAILED, &sentence);
            return Err(sentence);
        }
        None => {
            let _ = app.emit(SYNC_FAILED, LOCKED);
            return Err(LOCKED.to_string());
        }
    };
    let result = casebook_sync::sync_with(&mut store, options);
    // The key goes with the handle: locking during a sync leaves it in memory no longer than the
    // sync's own timeouts.
    drop(store);
    match result {
        Ok(summary) => {
            let _ = app.emit(SYNC_FINISHED, &summary);
            Ok(summary)
        }
        Err(e) => {
            let sentence = e.to_string();
            if matches!(e, SyncError::DeviceRevoked) {
                state.lock();
                let _ = app.emit(LOCKED_EVENT, &sentence);
            }
            let _ = app.emit(SYNC_FAILED, &sentence);
            Err(sentence)
        }
    }
}

fn device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "Casebook laptop".to_string())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_sign_in(
    app: AppHandle,
    server_url: String,
    username: String,
    password: String,
) -> Result<SignedIn, String> {
    app.state::<AppState>().touch();
    let handle = app.clone();
    let signed_in = tauri::async_runtime::spawn_blocking(move || {
        let state = handle.state::<AppState>();
        // Signing in talks to the network: do it on a handle of its own, as the sync does.
        let mut store = state
            .store()
            .as_ref()
            .ok_or_else(|| LOCKED.to_string())?
            .second_handle()
            .map_err(|e| e.to_string())?;
        casebook_sync::login(&mut store, &server_url, &username, &password, &device_name()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| format!("Signing in stopped unexpectedly ({e})."))??;
    // Sync straight away, in the background.
    app.state::<AppState>().sync.kick.store(true, Ordering::SeqCst);
    Ok(signed_in)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(app: AppHandle, confirm_removals: bool) -> Result<SyncSummary, String> {
    app.state::<AppState>().touch();
    let handle = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        run_sync(&handle, SyncOptions { confirm_removals, verify: false })
    })
    .await
    .map_err(|e| format!("The sync stopped unexpectedly ({e}); nothing was lost, try again."))?
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, String> {
    let guard = state.store();
    let store = guard.as_ref().ok_or_else(|| LOCKED.to_string())?;
    casebook_sync::status(store).map_err(|e| e.to_string())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn default_server_url() -> Result<Option<String>, String> {
    Ok(settings::default_server_url())
}

/// Whether the app is unlocked and this laptop is signed in to a central store.
fn can_sync(app: &AppHandle) -> bool {
    let state = app.state::<AppState>();
    let guard = state.store();
    match guard.as_ref() {
        Some(store) => casebook_sync::status(store).map(|s| s.signed_in_as.is_some()).unwrap_or(false),
        None => false,
    }
}

/// Exponential backoff with jitter: 30 s, 1 min, 2 min… capped at 15 min, each ±25 %.
fn backoff(failures: u32) -> Duration {
    use rand::Rng;
    let base = BACKOFF_FIRST.saturating_mul(1u32 << failures.saturating_sub(1).min(10)).min(BACKOFF_CAP);
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    base.mul_f64(jitter).min(BACKOFF_CAP)
}

/// Tries a sync every few minutes (a preference) while unlocked and signed in; straight away
/// after sign-in; backs off after failures.
pub fn spawn_auto_sync(app: AppHandle) {
    std::thread::Builder::new()
        .name("auto-sync".into())
        .spawn(move || {
            let mut next = Instant::now() + settings::sync_every(&app);
            let mut failures: u32 = 0;
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let kicked = app.state::<AppState>().sync.kick.swap(false, Ordering::SeqCst);
                if !kicked && Instant::now() < next {
                    continue;
                }
                if !can_sync(&app) {
                    next = Instant::now() + settings::sync_every(&app);
                    failures = 0;
                    continue;
                }
                match run_sync(&app, SyncOptions::default()) {
                    Ok(_) => {
                        failures = 0;
                        next = Instant::now() + settings::sync_every(&app);
                    }
                    Err(e) if e == ALREADY_RUNNING => next = Instant::now() + Duration::from_secs(30),
                    Err(_) => {
                        failures += 1;
                        next = Instant::now() + backoff(failures).min(settings::sync_every(&app).max(BACKOFF_CAP));
                    }
                }
            }
        })
        .expect("could not start the automatic sync");
}


/// Signed notes not yet sent, when the app is unlocked and signed in (for the close warning).
pub fn unsent_notes(app: &AppHandle) -> u64 {
    let state = app.state::<AppState>();
    let guard = state.store();
    guard
        .as_ref()
        .and_then(|store| casebook_sync::status(store).ok())
        .filter(|s| s.signed_in_as.is_some())
        .map(|s| s.unsent_notes)
        .unwrap_or(0)
}

/// The clinician saw the unsent-notes warning and chose to close anyway.
#[tauri::command(rename_all = "snake_case")]
pub async fn close_anyway(app: AppHandle) -> Result<(), String> {
    app.state::<AppState>().lock();
    app.exit(0);
    Ok(())
}
