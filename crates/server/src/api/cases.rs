//! The endpoints about one case or the caller's cases: digest and repair reads, the audit trail,
//! allocation, and the drafts backup.
//!
//! Roles (see docs/central-store.md): a clinician reads the cases allocated to them; a lead reads
//! their team's cases and allocates them within the team; admin staff read only the referral,
//! contact and appointment entries of their own team's cases, never allocate, and may read the
//! audit trail of their own team's cases. Every
//! refusal is recorded (`Service::refuse`).

use super::{ApiError, ApiJson, AppState, Authed, Service};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use casebook_protocol::*;
use uuid::Uuid;

fn parse_case(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_id", format!("'{s}' is not a case id.")))
}

/// A case the user may not see looks exactly like one that does not exist.
fn not_visible() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "case_not_found", "There is no case with that id that you can see.")
}

/// How much of a case the caller may read: all of it (allocated, or a lead of its team), the
/// admin staff's view of their own team's case (referral, contact and appointment entries), or
/// nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    Whole,
    AdminView,
}

async fn reading(state: &Service, authed: &Authed, case_id: Uuid) -> Result<Option<Reading>, ApiError> {
    if state.storage.can_read(&authed.user, case_id).await? {
        return Ok(Some(Reading::Whole));
    }
    let own_team = authed.user.role == Role::Admin && state.storage.case_team(case_id).await?.as_deref() == Some(authed.user.team.as_str());
    Ok(own_team.then_some(Reading::AdminView))
}

/// The case's events as the caller may read them (see [`Reading`]).
async fn readable_events(state: &Service, case_id: Uuid, reading: Reading) -> Result<Vec<PulledEvent>, ApiError> {
    let mut events = state.storage.case_events(case_id).await?;
    if reading == Reading::AdminView {
        admin_view(&mut events);
    }
    Ok(events)
}

/// What of these events admin staff receive: the referral, contact, appointment and triage kinds,
/// without the lead's flags on them. One rule for pull, digest and repair.
pub(super) fn admin_view(events: &mut Vec<PulledEvent>) {
    events.retain(|e| casebook_domain::roles::admin_sees(e.event.body.kind()));
    for e in events.iter_mut() {
        e.flag = None;
    }
}

pub(super) async fn digest(State(state): State<AppState>, authed: Authed, Path(case_id): Path<String>) -> Result<Json<CaseDigest>, ApiError> {
    let case_id = parse_case(&case_id)?;
    let Some(reading) = reading(&state, &authed, case_id).await? else {
        return Err(state.refuse(&authed, "refused_read", Some(case_id), "digest", not_visible()).await);
    };
    let digest = match reading {
        Reading::Whole => state.storage.case_digest(case_id).await?,
        // Admin staff's laptops hold only their view, so that is what their check compares.
        Reading::AdminView => {
            let events = readable_events(&state, case_id, reading).await?;
            let (event_count, digest) = digest_of(events.iter().map(|e| &e.event.id));
            CaseDigest { case_id, event_count, digest }
        }
    };
    state.audit_as(&authed, "digest", Some(case_id), format!("{} events", digest.event_count)).await?;
    Ok(Json(digest))
}

/// Every event the central store holds for one case (admin staff: their view of it), for a laptop
/// repairing a case whose digest differs from its own.
pub(super) async fn case_events(State(state): State<AppState>, authed: Authed, Path(case_id): Path<String>) -> Result<Json<Vec<PulledEvent>>, ApiError> {
    let case_id = parse_case(&case_id)?;
    let Some(reading) = reading(&state, &authed, case_id).await? else {
        return Err(state.refuse(&authed, "refused_read", Some(case_id), "events", not_visible()).await);
    };
    let events = readable_events(&state, case_id, reading).await?;
    state.audit_as(&authed, "case_read", Some(case_id), format!("read {} events to repair", events.len())).await?;
    Ok(Json(events))
}

pub(super) async fn case_audit(State(state): State<AppState>, authed: Authed, Path(case_id): Path<String>) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let case_id = parse_case(&case_id)?;
    let visible = match authed.user.role {
        Role::Clinician => {
            let err = ApiError::new(StatusCode::FORBIDDEN, "leads_only", "Only team leads and administrators can read a case's audit trail.");
            return Err(state.refuse(&authed, "refused_read", Some(case_id), "audit trail", err).await);
        }
        Role::Lead => state.storage.can_read(&authed.user, case_id).await?,
        // The trail says who did what, never what was written, and a trust's administrators must
        // be able to answer "who saw this family's record": for their own team's cases only.
        Role::Admin => state.storage.case_team(case_id).await?.as_deref() == Some(authed.user.team.as_str()),
    };
    if !visible {
        return Err(state.refuse(&authed, "refused_read", Some(case_id), "audit trail", not_visible()).await);
    }
    let entries = state.storage.audit_for_case(case_id).await?;
    state.audit_as(&authed, "audit_read", Some(case_id), format!("{} entries", entries.len())).await?;
    Ok(Json(entries))
}

