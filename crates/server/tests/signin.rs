//! Sign-in throttling, trusted proxies, IT's account changes and ending tokens, through a real
//! server on loopback, on both backends. Addresses other than loopback are given as
//! `X-Forwarded-For` from a trusted (loopback) proxy.

mod common;

use casebook_protocol::*;
use casebook_server::api::ServiceConfig;
use casebook_server::signin::TrustedProxies;
use common::*;
use uuid::Uuid;

fn behind_proxy() -> ServiceConfig {
    ServiceConfig { trusted_proxies: TrustedProxies::parse(&["127.0.0.1".into()]).unwrap(), ..ServiceConfig::default() }
}

/// A sign-in from `from` (an `X-Forwarded-For` address); the status and the `Retry-After` header.
async fn sign_in(h: &Harness, username: &str, password: &str, from: &str, device_id: Option<Uuid>) -> (u16, Option<u64>, serde_json::Value) {
    let resp = h
        .http
        .post(format!("{}/v1/login", h.base))
        .header("x-forwarded-for", from)
        .json(&serde_json::json!({"username": username, "password": password, "device_name": "test laptop", "device_id": device_id}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    (status, retry, resp.json().await.unwrap_or_default())
}

async fn a_guessing_storm_slows_only_the_guesser(backend: Backend) {
    let h = start(backend, behind_proxy()).await;
    seed_teams(&h).await;
    let (a, b) = ("203.0.113.5", "198.51.100.7");
    for _ in 0..5 {
        assert_eq!(sign_in(&h, "clin.a1", "wrong password", a, None).await.0, 401);
    }
    let (status, retry, body) = sign_in(&h, "clin.a1", PASSWORD, a, None).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("too_many_attempts")), "the guesser's address waits, even with the right password");
    assert_eq!(retry, Some(2), "each attempt while waiting doubles the wait");
    // The clinician, elsewhere, is not locked out by someone else's guessing.
    assert_eq!(sign_in(&h, "clin.a1", PASSWORD, b, None).await.0, 200, "another address signs in at once");
    // An unknown account is slowed exactly like a real one (nothing reveals which exist).
    for _ in 0..5 {
        let (status, _, body) = sign_in(&h, "nobody", "wrong password", a, None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("wrong_credentials")));
    }
    assert_eq!(sign_in(&h, "nobody", "wrong password", a, None).await.0, 429);
    // After the wait, the address may try again.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(sign_in(&h, "clin.a1", PASSWORD, a, None).await.0, 200, "the wait passed");
    // A success clears the account-and-address count.
    assert_eq!(sign_in(&h, "clin.a1", "wrong password", a, None).await.0, 401);
}

async fn spraying_many_accounts_from_one_address_is_slowed(backend: Backend) {
    let h = start(backend, behind_proxy()).await;
    seed_teams(&h).await;
    let sprayer = "192.0.2.66";
    for i in 0..30 {
        assert_eq!(sign_in(&h, &format!("guess.{i}"), "wrong password", sprayer, None).await.0, 401, "attempt {i}");
    }
    assert_eq!(sign_in(&h, "clin.a2", PASSWORD, sprayer, None).await.0, 429, "the address has used its allowance");
    assert_eq!(sign_in(&h, "clin.a2", PASSWORD, "192.0.2.67", None).await.0, 200, "its neighbour has not");
    // Sign-ins that succeed are not held against a shared address (a busy office).
    for _ in 0..35 {
        assert_eq!(sign_in(&h, "clin.b1", PASSWORD, "192.0.2.80", None).await.0, 200);
    }
}

async fn forwarded_addresses_count_only_from_trusted_proxies(backend: Backend) {
    // No trusted proxies: the header is the client's own claim and changes nothing.
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    for i in 0..5 {
        assert_eq!(sign_in(&h, "clin.a1", "wrong password", &format!("203.0.113.{i}"), None).await.0, 401);
    }
    assert_eq!(sign_in(&h, "clin.a1", PASSWORD, "198.51.100.7", None).await.0, 429, "all five came from loopback");
    // IT lets the account in again at once.
    h.storage.unlock("clin.a1").await.unwrap();
    assert_eq!(sign_in(&h, "clin.a1", PASSWORD, "198.51.100.7", None).await.0, 200);
    assert!(matches!(h.storage.unlock("nobody").await, Err(casebook_server::storage::StorageError::NoSuchUser(_))));
}

