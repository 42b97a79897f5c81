//! Black-box tests of `casebook-server`'s administration commands, as the trust's IT would run them.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_casebook-server");

fn run(dir: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data").arg(dir).args(args);
    for var in [
        "CASEBOOK_NEW_PASSWORD",
        "CASEBOOK_DATABASE_URL",
        "CASEBOOK_SERVER_KEY",
        "CASEBOOK_SERVER_KEY_FILE",
        "CASEBOOK_SERVER_NEW_KEY",
        "CASEBOOK_SERVER_BACKUP_KEY_FILE",
    ] {
        cmd.env_remove(var);
    }
    if let Some(p) = password {
        cmd.env("CASEBOOK_NEW_PASSWORD", p);
    }
    cmd.stdin(std::process::Stdio::null()).output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args, Some("fictional admin password"));
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(dir: &Path, args: &[&str], password: Option<&str>) -> String {
    let out = run(dir, args, password);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    err
}

#[test]
fn setting_up_a_team_and_managing_laptops() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(ok(d, &["init"]).contains("The central store is ready"));
    ok(d, &["init"]); // safe to run again
    ok(d, &["team", "add", "Test Team"]);
    assert!(fails(d, &["team", "add", "Test Team"], None).contains("already a team called 'Test Team'"));
    ok(d, &["user", "add", "clin.one", "--team", "Test Team", "--role", "clinician"]);
    ok(d, &["user", "add", "lead.one", "--team", "Test Team", "--role", "lead"]);
    assert!(fails(d, &["user", "add", "clin.two", "--team", "Test Team", "--role", "boss"], Some("fictional admin password")).contains("not a role"));
    assert!(fails(d, &["user", "add", "clin.two", "--team", "No Such Team", "--role", "clinician"], Some("fictional admin password")).contains("no team called"));
    assert!(fails(d, &["user", "add", "clin.two", "--team", "Test Team", "--role", "clinician"], Some("short")).contains("at least 12 characters"));
    assert!(fails(d, &["user", "add", "clin.two", "--team", "Test Team", "--role", "clinician"], None).contains("CASEBOOK_NEW_PASSWORD"));
    assert!(fails(d, &["user", "add", "clin.one", "--team", "Test Team", "--role", "clinician"], Some("fictional admin password")).contains("already a user"));

    assert!(ok(d, &["device", "list"]).contains("No laptops are registered yet"));
    let listed: serde_json::Value = serde_json::from_str(&ok(d, &["device", "list", "--json"])).unwrap();
    assert_eq!(listed, serde_json::json!([]));
    assert!(fails(d, &["device", "revoke", "0190c3b2-7f1e-7a33-9c4d-2b1e5f6a7c8d"], None).contains("no device"));
    assert!(fails(d, &["device", "revoke", "laptop-7"], None).contains("not a device id"));
    assert!(fails(d, &["allocate", "--case", "0190c3b2-7f1e-7a33-9c4d-2b1e5f6a7c8d", "--user", "clin.one"], None).contains("not on the central store yet"));
    assert!(fails(d, &["allocate", "--case", "0190c3b2-7f1e-7a33-9c4d-2b1e5f6a7c8d", "--user", "nobody"], None).contains("no user called"));

    let demo = ok(d, &["demo"]);
    assert!(demo.contains("Fictional use only"), "{demo}");
    ok(d, &["demo"]); // idempotent
}

#[test]
fn backup_is_a_usable_copy_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    ok(d, &["team", "add", "Test Team"]);
    ok(d, &["user", "add", "clin.one", "--team", "Test Team", "--role", "clinician"]);
    let to = d.join("backup-1.db");
    assert!(ok(d, &["backup", "--to", to.to_str().unwrap()]).contains("Backed up"));
    // The copy is encrypted with the store's key (central.key, made by init).
    let key = std::fs::read_to_string(d.join("central.key")).unwrap();
    let copy = rusqlite::Connection::open(&to).unwrap();
    copy.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.trim())).unwrap();
    let users: i64 = copy.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!(users, 1);
    assert_eq!(copy.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    assert!(fails(d, &["backup", "--to", to.to_str().unwrap()], None).contains("already exists"));
    // A restored copy serves: put it in a new data directory with the key it was made with.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&to, restored.path().join("central.db")).unwrap();
    std::fs::copy(d.join("central.key"), restored.path().join("central.key")).unwrap();
    assert!(fails(restored.path(), &["team", "add", "Test Team"], None).contains("already a team"));
}

