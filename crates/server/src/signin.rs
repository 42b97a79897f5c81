//! Signing in, renewing and ending access tokens, and slowing down password guessing.
//!
//! # Who is asking
//! [`ClientIp`] is the one place that decides a request's address (sign-in throttling uses it,
//! audit rows will). It is the TCP peer, unless the peer is one of the configured
//! `trusted_proxies`: then `X-Forwarded-For` is read from the right, skipping trusted proxies, and
//! the first address not in the list is the client. Anything left of that was written by the
//! client itself and proves nothing.
//!
//! # Throttling without lockouts
//! Locking an account after N wrong passwords lets anyone who knows a username lock a clinician
//! out, again and again. Instead every attempt is counted in two buckets, and a bucket that is
//! over its allowance makes each further attempt wait twice as long as the one before (from 1 s
//! up to 15 min), counted from the bucket's previous attempt:
//! - **account + address**: 5 free attempts. A guesser at one address is slowed on that account
//!   only; the clinician signing in from anywhere else is not affected. A successful sign-in
//!   clears it.
//! - **address** (any account): 30 free attempts that did not succeed, so that trying many
//!   accounts from one address (password spraying) is slowed too. A successful sign-in takes its
//!   own attempt back out, so a busy office behind one address is not slowed by its own sign-ins.
//!
//! A bucket with no attempt for an hour starts afresh. An attempt made while a bucket says wait
//! is refused (429 with `Retry-After`) without the password being checked, is counted, and so
//! doubles the wait: hammering only lengthens the hammerer's own wait. Counts are kept in the
//! database (shared by several servers on one PostgreSQL, cleared by `user unlock`), and taken
//! before the password is checked so that simultaneous guesses each see the previous one.

use crate::api::{revoked, ApiError, ApiJson, AppState, Authed, Service};
use crate::auth::{self, hash_secret, new_secret};
use crate::storage::{DeviceRecord, SigninCount};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use casebook_protocol::*;
use chrono::{Duration, Utc};
use std::net::{IpAddr, SocketAddr};
use uuid::Uuid;

/// How sign-in attempts are slowed; see the module documentation.
#[derive(Debug, Clone)]
pub struct SigninPolicy {
    pub free_per_account_address: u32,
    pub free_per_address: u32,
    pub first_wait: Duration,
    pub longest_wait: Duration,
    pub forget_after: Duration,
}

impl Default for SigninPolicy {
    fn default() -> Self {
        SigninPolicy {
            free_per_account_address: 5,
            free_per_address: 30,
            first_wait: Duration::seconds(1),
            longest_wait: Duration::minutes(15),
            forget_after: Duration::hours(1),
        }
    }
}

impl SigninPolicy {
    /// The wait before the attempt after `attempts` earlier ones, or zero while they are free.
    fn wait_after(&self, attempts: u32, free: u32) -> Duration {
        if attempts < free {
            return Duration::zero();
        }
        let doublings = (attempts - free).min(30);
        let ms = self.first_wait.num_milliseconds().saturating_mul(1i64 << doublings);
        Duration::milliseconds(ms).min(self.longest_wait)
    }

    /// How much longer an attempt must wait, given the bucket as it was before it.
    fn remaining(&self, before: SigninCount, free: u32, now: chrono::DateTime<Utc>) -> Duration {
        // Free attempts never wait. (Measured from the last attempt they would: with colleagues
        // signing in at once from one address, that attempt can be stamped a moment after this
        // one's `now`, and a first sign-in was told to wait a second.)
        if before.attempts < free {
            return Duration::zero();
        }
        match before.last_at {
            Some(last) => (last + self.wait_after(before.attempts, free) - now).max(Duration::zero()),
            None => Duration::zero(),
        }
    }
}

