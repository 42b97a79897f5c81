//! The laptop side of sync.
//!
//! Order of a sync: renew the access token if needed, send the outbox (oldest first, in batches;
//! an event leaves the outbox only when the central store acknowledges it), then receive pages
//! after the cursor (each page and its cursor committed in one local transaction). Any
//! interruption leaves the laptop at a consistent point from which the next sync simply resumes:
//! a repeated push is a no-op on the server, a repeated page a no-op here.

use casebook_domain::EventBody;
use casebook_protocol::*;
use casebook_store::{Acknowledged, RemoteEvent, Store, StoreError, PUSH_BYTES};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use ts_rs::TS;

mod http;
use http::{answer, client, normalise_url};
pub use http::{end_token, forget_session, sign_out};

const SERVER_URL: &str = casebook_store::team::TEAM_ADDRESS_KEY;
const SERVER_USER: &str = "server_user";
/// The role the central store gave at sign-in, refreshed at every sync ("clinician", "lead",
/// "admin"): the window offers what only a lead does to leads. The central store decides again on
/// everything sent.
const SERVER_ROLE: &str = casebook_store::team::TEAM_ROLE_KEY;
/// Set when the central store names the user a supervisor (recorded at every sync).
const SERVER_SUPERVISOR: &str = "server_supervisor";
const DEVICE_SECRET: &str = "device_secret";
const ACCESS_TOKEN: &str = "access_token";
const TOKEN_EXPIRES: &str = "token_expires_at";
const PULL_CURSOR: &str = "pull_cursor";
const LAST_SYNC: &str = "last_sync_at";
const PENDING_REMOVALS: &str = "pending_removals";
const LAST_VERIFIED: &str = "last_verified_at";
const DRAFTS_RESTORED: &str = "drafts_restored";
/// How often every case is compared with the central store's copy, digest by digest.
pub const VERIFY_EVERY_HOURS: i64 = 24;

/// Events sent per request: big enough to be quick, small enough to stay well under the central
/// store's body limit with long notes.
pub const PUSH_BATCH: usize = 500;
pub const PULL_PAGE: usize = 5_000;
/// Beyond this the clinician is told their laptop clock is wrong.
pub const CLOCK_WARNING_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Error)]
pub enum SyncError {
    #[error("This laptop is not connected to a central store yet; sign in to your team's central store first.")]
    NotSignedIn,
    #[error("The central store at {url} cannot be reached ({detail}). Your notes are safe on this laptop and will be sent when it can be reached.")]
    Unreachable { url: String, detail: String },
    #[error("This laptop's access to Casebook has been withdrawn by IT. It will lock now; contact IT or your team lead.")]
    DeviceRevoked,
    #[error("This laptop's notes were written as {store_user}; sign in as {store_user}, not {given}.")]
    WrongUser { store_user: String, given: String },
    #[error("{message}")]
    Refused { status: u16, code: String, message: String },
    #[error("The central store's answer could not be understood ({0}); nothing was lost, try again later.")]
    Protocol(String),
    #[error("'{0}' is not a web address; it should look like https://casebook.example.nhs.uk")]
    BadUrl(String),
    #[error("Notes are only sent over an encrypted connection: use the address starting with https:// (plain http:// is allowed only to this laptop itself, for testing).")]
    PlainHttp(String),
    #[error("The central store at {url} presented a certificate this laptop does not trust ({detail}), so nothing was sent. Your notes are safe on this laptop; ask IT, who may need to install the trust's certificate authority on it.")]
    UntrustedCertificate { url: String, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SignedIn {
    pub server_url: String,
    pub username: String,
    pub team: String,
    pub role: String,
}

/// What a sync did, for the clinician.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncSummary {
    /// Events sent (every kind).
    pub pushed: u32,
    /// Events received that this laptop did not hold.
    pub pulled: u32,
    /// Conflicting field edits waiting for a person to resolve.
    pub conflicts: u32,
    pub notes_sent: u32,
    pub notes_received: u32,
    /// Other records a clinician would recognise (cases opened, contacts, addenda, changed
    /// details) sent and received; internal markers such as "a note was started" are not counted.
    pub records_sent: u32,
    pub records_received: u32,
    /// The laptop clock minus the central store's, in milliseconds.
    #[ts(type = "number")]
    pub clock_offset_ms: i64,
    /// A sentence when the laptop clock is more than ten minutes out.
    pub clock_warning: Option<String>,
    pub finished_at: DateTime<Utc>,
    /// Cases no longer allocated to this clinician, removed from the laptop after everything
    /// written for them was sent.
    pub cases_removed: u32,
    /// Removals held back because they would take most of the caseload off this laptop at once;
    /// they happen only when the clinician confirms.
    pub removals_awaiting_confirmation: u32,
    /// Cases whose copy differed from the central store's and were repaired.
    pub cases_repaired: u32,
    /// This laptop's own events the central store no longer held (restored from an older backup),
    /// sent again.
    pub resent: u32,
    /// Entries the central store refused this time; each is set aside with its reason.
    pub set_aside: u32,
    /// Things the clinician should know, one sentence each.
    pub notices: Vec<String>,
    /// The summary in one sentence ("3 notes sent, 5 received.").
    pub sentence: String,
}

/// Choices for one sync.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// The clinician has confirmed removing many cases at once.
    pub confirm_removals: bool,
    /// Compare every case with the central store now, not just once a day.
    pub verify: bool,
}

