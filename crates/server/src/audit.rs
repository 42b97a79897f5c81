//! The audit: what the service and the administration command record, and the JSON-lines export
//! a trust's SIEM reads.
//!
//! Every row says who (username, laptop), from where (`source`: the client's address, or
//! `cli:<OS user>` for the command), what (`action`), on which case, and a short detail. Refusals
//! have an action beginning with `refused_` and the command's actions begin with `cli_`, so a SIEM
//! can pick out security events by name alone. The table is append-only in the database itself.

use crate::api::{ApiError, Authed, Service};
use crate::storage::{Storage, StorageError};
use casebook_protocol::AuditEntry;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Write;
use std::net::IpAddr;
use thiserror::Error;
use uuid::Uuid;

/// Every action a refusal is recorded under begins with this.
pub const REFUSED: &str = "refused_";

/// One audit row, dated now, as every request records it.
pub(crate) fn entry(
    username: &str,
    device: Option<Uuid>,
    source: Option<IpAddr>,
    action: &str,
    case_id: Option<Uuid>,
    detail: String,
) -> AuditEntry {
    AuditEntry {
        at: Utc::now(),
        username: username.to_string(),
        device_id: device,
        action: action.to_string(),
        case_id,
        detail,
        source: source.map(|s| s.to_string()),
    }
}

impl Service {
    /// Records a refused attempt (a case that is not the caller's, a bad or revoked credential, a
    /// batch that is not theirs to send). `action` begins with `refused_`. Never fails: the
    /// caller is refusing anyway, and a store too broken to record it is reported in the log.
    pub async fn security_event(
        &self,
        username: &str,
        device: Option<Uuid>,
        source: Option<IpAddr>,
        action: &str,
        case_id: Option<Uuid>,
        detail: String,
    ) {
        debug_assert!(action.starts_with(REFUSED), "refusals are recorded as refused_*, not {action}");
        tracing::warn!(username, device = ?device, source = ?source, action, case_id = ?case_id, detail = %detail, "refused");
        let entry = entry(username, device, source, action, case_id, detail);
        if let Err(e) = self.storage.audit(&entry).await {
            tracing::error!(error = %e, action, username, "a refusal could not be recorded in the audit");
        }
    }

    /// Records something done; the request fails if it cannot be recorded, as every read and
    /// write must be.
    pub async fn audit(
        &self,
        username: &str,
        device: Option<Uuid>,
        source: Option<IpAddr>,
        action: &str,
        case_id: Option<Uuid>,
        detail: String,
    ) -> Result<(), ApiError> {
        let entry = entry(username, device, source, action, case_id, detail);
        self.storage.audit(&entry).await.map_err(ApiError::from)
    }

    /// `audit` for the signed-in caller.
    pub(crate) async fn audit_as(&self, authed: &Authed, action: &str, case_id: Option<Uuid>, detail: String) -> Result<(), ApiError> {
        self.audit(&authed.user.username, Some(authed.device.id), Some(authed.source), action, case_id, detail).await
    }

    /// Records that the signed-in caller was refused `what`, and hands back the refusal to return.
    pub(crate) async fn refuse(&self, authed: &Authed, action: &str, case_id: Option<Uuid>, what: &str, err: ApiError) -> ApiError {
        let detail = format!("{what}: {}", err.body.code);
        self.security_event(&authed.user.username, Some(authed.device.id), Some(authed.source), action, case_id, detail).await;
        err
    }
}

/// The audit row of an administration command. The command has no Casebook sign-in, so the
/// operating-system account that ran it stands as both who and where (`cli:<user>`).
pub fn cli_entry(action: &str, case_id: Option<Uuid>, detail: String) -> AuditEntry {
    debug_assert!(action.starts_with("cli_"));
    let who = format!("cli:{}", os_user());
    AuditEntry { at: Utc::now(), username: who.clone(), device_id: None, action: action.into(), case_id, detail, source: Some(who) }
}

fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// One line of the export. Every field is always present (null when empty), so a SIEM's parser
/// meets one fixed shape; the names are part of the documented interface and do not change.
#[derive(Debug, Serialize)]
struct ExportLine<'a> {
    id: u64,
    at: DateTime<Utc>,
    username: &'a str,
    source: Option<&'a str>,
    device_id: Option<Uuid>,
    action: &'a str,
    case_id: Option<Uuid>,
    detail: &'a str,
    refused: bool,
}

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("could not read the audit: {0}")]
    Storage(#[from] StorageError),
    #[error("could not write the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Rows read per query, so an export of years of audit never holds it all in memory.
const EXPORT_PAGE: usize = 1_000;

/// Writes every audit row dated at or after `since` to `out` as JSON lines, oldest first, and
/// returns how many were written.
pub async fn export_json_lines(storage: &dyn Storage, since: DateTime<Utc>, out: &mut impl Write) -> Result<u64, ExportError> {
    let (mut after, mut written) = (0u64, 0u64);
    loop {
        let page = storage.audit_since(since, after, EXPORT_PAGE).await?;
        for row in &page {
            let e = &row.entry;
            let line = ExportLine {
                id: row.id,
                at: e.at,
                username: &e.username,
                source: e.source.as_deref(),
                device_id: e.device_id,
                action: &e.action,
                case_id: e.case_id,
                detail: &e.detail,
                refused: e.action.starts_with(REFUSED),
            };
            serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            written += 1;
        }
        match page.last() {
            Some(last) if page.len() == EXPORT_PAGE => after = last.id,
            _ => break,
        }
    }
    out.flush()?;
    Ok(written)
}