/// Addresses (or networks, `10.0.0.0/8`) of reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `127.0.0.1`, `::1` or `10.20.0.0/16`; the error is a sentence naming the entry.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in entries {
            let bad = || format!("'{entry}' in trusted_proxies is not an IP address or network such as 10.0.0.0/8");
            let (addr, bits) = match entry.trim().split_once('/') {
                Some((a, b)) => (a.parse::<IpAddr>().map_err(|_| bad())?, b.parse::<u8>().map_err(|_| bad())?),
                None => {
                    let a = entry.trim().parse::<IpAddr>().map_err(|_| bad())?;
                    (a, if a.is_ipv4() { 32 } else { 128 })
                }
            };
            if bits > if addr.is_ipv4() { 32 } else { 128 } {
                return Err(bad());
            }
            nets.push((addr, bits));
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|&(net, bits)| match (canonical(net), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), bits),
            _ => false,
        })
    }
}

/// An IPv4 address arriving as IPv6 (`::ffff:10.0.0.1`, a dual-stack listener) is the IPv4 one.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let (whole, rest) = ((bits / 8) as usize, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

/// The caller's address: see the module documentation. Always succeeds; without connection
/// information (a test calling the router directly) it is loopback.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]));
        Ok(ClientIp(client_address(canonical(peer), &parts.headers, &state.config.trusted_proxies)))
    }
}

fn client_address(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    // Several headers count as one list, in order.
    let hops = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let hops: Vec<&str> = hops.map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip())) else {
            // Garbage from here leftwards: the last proxy we believe is as close as we can get.
            return client;
        };
        client = canonical(ip);
        if !trusted.contains(client) {
            return client;
        }
    }
    client
}

pub(crate) fn disabled() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "account_disabled", "This account has been disabled by IT; contact IT or your team lead.")
}

async fn issue_session(state: &Service, device_id: Uuid) -> Result<Session, ApiError> {
    let token = new_secret();
    let now = Utc::now();
    let expires_at = now + state.config.token_ttl;
    state.storage.add_token(&hash_secret(&token), device_id, expires_at).await?;
    state.storage.device_seen(device_id, now).await?;
    Ok(Session { access_token: token, expires_at, server_time: now })
}

/// A 429 saying how long to wait, with `Retry-After` for programs.
struct SlowDown(Duration);

impl IntoResponse for SlowDown {
    fn into_response(self) -> Response {
        let seconds = ((self.0.num_milliseconds() + 999) / 1000).max(1);
        let wait = if seconds < 120 { format!("{seconds} seconds") } else { format!("{} minutes", (seconds + 59) / 60) };
        let mut resp = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("Too many sign-in attempts from this address; wait {wait} and try again. If you have forgotten your password, ask IT to reset it."),
        )
        .into_response();
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        resp
    }
}

