//! The HTTP service: accounts and devices, the sync endpoints, drafts backup and audit.
//!
//! Every refusal is a JSON [`ErrorBody`] with a stable code and one sentence a person can act on,
//! and is recorded in the audit (see [`crate::audit`]).

mod cases;

use crate::auth::{self, hash_secret};
use crate::connections::ConnectionLimits;
use crate::metrics::Metrics;
use crate::signin::{self, ClientIp, SigninPolicy, TrustedProxies};
use std::net::IpAddr;
use crate::storage::{DeviceRecord, Storage, StorageError, UserRecord};
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use casebook_domain::PAYLOAD_VERSION;
use casebook_protocol::*;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// How long an access token lasts; the laptop renews it with its device credential.
    pub token_ttl: Duration,
    /// How far ahead of the server's clock an event's timestamp may be.
    pub max_drift_ms: u64,
    /// How sign-in attempts are slowed (see `signin`).
    pub signin: SigninPolicy,
    /// Reverse proxies whose `X-Forwarded-For` is believed (see `signin::ClientIp`).
    pub trusted_proxies: TrustedProxies,
    /// The bearer token `/metrics` asks for; without one, `/metrics` is not served.
    pub metrics_token: Option<String>,
    /// How many connections at once, and how long a silent one is kept.
    pub connections: ConnectionLimits,
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
            signin: SigninPolicy::default(),
            trusted_proxies: TrustedProxies::default(),
            metrics_token: None,
            connections: ConnectionLimits::default(),
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
}

pub type AppState = Arc<Service>;

impl Service {
    pub fn new(storage: Arc<dyn Storage>, config: ServiceConfig) -> AppState {
        Arc::new(Service { storage, config, metrics: Metrics::default() })
    }

}

pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/login", post(signin::login))
        .route("/v1/token", post(signin::token))
        .route("/v1/logout", post(signin::logout))
        .route("/v1/me", get(me))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .route("/v1/cases/{case_id}/digest", get(cases::digest))
        .route("/v1/cases/{case_id}/events", get(cases::case_events))
        .route("/v1/cases/{case_id}/audit", get(cases::case_audit))
        .route("/v1/cases/{case_id}/allocations", post(cases::allocate))
        .route("/v1/cases/{case_id}/allocations/{username}", axum::routing::delete(cases::deallocate))
        .route("/v1/allocations", get(cases::allocations))
        .route("/v1/team", get(cases::team))
        .route("/v1/drafts", get(cases::list_drafts))
        .route("/v1/drafts/{note_id}", put(cases::put_draft).delete(cases::delete_draft))
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

/// Query strings whose problems come back as our own error shape (400 `invalid_request`), as for
/// [`ApiJson`], instead of axum's plain-text rejection.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(r) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("The address's query could not be read: {}", r.body_text()))),
        }
    }
}

/// The largest `limit` and `max_bytes` a query may name (the OpenAPI document's `maximum`); larger
/// values up to it are lowered to the server's own page limits.
pub const MAX_QUERY_NUMBER: u64 = 9_007_199_254_740_991;

/// A page-size parameter as the OpenAPI document states it: an integer from 1 to [`MAX_QUERY_NUMBER`].
fn page_bound(name: &str, value: Option<u64>) -> Result<Option<usize>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) if (1..=MAX_QUERY_NUMBER).contains(&v) => Ok(Some(usize::try_from(v).unwrap_or(usize::MAX))),
        Some(v) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("{name} must be a whole number from 1 to {MAX_QUERY_NUMBER} (it was {v})."))),
    }
}

/// The `after` cursor as the OpenAPI document states it: empty or omitted for the start, otherwise
/// `next_cursor` of a previous page (two numbers of at most 18 digits, joined by `-`).
fn cursor_param(after: Option<&str>) -> Result<Cursor, ApiError> {
    let refuse = || ApiError::new(StatusCode::BAD_REQUEST, "invalid_cursor", format!("'{}' is not a sync cursor; start again from the beginning.", after.unwrap_or_default()));
    match after {
        None | Some("") => Ok(Cursor::default()),
        Some(s) => {
            let (a, b) = s.split_once('-').ok_or_else(refuse)?;
            let digits = |p: &str| (1..=18).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit());
            if !digits(a) || !digits(b) {
                return Err(refuse());
            }
            s.parse().map_err(|_| refuse())
        }
    }
}