/// Where this laptop stands, without contacting the central store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    pub server_url: Option<String>,
    pub signed_in_as: Option<String>,
    /// The role the central store gave at sign-in: "clinician", "lead" or "admin".
    pub role: Option<String>,
    /// The central store names this user a supervisor: they record case supervision as a lead does.
    pub supervisor: bool,
    /// Changes waiting to be sent.
    #[ts(type = "number")]
    pub waiting: u64,
    /// Signed notes and addenda among them.
    #[ts(type = "number")]
    pub unsent_notes: u64,
    /// Entries the central store refused, set aside on this laptop with its reason.
    #[ts(type = "number")]
    pub set_aside: u64,
    pub last_sync_at: Option<DateTime<Utc>>,
}

pub fn status(store: &Store) -> Result<SyncStatus> {
    Ok(SyncStatus {
        server_url: store.sync_value(SERVER_URL)?,
        signed_in_as: store.sync_value(SERVER_USER)?,
        role: store.sync_value(SERVER_ROLE)?,
        supervisor: store.sync_value(SERVER_SUPERVISOR)?.is_some(),
        waiting: store.outbox_len()?,
        unsent_notes: store.unsent_signed_notes()?,
        set_aside: store.set_aside_count()?,
        last_sync_at: store.sync_value(LAST_SYNC)?.and_then(|s| s.parse().ok()),
    })
}

/// Signs in on this laptop, registering it as a device under its own device id.
pub fn login(store: &mut Store, server_url: &str, username: &str, password: &str, device_name: &str) -> Result<SignedIn> {
    let url = normalise_url(server_url)?;
    if store.username() != username.trim() {
        return Err(SyncError::WrongUser { store_user: store.username().to_string(), given: username.trim().to_string() });
    }
    let req = LoginRequest {
        username: username.trim().to_string(),
        password: password.to_string(),
        device_name: device_name.to_string(),
        device_id: Some(store.device_id()),
    };
    let resp: LoginResponse = answer(&url, client().post(format!("{url}/v1/login")).json(&req).send())?;
    store.set_sync_value(SERVER_URL, Some(&url))?;
    store.set_sync_value(SERVER_USER, Some(&resp.user.username))?;
    store.set_sync_value(SERVER_ROLE, Some(resp.user.role.as_str()))?;
    store.set_sync_value(DEVICE_SECRET, Some(&resp.device_secret))?;
    save_session(store, &resp.session)?;
    Ok(SignedIn { server_url: url, username: resp.user.username, team: resp.user.team, role: resp.user.role.as_str().into() })
}

fn save_session(store: &mut Store, s: &Session) -> Result<()> {
    store.set_sync_value(ACCESS_TOKEN, Some(&s.access_token))?;
    store.set_sync_value(TOKEN_EXPIRES, Some(&s.expires_at.to_rfc3339()))?;
    Ok(())
}

struct Connection {
    url: String,
    http: reqwest::blocking::Client,
    token: String,
}

