//! The PostgreSQL backend, for a trust-wide deployment.

use super::{DeviceRecord, PullPage, Result, Storage, StorageError, TokenRecord, UserRecord};
use async_trait::async_trait;
use casebook_domain::Event;
use casebook_protocol::{AuditEntry, CaseDigest, Cursor, DraftBackup, PulledEvent, PushResult, Role};
use chrono::{DateTime, Utc};
use std::path::Path;
use uuid::Uuid;

pub struct PostgresStorage;

impl PostgresStorage {
    pub async fn connect(_url: &str) -> Result<Self> {
        Err(StorageError::Unsupported("the PostgreSQL backend is not built yet".into()))
    }

    /// Connects to a new, empty database made for one test (dropped by nobody: test clusters are
    /// thrown away whole).
    pub async fn connect_fresh_for_tests(_url: &str) -> Result<Self> {
        Err(StorageError::Unsupported("the PostgreSQL backend is not built yet".into()))
    }
}

fn todo<T>() -> Result<T> {
    Err(StorageError::Unsupported("the PostgreSQL backend is not built yet".into()))
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn migrate(&self) -> Result<()> { todo() }
    async fn add_team(&self, _: &str) -> Result<()> { todo() }
    async fn add_user(&self, _: &str, _: &str, _: Role, _: &str) -> Result<()> { todo() }
    async fn user(&self, _: &str) -> Result<Option<UserRecord>> { todo() }
    async fn login_failed(&self, _: &str, _: Option<DateTime<Utc>>) -> Result<u32> { todo() }
    async fn login_succeeded(&self, _: &str) -> Result<()> { todo() }
    async fn add_device(&self, _: &DeviceRecord) -> Result<()> { todo() }
    async fn device(&self, _: Uuid) -> Result<Option<DeviceRecord>> { todo() }
    async fn devices(&self) -> Result<Vec<DeviceRecord>> { todo() }
    async fn revoke_device(&self, _: Uuid, _: DateTime<Utc>) -> Result<bool> { todo() }
    async fn device_seen(&self, _: Uuid, _: DateTime<Utc>) -> Result<()> { todo() }
    async fn add_token(&self, _: &str, _: Uuid, _: DateTime<Utc>) -> Result<()> { todo() }
    async fn token(&self, _: &str) -> Result<Option<TokenRecord>> { todo() }
    async fn allocate(&self, _: Uuid, _: &str) -> Result<()> { todo() }
    async fn deallocate(&self, _: Uuid, _: &str) -> Result<bool> { todo() }
    async fn can_read(&self, _: &UserRecord, _: Uuid) -> Result<bool> { todo() }
    async fn push(&self, _: &UserRecord, _: &[Event]) -> Result<Vec<PushResult>> { todo() }
    async fn pull(&self, _: &UserRecord, _: Uuid, _: Cursor, _: usize, _: usize) -> Result<PullPage> { todo() }
    async fn case_digest(&self, _: Uuid) -> Result<CaseDigest> { todo() }
    async fn case_events(&self, _: Uuid) -> Result<Vec<PulledEvent>> { todo() }
    async fn event_count(&self) -> Result<u64> { todo() }
    async fn put_draft(&self, _: &UserRecord, _: &DraftBackup) -> Result<()> { todo() }
    async fn drafts(&self, _: &UserRecord) -> Result<Vec<DraftBackup>> { todo() }
    async fn delete_draft(&self, _: &UserRecord, _: Uuid) -> Result<()> { todo() }
    async fn audit(&self, _: &AuditEntry) -> Result<()> { todo() }
    async fn audit_for_case(&self, _: Uuid) -> Result<Vec<AuditEntry>> { todo() }
    async fn backup(&self, _: &Path) -> Result<()> { todo() }
}
