//! Export commands: the case chronology as a PDF, and a subject access export (JSON and PDF) of
//! everything this laptop holds about one person. The documents are built by `casebook-report`;
//! this module only gathers the cases, asks where to save, and writes the files.
//!
//! Files are written atomically (a temporary file in the chosen folder, then a rename), so a
//! crash or a full disk never leaves a half-written PDF that looks complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use casebook_domain::{fold, CaseState, Event};
use chrono::Utc;
use tauri::{AppHandle, Manager};
use uuid::Uuid;

/// TEST SEAM: when set to a folder, the export commands skip the native file dialog and write
/// into that folder under the suggested file name. The end-to-end tests under Xvfb set it,
/// because WebDriver drives the webview but cannot drive a native GTK file dialog. Nothing else
/// should set it; a clinician always chooses where a file containing health records goes.
const SAVE_TO_ENV: &str = "CASEBOOK_SAVE_TO";

/// The folder from the test seam, if set (and not empty).
fn save_to_override() -> Option<PathBuf> {
    std::env::var_os(SAVE_TO_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A family or person name made safe to use in a file name on Linux, Windows and macOS.
fn file_name_part(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '-'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = cleaned
        .trim_matches(|c: char| c == '.' || c == ' ')
        .to_string();
    if cleaned.is_empty() {
        "unnamed".to_string()
    } else {
        cleaned.chars().take(100).collect()
    }
}

/// What to ask the clinician in the native dialog.
enum Ask {
    File { title: &'static str, file_name: String },
    Folder { title: &'static str },
}

/// The folder a dialog starts in: Documents when the desktop has one, else the home folder.
fn start_folder() -> Option<PathBuf> {
    let home = PathBuf::from(std::env::var_os("HOME")?);
    let documents = std::env::var_os("XDG_DOCUMENTS_DIR").map(PathBuf::from).unwrap_or_else(|| home.join("Documents"));
    Some(if documents.is_dir() { documents } else { home })
}

/// Shows the native dialog and waits for the answer. GTK belongs to the window's main thread, so
/// the dialog is built there (architecture.md: rfd's GTK dialogs called from another thread can
/// hang, rfd #198); its answer is awaited here, which keeps both the window and the async runtime
/// free while the clinician chooses. `None` when they cancel.
async fn ask(app: &AppHandle, ask: Ask) -> Result<Option<PathBuf>, String> {
    if let Some(folder) = save_to_override() {
        return Ok(Some(match ask {
            Ask::File { file_name, .. } => folder.join(file_name),
            Ask::Folder { .. } => folder,
        }));
    }
    type Chosen = std::pin::Pin<Box<dyn std::future::Future<Output = Option<rfd::FileHandle>> + Send>>;
    let cannot = |e: &dyn std::fmt::Display| format!("Casebook could not open the save dialog ({e}). Try the export again.");
    let window = app.get_webview_window("main");
    let (built, dialog_shown) = std::sync::mpsc::sync_channel::<Chosen>(1);
    app.run_on_main_thread(move || {
        let mut dialog = rfd::AsyncFileDialog::new();
        if let Some(window) = &window {
            dialog = dialog.set_parent(window);
        }
        if let Some(folder) = start_folder() {
            dialog = dialog.set_directory(folder);
        }
        let _ = built.send(match ask {
            Ask::File { title, file_name } => {
                Box::pin(dialog.set_title(title).set_file_name(file_name).add_filter("PDF", &["pdf"]).save_file())
            }
            Ask::Folder { title } => Box::pin(dialog.set_title(title).pick_folder()),
        });
    })
    .map_err(|e| cannot(&e))?;
    // Only the building waits on the main thread; the answer itself is awaited.
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog_shown.recv())
        .await
        .map_err(|e| cannot(&e))?
        .map_err(|e| cannot(&e))?;
    Ok(chosen.await.map(|h| h.path().to_path_buf()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder, then renames it over
/// the target, so the file is either the whole export or not there at all.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cannot = |e: std::io::Error| {
        format!(
            "Casebook could not save {} ({e}). Choose a folder you can write to, such as Documents, and try again.",
            path.display()
        )
    };
    std::fs::create_dir_all(folder).map_err(cannot)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = folder.join(format!(".{name}.{}.part", Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)?;
        // Make the rename itself durable where the platform allows opening a folder.
        if let Ok(dir) = std::fs::File::open(folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(cannot)
}

fn make_pdf(doc: &casebook_report::Document) -> Result<Vec<u8>, String> {
    casebook_report::to_pdf(doc).map_err(|e| format!("Casebook could not make the PDF: {e}"))
}

/// Saves the case chronology as a PDF where the clinician chooses. Returns the path written, or
/// `None` if they cancelled.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_chronology(app: AppHandle, case_id: Uuid) -> Result<Option<String>, String> {
    let (state, username) = {
        let app_state = app.state::<crate::AppState>();
        app_state
            .with_store(|store| Ok((store.case(case_id)?.state, store.username().to_string())))?
    };
    let today = chrono::Local::now().date_naive();
    let doc = casebook_report::chronology(&state, today, &username, Utc::now());
    let pdf = make_pdf(&doc)?;
    let family = state
        .details
        .as_ref()
        .map(|d| d.family_name.as_str())
        .unwrap_or("case");
    let file_name = format!("Chronology - {}.pdf", file_name_part(family));
    let Some(path) = ask(&app, Ask::File { title: "Save the case chronology", file_name }).await? else {
        return Ok(None);
    };
    write_atomically(&path, &pdf)?;
    Ok(Some(path.display().to_string()))
}

/// Saves everything this laptop holds about one person (every case that names them, with every
/// event) as "Subject access - <name>.json" and ".pdf" in a folder the clinician chooses.
/// `case_id` is the case the request was made from; the person must be named in it. Returns the
/// folder, or `None` if they cancelled.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_subject_access(
    app: AppHandle,
    case_id: Uuid,
    person_name: String,
) -> Result<Option<String>, String> {
    let person_name = person_name.split_whitespace().collect::<Vec<_>>().join(" ");
    if person_name.is_empty() {
        return Err("Give the name of the person the subject access request is about.".to_string());
    }
    let (cases, username) = {
        let app_state = app.state::<crate::AppState>();
        app_state.with_store(|store| {
            let mut cases: Vec<(CaseState, Vec<Event>)> = Vec::new();
            for summary in store.all_cases()? {
                let events = store.case_events(summary.case_id)?;
                let state = fold(summary.case_id, &events);
                if casebook_report::mentions(&state, &person_name) {
                    cases.push((state, events));
                }
            }
            Ok((cases, store.username().to_string()))
        })?
    };
    if !cases.iter().any(|(state, _)| state.case_id == case_id) {
        return Err(format!(
            "No one called {person_name} is recorded on this case. Use the name exactly as it appears in the \
             family's details, then export again."
        ));
    }
    let (json, doc) = casebook_report::subject_access(&person_name, &cases, &username, Utc::now());
    let pdf = make_pdf(&doc)?;
    let json = serde_json::to_vec_pretty(&json).map_err(|e| {
        format!("Casebook could not write the subject access file ({e}). Please report this.")
    })?;
    let Some(folder) = ask(&app, Ask::Folder { title: "Choose a folder for the subject access export" }).await? else {
        return Ok(None);
    };
    let base = format!("Subject access - {}", file_name_part(&person_name));
    write_atomically(&folder.join(format!("{base}.json")), &json)?;
    write_atomically(&folder.join(format!("{base}.pdf")), &pdf)?;
    Ok(Some(folder.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_everywhere() {
        assert_eq!(file_name_part("Testfamily"), "Testfamily");
        assert_eq!(file_name_part("O'Brien / Smith"), "O'Brien - Smith");
        assert_eq!(file_name_part("  ..a:b*c?  "), "a-b-c-");
        assert_eq!(file_name_part(" . "), "unnamed");
    }

    #[test]
    fn writes_atomically_and_replaces_an_old_file() {
        let dir = std::env::temp_dir().join(format!("casebook-export-test-{}", Uuid::new_v4()));
        let path = dir.join("Chronology - Test.pdf");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
