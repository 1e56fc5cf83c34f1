//! The PostgreSQL back-end: the whole [`Store`] on PostgreSQL, for a province running
//! several server instances against one database. Chosen with a `postgres://` URL
//! (`gongkai-server serve --db …`); SQLite stays the embedded default.
//!
//! What it shares with SQLite: the publish logic (`publish::apply`) and every statement
//! of the console, complaint, fleet and change-log tables (`sql.rs`). What is its own:
//! the schema, how a publish locks, how a page is read, the pool, the head cache.
//!
//! Sequence numbers must be commit-ordered (docs/protocol.md, "Sequence numbers under
//! concurrent publishers"): a kiosk advances its cursor to the head it read, so a change
//! that got a smaller number but committed later would be skipped forever. A PostgreSQL
//! SEQUENCE hands out numbers at `nextval`, not at commit, so it is not used. Instead a
//! publish takes the scope's row lock (`SELECT … FOR UPDATE`) before numbering: publishers
//! of one scope queue on that lock, each reads the seq its predecessor committed, and
//! numbers follow commit order. A reader takes the head and the page in one REPEATABLE
//! READ snapshot: every change numbered at or below the head it sees committed before
//! that head did.
//!
//! Nothing an instance keeps in memory can go wrong when a request lands on another:
//! sessions, login failures and rate limits are rows; the only cache (heads for polls)
//! is emptied by a NOTIFY that every publish sends at commit, and not used at all while
//! the instance's LISTEN connection is down.

use crate::records::now_unix;
use crate::sql::{args, in_snapshot, in_tx, PgConn, Row, Sql, Value};
use crate::{ChainReport, ChangesRead, Edit, Provenance, ScopeHead, Store, StoreError};
use gongkai_model::{ContentKind, ScopeId};
use gongkai_protocol::changelog::LogEntry;
use gongkai_protocol::{Change, StateHash};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

mod content;
mod migrate;
mod pool;
mod schema;

pub use content::*;
pub use migrate::*;
pub use pool::*;
pub use schema::*;

impl Store for PgStore {
    fn ensure_scope(&self, scope: &ScopeId, name: &str) -> Result<ScopeHead, StoreError> {
        self.writing(|c| ensure_scope(c, scope, name))
    }

    fn items_of_kind(
        &self,
        scope: &ScopeId,
        kind: ContentKind,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            c.rows(
                "SELECT id, body FROM items WHERE scope = ?1 AND kind = ?2
                   AND body IS NOT NULL ORDER BY id COLLATE \"C\"",
                args![scope.as_str(), kind.key()],
            )?
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .collect()
        })
    }

    fn verify_changelog(&self) -> Result<ChainReport, StoreError> {
        let length = self.with(|c| {
            c.row("SELECT n FROM changelog_tail WHERE id = 1", &[])?
                .map(|r| r.uint(0))
                .transpose()
        })?;
        let key = (length.unwrap_or(0), now_unix() / 60);
        let mut cached = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, report)) = cached.as_ref() {
            if *at == key {
                return Ok(report.clone());
            }
        }
        let report = self.with(|c| in_snapshot(c, |c| crate::changelog::verify(c)))?;
        *cached = Some((key, report.clone()));
        Ok(report)
    }

    fn head(&self, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
        self.with(|c| head(c, scope))
    }

    fn poll_head(&self, scope: &ScopeId) -> Result<ScopeHead, StoreError> {
        self.cached_head(scope, || self.head(scope))
    }

    fn poll_head_now(&self, scope: &ScopeId) -> Option<Result<ScopeHead, StoreError>> {
        self.cached_head_now(scope).map(Ok)
    }

    fn poll_version(&self) -> Option<u64> {
        self.head_generation()
    }

    fn heads(&self) -> Result<Vec<ScopeHead>, StoreError> {
        self.with(|c| {
            let rows = c.rows(
                &format!("SELECT scope, {HEAD_COLUMNS} FROM scopes ORDER BY scope COLLATE \"C\""),
                &[],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let Ok(scope) = ScopeId::parse(&r.text(0)?) else {
                    continue;
                };
                out.push(head_of(&scope, &Row(r.0[1..].to_vec()))?);
            }
            Ok(out)
        })
    }

    fn changes(&self, scope: &ScopeId, since: u64, limit: u32) -> Result<ChangesRead, StoreError> {
        self.with(|c| changes(c, scope, since, limit))
    }

    fn prune_tombstones(&self, scope: &ScopeId, up_to_seq: u64) -> Result<ScopeHead, StoreError> {
        self.writing(|c| {
            in_tx(c, |c| {
                c.row(
                    "SELECT seq FROM scopes WHERE scope = ?1 FOR UPDATE",
                    args![scope.as_str()],
                )?
                .ok_or_else(|| StoreError::UnknownScope(scope.to_string()))?;
                c.exec(
                    "DELETE FROM items WHERE scope = ?1 AND body IS NULL AND seq <= ?2",
                    args![scope.as_str(), up_to_seq],
                )?;
                c.exec(
                    "UPDATE scopes SET floor = GREATEST(floor, ?2) WHERE scope = ?1",
                    args![scope.as_str(), up_to_seq],
                )?;
                notify_head(c, scope)?;
                head(c, scope)
            })
        })
    }

    fn recompute_state_hash(&self, scope: &ScopeId) -> Result<StateHash, StoreError> {
        self.with(|c| recompute_state_hash(c, scope).map(|(h, _)| h))
    }

    crate::records::publishing_record_methods!(writing, publish_as, publish_in);

    crate::records::shared_record_methods!();
}
