//! Where a laptop may send notes, what it says when the central store's certificate is not
//! trusted, and signing out, against a real central store on loopback.

mod common;

use casebook_server::api::{Service, ServiceConfig};
use casebook_sync::{login, sign_out, sync, SyncError};
use common::*;
use std::process::Command;

#[test]
fn plain_http_is_refused_except_to_this_laptop() {
    let (_d, mut one) = laptop("clin.one");
    let err = login(&mut one, "http://casebook.example.org", "clin.one", PASSWORD, "laptop").unwrap_err();
    assert!(matches!(err, SyncError::PlainHttp(_)), "{err}");
    assert!(err.to_string().contains("encrypted connection"), "{err}");
    let c = central(ServiceConfig::default());
    assert!(c.url.starts_with("http://127.0.0.1:"));
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop").expect("loopback is allowed, for a demo or test store");
}

#[test]
fn an_untrusted_certificate_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed (scripts/setup.sh)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let c = central(ServiceConfig::default());
    let tls = casebook_server::connections::load_tls(&cert, &key).unwrap();
    let storage = c.storage.clone();
    let url = c.runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(casebook_server::serve_tls(listener, tls, Service::new(storage, ServiceConfig::default()), std::future::pending()));
        url
    });
    let (_d, mut one) = laptop("clin.one");
    let err = login(&mut one, &url, "clin.one", PASSWORD, "laptop").unwrap_err();
    assert!(matches!(err, SyncError::UntrustedCertificate { .. }), "{err:?}");
    let said = err.to_string();
    assert!(said.contains("certificate this laptop does not trust") && said.contains("ask IT"), "{said}");
    assert!(!said.contains("cannot be reached"), "{said}");
}

#[test]
fn signing_out_ends_the_token_and_the_next_sync_gets_another() {
    let c = central(ServiceConfig::default());
    let (_d, mut one) = laptop("clin.one");
    login(&mut one, &c.url, "clin.one", PASSWORD, "laptop").unwrap();
    let token = one.sync_value("access_token").unwrap().expect("a token after signing in");
    let me = |token: &str| {
        let out = Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H"]).arg(format!("Authorization: Bearer {token}")).arg(format!("{}/v1/me", c.url)).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(me(&token), "200");
    sign_out(&mut one).unwrap();
    assert_eq!(me(&token), "401", "the central store no longer accepts it");
    assert_eq!(one.sync_value("access_token").unwrap(), None, "nor does the laptop keep it");
    sync(&mut one).expect("the device credential gets a new token");
    assert_eq!(c.runtime.block_on(c.storage.devices()).unwrap().len(), 1);
}
