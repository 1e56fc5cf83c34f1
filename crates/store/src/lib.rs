//! Gongkai's storage, as its own crate: everything the server needs from a database goes
//! through [`Store`], implemented by SQLite (`sqlite.rs`, the embedded default) and
//! PostgreSQL (`pg/`, a province behind a load balancer); `tests/tests/conformance.rs`
//! holds them to the same answers. Attachments (`blobs`) and the rich-text sanitizer a
//! publish runs (`sanitize`) live here too.
//!
//! Architecture invariant: a publish is one transaction that assigns the next sequence
//! numbers of its scope, updates the scope's state hash, and stores the items; a change
//! page is read in one snapshot together with the head it is bound to. No HTTP here.
#![forbid(unsafe_code)]

pub mod blobs;
pub mod sanitize;
mod sqlite;

mod changelog;
mod complaints;
pub mod console;
pub mod fleet;
pub mod pg;
pub mod publish;
mod records;
pub mod sql;

pub use changelog::{ChainReport, LogFilter, LogPage};
pub use console::{DraftRow, ImportRecord, NewDraft, NewUser, Role, User};
pub use fleet::{Alert, HeartbeatWrite, KioskRecord};

pub use complaints::{
    entered_by, StaffDetail, StaffEvent, StaffRow, Transition, CADRE_SOURCE, CONSOLE_SOURCE,
};

pub use sqlite::SqliteStore;

use gongkai_model::calendar::Calendar;
use gongkai_model::complaint::TrackingCode;
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::changelog::LogEntry;
use gongkai_protocol::complaints::{ComplaintUpload, PublicStatus};
use gongkai_protocol::{Change, StateHash};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unknown scope {0}")]
    UnknownScope(String),
    #[error("item {kind:?}/{id} has a bad body: {reason}")]
    BadBody {
        kind: ContentKind,
        id: String,
        reason: String,
    },
    /// A full ID number in text a resident would read: where, and the number masked.
    #[error("refusing to publish an unmasked ID number in {kind:?}/{id}, {place}: {masked}")]
    UnmaskedId {
        kind: ContentKind,
        id: String,
        /// The item's title, so the cadre knows which one.
        title: String,
        /// The field, in the console's words ("第 2 行 摘要").
        place: String,
        masked: String,
    },
    /// An action the rules do not allow; the message is for staff, in Chinese.
    #[error("{0}")]
    Refused(String),
    #[error("blob store: {0}")]
    Blob(#[from] std::io::Error),
    #[error(transparent)]
    Db(#[from] gongkai_db::DbError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A row that does not have the shape the code expects (an edited database).
    #[error("unexpected row: {0}")]
    Column(String),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
}

/// One item to put (with its JSON body) or delete (body `None`).
#[derive(Debug, Clone)]
pub struct Edit {
    pub kind: ContentKind,
    pub id: String,
    pub body: Option<String>,
    /// The full ID number behind a masked row, kept server-side only (in the same
    /// transaction as the row).
    pub private_id: Option<String>,
}

impl Edit {
    pub fn put<T: serde::Serialize>(kind: ContentKind, id: impl Into<String>, body: &T) -> Edit {
        Edit {
            kind,
            id: id.into(),
            // Serializing our own model types cannot fail: they have no maps with
            // non-string keys and no custom serializers that error.
            body: Some(serde_json::to_string(body).unwrap_or_default()),
            private_id: None,
        }
    }

    pub fn delete(kind: ContentKind, id: impl Into<String>) -> Edit {
        Edit {
            kind,
            id: id.into(),
            body: None,
            private_id: None,
        }
    }

    pub fn with_private_id(mut self, id_number: impl Into<String>) -> Edit {
        self.private_id = Some(id_number.into());
        self
    }
}

/// Who publishes, for the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub actor: String,
    /// The approved draft this publish comes from.
    pub draft: Option<i64>,
}

impl Provenance {
    /// The server itself (demo build, command-line publish, complaint answers).
    pub fn system() -> Provenance {
        Provenance {
            actor: "system".into(),
            draft: None,
        }
    }

    pub fn user(name: &str) -> Provenance {
        Provenance {
            actor: name.to_string(),
            draft: None,
        }
    }
}

/// Where a scope's log stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeHead {
    pub scope: ScopeId,
    pub name: String,
    pub epoch: u64,
    pub seq: u64,
    pub state_hash: StateHash,
    pub item_count: u64,
    /// Changes at or below this sequence may have lost their tombstones: a kiosk whose
    /// cursor is below it (and not zero) must start again.
    pub floor: u64,
}

/// A page of changes read in the same snapshot as `head`.
#[derive(Debug, Clone)]
pub struct ChangesRead {
    pub head: ScopeHead,
    pub changes: Vec<Change>,
    pub more: bool,
}

