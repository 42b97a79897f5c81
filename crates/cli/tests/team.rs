//! The team's work from the command line, against a real central store on loopback: admin staff
//! log a referral offline, the lead sees it in the inbox after a sync and allocates it to two
//! clinicians, each clinician receives the case with its history; a decline with its reason; the
//! lead's view of the team with a laptop that has not synced. All data is fictional.

mod common;

use casebook_protocol::Role;
use casebook_server::api::{Service, ServiceConfig};
use casebook_server::storage::{sqlite::SqliteStorage, Storage};
use common::*;
use std::path::Path;
use std::sync::Arc;

const PASSWORD: &str = "fictional cli password";

fn as_user(dir: &Path, args: &[&str]) -> Run {
    casebook_env(dir, args, &[("CASEBOOK_PASSPHRASE", PASSPHRASE), ("CASEBOOK_PASSWORD", PASSWORD)])
}

/// A laptop store for `user`, signed in to the central store at `url`.
fn laptop(user: &str, url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    as_user(dir.path(), &["init", "--user", user, "--json"]).ok();
    as_user(dir.path(), &["login", "--server", url, "--user", user, "--device-name", &format!("{user}'s test laptop"), "--json"]).ok();
    dir
}

fn referral(dir: &Path, family: &str) -> String {
    let received = chrono::Local::now().date_naive().to_string();
    let args = [
        "referral", "add", "--family-name", family, "--parent", "Fictional Parent", "--due-date", &due_in(90), "--received", &received,
        "--service", "wigan-babs", "--referrer-name", "Fictional Midwife", "--referrer-role", "midwife", "--consent", "yes", "--reason",
        "lack_of_bonding", "--residence", "yes", "--json",
    ];
    as_user(dir, &args).ok().json()["case_id"].as_str().unwrap().to_string()
}

