//! `casebook login`, `sync` and `status` against a real central store on loopback.

use casebook_protocol::Role;
use casebook_server::api::{Service, ServiceConfig};
use casebook_server::storage::{sqlite::SqliteStorage, Storage};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const PASSPHRASE: &str = "copper kettle meadow lantern";
const PASSWORD: &str = "fictional cli password";

fn casebook(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("CASEBOOK_PASSPHRASE", PASSPHRASE)
        .env("CASEBOOK_PASSWORD", PASSWORD)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).trim().to_string())
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let (ok, out, err) = casebook(dir, args);
    assert!(ok, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn login_sync_and_status_from_the_command_line() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let central_dir = tempfile::tempdir().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let url = runtime.block_on(async {
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&central_dir.path().join("central.db"), &casebook_server::key::StoreKey::generate()).unwrap());
        storage.migrate().await.unwrap();
        storage.add_team("Test Team").await.unwrap();
        let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
        storage.add_user("clin.one", "Test Team", Role::Clinician, &hash).await.unwrap();
        storage.add_user("clin.two", "Test Team", Role::Clinician, &hash).await.unwrap();
        storage.add_user("lead.one", "Test Team", Role::Lead, &hash).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(casebook_server::serve(listener, Service::new(storage, ServiceConfig::default()), async move {
            let _ = stopped.await;
        }));
        url
    });

    let one = tempfile::tempdir().unwrap();
    let lead = tempfile::tempdir().unwrap();
    json(one.path(), &["init", "--user", "clin.one", "--json"]);
    json(lead.path(), &["init", "--user", "lead.one", "--json"]);
    let (ok, _, err) = casebook(one.path(), &["sync"]);
    assert!(!ok && err.contains("not connected to a central store yet"), "{err}");

    let case = json(one.path(), &["case", "new", "--family-name", "Testfamily-CLI", "--json"])["case_id"].as_str().unwrap().to_string();
    json(one.path(), &["note", "sign", "--case", &case, "--text", "Fictional note from the command line", "--json"]);
    let status = json(one.path(), &["status", "--json"]);
    assert_eq!((status["waiting"].as_u64(), status["unsent_notes"].as_u64()), (Some(2), Some(1)));

    let signed_in = json(one.path(), &["login", "--server", &url, "--user", "clin.one", "--device-name", "Test laptop", "--json"]);
    assert_eq!(signed_in["team"], "Test Team");
    let summary = json(one.path(), &["sync", "--json"]);
    assert_eq!((summary["pushed"].as_u64(), summary["pulled"].as_u64(), summary["conflicts"].as_u64()), (Some(2), Some(0), Some(0)));
    let (_, human, _) = casebook(one.path(), &["status"]);
    assert!(human.contains(&format!("Signed in to {url} as clin.one. 0 waiting to be sent")), "{human}");

    json(lead.path(), &["login", "--server", &url, "--user", "lead.one", "--json"]);
    let (ok, out, err) = casebook(lead.path(), &["sync"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "0 notes sent, 1 received; 1 other record updated.");
    let shown = json(lead.path(), &["case", "show", &case, "--json"]);
    assert_eq!(shown["state"]["signed_notes"][0]["text"], "Fictional note from the command line");

    let (ok, _, err) = casebook(lead.path(), &["login", "--server", &url, "--user", "clin.one"]);
    assert!(!ok && err.contains("sign in as lead.one"), "{err}");

    // The lead allocates the case to a second clinician, whose laptop then receives it; a
    // clinician cannot allocate.
    let two = tempfile::tempdir().unwrap();
    json(two.path(), &["init", "--user", "clin.two", "--json"]);
    json(two.path(), &["login", "--server", &url, "--user", "clin.two", "--json"]);
    let (ok, _, err) = casebook(one.path(), &["case", "allocate", &case, "--to", "clin.two"]);
    assert!(!ok && err == "Only team leads can allocate cases; ask your team lead.", "{err}");
    let (ok, out, err) = casebook(lead.path(), &["case", "allocate", &case, "--to", "clin.two"]);
    assert!(ok, "{err}");
    assert!(out.contains("Allocated the case to clin.two"));
    assert_eq!(json(two.path(), &["sync", "--json"])["pulled"], 2);
    json(lead.path(), &["case", "deallocate", &case, "--from", "clin.two", "--json"]);
    json(two.path(), &["sync", "--json"]);
    assert_eq!(json(two.path(), &["case", "list", "--json"]).as_array().unwrap().len(), 0, "the case left clin.two's laptop");
    let _ = stop.send(());
}