// ---------- authentication ----------

/// The signed-in user and the device they are using, from a valid access token.
pub struct Authed {
    pub user: UserRecord,
    pub device: DeviceRecord,
    /// Where the request came from (see [`ClientIp`]), recorded with everything it does.
    pub source: IpAddr,
    /// The hash of the access token presented (sign-out ends exactly that one).
    pub token_hash: String,
}

/// Why a presented access token was turned away: what the caller is told, and what is recorded
/// (the token's laptop and its user, when the token names one that still exists).
struct TokenRefusal {
    error: ApiError,
    username: Option<String>,
    device: Option<Uuid>,
    detail: &'static str,
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Ok(ClientIp(source)) = ClientIp::from_request_parts(parts, state).await;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "not_signed_in", "Sign in to Casebook first."))?;
        match check_token(state, token).await? {
            Ok((user, device)) => Ok(Authed { user, device, source, token_hash: hash_secret(token) }),
            Err(r) => {
                let username = r.username.as_deref().unwrap_or("unknown");
                state.security_event(username, r.device, Some(source), "refused_token", None, r.detail.into()).await;
                Err(r.error)
            }
        }
    }
}

/// The user and laptop an access token stands for, or why it is refused.
async fn check_token(state: &Service, token: &str) -> Result<Result<(UserRecord, DeviceRecord), TokenRefusal>, ApiError> {
    let unauthorised = |code: &str, msg: &str| ApiError::new(StatusCode::UNAUTHORIZED, code, msg);
    let unknown = || unauthorised("token_unknown", "This sign-in is not recognised; sign in again.");
    // Token, device and user in one look-up; the checks are made in the same order as when
    // they were three.
    let Some(found) = state.storage.authenticate(&hash_secret(token)).await? else {
        return Ok(Err(TokenRefusal { error: unknown(), username: None, device: None, detail: "unknown access token" }));
    };
    let device_id = Some(found.token.device_id);
    let Some(device) = found.device else {
        return Ok(Err(TokenRefusal { error: unknown(), username: None, device: device_id, detail: "access token of a laptop no longer registered" }));
    };
    let username = Some(device.username.clone());
    if device.revoked_at.is_some() {
        return Ok(Err(TokenRefusal { error: revoked(), username, device: device_id, detail: "access token of a revoked laptop" }));
    }
    if found.token.expires_at <= Utc::now() {
        let error = unauthorised("token_expired", "The sign-in has expired; the laptop renews it automatically.");
        return Ok(Err(TokenRefusal { error, username, device: device_id, detail: "expired access token" }));
    }
    let Some(user) = found.user else {
        let error = unauthorised("token_unknown", "This account no longer exists; contact IT.");
        return Ok(Err(TokenRefusal { error, username, device: device_id, detail: "access token of an account that no longer exists" }));
    };
    if user.disabled_at.is_some() {
        return Ok(Err(TokenRefusal { error: signin::disabled(), username, device: device_id, detail: "access token of a disabled account" }));
    }
    Ok(Ok((user, device)))
}

pub(crate) fn revoked() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "device_revoked",
        "This laptop's access to Casebook has been withdrawn by IT. It will lock now; contact IT or your team lead.",
    )
}

async fn me(State(state): State<AppState>, authed: Authed) -> Result<Json<serde_json::Value>, ApiError> {
    // A named supervisor records case supervision as a lead does: the laptop offers it to them.
    let supervisor = state.storage.is_supervisor(&authed.user.username).await?;
    Ok(Json(serde_json::json!({
        "user": UserInfo { username: authed.user.username, role: authed.user.role, team: authed.user.team },
        "supervisor": supervisor,
        "device_id": authed.device.id,
        "server_time": Utc::now(),
        "protocol_version": PROTOCOL_VERSION,
        "server_version": env!("CARGO_PKG_VERSION"),
        "max_drift_ms": state.config.max_drift_ms,
    })))
}

// ---------- sync ----------

