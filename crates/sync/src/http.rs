//! Talking to the central store: the HTTP client, its address, reading answers, and ending a
//! session.

use crate::{Result, SyncError, ACCESS_TOKEN, SERVER_URL, TOKEN_EXPIRES};
use casebook_protocol::ErrorBody;
use casebook_store::Store;
use std::time::Duration;

pub(crate) fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("casebook/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("HTTP client")
}

/// The central store's address, checked: `https://`, or `http://` only to this laptop itself
/// (a demo or test store), so that notes never cross a network unencrypted. The settings window
/// shows these errors as they are.
pub(crate) fn normalise_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix("https://") {
        rest
    } else if let Some(rest) = lower.strip_prefix("http://") {
        if !is_loopback_host(rest) {
            return Err(SyncError::PlainHttp(url.to_string()));
        }
        rest
    } else {
        return Err(SyncError::BadUrl(url.to_string()));
    };
    if rest.is_empty() || url.len() < 10 {
        return Err(SyncError::BadUrl(url.to_string()));
    }
    Ok(url.to_string())
}

/// Whether the authority of an address (`host[:port][/path]`) is this laptop.
fn is_loopback_host(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Reads a response: the body on success, a typed error with the server's own sentence otherwise.
pub(crate) fn answer<T: serde::de::DeserializeOwned>(url: &str, resp: reqwest::Result<reqwest::blocking::Response>) -> Result<T> {
    let resp = resp.map_err(|e| unreachable(url, e))?;
    let status = resp.status().as_u16();
    if status == 204 {
        // No content: only a caller expecting nothing (unit) can accept it.
        return serde_json::from_str("null").map_err(|e| SyncError::Protocol(e.to_string()));
    }
    if (200..300).contains(&status) {
        return resp.json().map_err(|e| SyncError::Protocol(e.to_string()));
    }
    let text = resp.text().unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) if body.code == "device_revoked" => Err(SyncError::DeviceRevoked),
        Ok(body) => Err(SyncError::Refused { status, code: body.code, message: body.message }),
        Err(_) => Err(SyncError::Refused {
            status,
            code: "unexpected".into(),
            message: format!("The central store answered with an error (HTTP {status}); nothing was lost, try again later."),
        }),
    }
}

fn unreachable(url: &str, e: reqwest::Error) -> SyncError {
    // rustls's refusal of the server's certificate sits deep in the error's chain, as text only
    // (reqwest does not expose it as a type): "invalid peer certificate: UnknownIssuer".
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = source {
        let text = err.to_string();
        if let Some(at) = text.find("invalid peer certificate") {
            let detail = text[at..].trim_start_matches("invalid peer certificate").trim_start_matches(':').trim().to_string();
            return SyncError::UntrustedCertificate { url: url.to_string(), detail: certificate_problem(&detail) };
        }
        source = err.source();
    }
    let detail = if e.is_timeout() {
        "it did not answer in time".to_string()
    } else if e.is_connect() {
        "no connection".to_string()
    } else {
        e.to_string()
    };
    SyncError::Unreachable { url: url.to_string(), detail }
}

/// rustls's reason, in words IT will recognise.
fn certificate_problem(reason: &str) -> String {
    if reason.contains("UnknownIssuer") {
        "it was not issued by an authority this laptop knows".into()
    } else if reason.contains("Expired") {
        "it has expired".into()
    } else if reason.contains("NotValidForName") {
        "it is for a different address".into()
    } else {
        format!("the certificate was refused: {reason}")
    }
}

/// Signs this laptop out of the central store for now: the access token is forgotten here and
/// ended there, so it is of no use to anyone who copies it. The device credential stays, so
/// the next sync after unlocking gets a new token without the password. The token is forgotten
/// locally even when the central store cannot be reached (it then simply expires).
pub fn sign_out(store: &mut Store) -> Result<()> {
    match forget_session(store)? {
        Some((url, token)) => end_token(&url, &token),
        None => Ok(()),
    }
}

/// Forgets the access token here and returns the central store's address and the token, for
/// `end_token` to end where waiting on the network is acceptable (the app, as it locks, does
/// that on a thread of its own).
pub fn forget_session(store: &mut Store) -> Result<Option<(String, String)>> {
    let url = store.sync_value(SERVER_URL)?;
    let token = store.sync_value(ACCESS_TOKEN)?;
    store.set_sync_value(ACCESS_TOKEN, None)?;
    store.set_sync_value(TOKEN_EXPIRES, None)?;
    Ok(url.zip(token))
}

/// `POST /v1/logout` with `token`, with short timeouts (it runs as the app locks).
pub fn end_token(url: &str, token: &str) -> Result<()> {
    let http = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(5))
        .user_agent(concat!("casebook/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SyncError::Protocol(e.to_string()))?;
    match answer::<()>(url, http.post(format!("{url}/v1/logout")).bearer_auth(token).send()) {
        // Already ended or expired: what signing out wanted.
        Err(SyncError::Refused { status: 401, .. }) => Ok(()),
        other => other,
    }
}
