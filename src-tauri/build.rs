// The app's own commands get generated `allow-…` permissions, so the capability file grants
// exactly the commands the UI uses and nothing else.
const COMMANDS: &[&str] = &[
    "app_status",
    "create_store",
    "unlock",
    "lock",
    "passphrase_strength",
    "list_cases",
    "open_case",
    "get_case",
    "record_contact",
    "save_draft",
    "sign_note",
    "add_addendum",
    "search",
    "touch",
    "change_detail",
    "sync_sign_in",
    "sync_now",
    "sync_status",
    "default_server_url",
    "close_anyway",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run the Tauri build script");
}