/// Checks each event of a batch on its own, before the store is asked: what needs no knowledge
/// of the record (its version, its hash, that it comes from the signed-in clinician's own laptop,
/// possible times, the kind's own validation). Returns every problem found, each with its index.
pub fn validate_batch(events: &[casebook_domain::Event], user: &UserRecord, device: &DeviceRecord, now: DateTime<Utc>, max_drift_ms: u64) -> Vec<EventProblem> {
    let mut problems = Vec::new();
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
            problem("hash_mismatch", "The entry does not match its content hash; it was altered or damaged on the way.".into());
        }
        if e.author != user.username {
            problem("author_mismatch", format!("The entry names {} as its author, but you are signed in as {}.", e.author, user.username));
        }
        if e.device_id != device.id {
            problem("device_mismatch", "The entry names another laptop as the one it was written on.".into());
        }
        if let Err(r) = casebook_domain::check_times(e, now, max_drift_ms) {
            problem(r.code, r.message);
        }
        if let Err(v) = e.body.validate(latest_day) {
            problem("invalid_event", v.to_string());
        }
        if !seen.insert(e.id) {
            problem("repeated_in_batch", "The same entry appears twice in one batch.".into());
        }
    }
    problems
}

/// Codes that mean someone tried to write as another person or laptop, or into a case that is not
/// theirs: recorded as security events, not just refused.
/// Refusals recorded as security events: a laptop writing what its user may not (someone else's
/// entry or case, or what only another role writes).
const SECURITY_CODES: [&str; 8] = [
    "author_mismatch",
    "device_mismatch",
    "hash_mismatch",
    "case_not_allowed",
    "allocation_ended",
    "admin_not_clinical",
    "supervision_by_lead_only",
    "triage_by_lead_only",
];

/// `POST /v1/push`: every event gets its own answer. One that breaks a rule is refused with its
/// reason (and recorded); the rest of the batch is stored all the same.
async fn push(State(state): State<AppState>, authed: Authed, ApiJson(req): ApiJson<PushRequest>) -> Result<Json<PushResponse>, ApiError> {
    state.metrics.push_requests.inc();
    if req.events.len() > state.config.max_batch_events {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            format!("A batch may hold at most {} events; send the rest in another batch.", state.config.max_batch_events),
        ));
    }
    let now = Utc::now();
    let mut early: Vec<Option<EventProblem>> = vec![None; req.events.len()];
    for p in validate_batch(&req.events, &authed.user, &authed.device, now, state.config.max_drift_ms) {
        // The first problem of each event is the one it is refused with.
        early[p.index].get_or_insert(p);
    }
    let admissible: Vec<casebook_domain::Event> =
        req.events.iter().zip(&early).filter(|(_, p)| p.is_none()).map(|(e, _)| e.clone()).collect();
    // The batch's admissible events, the removal of its signed notes' draft backups (they have
    // done their job, so no stale copy lingers) and one audit row per case touched, kept together
    // or not at all.
    let stored = if admissible.is_empty() {
        Vec::new()
    } else {
        state.storage.push_recorded(&authed.user, authed.device.id, &admissible, now).await?
    };
    let mut stored = stored.into_iter();
    let mut results = Vec::with_capacity(req.events.len());
    let mut refusals = Vec::new();
    for (index, (e, problem)) in req.events.iter().zip(early).enumerate() {
        let result = match problem {
            Some(p) => PushResult::refused(e.id, p),
            None => stored.next().ok_or_else(|| ApiError::from(StorageError::Backend("the store answered for fewer events than it was given".into())))?,
        };
        if let Some(p) = &result.refused {
            let p = EventProblem { index, ..p.clone() };
            refusals.push(crate::audit::entry(
                &authed.user.username,
                Some(authed.device.id),
                Some(authed.source),
                if SECURITY_CODES.contains(&p.code.as_str()) { "refused_push_security" } else { "refused_push" },
                // A refused write to someone else's case is recorded without naming the case in
                // the trail its team reads; the entry id says which.
                (p.code != "case_not_allowed").then_some(e.case_id),
                format!("{} (entry {} for case {}, {}): {}", p.code, e.id, e.case_id, e.body.kind(), p.message),
            ));
            results.push(PushResult { refused: Some(p), ..result });
        } else {
            results.push(result);
        }
    }
    if !refusals.is_empty() {
        state.metrics.refusals.add(refusals.len() as u64);
        state.storage.audit_many(&refusals).await?;
    }
    apply_triage(&state, &authed, &req.events, &results).await?;
    let stored_now = results.iter().filter(|r| r.stored_now).count() as u64;
    state.metrics.events_stored.add(stored_now);
    Ok(Json(PushResponse { results }))
}

