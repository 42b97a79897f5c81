//! TLS to PostgreSQL with full verification, against the test cluster of scripts/postgres.sh,
//! which offers TLS with a certificate for IP 127.0.0.1 from a throw-away authority
//! (CASEBOOK_TEST_DATABASE_CA).

use casebook_server::storage::postgres::PostgresStorage;
use casebook_server::storage::OpenError;
use std::path::PathBuf;

fn cluster() -> (String, PathBuf) {
    let url = std::env::var("CASEBOOK_TEST_DATABASE_URL").expect("run under scripts/postgres.sh (CASEBOOK_TEST_DATABASE_URL)");
    let ca = std::env::var("CASEBOOK_TEST_DATABASE_CA").expect("run under scripts/postgres.sh (CASEBOOK_TEST_DATABASE_CA)");
    (url, PathBuf::from(ca))
}

fn refusal(result: Result<PostgresStorage, OpenError>) -> String {
    match result {
        Err(OpenError::Tls(sentence)) => sentence,
        Err(other) => panic!("refused, but not for TLS: {other}"),
        Ok(_) => panic!("the connection was accepted"),
    }
}

#[tokio::test]
async fn verify_full_with_the_authority_that_signed_the_database_connects_encrypted() {
    let (url, ca) = cluster();
    let s = PostgresStorage::connect_with_ca(&format!("{url}?sslmode=verify-full"), Some(&ca)).await.unwrap();
    assert!(s.connection_is_encrypted().await.unwrap(), "the database sees an encrypted connection");
    // The same, with the authority named in the URL as libpq does.
    let s = PostgresStorage::connect(&format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display())).await.unwrap();
    assert!(s.connection_is_encrypted().await.unwrap());
    // A plain connection on loopback is still plain (the control: the query can say false).
    let plain = PostgresStorage::connect(&url).await.unwrap();
    assert!(!plain.connection_is_encrypted().await.unwrap());
}

#[tokio::test]
async fn a_certificate_from_an_authority_not_trusted_is_refused_with_a_sentence() {
    let (url, _) = cluster();
    let url = format!("{url}?sslmode=verify-full");
    // The system's authorities do not include the throw-away one.
    let sentence = refusal(PostgresStorage::connect(&url).await);
    assert!(sentence.contains("not signed by an authority this server trusts") && sentence.contains("--database-ca"), "{sentence}");
    // Nor does another authority's certificate.
    let dir = tempfile::tempdir().unwrap();
    let other_ca = dir.path().join("other-ca.pem");
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=Some other authority (fictional)", "-keyout"])
        .arg(dir.path().join("other-ca.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .expect("openssl is installed");
    assert!(made.status.success());
    let sentence = refusal(PostgresStorage::connect_with_ca(&url, Some(&other_ca)).await);
    assert!(sentence.contains("not signed by an authority this server trusts"), "{sentence}");
}

#[tokio::test]
async fn the_certificate_must_name_the_host_connected_to() {
    let (url, ca) = cluster();
    // The certificate names IP 127.0.0.1 only; "localhost" reaches the same server.
    let by_name = url.replacen("127.0.0.1", "localhost", 1);
    assert_ne!(by_name, url);
    let sentence = refusal(PostgresStorage::connect_with_ca(&format!("{by_name}?sslmode=verify-full"), Some(&ca)).await);
    assert!(sentence.contains("not for the host name"), "{sentence}");
}
