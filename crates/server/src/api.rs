//! The HTTP service: accounts and devices, the sync endpoints, drafts backup and audit.
//!
//! Every refusal is a JSON [`ErrorBody`] with a stable code and one sentence a person can act on.

use crate::auth::{self, hash_secret, new_secret};
use crate::metrics::Metrics;
use crate::storage::{DeviceRecord, Storage, StorageError, UserRecord};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use casebook_domain::PAYLOAD_VERSION;
use casebook_protocol::*;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// How long an access token lasts; the laptop renews it with its device credential.
    pub token_ttl: Duration,
    /// How far ahead of the server's clock an event's timestamp may be.
    pub max_drift_ms: u64,
    /// Consecutive wrong passwords before an account locks.
    pub lockout_after: u32,
    pub lockout_for: Duration,
    /// Login attempts allowed from one address per minute.
    pub login_attempts_per_minute: u32,
    pub max_body_bytes: usize,
    pub max_batch_events: usize,
    pub max_pull_events: usize,
    pub max_pull_bytes: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            token_ttl: Duration::minutes(15),
            // A laptop whose clock is a day or two fast must still be able to hand in its notes
            // (they are never lost); four days ahead is a broken clock and is refused plainly.
            max_drift_ms: casebook_domain::DEFAULT_MAX_DRIFT_MS,
            lockout_after: 5,
            lockout_for: Duration::minutes(15),
            login_attempts_per_minute: 30,
            max_body_bytes: 16 * 1024 * 1024,
            max_batch_events: 2_000,
            max_pull_events: 5_000,
            max_pull_bytes: 8 * 1024 * 1024,
        }
    }
}

pub struct Service {
    pub storage: Arc<dyn Storage>,
    pub config: ServiceConfig,
    pub metrics: Metrics,
    login_window: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
}

pub type AppState = Arc<Service>;

impl Service {
    pub fn new(storage: Arc<dyn Storage>, config: ServiceConfig) -> AppState {
        Arc::new(Service { storage, config, metrics: Metrics::default(), login_window: Mutex::new(HashMap::new()) })
    }

    async fn audit(&self, username: &str, device: Option<Uuid>, action: &str, case_id: Option<Uuid>, detail: String) -> Result<(), ApiError> {
        self.storage
            .audit(&AuditEntry { at: Utc::now(), username: username.to_string(), device_id: device, action: action.into(), case_id, detail })
            .await
            .map_err(ApiError::from)
    }
}

pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/login", post(login))
        .route("/v1/token", post(token))
        .route("/v1/me", get(me))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .route("/v1/cases/{case_id}/digest", get(digest))
        .route("/v1/cases/{case_id}/events", get(case_events))
        .route("/v1/cases/{case_id}/audit", get(case_audit))
        .route("/v1/cases/{case_id}/allocations", post(allocate))
        .route("/v1/cases/{case_id}/allocations/{username}", axum::routing::delete(deallocate))
        .route("/v1/allocations", get(allocations))
        .route("/v1/drafts", get(list_drafts))
        .route("/v1/drafts/{note_id}", put(put_draft).delete(delete_draft))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

// ---------- errors ----------

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, body: ErrorBody { code: code.into(), message: message.into(), problems: Vec::new() } }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match &e {
            StorageError::ConflictingEvent { index, id } => {
                let mut err = ApiError::new(
                    StatusCode::CONFLICT,
                    "conflicting_event",
                    format!("Event {id} is already held with different content, so this batch was refused and nothing in it was stored."),
                );
                err.body.problems.push(EventProblem { index: *index, event_id: Some(*id), code: "conflicting_event".into(), message: e.to_string() });
                err
            }
            StorageError::CaseNotAllowed { index, case_id, .. } => {
                let mut err = ApiError::new(
                    StatusCode::FORBIDDEN,
                    "case_not_allowed",
                    format!("Case {case_id} is not allocated to you, so notes for it cannot be sent; ask your team lead."),
                );
                err.body.problems.push(EventProblem { index: *index, event_id: None, code: "case_not_allowed".into(), message: e.to_string() });
                err
            }
            StorageError::NoSuchUser(_) | StorageError::NoSuchTeam(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            StorageError::Exists { .. } => ApiError::new(StatusCode::CONFLICT, "exists", e.to_string()),
            StorageError::Unsupported(_) => ApiError::new(StatusCode::BAD_REQUEST, "unsupported", e.to_string()),
            StorageError::Backend(detail) => {
                tracing::error!(%detail, "storage failure");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", "The central store could not complete the request; nothing was lost, try again shortly.")
            }
        }
    }
}