impl Connection {
    /// The signed-in connection, renewing the access token with the device credential when it is
    /// about to expire.
    fn open(store: &mut Store) -> Result<Connection> {
        let url = store.sync_value(SERVER_URL)?.ok_or(SyncError::NotSignedIn)?;
        let http = client();
        let fresh = store
            .sync_value(TOKEN_EXPIRES)?
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .is_some_and(|t| t - Utc::now() > chrono::Duration::seconds(60));
        let token = match (fresh, store.sync_value(ACCESS_TOKEN)?) {
            (true, Some(token)) => token,
            _ => Self::renew(store, &url, &http)?,
        };
        Ok(Connection { url, http, token })
    }

    fn renew(store: &mut Store, url: &str, http: &reqwest::blocking::Client) -> Result<String> {
        let secret = store.sync_value(DEVICE_SECRET)?.ok_or(SyncError::NotSignedIn)?;
        let req = TokenRequest { device_id: store.device_id(), device_secret: secret };
        let session: Session = answer(url, http.post(format!("{url}/v1/token")).json(&req).send())?;
        save_session(store, &session)?;
        Ok(session.access_token)
    }

    /// Runs a request, renewing the token once if the central store says it expired.
    fn call<T: serde::de::DeserializeOwned>(
        &mut self,
        store: &mut Store,
        build: impl Fn(&reqwest::blocking::Client, &str, &str) -> reqwest::blocking::RequestBuilder,
    ) -> Result<T> {
        match answer(&self.url, build(&self.http, &self.url, &self.token).send()) {
            Err(SyncError::Refused { code, .. }) if code == "token_expired" || code == "token_unknown" => {
                self.token = Self::renew(store, &self.url, &self.http)?;
                answer(&self.url, build(&self.http, &self.url, &self.token).send())
            }
            other => other,
        }
    }
}

/// Sends everything waiting and receives everything new. Never reports success after a failure:
/// any error is returned, and what was done before it stays done.
pub fn sync(store: &mut Store) -> Result<SyncSummary> {
    sync_with(store, SyncOptions::default())
}

pub fn sync_with(store: &mut Store, options: SyncOptions) -> Result<SyncSummary> {
    let mut conn = Connection::open(store)?;
    let mut summary = SyncSummary::default();
    let mut server_time: Option<DateTime<Utc>>;
    let mut latest_seq: u64;
    // Counted before sending, for the lead's view of laptops holding notes.
    let notes_waiting = store.unsent_signed_notes()?;

    refresh_role(store, &mut conn)?;
    push_outbox(store, &mut conn, &mut summary)?;
    back_up_drafts(store, &mut conn)?;

    let mut cursor: Cursor = store.sync_value(PULL_CURSOR)?.and_then(|c| c.parse().ok()).unwrap_or_default();
    loop {
        let written_up_to = store.written_up_to();
        let page: PullResponse = conn.call(store, |http, url, token| {
            // How far this laptop has written: if the page says a case was taken away, what was
            // written up to here still counts as written before the laptop knew.
            http.get(format!("{url}/v1/pull"))
                .query(&[
                    ("after", cursor.to_string()),
                    ("limit", PULL_PAGE.to_string()),
                    ("written_up_to", written_up_to.to_string()),
                    ("notes_waiting", notes_waiting.min(u32::MAX as u64).to_string()),
                ])
                .bearer_auth(token)
        })?;
        server_time = Some(page.server_time);
        latest_seq = page.latest_seq;
        let events: Vec<RemoteEvent> = page.events.into_iter().map(received).collect();
        let report = store.apply_remote(&events, PULL_CURSOR, &page.next_cursor.to_string())?;
        if !page.access_removed.is_empty() {
            let mut pending = pending_removals(store)?;
            pending.extend(page.access_removed.iter().copied());
            set_pending_removals(store, &pending)?;
        }
        summary.pulled += report.stored;
        summary.notes_received += report.notes;
        summary.records_received += report.records;
        cursor = page.next_cursor;
        if !page.more {
            break;
        }
    }

    let due = store
        .sync_value(LAST_VERIFIED)?
        .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        .is_none_or(|t| Utc::now() - t > chrono::Duration::hours(VERIFY_EVERY_HOURS));
    // Holding an acknowledgement the central store has never handed out means it went back in
    // time (restored from an older backup): check everything now.
    let server_went_back = store.max_server_seq()? > latest_seq;
    if options.verify || due || server_went_back {
        verify_cases(store, &mut conn, &mut summary)?;
        if summary.resent > 0 {
            push_outbox(store, &mut conn, &mut summary)?;
            summary.notices.push(format!(
                "The central store was missing {} of this laptop's changes (it may have been restored from a backup); they have been sent again.",
                summary.resent
            ));
        }
        store.set_sync_value(LAST_VERIFIED, Some(&Utc::now().to_rfc3339()))?;
    }
    if store.sync_value(DRAFTS_RESTORED)?.is_none() {
        restore_drafts(store, &mut conn, &mut summary)?;
        store.set_sync_value(DRAFTS_RESTORED, Some("yes"))?;
    }
    remove_lost_cases(store, options, &mut summary)?;
    refresh_allocations(store, &mut conn)?;
    refresh_roster(store, &mut conn)?;
    summary.conflicts = store.open_conflicts()?;
    let now = Utc::now();
    if let Some(server) = server_time {
        summary.clock_offset_ms = (now - server).num_milliseconds();
        summary.clock_warning = clock_warning(summary.clock_offset_ms);
    }
    summary.finished_at = now;
    summary.sentence = sentence(&summary);
    store.set_sync_value(LAST_SYNC, Some(&now.to_rfc3339()))?;
    Ok(summary)
}