pub async fn login(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(req): ApiJson<LoginRequest>) -> Result<Json<LoginResponse>, Response> {
    let now = Utc::now();
    let policy = &state.config.signin;
    if req.device_name.trim().is_empty() || req.device_name.chars().count() > 100 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", "Give this laptop a name of up to 100 characters.").into_response());
    }
    let username = req.username.trim();
    let pair = format!("account:{ip}:{username}");
    let address = format!("address:{ip}");
    let forget_before = now - policy.forget_after;
    let by_pair = state.storage.signin_attempt(&pair, username, now, forget_before).await.map_err(api)?;
    let by_address = state.storage.signin_attempt(&address, "", now, forget_before).await.map_err(api)?;
    let (pair_free, address_free) = (policy.free_per_account_address, policy.free_per_address);
    // Usernames that do not exist are recorded as "unknown": what was typed may be a password.
    let refused = |username: Option<&str>, detail: String| {
        let username = username.unwrap_or("unknown").to_string();
        let state = state.clone();
        async move { state.security_event(&username, None, Some(ip), "refused_login", None, detail).await }
    };
    if !policy.remaining(by_pair, pair_free, now).is_zero() || !policy.remaining(by_address, address_free, now).is_zero() {
        state.metrics.login_failures.inc();
        // Once, when the slowing starts: a flood of attempts is one event, not a flood of rows.
        if by_pair.attempts == pair_free + 1 || by_address.attempts == address_free + 1 {
            refused(None, "sign-in attempts from this address are being slowed down".into()).await;
        }
        // This attempt was counted, so the next one waits for the following step.
        let next = policy.wait_after(by_pair.attempts + 1, pair_free).max(policy.wait_after(by_address.attempts + 1, address_free));
        return Err(SlowDown(next).into_response());
    }
    let wrong = || ApiError::new(StatusCode::UNAUTHORIZED, "wrong_credentials", "The username or password is not right.").into_response();
    let Some(user) = state.storage.user(username).await.map_err(api)? else {
        // Spend the same time as a real check, so timing does not reveal which usernames exist.
        auth::verify_password(&req.password, auth::DUMMY_HASH);
        state.metrics.login_failures.inc();
        refused(None, "no such account".into()).await;
        return Err(wrong());
    };
    if !auth::verify_password(&req.password, &user.password_hash) {
        state.metrics.login_failures.inc();
        // Counted for IT's information only: the account itself is never locked.
        let failures = state.storage.login_failed(&user.username, u32::MAX, now).await.map_err(api)?;
        refused(Some(&user.username), format!("wrong password ({failures} in a row)")).await;
        return Err(wrong());
    }
    // Only someone who knows the password learns that the account is disabled.
    if user.disabled_at.is_some() {
        refused(Some(&user.username), "sign-in to a disabled account".into()).await;
        return Err(disabled().into_response());
    }
    state.storage.signin_clear(&pair).await.map_err(api)?;
    state.storage.signin_forgive(&address).await.map_err(api)?;
    state.storage.login_succeeded(&user.username).await.map_err(api)?;
    let secret = new_secret();
    let device_id = req.device_id.unwrap_or_else(Uuid::new_v4);
    let device = match state.storage.device(device_id).await.map_err(api)? {
        // Signing in again on a laptop already registered: a fresh credential for the same
        // device, and the tokens issued under the old one end with it.
        Some(existing) if existing.username == user.username => {
            if existing.revoked_at.is_some() {
                refused(Some(&user.username), "sign-in on a revoked laptop".into()).await;
                return Err(revoked().into_response());
            }
            let renewed = DeviceRecord { secret_hash: hash_secret(&secret), ..existing };
            state.storage.renew_device_secret(renewed.id, &renewed.secret_hash).await.map_err(api)?;
            state.storage.revoke_device_tokens(renewed.id).await.map_err(api)?;
            renewed
        }
        Some(_) => {
            refused(Some(&user.username), "sign-in on another user's laptop".into()).await;
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "device_taken",
                "This laptop's store belongs to another clinician; sign in with that account, or set Casebook up afresh for yourself.",
            )
            .into_response())
        }
        None => {
            let device = DeviceRecord {
                id: device_id,
                username: user.username.clone(),
                name: req.device_name.trim().to_string(),
                secret_hash: hash_secret(&secret),
                created_at: now,
                revoked_at: None,
                last_seen_at: None,
            };
            state.storage.add_device(&device).await.map_err(api)?;
            device
        }
    };
    let session = issue_session(&state, device.id).await.map_err(api)?;
    state.audit(&user.username, Some(device.id), Some(ip), "login", None, format!("registered device '{}'", device.name)).await.map_err(api)?;
    Ok(Json(LoginResponse {
        device_id: device.id,
        device_secret: secret,
        session,
        user: UserInfo { username: user.username, role: user.role, team: user.team },
    }))
}

fn api(e: impl Into<ApiError>) -> Response {
    e.into().into_response()
}