/// Makes who holds each case of the batch with a triage decision (stored now, or already held:
/// a laptop retrying after a lost answer) follow its decisions, and records each change. Safe to
/// repeat, so a crash between storing a decision and applying it is mended by the retry.
async fn apply_triage(state: &Service, authed: &Authed, events: &[casebook_domain::Event], results: &[PushResult]) -> Result<(), ApiError> {
    let cases: std::collections::BTreeSet<Uuid> = events
        .iter()
        .zip(results)
        .filter(|(e, r)| r.refused.is_none() && matches!(e.body, casebook_domain::EventBody::ReferralTriaged(_)))
        .map(|(e, _)| e.case_id)
        .collect();
    for case_id in cases {
        let changes = state.storage.reconcile_triage(case_id).await?;
        for name in &changes.granted {
            state.audit_as(authed, "allocate", Some(case_id), format!("allocated to {name} at triage")).await?;
        }
        for name in &changes.taken_away {
            state.audit_as(authed, "deallocate", Some(case_id), format!("taken away from {name} at triage")).await?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct PullQuery {
    after: Option<String>,
    limit: Option<u64>,
    max_bytes: Option<u64>,
    /// The laptop's own sequence number so far: if this page tells it a case was taken away,
    /// what it wrote up to here still arrives, nothing after. A laptop that does not say is taken
    /// to have written nothing more.
    written_up_to: Option<u64>,
    /// How many signed notes the laptop held unsent when this sync began, for the lead's view of
    /// laptops that have not synced.
    notes_waiting: Option<u32>,
}

async fn pull(State(state): State<AppState>, authed: Authed, ApiQuery(q): ApiQuery<PullQuery>) -> Result<Json<PullResponse>, ApiError> {
    state.metrics.pull_requests.inc();
    let after = cursor_param(q.after.as_deref())?;
    let limit = page_bound("limit", q.limit)?.unwrap_or(1_000).min(state.config.max_pull_events);
    let max_bytes = page_bound("max_bytes", q.max_bytes)?.unwrap_or(state.config.max_pull_bytes).min(state.config.max_pull_bytes);
    // Read before the page, so it is never below a sequence number the page contains.
    let latest_seq = state.storage.latest_seq().await?;
    let mut page = state.storage.pull(&authed.user, authed.device.id, after, limit, max_bytes).await?;
    if authed.user.role == Role::Admin {
        // Admin staff receive a case's referral, contact and appointment entries, never its
        // clinical content; the cursor still moves past what they do not receive.
        cases::admin_view(&mut page.events);
    }
    if !page.more {
        state.storage.device_synced(authed.device.id, Utc::now(), q.notes_waiting).await?;
    }
    state.metrics.events_pulled.add(page.events.len() as u64);
    if !page.access_removed.is_empty() {
        state.storage.removal_told(authed.device.id, &page.access_removed, q.written_up_to.unwrap_or(0), Utc::now()).await?;
    }
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
            source: Some(authed.source.to_string()),
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

/// Prometheus counters, for whoever holds the configured metrics token: counts of sign-ins and
/// pushes tell an outsider when the service is busy and whether a guessing attack is working.
async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Result<Response, ApiError> {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "metrics_off", "Metrics are not served: set metrics_token in the configuration."));
    };
    let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !presented.is_some_and(|p| auth::secrets_match(&hash_secret(p), &hash_secret(expected))) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "metrics_token", "Give the metrics token as a bearer token."));
    }
    let mut resp = state.metrics.render().into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    Ok(resp)
}

pub const OPENAPI: &str = include_str!("../openapi.json");

async fn openapi() -> Response {
    let mut resp = OPENAPI.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
