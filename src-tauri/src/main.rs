//! Casebook's desktop shell: one window, thin commands that translate between the UI and
//! `casebook-store`, the lock state, and preferences. No clinical or record-keeping rule lives
//! here: every rule is in a crate that is tested without a window.

// Keep a console window from opening alongside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod export;
mod record;
mod settings;
mod sync;
mod team;

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use casebook_domain::{Addendum, CaseOpened, Contact, SignedNote};
use casebook_store::{
    CaseSummary, CaseView, ContactInput, Draft, DraftInput, PassphraseStrength, SearchHit, Store,
    StoreError,
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use ts_rs::TS;
use uuid::Uuid;

/// Said whenever a command needs the records and the app is locked.
pub(crate) const LOCKED: &str = "Casebook is locked. Unlock it with your passphrase to continue.";
/// The most search results the caseload screen shows.
const SEARCH_LIMIT: usize = 50;
/// The event the UI follows back to the unlock screen.
pub(crate) const LOCKED_EVENT: &str = "locked";
/// The window was asked to close while signed notes are unsent; the payload is how many.
const CLOSE_REQUESTED_EVENT: &str = "close-requested";

/// What the shell holds: the open store (None = locked, the key forgotten), when the clinician
/// last did anything, and the sync in progress (at most one at a time).
pub struct AppState {
    store: Mutex<Option<Store>>,
    last_activity: Mutex<Instant>,
    pub(crate) sync: sync::SyncGate,
}

impl AppState {
    fn new() -> Self {
        Self {
            store: Mutex::new(None),
            last_activity: Mutex::new(Instant::now()),
            sync: sync::SyncGate::default(),
        }
    }

    fn touch(&self) {
        *lock_ignoring_poison(&self.last_activity) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        lock_ignoring_poison(&self.last_activity).elapsed()
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Option<Store>> {
        lock_ignoring_poison(&self.store)
    }

    /// Record activity, then run `f` on the open store; a locked app answers with a sentence.
    fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, String> {
        self.touch();
        let mut guard = self.store();
        let store = guard.as_mut().ok_or_else(|| LOCKED.to_string())?;
        f(store).map_err(|e| e.to_string())
    }

    /// Forget the key, and sign out of the central store: the access token should not outlive
    /// the unlocked session. Returns whether anything was open.
    pub(crate) fn lock(&self) -> bool {
        let Some(mut store) = self.store().take() else { return false };
        // Forgetting is a local write; ending the token on the central store waits on the
        // network, so it happens on a thread of its own and may fail (the token then expires).
        if let Ok(Some((url, token))) = casebook_sync::forget_session(&mut store) {
            let _ = std::thread::Builder::new().name("sign-out".into()).spawn(move || {
                let _ = casebook_sync::end_token(&url, &token);
            });
        }
        true
    }
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where the app stands when the window asks.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LockState {
    /// No store in the data directory yet: choose a username and a passphrase.
    FirstRun,
    /// A store exists and its key is not in memory.
    Locked,
    Unlocked,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppStatus {
    pub state: LockState,
    /// The signed-in clinician's username, when unlocked.
    pub username: Option<String>,
    /// The folder holding the encrypted store.
    pub data_dir: String,
}

#[tauri::command(rename_all = "snake_case")]
async fn app_status(app: AppHandle, state: State<'_, AppState>) -> Result<AppStatus, String> {
    state.touch();
    let dir = settings::data_dir(&app)?;
    let guard = state.store();
    let (lock_state, username) = match guard.as_ref() {
        Some(store) => (LockState::Unlocked, Some(store.username().to_string())),
        None if Store::exists(&dir) => (LockState::Locked, None),
        None => (LockState::FirstRun, None),
    };
    Ok(AppStatus { state: lock_state, username, data_dir: dir.display().to_string() })
}

#[tauri::command(rename_all = "snake_case")]
async fn create_store(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    passphrase: String,
) -> Result<AppStatus, String> {
    state.touch();
    let dir = settings::data_dir(&app)?;
    let store = Store::create(&dir, &passphrase, &username).map_err(|e| e.to_string())?;
    *state.store() = Some(store);
    state.touch();
    app_status(app, state).await
}

#[tauri::command(rename_all = "snake_case")]
async fn unlock(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
) -> Result<AppStatus, String> {
    state.touch();
    let dir = settings::data_dir(&app)?;
    let store = Store::open(&dir, &passphrase).map_err(|e| e.to_string())?;
    *state.store() = Some(store);
    state.touch();
    app_status(app, state).await
}

#[tauri::command(rename_all = "snake_case")]
async fn lock(state: State<'_, AppState>) -> Result<(), String> {
    // The window asked, so it already knows; only the idle timer announces a lock.
    state.lock();
    Ok(())
}

#[tauri::command(rename_all = "snake_case")]
async fn passphrase_strength(
    state: State<'_, AppState>,
    passphrase: String,
    username: Option<String>,
) -> Result<PassphraseStrength, String> {
    state.touch();
    Ok(casebook_store::passphrase_strength(&passphrase, username.as_deref().unwrap_or("")))
}

#[tauri::command(rename_all = "snake_case")]
async fn list_cases(state: State<'_, AppState>) -> Result<Vec<CaseSummary>, String> {
    state.with_store(|s| s.list_cases())
}

#[tauri::command(rename_all = "snake_case")]
async fn open_case(state: State<'_, AppState>, input: CaseOpened) -> Result<CaseSummary, String> {
    state.with_store(|s| s.open_case(input))
}

#[tauri::command(rename_all = "snake_case")]
async fn get_case(state: State<'_, AppState>, case_id: Uuid) -> Result<CaseView, String> {
    state.with_store(|s| s.case(case_id))
}

#[tauri::command(rename_all = "snake_case")]
async fn record_contact(
    state: State<'_, AppState>,
    case_id: Uuid,
    input: ContactInput,
) -> Result<Contact, String> {
    state.with_store(|s| s.record_contact(case_id, input))
}

#[tauri::command(rename_all = "snake_case")]
async fn save_draft(state: State<'_, AppState>, input: DraftInput) -> Result<Draft, String> {
    state.with_store(|s| s.save_draft(input))
}

#[tauri::command(rename_all = "snake_case")]
async fn sign_note(state: State<'_, AppState>, input: DraftInput) -> Result<SignedNote, String> {
    state.with_store(|s| s.sign_note(input))
}

#[tauri::command(rename_all = "snake_case")]
async fn add_addendum(
    state: State<'_, AppState>,
    note_id: Uuid,
    reason: String,
    text: String,
) -> Result<Addendum, String> {
    state.with_store(|s| s.add_addendum(note_id, &reason, &text))
}

#[tauri::command(rename_all = "snake_case")]
async fn search(state: State<'_, AppState>, query: String) -> Result<Vec<SearchHit>, String> {
    state.with_store(|s| s.search(&query, SEARCH_LIMIT))
}

#[tauri::command(rename_all = "snake_case")]
async fn change_detail(
    state: State<'_, AppState>,
    case_id: Uuid,
    field: casebook_domain::DetailField,
    value: Option<String>,
) -> Result<casebook_domain::FieldState, String> {
    state.with_store(|s| s.change_detail(case_id, field, value))
}

/// The window reports keyboard or mouse activity (throttled on its side).
#[tauri::command(rename_all = "snake_case")]
async fn touch(state: State<'_, AppState>) -> Result<(), String> {
    state.touch();
    Ok(())
}

/// Forget the key after the configured idle time and tell the window.
fn spawn_auto_lock(app: AppHandle) {
    std::thread::Builder::new()
        .name("auto-lock".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            let limit = settings::auto_lock_after(&app);
            let state = app.state::<AppState>();
            if state.idle_for() >= limit && state.lock() {
                let _ = app.emit(LOCKED_EVENT, ());
            }
        })
        .expect("could not start the auto-lock timer");
}

fn main() {
    // Blank windows on some NVIDIA/Wayland set-ups otherwise.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }

    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .manage(AppState::new())
        .on_window_event(|window, event| {
            // Closing with signed notes not yet sent: ask the window to warn first.
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let unsent = sync::unsent_notes(window.app_handle());
                if unsent > 0 {
                    api.prevent_close();
                    let _ = window.app_handle().emit(CLOSE_REQUESTED_EVENT, unsent);
                }
            }
        })
        .setup(|app| {
            spawn_auto_lock(app.handle().clone());
            sync::spawn_auto_sync(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            app_status,
            create_store,
            unlock,
            lock,
            passphrase_strength,
            list_cases,
            open_case,
            get_case,
            record_contact,
            save_draft,
            sign_note,
            add_addendum,
            search,
            touch,
            change_detail,
            sync::sync_sign_in,
            sync::sync_now,
            sync::sync_status,
            sync::default_server_url,
            sync::close_anyway,
            record::get_case_page,
            record::send_again,
            record::vocabulary,
            record::service_profiles,
            record::rules_problems,
            record::check_referral,
            record::receive_referral,
            record::consultation_without_consent,
            record::change_referral_status,
            record::take_on_referral,
            record::record_supervision,
            record::record_consultation,
            record::record_person,
            record::plan_contact,
            record::measure_form,
            record::score_measure,
            record::check_goals,
            record::record_measure,
            record::assess_risk,
            record::raise_alert,
            record::clear_alert,
            record::add_task,
            record::complete_task,
            record::discharge,
            record::today_view,
            record::check_nhs_number,
            record::save_form_draft,
            record::form_draft,
            record::discard_form_draft,
            export::export_chronology,
            export::export_subject_access,
            team::get_inbox,
            team::get_waiting_list,
            team::triage_referral,
            team::get_team_view,
            team::get_roster,
        ])
        .run(tauri::generate_context!())
        .expect("Casebook could not start its window");
}