#[test]
fn operations_settings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = fails(d, &["serve", "--listen", "127.0.0.1:0"], None);
    assert!(err.contains("There is no central store in") && err.contains("init"), "serve does not make an empty store: {err}");
    ok(d, &["init"]);
    let err = fails(d, &["serve", "--listen", "0.0.0.0:0"], None);
    assert!(err.contains("Refusing to serve plain HTTP") && err.contains("--tls-cert"), "{err}");
    let config = d.join("casebook-server.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nsurprise = true\n").unwrap();
    let err = fails(d, &["--config", config.to_str().unwrap(), "init"], None);
    assert!(err.contains("is not a valid configuration") && err.contains("surprise"), "{err}");
    std::fs::write(&config, format!("data = {:?}\n", d.join("from-config").display().to_string())).unwrap();
    let out = Command::new(BIN).args(["--config", config.to_str().unwrap(), "init"]).output().unwrap();
    assert!(out.status.success());
    assert!(d.join("from-config").join("central.db").exists(), "the data directory came from the config file");
}

/// HTTPS with rustls: a self-signed certificate made with the openssl command, checked with curl.
#[test]
fn serves_https_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (cert, key) = (d.join("cert.pem"), d.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed (scripts/setup.sh)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    ok(d, &["init"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(BIN)
        .arg("--data")
        .arg(d)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let curl = |scheme: &str| {
        Command::new("curl")
            .args(["-s", "--max-time", "2", "--cacert"])
            .arg(&cert)
            .arg(format!("{scheme}://127.0.0.1:{port}/healthz"))
            .output()
            .unwrap()
    };
    let mut body = String::new();
    for _ in 0..100 {
        let out = curl("https");
        if out.status.success() {
            body = String::from_utf8_lossy(&out.stdout).into_owned();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let plain = curl("http");
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(body, "ok", "HTTPS answers with a certificate the client trusts");
    assert!(!plain.status.success() || String::from_utf8_lossy(&plain.stdout) != "ok", "plain HTTP is not served on the TLS port");
    // A key that cannot be loaded stops the start before anything claims to be listening.
    let missing = run(d, &["serve", "--listen", "127.0.0.1:0", "--tls-cert", cert.to_str().unwrap(), "--tls-key", d.join("missing.pem").to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success() && err.contains("Could not read the TLS key") && err.contains("missing.pem"), "{err}");
    assert!(!String::from_utf8_lossy(&missing.stdout).contains("listening"), "nothing announced: {}", String::from_utf8_lossy(&missing.stdout));
    // A key that is not the certificate's is refused at start too.
    let other_key = d.join("other-key.pem");
    let made = Command::new("openssl").args(["genrsa", "-out"]).arg(&other_key).arg("2048").output().unwrap();
    assert!(made.status.success());
    let mismatched = run(d, &["serve", "--listen", "127.0.0.1:0", "--tls-cert", cert.to_str().unwrap(), "--tls-key", other_key.to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&mismatched.stderr);
    assert!(!mismatched.status.success() && err.contains("do not work together"), "{err}");
    assert!(!String::from_utf8_lossy(&mismatched.stdout).contains("listening"));
}

/// Runs with a configuration file holding `toml`.
fn with_config(dir: &Path, toml: &str, args: &[&str]) -> Output {
    let config = dir.join("server.toml");
    std::fs::write(&config, toml).unwrap();
    let mut all = vec!["--config", config.to_str().unwrap()];
    all.extend_from_slice(args);
    run(dir, &all, None)
}

#[test]
fn configuration_values_are_checked_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (toml, says) in [
        ("token_ttl_minutes = 0", "token_ttl_minutes must be between 1 and 1440"),
        ("token_ttl_minutes = -5", "token_ttl_minutes must be between 1 and 1440"),
        ("token_ttl_minutes = 9223372036854775807", "token_ttl_minutes must be between 1 and 1440"),
        ("max_body_bytes = 0", "max_body_bytes must be between 65536"),
        ("max_connections = 100000000", "max_connections must be between 8 and"),
        ("header_timeout_seconds = 0", "header_timeout_seconds must be between 1 and 300"),
        ("idle_timeout_seconds = -1", "idle_timeout_seconds must be between 1 and 3600"),
        ("trusted_proxies = [\"proxy.trust\"]", "'proxy.trust' in trusted_proxies is not an IP address"),
        ("metrics_token = \"short\"", "metrics_token must be at least 16 characters"),
    ] {
        let out = with_config(d, toml, &["serve", "--listen", "127.0.0.1:0"]);
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert!(!out.status.success(), "{toml} is refused");
        assert_eq!(err.lines().count(), 1, "{toml}: one sentence: {err}");
        assert!(err.contains(says) && !err.contains("panicked"), "{toml}: {err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"), "{toml}: refused before serving");
    }
    let good = "token_ttl_minutes = 30\nmax_body_bytes = 1048576\nmax_connections = 100\nheader_timeout_seconds = 5\nidle_timeout_seconds = 30\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\nmetrics_token = \"a-long-fictional-metrics-token\"\n";
    assert!(with_config(d, good, &["init"]).status.success(), "sensible values are accepted");
}

#[test]
fn it_manages_accounts_and_weak_passwords_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    ok(d, &["team", "add", "Test Team"]);
    ok(d, &["team", "add", "Other Team"]);
    for weak in ["password1234", "aaaaaaaaaaaa"] {
        let err = fails(d, &["user", "add", "clin.weak", "--team", "Test Team", "--role", "clinician"], Some(weak));
        assert!(err.contains("easy to guess"), "{weak}: {err}");
    }
    ok(d, &["user", "add", "clin.one", "--team", "Test Team", "--role", "clinician"]);
    assert!(ok(d, &["user", "unlock", "clin.one"]).contains("can sign in again"));
    assert!(ok(d, &["user", "disable", "clin.one"]).contains("can no longer sign in"));
    assert!(ok(d, &["user", "enable", "clin.one"]).contains("can sign in and sync again"));
    assert!(ok(d, &["user", "set-role", "clin.one", "lead"]).contains("is now lead"));
    assert!(ok(d, &["user", "set-team", "clin.one", "Other Team"]).contains("is now on Other Team"));
    assert!(ok(d, &["user", "reset-password", "clin.one"]).contains("Set a new password"));
    assert!(fails(d, &["user", "reset-password", "clin.one"], Some("password1234")).contains("easy to guess"));
    for args in [&["user", "unlock", "nobody"][..], &["user", "disable", "nobody"], &["user", "set-role", "nobody", "lead"], &["user", "reset-password", "nobody"]] {
        assert!(fails(d, args, Some("fictional admin password")).contains("no user called 'nobody'"), "{args:?}");
    }
    assert!(fails(d, &["user", "set-role", "clin.one", "boss"], None).contains("not a role"));
    assert!(ok(d, &["user", "set-supervisor", "clin.one", "yes"]).contains("is now a named supervisor"));
    assert!(ok(d, &["user", "set-supervisor", "clin.one", "no"]).contains("is no longer a named supervisor"));
    assert!(fails(d, &["user", "set-supervisor", "clin.one", "maybe"], None).contains("is not yes or no"));
    assert!(fails(d, &["user", "set-supervisor", "nobody", "yes"], None).contains("no user called 'nobody'"));
    assert!(fails(d, &["user", "set-team", "clin.one", "No Team"], None).contains("no team called"));
}

#[test]
fn device_names_cannot_drive_the_terminal() {
    use casebook_server::storage::{sqlite::SqliteStorage, DeviceRecord, Storage};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["init"]);
    ok(d, &["team", "add", "Test Team"]);
    ok(d, &["user", "add", "clin.one", "--team", "Test Team", "--role", "clinician"]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let key = casebook_server::key::StoreKey::from_file(&d.join("central.key")).unwrap();
        let storage = SqliteStorage::open(&d.join("central.db"), &key).unwrap();
        let device = DeviceRecord {
            id: uuid::Uuid::new_v4(),
            username: "clin.one".into(),
            // Clears the screen and sets the window title, as a laptop may name itself.
            name: "laptop\u{1b}[2J\u{1b}]0;owned\u{7}\nfake row".into(),
            secret_hash: "0".repeat(64),
            created_at: chrono::Utc::now(),
            revoked_at: None,
            last_seen_at: None,
        };
        storage.add_device(&device).await.unwrap();
    });
    let listed = ok(d, &["device", "list"]);
    assert!(!listed.contains('\u{1b}') && !listed.contains('\u{7}'), "{listed:?}");
    assert!(listed.contains("laptop\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{a}fake row"), "{listed}");
    assert_eq!(listed.lines().count(), 1, "a name cannot add a line to the listing");
}

/// Rotation, backup and restore as IT runs them: each refusal is one sentence saying what to do.
#[test]
fn rekey_backup_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("store");
    let init = ok(&d, &["init"]);
    assert!(init.contains("central.key") && init.contains("Move it away"), "{init}");
    ok(&d, &["team", "add", "Test Team"]);
    let backup = dir.path().join("before-rekey.db");
    ok(&d, &["backup", "--to", backup.to_str().unwrap()]);

    let new_key = dir.path().join("keys").join("new.key");
    let out = ok(&d, &["rekey", "--new-key-file", new_key.to_str().unwrap()]);
    assert!(out.contains("the old key no longer opens it"), "{out}");
    let err = fails(&d, &["team", "add", "Other Team"], None);
    assert!(err.contains("could not be opened with the key given"), "the old key (central.key) fails: {err}");
    let new_key_arg = new_key.to_str().unwrap().to_string();
    assert!(ok(&d, &["--key-file", &new_key_arg, "team", "add", "Other Team"]).contains("Added team"));

    // The backup taken before the rotation still needs the old key.
    let fresh = dir.path().join("restored");
    let backup_arg = backup.to_str().unwrap().to_string();
    let out = run(&fresh, &["--key-file", &new_key_arg, "restore", "--from", &backup_arg], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("could not be opened with the key given"), "{err}");
    assert!(!fresh.join("central.db").exists());
    let old_key = d.join("central.key");
    let out = ok(&fresh, &["--key-file", old_key.to_str().unwrap(), "restore", "--from", backup.to_str().unwrap()]);
    assert!(out.contains("Restored"), "{out}");
    assert!(fails(&fresh, &["--key-file", old_key.to_str().unwrap(), "team", "add", "Test Team"], None).contains("already a team"));
    let err = fails(&fresh, &["--key-file", old_key.to_str().unwrap(), "restore", "--from", backup.to_str().unwrap()], None);
    assert!(err.contains("There is already a store") && err.contains("aside"), "{err}");

    // A separate backup key, made on first use, restores onto a new machine with a key of its own.
    let backup_key = dir.path().join("backup.key");
    let offsite = dir.path().join("offsite.db");
    ok(&d, &["--key-file", &new_key_arg, "backup", "--to", offsite.to_str().unwrap(), "--backup-key-file", backup_key.to_str().unwrap()]);
    let machine = dir.path().join("new-machine");
    let out = ok(&machine, &["restore", "--from", offsite.to_str().unwrap(), "--backup-key-file", backup_key.to_str().unwrap()]);
    assert!(out.contains("Made a new random key") && out.contains("Restored"), "{out}");
    assert!(fails(&machine, &["team", "add", "Other Team"], None).contains("already a team"));

    // Both key sources at once are ambiguous.
    let mut cmd = Command::new(BIN);
    cmd.arg("--data").arg(&d).args(["--key-file", new_key.to_str().unwrap(), "device", "list"]).env("CASEBOOK_SERVER_KEY", "00".repeat(32));
    let out = cmd.output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not both"));
}

/// A store made before encryption at rest is refused until `encrypt` has run, then opens.
#[test]
fn a_plaintext_store_is_refused_until_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let c = rusqlite::Connection::open(d.join("central.db")).unwrap();
    c.execute_batch("CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE); INSERT INTO teams (name) VALUES ('Test Team');").unwrap();
    drop(c);
    for args in [&["init"][..], &["team", "add", "Other Team"]] {
        let err = fails(d, args, None);
        assert!(err.contains("is not encrypted") && err.contains("casebook-server encrypt"), "{err}");
    }
    let out = ok(d, &["encrypt"]);
    assert!(out.contains("Encrypted") && out.contains("central.key"), "{out}");
    ok(d, &["init"]);
    assert!(fails(d, &["team", "add", "Test Team"], None).contains("already a team"), "the old rows came across");
    assert!(fails(d, &["encrypt"], None).contains("already encrypted"));
}