/// JSON bodies whose problems come back as our own error shape (400, or 413 when too large).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let status = r.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(status, "too_large", "The request is larger than the central store accepts; send fewer events at a time.");
    }
    let detail = r.body_text();
    let code = if detail.contains("unknown variant") { "unknown_kind" } else { "invalid_request" };
    let status = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE { status } else { StatusCode::BAD_REQUEST };
    ApiError::new(status, code, format!("The request could not be read: {detail}"))
}

// ---------- authentication ----------

/// The signed-in user and the device they are using, from a valid access token.
pub struct Authed {
    pub user: UserRecord,
    pub device: DeviceRecord,
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorised = |code: &str, msg: &str| ApiError::new(StatusCode::UNAUTHORIZED, code, msg);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| unauthorised("not_signed_in", "Sign in to Casebook first."))?;
        // Token, device and user in one look-up; the checks are made in the same order as when
        // they were three.
        let found = state
            .storage
            .authenticate(&hash_secret(token))
            .await?
            .ok_or_else(|| unauthorised("token_unknown", "This sign-in is not recognised; sign in again."))?;
        let device = found.device.ok_or_else(|| unauthorised("token_unknown", "This sign-in is not recognised; sign in again."))?;
        if device.revoked_at.is_some() {
            return Err(revoked());
        }
        if found.token.expires_at <= Utc::now() {
            return Err(unauthorised("token_expired", "The sign-in has expired; the laptop renews it automatically."));
        }
        let user = found.user.ok_or_else(|| unauthorised("token_unknown", "This account no longer exists; contact IT."))?;
        Ok(Authed { user, device })
    }
}

fn revoked() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "device_revoked",
        "This laptop's access to Casebook has been withdrawn by IT. It will lock now; contact IT or your team lead.",
    )
}

async fn issue_session(state: &Service, device_id: Uuid) -> Result<Session, ApiError> {
    let token = new_secret();
    let now = Utc::now();
    let expires_at = now + state.config.token_ttl;
    state.storage.add_token(&hash_secret(&token), device_id, expires_at).await?;
    state.storage.device_seen(device_id, now).await?;
    Ok(Session { access_token: token, expires_at, server_time: now })
}

/// The caller's address, for rate limiting sign-in attempts.
pub struct ClientIp(IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1])),
        ))
    }
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let now = Utc::now();
    {
        let mut window = state.login_window.lock().unwrap();
        let entry = window.entry(ip).or_insert((now, 0));
        if now - entry.0 > Duration::minutes(1) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > state.config.login_attempts_per_minute {
            state.metrics.login_failures.inc();
            return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", "Too many sign-in attempts from this address; wait a minute and try again."));
        }
    }
    let wrong = || ApiError::new(StatusCode::UNAUTHORIZED, "wrong_credentials", "The username or password is not right.");
    if req.device_name.trim().is_empty() || req.device_name.chars().count() > 100 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", "Give this laptop a name of up to 100 characters."));
    }
    let Some(user) = state.storage.user(req.username.trim()).await? else {
        // Spend the same time as a real check, so timing does not reveal which usernames exist.
        auth::verify_password(&req.password, auth::DUMMY_HASH);
        state.metrics.login_failures.inc();
        return Err(wrong());
    };
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        state.metrics.login_failures.inc();
        return Err(locked(until, now));
    }
    if !auth::verify_password(&req.password, &user.password_hash) {
        state.metrics.login_failures.inc();
        let until = now + state.config.lockout_for;
        let failures = state.storage.login_failed(&user.username, state.config.lockout_after, until).await?;
        state.audit(&user.username, None, "login_failed", None, format!("wrong password ({failures} in a row)")).await?;
        return Err(if failures >= state.config.lockout_after { locked(until, now) } else { wrong() });
    }
    state.storage.login_succeeded(&user.username).await?;
    let secret = new_secret();
    let device_id = req.device_id.unwrap_or_else(Uuid::new_v4);
    let device = match state.storage.device(device_id).await? {
        // Signing in again on a laptop already registered: a fresh credential for the same device.
        Some(existing) if existing.username == user.username => {
            if existing.revoked_at.is_some() {
                return Err(revoked());
            }
            let renewed = DeviceRecord { secret_hash: hash_secret(&secret), ..existing };
            state.storage.renew_device_secret(renewed.id, &renewed.secret_hash).await?;
            renewed
        }
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "device_taken",
                "This laptop's store belongs to another clinician; sign in with that account, or set Casebook up afresh for yourself.",
            ))
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
            state.storage.add_device(&device).await?;
            device
        }
    };
    let session = issue_session(&state, device.id).await?;
    state.audit(&user.username, Some(device.id), "login", None, format!("registered device '{}'", device.name)).await?;
    Ok(Json(LoginResponse {
        device_id: device.id,
        device_secret: secret,
        session,
        user: UserInfo { username: user.username, role: user.role, team: user.team },
    }))
}

fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let minutes = ((until - now).num_seconds() + 59) / 60;
    ApiError::new(
        StatusCode::LOCKED,
        "account_locked",
        format!("This account is locked for {minutes} more minutes after repeated wrong passwords; ask IT to unlock it sooner."),
    )
}

async fn token(State(state): State<AppState>, ApiJson(req): ApiJson<TokenRequest>) -> Result<Json<Session>, ApiError> {
    let unknown = || ApiError::new(StatusCode::UNAUTHORIZED, "device_unknown", "This laptop is not registered with the central store; sign in again.");
    let device = state.storage.device(req.device_id).await?.ok_or_else(unknown)?;
    if device.revoked_at.is_some() {
        return Err(revoked());
    }
    if !auth::secrets_match(&hash_secret(&req.device_secret), &device.secret_hash) {
        return Err(unknown());
    }
    let session = issue_session(&state, device.id).await?;
    Ok(Json(session))
}

async fn me(State(state): State<AppState>, authed: Authed) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "user": UserInfo { username: authed.user.username, role: authed.user.role, team: authed.user.team },
        "device_id": authed.device.id,
        "server_time": Utc::now(),
        "protocol_version": PROTOCOL_VERSION,
        "server_version": env!("CARGO_PKG_VERSION"),
        "max_drift_ms": state.config.max_drift_ms,
    }))
}

// ---------- sync ----------

/// Checks a batch before anything is stored; returns every problem found, not just the first.
pub fn validate_batch(events: &[casebook_domain::Event], user: &UserRecord, device: &DeviceRecord, now: DateTime<Utc>, max_drift_ms: u64) -> Vec<EventProblem> {
    let mut problems = Vec::new();
    let horizon_ms = now.timestamp_millis().max(0) as u64 + max_drift_ms;
    let latest_day = (now + Duration::milliseconds(max_drift_ms as i64)).date_naive();
    let mut seen = std::collections::HashSet::new();
    for (index, e) in events.iter().enumerate() {
        let mut problem = |code: &str, message: String| {
            problems.push(EventProblem { index, event_id: Some(e.id), code: code.into(), message })
        };
        if e.payload_version != PAYLOAD_VERSION {
            problem("unsupported_version", format!("Payload version {} is not one this central store understands; update Casebook.", e.payload_version));
        }
        if e.verify().is_err() {
            problem("hash_mismatch", "The event does not match its content hash; it was altered or damaged on the way.".into());
        }
        if e.author != user.username {
            problem("author_mismatch", format!("The event names {} as its author, but you are signed in as {}.", e.author, user.username));
        }
        if e.device_id != device.id {
            problem("device_mismatch", "The event names another laptop as the one it was written on.".into());
        }
        if e.hlc.wall_ms > horizon_ms {
            let hours = (e.hlc.wall_ms - now.timestamp_millis().max(0) as u64) / 3_600_000;
            problem(
                "future_timestamp",
                format!("The event is dated about {hours} hours ahead of the central store's clock; correct the laptop's date and time, then sync again."),
            );
        }
        if let Err(v) = e.body.validate(latest_day) {
            problem("invalid_event", v.to_string());
        }
        if !seen.insert(e.id) {
            problem("repeated_in_batch", "The same event appears twice in one batch.".into());
        }
    }
    problems
}