async fn disabled_accounts_cannot_sign_in_or_use_their_tokens(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let a1 = h.login("clin.a1").await;
    h.storage.set_disabled("clin.a1", Some(chrono::Utc::now())).await.unwrap();
    let (status, body) = error_body(h.get(&a1, "/v1/pull").await).await;
    assert_eq!((status, body.code.as_str()), (403, "account_disabled"), "an existing token is refused at once");
    let (status, body) = error_body(h.renew_token(a1.device_id(), &a1.device_secret).await).await;
    assert_eq!((status, body.code.as_str()), (403, "account_disabled"), "and cannot be renewed");
    assert_eq!(sign_in(&h, "clin.a1", PASSWORD, "127.0.0.1", None).await.0, 403);
    assert_eq!(sign_in(&h, "clin.a1", "wrong password", "127.0.0.1", None).await.0, 401, "only the password's holder learns it is disabled");
    h.storage.set_disabled("clin.a1", None).await.unwrap();
    assert_eq!(h.get(&a1, "/v1/pull").await.status(), 200, "enabled again");
    // A new password replaces the old one.
    h.storage.set_password("clin.a2", &casebook_server::auth::hash_password("another fictional passphrase").unwrap()).await.unwrap();
    assert_eq!(sign_in(&h, "clin.a2", PASSWORD, "127.0.0.1", None).await.0, 401);
    assert_eq!(sign_in(&h, "clin.a2", "another fictional passphrase", "127.0.0.1", None).await.0, 200);
}

async fn roles_and_teams_change_what_is_visible(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let mut a1 = h.login("clin.a1").await;
    let (case, opened) = a1.open_case("Testfamily-Roles");
    h.push(&a1, &[opened]).await;
    let lead = h.login("lead.a").await;
    assert_eq!(h.get(&lead, &format!("/v1/cases/{case}/digest")).await.status(), 200);
    // The lead steps down: the team's cases they did not write leave them, as after a deallocation.
    h.storage.set_role("lead.a", Role::Clinician).await.unwrap();
    assert_eq!(h.get(&lead, &format!("/v1/cases/{case}/digest")).await.status(), 404);
    let (_, _, removed) = h.pull_all(&lead, Cursor::default()).await;
    assert_eq!(removed, vec![case], "their laptop is told to let the case go");
    // A clinician becomes lead: the whole team's caseload, history included.
    h.storage.set_role("clin.a2", Role::Lead).await.unwrap();
    let a2 = h.login("clin.a2").await;
    let (events, _, _) = h.pull_all(&a2, Cursor::default()).await;
    assert_eq!(events.len(), 1);
    // A lead who moves team takes team-wide access with them to the new team only.
    h.storage.set_team("clin.a2", "Test Team B").await.unwrap();
    assert_eq!(h.get(&a2, &format!("/v1/cases/{case}/digest")).await.status(), 404);
    let me: serde_json::Value = h.get(&a2, "/v1/me").await.json().await.unwrap();
    assert_eq!(me["user"]["team"], "Test Team B");
    assert!(matches!(h.storage.set_team("clin.a2", "No Such Team").await, Err(casebook_server::storage::StorageError::NoSuchTeam(_))));
    assert!(matches!(h.storage.set_role("nobody", Role::Lead).await, Err(casebook_server::storage::StorageError::NoSuchUser(_))));
}

async fn logout_and_signing_in_again_end_old_tokens(backend: Backend) {
    let h = start(backend, ServiceConfig::default()).await;
    seed_teams(&h).await;
    let device = Uuid::new_v4();
    let first: LoginResponse = serde_json::from_value(sign_in(&h, "clin.a1", PASSWORD, "127.0.0.1", Some(device)).await.2).unwrap();
    let second: LoginResponse = serde_json::from_value(sign_in(&h, "clin.a1", PASSWORD, "127.0.0.1", Some(device)).await.2).unwrap();
    let me = |token: String| {
        let h = &h;
        async move { h.http.get(format!("{}/v1/me", h.base)).bearer_auth(token).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(first.session.access_token.clone()).await, 401, "a new sign-in on the laptop ends the tokens issued before it");
    assert_eq!(me(second.session.access_token.clone()).await, 200);
    let logout = |token: String| {
        let h = &h;
        async move { h.http.post(format!("{}/v1/logout", h.base)).bearer_auth(token).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(logout(second.session.access_token.clone()).await, 204);
    assert_eq!(me(second.session.access_token.clone()).await, 401, "signed out");
    assert_eq!(logout(second.session.access_token.clone()).await, 401, "an ended token cannot be used to sign out again");
    // The device credential still gets a fresh token (the laptop after its next unlock).
    let renewed = h.renew_token(device, &second.device_secret).await;
    assert_eq!(renewed.status(), 200);
    assert_eq!(h.renew_token(device, &first.device_secret).await.status(), 401, "the old credential was replaced");
}

macro_rules! signin_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_guessing_storm_slows_only_the_guesser() { super::a_guessing_storm_slows_only_the_guesser($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn spraying_many_accounts_from_one_address_is_slowed() { super::spraying_many_accounts_from_one_address_is_slowed($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn forwarded_addresses_count_only_from_trusted_proxies() { super::forwarded_addresses_count_only_from_trusted_proxies($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn disabled_accounts_cannot_sign_in_or_use_their_tokens() { super::disabled_accounts_cannot_sign_in_or_use_their_tokens($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn roles_and_teams_change_what_is_visible() { super::roles_and_teams_change_what_is_visible($make).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn logout_and_signing_in_again_end_old_tokens() { super::logout_and_signing_in_again_end_old_tokens($make).await }
        }
    };
}

signin_suite!(sqlite, Backend::Sqlite);
signin_suite!(postgres, Backend::Postgres);