/// Checks that the signed-in user may change who a case is allocated to (only a lead, only for
/// their own team's cases), and that the person named is on their team and may hold a case.
/// `giving` is true to allocate, false to take away.
async fn may_allocate(state: &Service, authed: &Authed, case_id: Uuid, username: &str, giving: bool) -> Result<(), ApiError> {
    let (action, what) = match giving {
        true => ("refused_allocate", format!("allocate to {username}")),
        false => ("refused_deallocate", format!("take away from {username}")),
    };
    let refusal = match authed.user.role {
        Role::Admin => Some(ApiError::new(
            StatusCode::FORBIDDEN,
            "admins_do_not_allocate",
            "Administrators do not allocate cases; ask the team's lead to allocate it.",
        )),
        Role::Clinician => Some(ApiError::new(StatusCode::FORBIDDEN, "leads_only", "Only team leads can allocate cases; ask your team lead.")),
        Role::Lead => {
            // Another team's case is answered as if it did not exist, even should the lead have
            // been given access to it: a lead allocates within their own team only.
            let own_team = state.storage.case_team(case_id).await?.as_deref() == Some(authed.user.team.as_str());
            (!own_team || !state.storage.can_read(&authed.user, case_id).await?).then(not_visible)
        }
    };
    if let Some(err) = refusal {
        return Err(state.refuse(authed, action, Some(case_id), &what, err).await);
    }
    let target = state
        .storage
        .user(username)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_such_user", format!("There is no clinician called '{username}'.")))?;
    if target.team != authed.user.team {
        let err = ApiError::new(
            StatusCode::FORBIDDEN,
            "other_team",
            format!("{} is not on your team, so the case cannot be allocated to them.", target.username),
        );
        return Err(state.refuse(authed, action, Some(case_id), &what, err).await);
    }
    // Taking a case away from an administrator stays possible, to undo access given before
    // administrators were kept from clinical content.
    if giving && target.role == Role::Admin {
        let err = ApiError::new(
            StatusCode::FORBIDDEN,
            "admins_hold_no_cases",
            format!("{} is an administrator, and administrators never hold cases; allocate it to a clinician of your team.", target.username),
        );
        return Err(state.refuse(authed, action, Some(case_id), &what, err).await);
    }
    Ok(())
}

pub(super) async fn allocate(
    State(state): State<AppState>,
    authed: Authed,
    Path(case_id): Path<String>,
    ApiJson(req): ApiJson<AllocationRequest>,
) -> Result<StatusCode, ApiError> {
    let case_id = parse_case(&case_id)?;
    let username = req.username.trim();
    may_allocate(&state, &authed, case_id, username, true).await?;
    state.storage.allocate(case_id, username).await?;
    state.audit_as(&authed, "allocate", Some(case_id), format!("allocated to {username}")).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn deallocate(
    State(state): State<AppState>,
    authed: Authed,
    Path((case_id, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let case_id = parse_case(&case_id)?;
    may_allocate(&state, &authed, case_id, username.trim(), false).await?;
    if !state.storage.deallocate(case_id, &username).await? {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_allocated", format!("The case is not allocated to {username}.")));
    }
    state.audit_as(&authed, "deallocate", Some(case_id), format!("taken away from {username}")).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// For every case the caller can see, who it is allocated to, so a laptop can show who holds a
/// case while offline. One audit row for the whole read, as for the drafts list.
pub(super) async fn allocations(State(state): State<AppState>, authed: Authed) -> Result<Json<AllocationsResponse>, ApiError> {
    let cases = state.storage.allocations(&authed.user).await?;
    state.audit_as(&authed, "allocations_read", None, format!("{} cases", cases.len())).await?;
    Ok(Json(AllocationsResponse { cases }))
}

pub(super) async fn list_drafts(State(state): State<AppState>, authed: Authed) -> Result<Json<Vec<DraftBackup>>, ApiError> {
    let drafts = state.storage.drafts(&authed.user).await?;
    state.audit_as(&authed, "drafts_read", None, format!("{} drafts", drafts.len())).await?;
    Ok(Json(drafts))
}

pub(super) async fn put_draft(
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
        return Err(state.refuse(&authed, "refused_draft", Some(draft.case_id), "draft backup", not_visible()).await);
    }
    state.storage.put_draft(&authed.user, &draft).await?;
    state.audit_as(&authed, "draft_backup", Some(draft.case_id), format!("revision {}", draft.revision)).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn delete_draft(State(state): State<AppState>, authed: Authed, Path(note_id): Path<String>) -> Result<StatusCode, ApiError> {
    let note_id = Uuid::parse_str(&note_id).map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_id", "That is not a note id."))?;
    let case_id = state.storage.delete_draft(&authed.user, note_id).await?;
    let detail = match case_id {
        Some(_) => format!("note {note_id}"),
        None => format!("note {note_id} (none was held)"),
    };
    state.audit_as(&authed, "draft_delete", case_id, detail).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/team`: the lead's view of their team's people and laptops (last complete sync, and
/// how many signed notes each held unsent when it began). Leads only: a laptop silent for days is
/// the team lead's to chase, and who has which laptop is not everyone's business.
pub(super) async fn team(State(state): State<AppState>, authed: Authed) -> Result<Json<casebook_protocol::TeamResponse>, ApiError> {
    if authed.user.role != Role::Lead {
        let err = ApiError::new(StatusCode::FORBIDDEN, "leads_only", "Only the team's lead sees the team's laptops; ask your lead.");
        return Err(state.refuse(&authed, "refused_team", None, "team view", err).await);
    }
    let members = state.storage.roster(&authed.user.team).await?;
    state.audit_as(&authed, "team_read", None, format!("{} people", members.len())).await?;
    Ok(Json(casebook_domain::team::Roster { team: authed.user.team.clone(), members, as_of: chrono::Utc::now() }))
}
