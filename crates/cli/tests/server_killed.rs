//! The sync engine (through `casebook sync`) against the real `casebook-server` binary, killed
//! with SIGKILL while the laptop is pushing a large backlog: the sync fails with a plain sentence,
//! and after a restart the next sync completes with every event held once, on both sides.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "copper kettle meadow lantern";
const PASSWORD: &str = "fictional kill-test password";

/// The server binary from the same build. Cargo only hands a test its own package's binaries, so
/// find it beside `casebook`, building it first when only this package was built.
fn server_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_casebook")).with_file_name(format!("casebook-server{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "casebook-server", "--bin", "casebook-server"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "could not build casebook-server");
    }
    path
}

fn admin(dir: &Path, args: &[&str]) {
    let out = Command::new(server_binary()).arg("--data").arg(dir).args(args).env("CASEBOOK_NEW_PASSWORD", PASSWORD).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `/metrics` answers only to its configured token.
const METRICS_TOKEN: &str = "fictional-metrics-token-for-tests";

fn serve(dir: &Path, port: u16) -> Child {
    let config = dir.join("server.toml");
    std::fs::write(&config, format!("metrics_token = \"{METRICS_TOKEN}\"\n")).unwrap();
    let mut child = Command::new(server_binary())
        .arg("--data")
        .arg(dir)
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "the server exited at start-up");
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Events the central store says it has stored, from its Prometheus counters.
fn events_stored(port: u16) -> Option<u64> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(format!("GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {METRICS_TOKEN}\r\nConnection: close\r\n\r\n").as_bytes()).ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.lines().find_map(|l| l.strip_prefix("casebook_events_stored_total ")).and_then(|v| v.trim().parse().ok())
}

fn casebook(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .env("CASEBOOK_PASSPHRASE", PASSPHRASE)
        .env("CASEBOOK_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_central_store_killed_mid_push_loses_and_doubles_nothing() {
    let central = tempfile::tempdir().unwrap();
    admin(central.path(), &["init"]);
    admin(central.path(), &["team", "add", "Test Team"]);
    admin(central.path(), &["user", "add", "clin.kill", "--team", "Test Team", "--role", "clinician"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = serve(central.path(), port);

    // A month of offline work: 20 cases of 200 events, far more than one push batch.
    let laptop = tempfile::tempdir().unwrap();
    let mut written = std::collections::HashSet::new();
    {
        let mut store = casebook_store::Store::create(laptop.path(), PASSPHRASE, "clin.kill").unwrap();
        for c in 0..20 {
            let details = casebook_domain::CaseOpened { family_name: format!("Testfamily-Kill{c:02}"), parent: None, due_date: None, infant: None, to_team_inbox: false };
            let case = store.open_case(details).unwrap().case_id;
            for n in 0..199 {
                let input = casebook_store::DraftInput {
                    case_id: case,
                    note_id: None,
                    contact_id: None,
                    occurred_on: chrono::Local::now().date_naive(),
                    text: format!("Fictional note {n} for case {c}, written with no signal."),
                };
                store.sign_note(input).unwrap();
            }
            written.extend(store.case_event_ids(case).unwrap());
        }
    }
    assert_eq!(written.len(), 4_000);
    let out = casebook(laptop.path(), &["login", "--server", &url, "--user", "clin.kill"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Kill the server once it has stored part of the backlog, while the laptop is still pushing.
    let sync = Command::new(env!("CARGO_BIN_EXE_casebook"))
        .arg("--data")
        .arg(laptop.path())
        .arg("sync")
        .env("CASEBOOK_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored_when_killed = loop {
        let n = events_stored(port).unwrap_or(0);
        if n > 0 {
            break n;
        }
        assert!(Instant::now() < deadline, "the laptop never started pushing");
        std::thread::sleep(Duration::from_millis(2));
    };
    server.kill().unwrap();
    server.wait().unwrap();
    let out = sync.wait_with_output().unwrap();
    if stored_when_killed < 4_000 {
        assert!(!out.status.success(), "a sync whose server died part-way must not claim success");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.is_empty() && !err.contains("panicked"), "a plain sentence, not a crash: {err}");
    }
    eprintln!("server killed after storing {stored_when_killed} of 4000 events");

    // Restarted, the next sync finishes the job.
    let mut server = serve(central.path(), port);
    let out = casebook(laptop.path(), &["sync", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&casebook(laptop.path(), &["status", "--json"]).stdout).unwrap();
    assert_eq!(status["waiting"], 0, "{status}");
    let _ = server.kill();
    let _ = server.wait();

    let store = casebook_store::Store::open(laptop.path(), PASSPHRASE).unwrap();
    let mut held = Vec::new();
    for case in store.list_cases().unwrap() {
        held.extend(store.case_event_ids(case.case_id).unwrap());
    }
    assert_eq!(held.len(), 4_000, "nothing doubled on the laptop");
    assert_eq!(held.iter().copied().collect::<std::collections::HashSet<_>>(), written);

    // And the central store, read straight from its file, holds each event exactly once.
    let db = rusqlite_count(&central.path().join("central.db"));
    assert_eq!(db, 4_000, "every event once on the central store");
}

fn rusqlite_count(path: &Path) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    use casebook_server::storage::Storage;
    // `init` made the store's key beside it (central.key), as it does when none is given.
    let key = casebook_server::key::StoreKey::from_file(&path.with_file_name("central.key")).unwrap();
    let storage = casebook_server::storage::sqlite::SqliteStorage::open(path, &key).unwrap();
    runtime.block_on(storage.event_count()).unwrap()
}