fn caseload(dir: &Path) -> Vec<String> {
    as_user(dir, &["case", "list", "--json"]).ok().json().as_array().unwrap().iter().map(|c| c["family_name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_referral_goes_from_admin_staff_through_the_lead_to_two_clinicians() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let central_dir = tempfile::tempdir().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let url = runtime.block_on(async {
        let storage: Arc<dyn Storage> =
            Arc::new(SqliteStorage::open(&central_dir.path().join("central.db"), &casebook_server::key::StoreKey::generate()).unwrap());
        storage.migrate().await.unwrap();
        storage.add_team("Test Team").await.unwrap();
        let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
        for (user, role) in [("admin.one", Role::Admin), ("lead.one", Role::Lead), ("clin.one", Role::Clinician), ("clin.two", Role::Clinician)] {
            storage.add_user(user, "Test Team", role, &hash).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(casebook_server::serve(listener, Service::new(storage, ServiceConfig::default()), async move {
            let _ = stopped.await;
        }));
        url
    });
    let admin = laptop("admin.one", &url);
    let lead = laptop("lead.one", &url);
    let one = laptop("clin.one", &url);
    let two = laptop("clin.two", &url);
    for dir in [&admin, &lead, &one, &two] {
        as_user(dir.path(), &["sync", "--json"]).ok();
    }
    // clin.one's second laptop signs in and never syncs: the lead's view must flag it.
    let _spare = laptop("clin.one", &url);

    // Admin staff log two referrals with no connection (nothing is sent until they sync): they
    // wait in the inbox, not in a caseload. A clinical entry is refused on the laptop at once.
    let case = referral(admin.path(), "Testfamily-Inbox");
    let other = referral(admin.path(), "Testfamily-Elsewhere");
    let inbox = as_user(admin.path(), &["inbox", "--json"]).ok().json();
    assert_eq!(inbox["inbox"].as_array().unwrap().len(), 2);
    assert!(caseload(admin.path()).is_empty(), "a referral in the inbox is not in anyone's caseload");
    let err = as_user(admin.path(), &["note", "sign", "--case", &case, "--text", "Fictional note"]).fails();
    assert!(err.contains("Admin staff log referrals"), "{err}");
    let err = as_user(admin.path(), &["triage", "--referral", &case, "--decision", "accept", "--to", "clin.one"]).fails();
    assert!(err.contains("Only the team's lead triages referrals"), "{err}");
    as_user(admin.path(), &["sync", "--json"]).ok();

    // The lead sees them after a sync; a clinician does not, and may not triage.
    as_user(lead.path(), &["sync", "--json"]).ok();
    let inbox = as_user(lead.path(), &["inbox", "--json"]).ok().json();
    let families: Vec<&str> = inbox["inbox"].as_array().unwrap().iter().map(|e| e["family_name"].as_str().unwrap()).collect();
    assert_eq!(families.len(), 2, "{inbox}");
    assert!(families.contains(&"Testfamily-Inbox") && families.contains(&"Testfamily-Elsewhere"));
    assert_eq!(inbox["inbox"][0]["triage"]["state"], "awaiting");
    as_user(one.path(), &["sync", "--json"]).ok();
    assert!(caseload(one.path()).is_empty());
    let err = as_user(one.path(), &["triage", "--referral", &case, "--decision", "accept", "--to", "clin.one"]).fails();
    assert!(err.contains("Only the team's lead"), "{err}");

    // Bad input gets one sentence.
    let err = as_user(lead.path(), &["triage", "--referral", &case, "--decision", "allocate"]).fails();
    assert!(err.contains("choose accept, consultation, signpost or decline"), "{err}");
    let err = as_user(lead.path(), &["triage", "--referral", &other, "--decision", "decline"]).fails();
    assert!(err.contains("Say why the referral is declined"), "{err}");
    let err = as_user(lead.path(), &["triage", "--referral", &case, "--decision", "accept", "--to", "someone.else"]).fails();
    assert!(err.contains("someone.else is not on Test Team"), "{err}");
    let err = as_user(lead.path(), &["triage", "--referral", &case, "--decision", "accept", "--to", "admin.one"]).fails();
    assert!(err.contains("never hold cases"), "{err}");

    // The lead accepts one for two clinicians (co-working) and declines the other, with its reason.
    let made = as_user(lead.path(), &["triage", "--referral", &case, "--decision", "accept", "--to", "clin.one", "--to", "clin.two", "--json"]).ok().json();
    assert_eq!(made["details"]["allocate_to"], serde_json::json!(["clin.one", "clin.two"]));
    let human = as_user(lead.path(), &["triage", "--referral", &other, "--decision", "decline", "--reason", "Fictional: lives outside the area"]).ok().stdout();
    assert!(human.starts_with("Declined on "), "{human}");
    assert!(as_user(lead.path(), &["inbox", "--json"]).ok().json()["inbox"].as_array().unwrap().is_empty());
    let waiting = as_user(lead.path(), &["inbox", "--json"]).ok().json()["waiting"].clone();
    assert_eq!(waiting[0]["family_name"], "Testfamily-Inbox", "accepted, not yet seen: on the waiting list");
    as_user(lead.path(), &["sync", "--json"]).ok();

    // Each clinician receives the accepted case with its history; nobody receives the declined one.
    for dir in [&one, &two] {
        as_user(dir.path(), &["sync", "--json"]).ok();
        assert_eq!(caseload(dir.path()), ["Testfamily-Inbox"]);
        let shown = as_user(dir.path(), &["case", "show", &case, "--json"]).ok().json();
        assert_eq!(shown["state"]["record"]["referral"]["details"]["referrer"]["name"], "Fictional Midwife");
        assert_eq!(shown["state"]["record"]["referral"]["triage_state"]["state"], "decided");
        assert_eq!(shown["state"]["record"]["referral"]["status"], "accepted");
    }
    // Admin staff see the decisions too, never anything clinical.
    as_user(one.path(), &["note", "sign", "--case", &case, "--text", "Fictional first visit note", "--json"]).ok();
    as_user(one.path(), &["sync", "--json"]).ok();
    as_user(admin.path(), &["sync", "--json"]).ok();
    let seen = as_user(admin.path(), &["case", "show", &other, "--json"]).ok().json();
    assert_eq!(seen["state"]["record"]["referral"]["status"], "declined");
    let seen = as_user(admin.path(), &["case", "show", &case, "--json"]).ok().json();
    assert!(seen["state"]["signed_notes"].as_array().unwrap().is_empty(), "no clinical content reaches admin staff");

    // The lead's view: who holds what, and clin.two's laptop, last in touch before its note.
    as_user(two.path(), &["note", "sign", "--case", &case, "--text", "Fictional note not yet sent", "--json"]).ok();
    as_user(lead.path(), &["sync", "--json"]).ok();
    let view = as_user(lead.path(), &["team", "--json"]).ok().json();
    assert_eq!(view["team"], "Test Team");
    let loads: Vec<(String, usize)> = view["caseloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["username"].as_str().unwrap().to_string(), c["cases"].as_array().unwrap().len()))
        .collect();
    assert_eq!(loads, [("clin.one".to_string(), 1), ("clin.two".to_string(), 1)]);
    // Five laptops; the one that never synced comes first, flagged; the others synced today.
    let laptops = view["laptops"].as_array().unwrap();
    assert_eq!(laptops.len(), 5);
    assert_eq!((laptops[0]["username"].as_str(), laptops[0]["silent"].as_bool()), (Some("clin.one"), Some(true)), "{view}");
    assert!(laptops[0]["device"]["last_sync_at"].is_null());
    assert!(laptops[1..].iter().all(|l| l["silent"] == false), "{view}");
    let two_laptop = laptops.iter().find(|l| l["username"] == "clin.two").unwrap();
    assert_eq!(two_laptop["device"]["notes_waiting_at_sync"], 0, "its note was signed after its last sync");
    let human = as_user(lead.path(), &["team"]).ok().stdout();
    assert!(human.contains("Not synced for more than 2 working days: clin.one on clin.one's test laptop (never synced)."), "{human}");
    let err = as_user(one.path(), &["team"]).fails();
    assert!(err.contains("for the team's lead"), "{err}");
    let err = as_user(lead.path(), &["team", "--silent-after", "0"]).fails();
    assert!(err.contains("--silent-after between 1 and 60"), "{err}");

    // The lead moves the case to clin.one alone while clin.two's laptop still holds its unsent
    // note: at clin.two's next sync the note arrives, nothing is lost, then the case leaves.
    as_user(lead.path(), &["triage", "--referral", &case, "--decision", "accept", "--to", "clin.one", "--json"]).ok();
    as_user(lead.path(), &["sync", "--json"]).ok();
    let summary = as_user(two.path(), &["sync", "--json"]).ok().json();
    assert_eq!(summary["cases_removed"], 1, "{summary}");
    assert!(caseload(two.path()).is_empty());
    as_user(lead.path(), &["sync", "--json"]).ok();
    let shown = as_user(lead.path(), &["case", "show", &case, "--json"]).ok().json();
    let texts: Vec<&str> = shown["state"]["signed_notes"].as_array().unwrap().iter().map(|n| n["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"Fictional note not yet sent") && texts.contains(&"Fictional first visit note"), "{texts:?}");
    let view = as_user(lead.path(), &["team", "--json"]).ok().json();
    let two_laptop = view["laptops"].as_array().unwrap().iter().find(|l| l["username"] == "clin.two").unwrap().clone();
    assert_eq!(two_laptop["device"]["notes_waiting_at_sync"], 1, "the note it held when that sync began");
    let _ = stop.send(());
}