pub trait Store: Send + Sync + 'static {
    /// Creates the scope if it does not exist; renames it if it does.
    fn ensure_scope(&self, scope: &ScopeId, name: &str) -> Result<ScopeHead, StoreError>;
    /// Applies all edits in one transaction, each getting the next sequence number and
    /// an entry in the change log.
    fn publish_as(
        &self,
        scope: &ScopeId,
        edits: &[Edit],
        by: &Provenance,
    ) -> Result<ScopeHead, StoreError>;
    /// [`Store::publish_as`] by the server itself.
    fn publish(&self, scope: &ScopeId, edits: &[Edit]) -> Result<ScopeHead, StoreError> {
        self.publish_as(scope, edits, &Provenance::system())
    }
    /// Every live item of one kind in a scope, as (id, body), by id.
    fn items_of_kind(
        &self,
        scope: &ScopeId,
        kind: ContentKind,
    ) -> Result<Vec<(String, String)>, StoreError>;
    /// The live body of one item.
    fn item_body(
        &self,
        scope: &ScopeId,
        kind: ContentKind,
        id: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Change-log entries after `after`, oldest first.
    fn changelog(&self, after: u64, limit: u32) -> Result<Vec<LogEntry>, StoreError>;
    /// The change log's length and last entry hash (`(0, GENESIS)` when empty).
    fn changelog_head(&self) -> Result<(u64, String), StoreError>;
    /// A page of the public record, newest first, filtered (subsidy rows left out).
    fn recent_changes(
        &self,
        filter: &changelog::LogFilter,
    ) -> Result<changelog::LogPage, StoreError>;
    /// Entries in `[from, to)` (unix seconds) without list rows, history and answers.
    fn changes_between(&self, from: i64, to: i64) -> Result<Vec<LogEntry>, StoreError>;
    /// Every version of one item, oldest first.
    fn item_history(
        &self,
        scope: &ScopeId,
        kind: ContentKind,
        id: &str,
    ) -> Result<Vec<LogEntry>, StoreError>;
    /// Recomputes the whole chain and checks every live item against it.
    fn verify_changelog(&self) -> Result<ChainReport, StoreError>;
    fn head(&self, scope: &ScopeId) -> Result<ScopeHead, StoreError>;
    /// The same as [`Store::head`], for the polling hot path, cheap enough to call on an
    /// async worker because an unchanged database costs no table read. SQLite: any
    /// commit, from any process, is seen at once. PostgreSQL: this instance's own writes
    /// at once, other instances' when their commit notification arrives (milliseconds) —
    /// a poll in between answers the previous head, and the next poll the new one.
    fn poll_head(&self, scope: &ScopeId) -> Result<ScopeHead, StoreError>;
    /// [`Store::poll_head`] if it can be answered without waiting on the network (on an
    /// async worker); None means: call `poll_head` on a blocking thread. SQLite always
    /// answers (a local read); PostgreSQL answers from its head cache.
    fn poll_head_now(&self, scope: &ScopeId) -> Option<Result<ScopeHead, StoreError>> {
        Some(self.poll_head(scope))
    }
    /// A number that changes whenever any scope's head may have changed, cheap enough for
    /// every poll, so an answer computed at one version still holds while it is the same.
    /// None when this store cannot tell right now (nothing may be cached on it).
    fn poll_version(&self) -> Option<u64> {
        None
    }
    /// [`Store::poll_head_now`] for several scopes at once (one kiosk's combined poll);
    /// None when any of them needs a blocking read.
    fn poll_heads_now(&self, scopes: &[ScopeId]) -> Option<Result<Vec<ScopeHead>, StoreError>> {
        scopes.iter().map(|s| self.poll_head_now(s)).collect()
    }
    fn heads(&self) -> Result<Vec<ScopeHead>, StoreError>;
    /// One trivial query: the database answers (the load balancer's health check).
    fn ping(&self) -> Result<(), StoreError>;
    /// Changes with sequence in `(since, …]`, at most `limit`. When `since` is zero
    /// tombstones are left out: a fresh copy has nothing to delete.
    fn changes(&self, scope: &ScopeId, since: u64, limit: u32) -> Result<ChangesRead, StoreError>;
    /// Forgets tombstones at or below `seq`, raising the scope's floor.
    fn prune_tombstones(&self, scope: &ScopeId, up_to_seq: u64) -> Result<ScopeHead, StoreError>;
    /// Recomputes a scope's state hash from its items (for audits and tests).
    fn recompute_state_hash(&self, scope: &ScopeId) -> Result<StateHash, StoreError>;
    /// Records a filing once: a second upload with the same client UUID changes nothing
    /// and returns `false`.
    fn file_complaint(&self, filing: &NewComplaint) -> Result<bool, StoreError>;
    /// The public view of a filing by its code.
    fn complaint_status(&self, code: &TrackingCode) -> Result<Option<PublicStatus>, StoreError>;
    /// An office acts on a filing: checked against the state machine, recorded with who
    /// and when, and the due date recounted.
    fn complaint_transition(
        &self,
        t: &Transition,
        calendar: &Calendar,
    ) -> Result<PublicStatus, StoreError>;
    /// Counts every open filing's deadline again on `calendar` (a year's holidays were
    /// entered): a due date that moves is written with an event saying why. Returns the
    /// filings whose deadline moved.
    fn recount_deadlines(
        &self,
        calendar: &Calendar,
        at: i64,
        actor: &str,
    ) -> Result<Vec<TrackingCode>, StoreError>;
    /// Filings for staff, earliest due first, optionally for one office.
    fn complaints(&self, office: Option<&str>) -> Result<Vec<StaffRow>, StoreError>;
    /// One filing with what only staff may see: the text, contact details, history.
    fn complaint_detail(&self, code: &TrackingCode) -> Result<Option<StaffDetail>, StoreError>;
    /// Records a staff token by its sha256 (hex).
    fn put_staff_token(
        &self,
        token_sha256: &str,
        name: &str,
        office: &str,
    ) -> Result<(), StoreError>;
    /// The (name, office) a live token belongs to.
    fn staff_by_token(&self, token_sha256: &str) -> Result<Option<(String, String)>, StoreError>;

    // --- Console: accounts, sessions, imports, review -------------------------------

    /// Creates an account, or resets it (role, scope, office, password) if the user name
    /// exists.
    fn create_user(&self, user: &NewUser) -> Result<i64, StoreError>;
    /// An enabled account and its password hash.
    fn user_for_login(&self, username: &str) -> Result<Option<(User, String)>, StoreError>;
    fn user(&self, id: i64) -> Result<Option<User>, StoreError>;
    fn create_session(
        &self,
        token_sha256: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// The user and CSRF token of a session live at `now`.
    fn session(&self, token_sha256: &str, now: i64) -> Result<Option<(User, String)>, StoreError>;
    fn delete_session(&self, token_sha256: &str) -> Result<(), StoreError>;
    /// Records a failed login under `key`; returns the failures in the last `window` s.
    fn login_failed(&self, key: &str, window: i64) -> Result<u32, StoreError>;
    fn login_failures(&self, key: &str, window: i64) -> Result<u32, StoreError>;
    fn clear_login_failures(&self, key: &str) -> Result<(), StoreError>;
    fn save_import(&self, record: &ImportRecord) -> Result<i64, StoreError>;
    fn import(&self, id: i64) -> Result<Option<ImportRecord>, StoreError>;
    fn set_import_mapping(&self, id: i64, mapping_json: &str) -> Result<(), StoreError>;
    /// Ends an import and deletes its file.
    fn finish_import(&self, id: i64, status: &str, draft: Option<i64>) -> Result<(), StoreError>;
    /// Queues a posting for review.
    fn submit_draft(&self, draft: &NewDraft) -> Result<i64, StoreError>;
    fn drafts(&self, scope_prefix: &str, limit: u32) -> Result<Vec<DraftRow>, StoreError>;
    fn drafts_by(&self, author_id: i64, limit: u32) -> Result<Vec<DraftRow>, StoreError>;
    fn draft(&self, id: i64) -> Result<Option<(DraftRow, Vec<Edit>)>, StoreError>;
    /// 保密审查: approve (publishes the draft in the same transaction, logged as the
    /// author's, approved by the reviewer) or reject with a reason the author sees. The
    /// reviewer may not be the author. Scope is the caller's check.
    /// Records a one-time cadre code (by sha256) for a person and village, optionally
    /// bound to one kiosk.
    fn issue_cadre_code(
        &self,
        code_sha256: &str,
        user_id: i64,
        scope: &ScopeId,
        kiosk_id: Option<&str>,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// Uses a code once and opens a kiosk session for its person.
    fn redeem_cadre_code(
        &self,
        code_sha256: &str,
        scope: &ScopeId,
        kiosk_id: &str,
        token_sha256: &str,
        now: i64,
        session_expires: i64,
    ) -> Result<Option<User>, StoreError>;
    /// The person, village and kiosk of a kiosk session live at `now`.
    fn kiosk_session(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(User, ScopeId, String)>, StoreError>;
    fn review_draft(
        &self,
        id: i64,
        reviewer: &User,
        approve: bool,
        reason: &str,
    ) -> Result<DraftRow, StoreError>;

    // Fleet (store/fleet.rs). Times are passed in: the fleet's states are functions of
    // the clock, and tests drive that clock.
    fn issue_enroll_token(
        &self,
        token_sha256: &str,
        kiosk_id: &str,
        scope: &ScopeId,
        created_by: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// The enrolled kiosk's scope, or None for a bad, used or expired token.
    fn enroll_kiosk(
        &self,
        token_sha256: &str,
        kiosk_id: &str,
        public_key: &str,
        app_version: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError>;
    /// Unused, unexpired enrollment tokens under a scope: `(kiosk_id, scope, created_at,
    /// expires_at)`.
    fn pending_enrollments(
        &self,
        scope_prefix: &str,
        now: i64,
    ) -> Result<Vec<(String, String, i64, i64)>, StoreError>;
    /// A kiosk's memory samples (one per heartbeat) since `since`, oldest first.
    fn memory_samples(
        &self,
        kiosk_id: &str,
        since: i64,
    ) -> Result<Vec<fleet::MemorySample>, StoreError>;
    /// The kiosk's namespace for codes it makes alone; `candidate` becomes it if it has
    /// none and no other kiosk has it (None: taken, try another).
    fn code_namespace(&self, kiosk_id: &str, candidate: u32) -> Result<Option<u32>, StoreError>;
    /// Reserves for the kiosk those `candidates` no kiosk holds and no filing uses.
    fn reserve_codes(
        &self,
        kiosk_id: &str,
        candidates: &[String],
        now: i64,
    ) -> Result<Vec<String>, StoreError>;
    fn kiosk(&self, kiosk_id: &str) -> Result<Option<KioskRecord>, StoreError>;
    fn kiosks(&self, scope_prefix: &str) -> Result<Vec<KioskRecord>, StoreError>;
    /// Saves a verified heartbeat and its display-log entries; false if it was stale.
    fn save_heartbeat(&self, write: &HeartbeatWrite<'_>) -> Result<bool, StoreError>;
    fn display_keys(&self, kiosk_id: &str) -> Result<Vec<String>, StoreError>;
    fn display_log(
        &self,
        kiosk_id: &str,
        key: &str,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<gongkai_protocol::displaylog::DisplayEntry>, StoreError>;
    fn set_remote_config(
        &self,
        kiosk_id: &str,
        config: &gongkai_protocol::fleet::RemoteConfig,
    ) -> Result<(), StoreError>;
    fn want_screenshot(&self, kiosk_id: &str, now: i64) -> Result<(), StoreError>;
    fn save_screenshot(&self, kiosk_id: &str, png: &[u8], now: i64) -> Result<(), StoreError>;
    fn screenshot(&self, kiosk_id: &str) -> Result<Option<(Vec<u8>, i64)>, StoreError>;
    fn raise_alert(
        &self,
        kiosk_id: &str,
        kind: &str,
        detail: &str,
        now: i64,
    ) -> Result<bool, StoreError>;
    fn clear_alert(&self, kiosk_id: &str, kind: &str, now: i64) -> Result<bool, StoreError>;
    fn alerts(&self, since: i64) -> Result<Vec<Alert>, StoreError>;
    /// When `scope` first changed after `seq` (from the change log).
    fn first_change_after(&self, scope: &str, seq: u64) -> Result<Option<i64>, StoreError>;
    /// Records a signed kiosk release (its manifest JSON; the package is a blob).
    fn publish_release(
        &self,
        package: &str,
        version: &str,
        manifest_json: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    fn latest_release(&self, package: &str) -> Result<Option<String>, StoreError>;
    /// Queues an alert event (JSON) for the webhook.
    fn queue_webhook(&self, body: &str, now: i64) -> Result<(), StoreError>;
    /// Claims due webhook events until `lease_until`: `(id, body, attempts)`.
    fn claim_webhooks(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String, u32)>, StoreError>;
    /// Records a delivery attempt's outcome (`retry_at` when it failed).
    fn webhook_result(
        &self,
        id: i64,
        delivered: bool,
        now: i64,
        retry_at: i64,
    ) -> Result<(), StoreError>;
    /// Webhook events still waiting.
    fn webhooks_waiting(&self) -> Result<u64, StoreError>;
}

/// A filing as the server records it: the upload plus where it was routed and when due.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub upload: ComplaintUpload,
    /// Opened from the upload's sealed contact details.
    pub contact: Option<gongkai_protocol::complaints::Contact>,
    pub office: String,
    pub received_at: i64,
    pub received_on: chrono::NaiveDate,
    pub due_on: chrono::NaiveDate,
    /// The year without entered holidays that `due_on` was counted across, if any.
    pub due_provisional: Option<i32>,
    /// The working-day limit it was given.
    pub limit_days: u32,
}