/// The role the central store gives now: a change made by IT takes effect at the next sync (what
/// the window offers follows it; the central store applies it to everything sent in any case).
fn refresh_role(store: &mut Store, conn: &mut Connection) -> Result<()> {
    let me: serde_json::Value = conn.call(store, |http, url, token| http.get(format!("{url}/v1/me")).bearer_auth(token))?;
    if let Some(role) = me.pointer("/user/role").and_then(|r| r.as_str()) {
        store.set_sync_value(SERVER_ROLE, Some(role))?;
    }
    let supervisor = me.get("supervisor").and_then(|s| s.as_bool()).unwrap_or(false);
    store.set_sync_value(SERVER_SUPERVISOR, supervisor.then_some("yes"))?;
    Ok(())
}

/// A lead's laptop keeps the team's people and laptops for the team view, which then works
/// offline and says how old it is. Anyone else's laptop forgets any roster it had.
fn refresh_roster(store: &mut Store, conn: &mut Connection) -> Result<()> {
    if store.team_role()?.as_deref() != Some("lead") {
        return Ok(store.forget_roster()?);
    }
    match conn.call::<casebook_protocol::TeamResponse>(store, |http, url, token| http.get(format!("{url}/v1/team")).bearer_auth(token)) {
        Ok(roster) => Ok(store.set_roster(&roster)?),
        // A central store from before the team view: the view shows the cases without the roster.
        Err(SyncError::Refused { status: 404, .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Who holds each case, for the case header offline. A central store from before allocations
/// were published answers 404: the laptop simply does not show them.
fn refresh_allocations(store: &mut Store, conn: &mut Connection) -> Result<()> {
    let answer = conn.call::<casebook_protocol::AllocationsResponse>(store, |http, url, token| {
        http.get(format!("{url}/v1/allocations")).bearer_auth(token)
    });
    match answer {
        Ok(a) => {
            let cases: Vec<(uuid::Uuid, Vec<String>)> = a.cases.into_iter().map(|c| (c.case_id, c.clinicians)).collect();
            store.set_allocations(&cases)?;
            Ok(())
        }
        Err(SyncError::Refused { status: 404, .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sends the outbox, oldest first, in batches of at most `PUSH_BATCH` entries and `PUSH_BYTES`.
/// Each entry gets its own answer: an acknowledged one leaves the outbox; a refused one is set
/// aside with the central store's reason (kept, shown, never deleted) and the rest flows on.
fn push_outbox(store: &mut Store, conn: &mut Connection, summary: &mut SyncSummary) -> Result<()> {
    loop {
        let batch = store.outbox_batch(PUSH_BATCH, PUSH_BYTES)?;
        if batch.is_empty() {
            break;
        }
        let request = PushRequest { events: batch };
        let resp: PushResponse = conn.call(store, |http, url, token| http.post(format!("{url}/v1/push")).bearer_auth(token).json(&request))?;
        if resp.results.len() != request.events.len() || resp.results.iter().zip(&request.events).any(|(r, e)| r.event_id != e.id) {
            return Err(SyncError::Protocol("the central store answered for different entries than were sent".into()));
        }
        let mut acked = Vec::new();
        let mut refused = Vec::new();
        for (r, e) in resp.results.into_iter().zip(&request.events) {
            match r.refused {
                Some(p) => refused.push((r.event_id, p.code, p.message)),
                None => {
                    acked.push(Acknowledged { event_id: r.event_id, seq: r.seq, received_at: r.received_at });
                    match &e.body {
                        EventBody::NoteSigned(_) => summary.notes_sent += 1,
                        body if is_other_record(body) => summary.records_sent += 1,
                        _ => {}
                    }
                }
            }
        }
        store.acknowledge(&acked)?;
        store.set_aside(&refused)?;
        summary.pushed += acked.len() as u32;
        summary.set_aside += refused.len() as u32;
    }
    Ok(())
}

fn received(p: PulledEvent) -> RemoteEvent {
    RemoteEvent { seq: p.seq, event: p.event, received_at: p.received_at, flag: p.flag }
}

/// Sends each draft revision the central store does not hold yet to the author's private backup.
fn back_up_drafts(store: &mut Store, conn: &mut Connection) -> Result<()> {
    for d in store.drafts_to_back_up()? {
        let backup = DraftBackup { note_id: d.note_id, case_id: d.case_id, text: d.text.clone(), revision: d.revision, updated_at: d.updated_at };
        let sent: std::result::Result<(), SyncError> =
            conn.call(store, |http, url, token| http.put(format!("{url}/v1/drafts/{}", d.note_id)).bearer_auth(token).json(&backup));
        match sent {
            Ok(()) => store.draft_backed_up(d.note_id, d.revision)?,
            // A case no longer visible: the draft stays on the laptop, unbacked, as before.
            Err(SyncError::Refused { status: 404, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Brings the author's backed-up drafts onto this laptop (a replacement laptop, say) once their
/// cases have arrived. Never overwrites a draft already here.
fn restore_drafts(store: &mut Store, conn: &mut Connection, summary: &mut SyncSummary) -> Result<()> {
    let backups: Vec<DraftBackup> = conn.call(store, |http, url, token| http.get(format!("{url}/v1/drafts")).bearer_auth(token))?;
    let mut restored = 0;
    for b in backups {
        let draft = casebook_store::Draft {
            note_id: b.note_id,
            case_id: b.case_id,
            contact_id: None,
            occurred_on: b.updated_at.with_timezone(&chrono::Local).date_naive(),
            text: b.text,
            created_at: b.updated_at,
            updated_at: b.updated_at,
            revision: b.revision,
        };
        if store.restore_draft(&draft)? {
            restored += 1;
        }
    }
    if restored > 0 {
        summary.notices.push(format!(
            "{} brought back from your private backup on the central store.",
            plural(restored, "unsigned draft was", "unsigned drafts were")
        ));
    }
    Ok(())
}

/// Compares each case's digest with the central store's. A case that differs is repaired: events
/// the laptop lacks are fetched, and this laptop's own events the central store lacks are queued
/// to be sent again. Never deletes anything.
fn verify_cases(store: &mut Store, conn: &mut Connection, summary: &mut SyncSummary) -> Result<()> {
    let cases: Vec<uuid::Uuid> = store.all_cases()?.into_iter().map(|c| c.case_id).collect();
    for case in cases {
        let local_ids = store.case_event_ids(case)?;
        let remote: std::result::Result<CaseDigest, SyncError> =
            conn.call(store, |http, url, token| http.get(format!("{url}/v1/cases/{case}/digest")).bearer_auth(token));
        let remote = match remote {
            Ok(d) => d,
            // Not (or no longer) visible: the removal notice, not this check, decides what happens.
            Err(SyncError::Refused { status: 404, .. }) => continue,
            Err(e) => return Err(e),
        };
        if digest_of(&local_ids) == (remote.event_count, remote.digest.clone()) {
            continue;
        }
        let events: Vec<PulledEvent> = conn.call(store, |http, url, token| http.get(format!("{url}/v1/cases/{case}/events")).bearer_auth(token))?;
        let server_ids: std::collections::HashSet<uuid::Uuid> = events.iter().map(|e| e.event.id).collect();
        let fetched: Vec<RemoteEvent> = events.into_iter().map(received).collect();
        let report = store.apply_repair(&fetched)?;
        summary.pulled += report.stored;
        summary.notes_received += report.notes;
        summary.records_received += report.records;
        let missing_on_server: Vec<uuid::Uuid> = local_ids.into_iter().filter(|id| !server_ids.contains(id)).collect();
        summary.resent += store.requeue_own(&missing_on_server)?;
        summary.cases_repaired += 1;
    }
    Ok(())
}

fn pending_removals(store: &Store) -> Result<std::collections::BTreeSet<uuid::Uuid>> {
    Ok(store.sync_value(PENDING_REMOVALS)?.and_then(|v| serde_json::from_str(&v).ok()).unwrap_or_default())
}

fn set_pending_removals(store: &mut Store, pending: &std::collections::BTreeSet<uuid::Uuid>) -> Result<()> {
    let value = (!pending.is_empty()).then(|| serde_json::to_string(pending).expect("ids serialise"));
    store.set_sync_value(PENDING_REMOVALS, value.as_deref())?;
    Ok(())
}

/// Takes cases that are no longer allocated to this clinician off the laptop, once everything
/// written for them has been sent. Never infers removal from absence: only the central store's
/// explicit notice counts. Refuses to remove most of the caseload at once without confirmation.
fn remove_lost_cases(store: &mut Store, options: SyncOptions, summary: &mut SyncSummary) -> Result<()> {
    let pending = pending_removals(store)?;
    if pending.is_empty() {
        return Ok(());
    }
    let held: Vec<uuid::Uuid> = pending.iter().copied().filter(|id| store.case(*id).is_ok()).collect();
    let total = store.case_count()?;
    if !options.confirm_removals && held.len() >= 3 && held.len() * 2 > total as usize {
        summary.removals_awaiting_confirmation = held.len() as u32;
        summary.notices.push(format!(
            "The central store says {} of the {total} cases on this laptop are no longer allocated to you. They have been kept for now; confirm to remove them, or check with your team lead.",
            held.len()
        ));
        return Ok(());
    }
    let mut still_pending = std::collections::BTreeSet::new();
    for id in pending {
        let family = store.case_summary(id).ok().and_then(|c| c.family_name).unwrap_or_else(|| "a".into());
        match store.purge_case(id)? {
            casebook_store::PurgeOutcome::Removed => summary.cases_removed += 1,
            casebook_store::PurgeOutcome::NotHeld => {}
            casebook_store::PurgeOutcome::WaitingToSend => {
                still_pending.insert(id);
            }
            casebook_store::PurgeOutcome::DraftOpen => {
                summary.notices.push(format!(
                    "The {family} case is no longer allocated to you. It stays on this laptop until you sign or discard your unsigned draft on it."
                ));
                still_pending.insert(id);
            }
        }
    }
    set_pending_removals(store, &still_pending)
}

/// A team lead allocates a case to a clinician of their team (who receives its whole history at
/// their next sync).
pub fn allocate(store: &mut Store, case_id: uuid::Uuid, username: &str) -> Result<()> {
    let mut conn = Connection::open(store)?;
    let req = AllocationRequest { username: username.trim().to_string() };
    conn.call(store, |http, url, token| http.post(format!("{url}/v1/cases/{case_id}/allocations")).bearer_auth(token).json(&req))
}

/// A team lead takes a case away from a clinician (their laptop sends what it holds, then lets go).
pub fn deallocate(store: &mut Store, case_id: uuid::Uuid, username: &str) -> Result<()> {
    let mut conn = Connection::open(store)?;
    let username = username.trim().to_string();
    conn.call(store, |http, url, token| http.delete(format!("{url}/v1/cases/{case_id}/allocations/{username}")).bearer_auth(token))
}

/// A sentence for a clock more than ten minutes out, or nothing.
pub fn clock_warning(offset_ms: i64) -> Option<String> {
    if offset_ms.abs() <= CLOCK_WARNING_MS {
        return None;
    }
    let minutes = offset_ms.abs() / 60_000;
    let amount = if minutes >= 120 { format!("about {} hours", minutes / 60) } else { format!("{minutes} minutes") };
    let direction = if offset_ms > 0 { "ahead of" } else { "behind" };
    Some(format!(
        "This laptop's clock is {amount} {direction} the central store's. Notes are still kept in the right order, but please correct the date and time in the laptop's settings."
    ))
}

/// Records a clinician would recognise, other than signed notes.
fn is_other_record(body: &EventBody) -> bool {
    !matches!(body, EventBody::NoteSigned(_) | EventBody::NoteDrafted(_))
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "3 notes sent, 5 received." — what a clinician wants to know, without sync jargon.
pub fn sentence(s: &SyncSummary) -> String {
    let (other_sent, other_received) = (s.records_sent, s.records_received);
    let mut parts = Vec::new();
    if s.notes_sent > 0 || s.notes_received > 0 {
        parts.push(format!("{} sent, {} received", plural(s.notes_sent, "note", "notes"), s.notes_received));
    }
    if other_sent + other_received > 0 {
        parts.push(format!("{} updated", plural(other_sent + other_received, "other record", "other records")));
    }
    if s.conflicts > 0 {
        parts.push(format!("{} to review", s.conflicts));
    }
    if s.set_aside > 0 {
        parts.push(format!("{} could not be added to the team's record (see the case)", plural(s.set_aside, "entry", "entries")));
    }
    if s.cases_removed > 0 {
        parts.push(format!("{} no longer allocated to you removed from this laptop", plural(s.cases_removed, "case", "cases")));
    }
    if parts.is_empty() {
        "Everything is up to date.".into()
    } else {
        let mut text = parts.join("; ");
        text.push('.');
        let mut chars = text.chars();
        chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_a_clinician_understands() {
        let s = |notes_sent, records_sent, notes_received, records_received, conflicts| {
            sentence(&SyncSummary { notes_sent, records_sent, notes_received, records_received, conflicts, ..Default::default() })
        };
        assert_eq!(s(0, 0, 0, 0, 0), "Everything is up to date.");
        assert_eq!(s(12, 0, 3, 0, 1), "12 notes sent, 3 received; 1 to review.");
        assert_eq!(s(1, 0, 0, 0, 0), "1 note sent, 0 received.");
        assert_eq!(s(1, 3, 0, 2, 0), "1 note sent, 0 received; 5 other records updated.");
        assert_eq!(s(0, 1, 0, 0, 0), "1 other record updated.");
    }

    #[test]
    fn clock_warnings_only_beyond_ten_minutes() {
        assert_eq!(clock_warning(9 * 60_000), None);
        assert!(clock_warning(11 * 60_000).unwrap().contains("11 minutes ahead of"));
        assert!(clock_warning(-26 * 3_600_000).unwrap().contains("about 26 hours behind"));
    }

    #[test]
    fn urls_are_checked() {
        assert_eq!(normalise_url(" https://casebook.example.org/ ").unwrap(), "https://casebook.example.org");
        assert!(matches!(normalise_url("casebook.example.org"), Err(SyncError::BadUrl(_))));
        // Plain HTTP would send notes readable to anyone on the network: only to this laptop.
        for plain in ["http://casebook.example.org", "http://10.1.2.3:8443", "http://127.0.0.1.example.org", "http://localhost.example.org/"] {
            assert!(matches!(normalise_url(plain), Err(SyncError::PlainHttp(_))), "{plain}");
        }
        for local in ["http://127.0.0.1:8443", "http://localhost:8443/", "http://[::1]:8443", "HTTP://127.0.0.1"] {
            assert!(normalise_url(local).is_ok(), "{local}");
        }
        assert!(SyncError::PlainHttp("http://x".into()).to_string().contains("https://"));
    }
}