/// `casebook sync` killed with SIGKILL in the middle of receiving a large caseload, three times;
/// the next sync completes, and the laptop holds every event exactly once.
#[test]
fn a_sync_killed_mid_pull_resumes_without_gaps_or_doubles() {
    use casebook_domain::{testing::Laptop, CaseOpened, EventBody, NoteSigned};
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let central_dir = tempfile::tempdir().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&central_dir.path().join("central.db"), &casebook_server::key::StoreKey::generate()).unwrap());
    let url = runtime.block_on(async {
        storage.migrate().await.unwrap();
        storage.add_team("Test Team").await.unwrap();
        let hash = casebook_server::auth::hash_password(PASSWORD).unwrap();
        storage.add_user("clin.one", "Test Team", Role::Clinician, &hash).await.unwrap();
        storage.add_user("lead.one", "Test Team", Role::Lead, &hash).await.unwrap();
        // A colleague's two years of work: 40 cases, 6,000 events, stored straight into the central store.
        let author = storage.user("clin.one").await.unwrap().unwrap();
        let mut laptop = Laptop::new("clin.one");
        let now = chrono::Utc::now();
        let mut event = |case_id, body| laptop.write_at(case_id, now.timestamp_millis() as u64, body);
        for c in 0..40 {
            let case = uuid::Uuid::now_v7();
            let mut batch = vec![event(case, EventBody::CaseOpened(CaseOpened { family_name: format!("Testfamily-K{c}"), parent: None, due_date: None, infant: None, to_team_inbox: false }))];
            for n in 0..149 {
                batch.push(event(case, EventBody::NoteSigned(NoteSigned { note_id: uuid::Uuid::now_v7(), contact_id: None, occurred_on: now.date_naive(), text: format!("Fictional note {n} of case {c}, with enough words to make the page a realistic size.") })));
            }
            storage.push(&author, &batch).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(casebook_server::serve(listener, Service::new(storage.clone(), ServiceConfig::default()), async move {
            let _ = stopped.await;
        }));
        url
    });

    let lead = tempfile::tempdir().unwrap();
    json(lead.path(), &["init", "--user", "lead.one", "--json"]);
    json(lead.path(), &["login", "--server", &url, "--user", "lead.one", "--json"]);
    let mut killed_part_way = 0;
    for delay_ms in [700u64, 1100, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_casebook"))
            .arg("--data")
            .arg(lead.path())
            .arg("sync")
            .env("CASEBOOK_PASSPHRASE", PASSPHRASE)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            killed_part_way += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let summary = json(lead.path(), &["sync", "--json"]);
    assert_eq!(summary["conflicts"], 0);
    let cases = json(lead.path(), &["case", "list", "--json"]);
    assert_eq!(cases.as_array().unwrap().len(), 40);
    let store = casebook_store::Store::open(lead.path(), PASSPHRASE).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let mut total = 0;
    for c in cases.as_array().unwrap() {
        let id: uuid::Uuid = c["case_id"].as_str().unwrap().parse().unwrap();
        let ids = store.case_event_ids(id).unwrap();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(ids.len(), unique.len());
        let server: std::collections::HashSet<uuid::Uuid> = runtime.block_on(storage.case_events(id)).unwrap().iter().map(|e| e.event.id).collect();
        assert_eq!(unique.len(), server.len(), "the laptop holds exactly the central store's events for the case");
        total += ids.len();
    }
    assert_eq!(total, 6_000);
    eprintln!("{killed_part_way} of 3 syncs were killed part-way");
    let _ = stop.send(());
}
