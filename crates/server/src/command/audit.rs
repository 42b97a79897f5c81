//! `casebook-server audit export [--since TIME] [--out FILE]`: the audit as JSON lines, oldest
//! first, for a trust's SIEM (the fields are listed in docs/central-store.md).

use super::{record, Failure};
use casebook_server::audit::export_json_lines;
use casebook_server::storage::Storage;
use chrono::{DateTime, Utc};
use std::io::{BufWriter, Write};
use std::path::Path;

pub async fn export(storage: &dyn Storage, since: Option<&str>, out: Option<&Path>) -> Result<(), Failure> {
    let since = match since {
        None => DateTime::<Utc>::UNIX_EPOCH,
        Some(s) => DateTime::parse_from_rfc3339(s.trim())
            .map_err(|_| Failure(format!("'{s}' is not a date and time such as 2025-01-31T00:00:00Z")))?
            .with_timezone(&Utc),
    };
    let (written, to) = match out {
        Some(path) => {
            // A SIEM collects each export once; an earlier one is never overwritten.
            let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Failure(format!("{} already exists; choose a new file so no export is overwritten", path.display())),
                _ => Failure(format!("could not create {}: {e}", path.display())),
            })?;
            let mut w = BufWriter::new(file);
            let n = export_json_lines(storage, since, &mut w).await?;
            w.into_inner().map_err(|e| Failure(e.to_string()))?.sync_all()?;
            (n, path.display().to_string())
        }
        None => {
            let mut w = BufWriter::new(std::io::stdout().lock());
            let n = export_json_lines(storage, since, &mut w).await?;
            w.flush()?;
            (n, "standard output".to_string())
        }
    };
    // Reading the audit is itself recorded (it appears in the next export).
    record(storage, "cli_audit_export", None, format!("{written} entries since {} to {to}", since.to_rfc3339())).await?;
    if out.is_some() {
        println!("Wrote {written} audit entries to {to}.");
    }
    Ok(())
}
