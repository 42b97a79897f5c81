//! Wire types of Casebook sync, version 1 (every path is under `/v1/`).
//!
//! Shared by the laptop and the central store so the two can never disagree about a field.

use casebook_domain::Event;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

pub const PROTOCOL_VERSION: u32 = 1;

/// Every refusal from the server: a stable machine code and one sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    /// Per-event problems, when a pushed batch is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<EventProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventProblem {
    pub index: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Uuid>,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Clinician,
    Lead,
    Admin,
}

impl Role {
    /// Leads and admin staff see every case of their team (admin staff only its referral, contact
    /// and appointment details); clinicians only the cases allocated to them.
    pub fn sees_whole_team(self) -> bool {
        matches!(self, Role::Lead | Role::Admin)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clinician => "clinician",
            Role::Lead => "lead",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "clinician" => Ok(Role::Clinician),
            "lead" => Ok(Role::Lead),
            "admin" => Ok(Role::Admin),
            other => Err(format!("'{other}' is not a role; choose clinician, lead or admin")),
        }
    }
}

/// `POST /v1/login`: a clinician signs in on a laptop, which registers it as a device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// A name IT will recognise in the device list ("Clinic laptop 7").
    pub device_name: String,
    /// The laptop's own device id, already stamped on every event it wrote before signing in.
    /// Omitted, the central store makes one up (for tools that hold no store of their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    pub device_id: Uuid,
    /// The device's long-lived credential: keep it only inside the encrypted store.
    pub device_secret: String,
    pub session: Session,
    pub user: UserInfo,
}

/// `POST /v1/token`: a registered device exchanges its credential for a short-lived access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRequest {
    pub device_id: Uuid,
    pub device_secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    /// The server's clock when it answered, so a laptop can tell its own clock is wrong.
    pub server_time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub username: String,
    pub role: Role,
    pub team: String,
}

/// `POST /v1/push`: a batch of events from the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushRequest {
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per pushed event, in the order sent.
    pub results: Vec<PushResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    pub event_id: Uuid,
    /// The global sequence number the central store gave the event (0 when it was refused).
    pub seq: u64,
    /// `false` when the event was already held (a retried push): still a success.
    pub stored_now: bool,
    /// When the central store took the event in, by its own clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
    /// Why this one event was not stored. The rest of the batch is unaffected; the laptop sets a
    /// refused event aside with this reason and never deletes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<EventProblem>,
}

impl PushResult {
    pub fn refused(event_id: Uuid, problem: EventProblem) -> Self {
        PushResult { event_id, seq: 0, stored_now: false, received_at: None, refused: Some(problem) }
    }
}

/// Where a puller has got to in its own feed. Events become visible to a user either when they
/// are stored or, for a case newly allocated to them, when the allocation is made; the feed is
/// ordered by (visible-from, seq), which is what the cursor holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cursor {
    pub visible_from: u64,
    pub seq: u64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.visible_from, self.seq)
    }
}

impl FromStr for Cursor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a sync cursor");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        Ok(Cursor { visible_from: a.parse().map_err(|_| bad())?, seq: b.parse().map_err(|_| bad())? })
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// `GET /v1/pull?after=CURSOR&limit=N&max_bytes=B`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    pub events: Vec<PulledEvent>,
    /// Pass as `after` next time; unchanged when nothing new was found.
    pub next_cursor: Cursor,
    /// More events are waiting beyond this page.
    pub more: bool,
    /// Cases this user can no longer see (de-allocated since the cursor).
    #[serde(default)]
    pub access_removed: Vec<Uuid>,
    pub server_time: DateTime<Utc>,
    /// The highest sequence number the central store has handed out. A laptop that holds an
    /// acknowledgement beyond it knows the store was restored from an older backup.
    #[serde(default)]
    pub latest_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledEvent {
    pub seq: u64,
    pub event: Event,
    /// When the central store took the event in, by its own clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<DateTime<Utc>>,
    /// A sentence for the team lead when the central store took the event in with a reservation
    /// (written after its author's allocation ended, before their laptop knew).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

/// `GET /v1/allocations`: for every case the caller can see, the clinicians it is allocated to,
/// so a laptop can show who holds a case while offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationsResponse {
    pub cases: Vec<CaseAllocation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseAllocation {
    pub case_id: Uuid,
    /// Usernames of the clinicians the case is allocated to, sorted (team leads see every case
    /// of their team by role and are not listed).
    pub clinicians: Vec<String>,
}

/// `GET /v1/cases/{id}/digest`: a fingerprint of every event the central store holds for a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDigest {
    pub case_id: Uuid,
    pub event_count: u64,
    pub digest: String,
}

/// The digest of a set of event ids: XOR of their SHA-256 hashes. Order-independent, so the
/// laptop and the server can each compute it over whatever order they hold events in.
pub fn digest_of<'a>(ids: impl IntoIterator<Item = &'a Uuid>) -> (u64, String) {
    let mut acc = [0u8; 32];
    let mut n = 0;
    for id in ids {
        n += 1;
        for (a, b) in acc.iter_mut().zip(Sha256::digest(id.as_bytes())) {
            *a ^= b;
        }
    }
    (n, hex::encode(acc))
}

/// `PUT /v1/drafts/{note_id}`: a private backup of an unsigned draft, readable only by its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftBackup {
    pub note_id: Uuid,
    pub case_id: Uuid,
    pub text: String,
    pub revision: u32,
    pub updated_at: DateTime<Utc>,
}

/// `POST /v1/cases/{id}/allocations`: a team lead allocates a case to a clinician of their team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationRequest {
    pub username: String,
}

/// One line of a case's audit trail on the central store. Refusals have an `action` beginning
/// with `refused_`; what the administration command did, `cli_`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Uuid>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<Uuid>,
    pub detail: String,
    /// Where the request came from: the client's address, or `cli:<OS user>` for the
    /// administration command. Absent on rows written before it was recorded (and, for now, on
    /// push rows), so older rows and older readers still parse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `GET /v1/team` (leads only): the team's people and their laptops, with each laptop's last
/// complete sync and how many signed notes it held unsent when that sync began.
pub type TeamResponse = casebook_domain::team::Roster;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_orders() {
        let c: Cursor = "12-9".parse().unwrap();
        assert_eq!(c, Cursor { visible_from: 12, seq: 9 });
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"12-9\"");
        assert!(Cursor { visible_from: 12, seq: 9 } < Cursor { visible_from: 12, seq: 10 });
        assert!(Cursor { visible_from: 12, seq: 90 } < Cursor { visible_from: 13, seq: 1 });
        assert!("12".parse::<Cursor>().is_err());
        assert!("a-b".parse::<Cursor>().is_err());
    }

    #[test]
    fn digest_ignores_order_and_notices_a_difference() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let mut rev = ids.clone();
        rev.reverse();
        assert_eq!(digest_of(&ids), digest_of(&rev));
        assert_ne!(digest_of(&ids), digest_of(&ids[..4]));
        assert_eq!(digest_of(&[]).0, 0);
    }
}