async fn push(State(state): State<AppState>, authed: Authed, ApiJson(req): ApiJson<PushRequest>) -> Result<Json<PushResponse>, ApiError> {
    state.metrics.push_requests.inc();
    if req.events.len() > state.config.max_batch_events {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            format!("A batch may hold at most {} events; send the rest in another batch.", state.config.max_batch_events),
        ));
    }
    let problems = validate_batch(&req.events, &authed.user, &authed.device, Utc::now(), state.config.max_drift_ms);
    if !problems.is_empty() {
        state.metrics.refusals.inc();
        let forbidden = problems.iter().any(|p| p.code == "author_mismatch" || p.code == "device_mismatch");
        let first = problems[0].message.clone();
        let mut err = if forbidden {
            ApiError::new(StatusCode::FORBIDDEN, "not_your_event", format!("Nothing in this batch was stored: {first}"))
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, problems[0].code.as_str(), format!("Nothing in this batch was stored: {first}"))
        };
        err.body.problems = problems;
        return Err(err);
    }
    // The batch, the removal of its signed notes' draft backups (they have done their job, so no
    // stale copy lingers) and one audit row per case touched, kept together or not at all.
    let results = state
        .storage
        .push_recorded(&authed.user, authed.device.id, &req.events, Utc::now())
        .await
        .inspect_err(|_| state.metrics.refusals.inc())?;
    let stored = results.iter().filter(|r| r.stored_now).count() as u64;
    state.metrics.events_stored.add(stored);
    Ok(Json(PushResponse { results }))
}

#[derive(Deserialize)]
pub struct PullQuery {
    after: Option<String>,
    limit: Option<usize>,
    max_bytes: Option<usize>,
}

async fn pull(State(state): State<AppState>, authed: Authed, Query(q): Query<PullQuery>) -> Result<Json<PullResponse>, ApiError> {
    state.metrics.pull_requests.inc();
    let after: Cursor = match q.after.as_deref() {
        None | Some("") => Cursor::default(),
        Some(s) => s.parse().map_err(|e: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_cursor", format!("{e}; start again from the beginning.")))?,
    };
    let limit = q.limit.unwrap_or(1_000).clamp(1, state.config.max_pull_events);
    let max_bytes = q.max_bytes.unwrap_or(state.config.max_pull_bytes).clamp(1, state.config.max_pull_bytes);
    // Read before the page, so it is never below a sequence number the page contains.
    let latest_seq = state.storage.latest_seq().await?;
    let page = state.storage.pull(&authed.user, authed.device.id, after, limit, max_bytes).await?;
    state.metrics.events_pulled.add(page.events.len() as u64);
    let mut per_case: BTreeMap<Uuid, usize> = BTreeMap::new();
    for e in &page.events {
        *per_case.entry(e.event.case_id).or_default() += 1;
    }
    let now = Utc::now();
    let entries: Vec<AuditEntry> = per_case
        .into_iter()
        .map(|(case_id, n)| AuditEntry {
            at: now,
            username: authed.user.username.clone(),
            device_id: Some(authed.device.id),
            action: "pull".into(),
            case_id: Some(case_id),
            detail: format!("read {n} events"),
        })
        .collect();
    state.storage.audit_many(&entries).await?;
    Ok(Json(PullResponse {
        events: page.events,
        next_cursor: page.next_cursor,
        more: page.more,
        access_removed: page.access_removed,
        server_time: Utc::now(),
        latest_seq: latest_seq.max(page.next_cursor.seq),
    }))
}

fn parse_case(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_id", format!("'{s}' is not a case id.")))
}

/// A case the user may not see looks exactly like one that does not exist.
fn not_visible() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "case_not_found", "There is no case with that id that you can see.")
}

async fn digest(State(state): State<AppState>, authed: Authed, Path(case_id): Path<String>) -> Result<Json<CaseDigest>, ApiError> {
    let case_id = parse_case(&case_id)?;
    if !state.storage.can_read(&authed.user, case_id).await? {
        return Err(not_visible());
    }
    let digest = state.storage.case_digest(case_id).await?;
    state.audit(&authed.user.username, Some(authed.device.id), "digest", Some(case_id), format!("{} events", digest.event_count)).await?;
    Ok(Json(digest))
}

/// Every event the central store holds for one case, for a laptop repairing a case whose digest
/// differs from its own.
async fn case_events(State(state): State<AppState>, authed: Authed, Path(case_id): Path<String>) -> Result<Json<Vec<PulledEvent>>, ApiError> {
    let case_id = parse_case(&case_id)?;
    if !state.storage.can_read(&authed.user, case_id).await? {
        return Err(not_visible());
    }
    let events = state.storage.case_events(case_id).await?;
    state.audit(&authed.user.username, Some(authed.device.id), "case_read", Some(case_id), format!("read {} events to repair", events.len())).await?;
    Ok(Json(events))
}