pub async fn token(State(state): State<AppState>, ClientIp(ip): ClientIp, ApiJson(req): ApiJson<TokenRequest>) -> Result<Json<Session>, ApiError> {
    let unknown = || ApiError::new(StatusCode::UNAUTHORIZED, "device_unknown", "This laptop is not registered with the central store; sign in again.");
    let refused = |username: String, detail: &'static str| {
        let (state, device_id) = (state.clone(), req.device_id);
        async move { state.security_event(&username, Some(device_id), Some(ip), "refused_token", None, detail.into()).await }
    };
    let Some(device) = state.storage.device(req.device_id).await? else {
        refused("unknown".into(), "device credential of an unknown laptop").await;
        return Err(unknown());
    };
    if device.revoked_at.is_some() {
        refused(device.username.clone(), "device credential of a revoked laptop").await;
        return Err(revoked());
    }
    if !auth::secrets_match(&hash_secret(&req.device_secret), &device.secret_hash) {
        refused(device.username.clone(), "wrong device credential").await;
        return Err(unknown());
    }
    let user = state.storage.user(&device.username).await?.ok_or_else(unknown)?;
    if user.disabled_at.is_some() {
        return Err(disabled());
    }
    let session = issue_session(&state, device.id).await?;
    Ok(Json(session))
}

/// Ends the access token presented (the laptop signing out or locking). The device credential
/// stays: the laptop gets a new token when it is next unlocked.
pub async fn logout(State(state): State<AppState>, authed: Authed) -> Result<StatusCode, ApiError> {
    state.storage.revoke_token(&authed.token_hash).await?;
    state.audit(&authed.user.username, Some(authed.device.id), Some(authed.source), "logout", None, "access token ended".into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Colleagues signing in at once from one address: the attempt counted just before this one
    /// can carry a later time than this one's clock reading. Within the free attempts, no wait.
    #[test]
    fn free_attempts_never_wait_even_when_the_last_one_is_stamped_after_now() {
        let policy = SigninPolicy::default();
        let now = Utc::now();
        let before = SigninCount { attempts: 1, last_at: Some(now + Duration::milliseconds(3)) };
        assert_eq!(policy.remaining(before, policy.free_per_address, now), Duration::zero());
        let spent = SigninCount { attempts: policy.free_per_address, last_at: Some(now) };
        assert_eq!(policy.remaining(spent, policy.free_per_address, now), policy.first_wait);
    }

    fn headers(xff: &[&str]) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none = TrustedProxies::default();
        let proxies = TrustedProxies::parse(&["127.0.0.1".into(), "10.1.0.0/16".into()]).unwrap();
        let spoofed = headers(&["198.51.100.9, 203.0.113.5, 10.1.2.3"]);
        assert_eq!(client_address(ip("127.0.0.1"), &spoofed, &none), ip("127.0.0.1"), "no trusted proxies: the peer");
        assert_eq!(client_address(ip("192.0.2.1"), &spoofed, &proxies), ip("192.0.2.1"), "an untrusted peer's header is ignored");
        assert_eq!(client_address(ip("127.0.0.1"), &spoofed, &proxies), ip("203.0.113.5"), "right-most untrusted");
        assert_eq!(client_address(ip("::ffff:127.0.0.1"), &headers(&["203.0.113.5"]), &proxies), ip("203.0.113.5"));
        assert_eq!(client_address(ip("127.0.0.1"), &headers(&["junk, 10.1.2.3"]), &proxies), ip("10.1.2.3"));
        assert_eq!(client_address(ip("127.0.0.1"), &headers(&["198.51.100.9", "203.0.113.5"]), &proxies), ip("203.0.113.5"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.trust".into()]).unwrap_err().contains("'proxy.trust'"));
    }

    #[test]
    fn waits_double_after_the_free_attempts_up_to_the_cap() {
        let p = SigninPolicy::default();
        assert_eq!(p.wait_after(4, 5), Duration::zero());
        assert_eq!(p.wait_after(5, 5), Duration::seconds(1));
        assert_eq!(p.wait_after(8, 5), Duration::seconds(8));
        assert_eq!(p.wait_after(40, 5), Duration::minutes(15));
        assert_eq!(p.wait_after(u32::MAX, 5), Duration::minutes(15));
    }
}
