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
    "get_case_page",
    "vocabulary",
    "service_profiles",
    "rules_problems",
    "check_referral",
    "receive_referral",
    "change_referral_status",
    "record_consultation",
    "record_person",
    "plan_contact",
    "measure_form",
    "score_measure",
    "check_goals",
    "record_measure",
    "assess_risk",
    "raise_alert",
    "clear_alert",
    "add_task",
    "complete_task",
    "discharge",
    "today_view",
    "check_nhs_number",
    "save_form_draft",
    "form_draft",
    "discard_form_draft",
    "export_chronology",
    "export_subject_access",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run the Tauri build script");
}