async fn case_audit(State(state): State<AppState>, authed: Authed, Path(case_id): Path<String>) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let case_id = parse_case(&case_id)?;
    if authed.user.role == Role::Clinician {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "leads_only", "Only team leads and administrators can read a case's audit trail."));
    }
    if authed.user.role == Role::Lead && !state.storage.can_read(&authed.user, case_id).await? {
        return Err(not_visible());
    }
    let entries = state.storage.audit_for_case(case_id).await?;
    state.audit(&authed.user.username, Some(authed.device.id), "audit_read", Some(case_id), format!("{} entries", entries.len())).await?;
    Ok(Json(entries))
}

/// Checks that the signed-in user may change who a case is allocated to, and that the clinician
/// named is on their team.
async fn may_allocate(state: &Service, authed: &Authed, case_id: Uuid, username: &str) -> Result<(), ApiError> {
    match authed.user.role {
        Role::Clinician => {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "leads_only", "Only team leads can allocate cases; ask your team lead."))
        }
        Role::Lead if !state.storage.can_read(&authed.user, case_id).await? => return Err(not_visible()),
        _ => {}
    }
    let target = state
        .storage
        .user(username.trim())
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_such_user", format!("There is no clinician called '{}'.", username.trim())))?;
    if authed.user.role == Role::Lead && target.team != authed.user.team {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "other_team",
            format!("{} is not on your team, so the case cannot be allocated to them.", target.username),
        ));
    }
    Ok(())
}

async fn allocate(
    State(state): State<AppState>,
    authed: Authed,
    Path(case_id): Path<String>,
    ApiJson(req): ApiJson<AllocationRequest>,
) -> Result<StatusCode, ApiError> {
    let case_id = parse_case(&case_id)?;
    may_allocate(&state, &authed, case_id, &req.username).await?;
    state.storage.allocate(case_id, req.username.trim()).await?;
    state.audit(&authed.user.username, Some(authed.device.id), "allocate", Some(case_id), format!("allocated to {}", req.username.trim())).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn deallocate(
    State(state): State<AppState>,
    authed: Authed,
    Path((case_id, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let case_id = parse_case(&case_id)?;
    may_allocate(&state, &authed, case_id, &username).await?;
    if !state.storage.deallocate(case_id, &username).await? {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_allocated", format!("The case is not allocated to {username}.")));
    }
    state.audit(&authed.user.username, Some(authed.device.id), "deallocate", Some(case_id), format!("taken away from {username}")).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// For every case the caller can see, who it is allocated to, so a laptop can show who holds a
/// case while offline. One audit row for the whole read, as for the drafts list.
async fn allocations(State(state): State<AppState>, authed: Authed) -> Result<Json<AllocationsResponse>, ApiError> {
    let cases = state.storage.allocations(&authed.user).await?;
    state.audit(&authed.user.username, Some(authed.device.id), "allocations_read", None, format!("{} cases", cases.len())).await?;
    Ok(Json(AllocationsResponse { cases }))
}

async fn list_drafts(State(state): State<AppState>, authed: Authed) -> Result<Json<Vec<DraftBackup>>, ApiError> {
    let drafts = state.storage.drafts(&authed.user).await?;
    state.audit(&authed.user.username, Some(authed.device.id), "drafts_read", None, format!("{} drafts", drafts.len())).await?;
    Ok(Json(drafts))
}

async fn put_draft(
    State(state): State<AppState>,
    authed: Authed,
    Path(note_id): Path<String>,
    ApiJson(draft): ApiJson<DraftBackup>,
) -> Result<StatusCode, ApiError> {
    if Uuid::parse_str(&note_id).ok() != Some(draft.note_id) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_id", "The draft's id does not match the address it was sent to."));
    }
    if draft.text.chars().count() > casebook_domain::MAX_NOTE_LEN {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "The draft is longer than a note may be."));
    }
    if !state.storage.can_read(&authed.user, draft.case_id).await? {
        return Err(not_visible());
    }
    state.storage.put_draft(&authed.user, &draft).await?;
    state
        .audit(&authed.user.username, Some(authed.device.id), "draft_backup", Some(draft.case_id), format!("revision {}", draft.revision))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_draft(State(state): State<AppState>, authed: Authed, Path(note_id): Path<String>) -> Result<StatusCode, ApiError> {
    let note_id = Uuid::parse_str(&note_id).map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_id", "That is not a note id."))?;
    state.storage.delete_draft(&authed.user, note_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut resp = state.metrics.render().into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    resp
}

pub const OPENAPI: &str = include_str!("../openapi.json");

async fn openapi() -> Response {
    let mut resp = OPENAPI.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
