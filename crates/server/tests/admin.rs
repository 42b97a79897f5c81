//! Black-box tests of `casebook-server`'s administration commands, as the trust's IT would run them.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_casebook-server");

fn run(dir: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data").arg(dir).args(args).env_remove("CASEBOOK_NEW_PASSWORD").env_remove("CASEBOOK_DATABASE_URL");
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
    let copy = rusqlite::Connection::open(&to).unwrap();
    let users: i64 = copy.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!(users, 1);
    assert_eq!(copy.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
    assert!(fails(d, &["backup", "--to", to.to_str().unwrap()], None).contains("already exists"));
    // A restored copy serves: point a new data directory at it.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&to, restored.path().join("central.db")).unwrap();
    assert!(fails(restored.path(), &["team", "add", "Test Team"], None).contains("already a team"));
}

#[test]
fn operations_settings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
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
    let err = fails(d, &["serve", "--listen", "127.0.0.1:0", "--tls-cert", cert.to_str().unwrap(), "--tls-key", d.join("missing.pem").to_str().unwrap()], None);
    assert!(err.contains("Could not serve HTTPS") && err.contains("missing.pem"), "{err}");
}
