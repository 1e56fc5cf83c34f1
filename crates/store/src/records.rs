//! The `Store` methods that are the same on every back-end: accounts, sessions, filings,
//! imports, drafts, cadre codes, the fleet and change-log reads all run the shared
//! statements of `sql.rs`. Each back-end provides `read` and `write` (a connection for a
//! read, and one for a write: SQLite's reader pool and single writer; PostgreSQL's pool
//! for both) and expands this list inside its `impl Store`, so there is one copy of it.

pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The record methods that publish as they go — a final status puts its answer on the
/// boards, an approved draft is published in its review's transaction — written once.
/// Each back-end names how it takes its writer, how it publishes on it, and how it
/// publishes inside a transaction it already holds.
macro_rules! publishing_record_methods {
    ($writer:ident, $publish:ident, $publish_in:ident) => {
        fn complaint_transition(
            &self,
            t: &$crate::Transition,
            calendar: &gongkai_model::calendar::Calendar,
        ) -> Result<gongkai_protocol::complaints::PublicStatus, $crate::StoreError> {
            self.$writer(|c| {
                let status = $crate::complaints::transition(c, t, calendar)?;
                if let Some((scope, edit)) = $crate::complaints::answer_edit(c, &status)? {
                    $publish(
                        c,
                        &scope,
                        &[edit],
                        &$crate::Provenance::system(),
                        $crate::records::now_unix(),
                    )?;
                }
                Ok(status)
            })
        }

        fn review_draft(
            &self,
            id: i64,
            reviewer: &$crate::User,
            approve: bool,
            reason: &str,
        ) -> Result<$crate::DraftRow, $crate::StoreError> {
            let now = $crate::records::now_unix();
            self.$writer(|c| {
                $crate::sql::in_tx(c, |tx| {
                    $crate::console::review(
                        tx,
                        id,
                        reviewer,
                        approve,
                        reason,
                        now,
                        |tx, s, e, by| $publish_in(tx, s, e, by, now).map(|_| ()),
                    )
                })
            })
        }
    };
}
pub(crate) use publishing_record_methods;

macro_rules! shared_record_methods {
    () => {
        fn item_body(
            &self,
            scope: &gongkai_model::ScopeId,
            kind: gongkai_model::ContentKind,
            id: &str,
        ) -> Result<Option<String>, $crate::StoreError> {
            self.read(|c| {
                match c.row(
                    "SELECT body FROM items WHERE scope = ?1 AND kind = ?2 AND id = ?3",
                    $crate::sql::args![scope.as_str(), kind.key(), id],
                )? {
                    Some(r) => r.opt_text(0),
                    None => Ok(None),
                }
            })
        }

        fn publish_as(
            &self,
            scope: &gongkai_model::ScopeId,
            edits: &[$crate::Edit],
            by: &$crate::Provenance,
        ) -> Result<$crate::ScopeHead, $crate::StoreError> {
            // Each back-end's `publish_as_at`, at the time of the call.
            self.publish_as_at(scope, edits, by, $crate::records::now_unix())
        }

        fn queue_webhook(&self, body: &str, now: i64) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::fleet::queue_webhook(c, body, now))
        }

        fn claim_webhooks(
            &self,
            now: i64,
            lease_until: i64,
            limit: u32,
        ) -> Result<Vec<(i64, String, u32)>, $crate::StoreError> {
            self.write(|c| $crate::fleet::claim_webhooks(c, now, lease_until, limit))
        }

        fn webhook_result(
            &self,
            id: i64,
            delivered: bool,
            now: i64,
            retry_at: i64,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::fleet::webhook_result(c, id, delivered, now, retry_at))
        }

        fn webhooks_waiting(&self) -> Result<u64, $crate::StoreError> {
            self.read(|c| $crate::fleet::webhooks_waiting(c))
        }

        fn ping(&self) -> Result<(), $crate::StoreError> {
            self.read(|c| c.rows("SELECT 1", &[]).map(|_| ()))
        }

        fn changelog(
            &self,
            after: u64,
            limit: u32,
        ) -> Result<Vec<gongkai_protocol::changelog::LogEntry>, $crate::StoreError> {
            self.read(|c| $crate::changelog::page(c, after, limit))
        }

        fn changelog_head(&self) -> Result<(u64, String), $crate::StoreError> {
            self.read($crate::changelog::head)
        }

        fn recent_changes(
            &self,
            filter: &$crate::changelog::LogFilter,
        ) -> Result<$crate::changelog::LogPage, $crate::StoreError> {
            self.read(|c| $crate::changelog::recent(c, filter))
        }

        fn changes_between(
            &self,
            from: i64,
            to: i64,
        ) -> Result<Vec<gongkai_protocol::changelog::LogEntry>, $crate::StoreError> {
            self.read(|c| $crate::changelog::between(c, from, to))
        }

        fn item_history(
            &self,
            scope: &gongkai_model::ScopeId,
            kind: gongkai_model::ContentKind,
            id: &str,
        ) -> Result<Vec<gongkai_protocol::changelog::LogEntry>, $crate::StoreError> {
            self.read(|c| $crate::changelog::item(c, scope.as_str(), kind.key(), id))
        }

        fn file_complaint(
            &self,
            filing: &$crate::NewComplaint,
        ) -> Result<bool, $crate::StoreError> {
            self.write(|c| $crate::complaints::insert(c, filing))
        }

        fn complaint_status(
            &self,
            code: &gongkai_model::complaint::TrackingCode,
        ) -> Result<Option<gongkai_protocol::complaints::PublicStatus>, $crate::StoreError> {
            self.read(|c| $crate::complaints::status(c, code))
        }

        fn recount_deadlines(
            &self,
            calendar: &gongkai_model::calendar::Calendar,
            at: i64,
            actor: &str,
        ) -> Result<Vec<gongkai_model::complaint::TrackingCode>, $crate::StoreError> {
            // Only open filings move, and only a final one has a public answer on the
            // boards: nothing to publish.
            self.write(|c| $crate::complaints::recount(c, calendar, at, actor))
        }

        fn complaints(
            &self,
            office: Option<&str>,
        ) -> Result<Vec<$crate::StaffRow>, $crate::StoreError> {
            self.read(|c| $crate::complaints::list(c, office))
        }

        fn complaint_detail(
            &self,
            code: &gongkai_model::complaint::TrackingCode,
        ) -> Result<Option<$crate::StaffDetail>, $crate::StoreError> {
            self.read(|c| $crate::complaints::detail(c, code))
        }

        fn put_staff_token(
            &self,
            token_sha256: &str,
            name: &str,
            office: &str,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| {
                $crate::complaints::put_staff_token(
                    c,
                    token_sha256,
                    name,
                    office,
                    $crate::records::now_unix(),
                )
            })
        }

        fn staff_by_token(
            &self,
            token_sha256: &str,
        ) -> Result<Option<(String, String)>, $crate::StoreError> {
            self.read(|c| $crate::complaints::staff_by_token(c, token_sha256))
        }

        fn create_user(&self, user: &$crate::NewUser) -> Result<i64, $crate::StoreError> {
            self.write(|c| $crate::console::create_user(c, user, $crate::records::now_unix()))
        }

        fn user_for_login(
            &self,
            username: &str,
        ) -> Result<Option<($crate::User, String)>, $crate::StoreError> {
            self.read(|c| $crate::console::user_for_login(c, username))
        }

        fn user(&self, id: i64) -> Result<Option<$crate::User>, $crate::StoreError> {
            self.read(|c| $crate::console::user_by_id(c, id))
        }

        fn create_session(
            &self,
            token_sha256: &str,
            user_id: i64,
            csrf: &str,
            expires_at: i64,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| {
                $crate::console::create_session(
                    c,
                    token_sha256,
                    user_id,
                    csrf,
                    $crate::records::now_unix(),
                    expires_at,
                )
            })
        }

        fn session(
            &self,
            token_sha256: &str,
            now: i64,
        ) -> Result<Option<($crate::User, String)>, $crate::StoreError> {
            self.read(|c| $crate::console::session(c, token_sha256, now))
        }

        fn delete_session(&self, token_sha256: &str) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::console::delete_session(c, token_sha256))
        }

        fn login_failed(&self, key: &str, window: i64) -> Result<u32, $crate::StoreError> {
            let now = $crate::records::now_unix();
            self.write(|c| $crate::console::login_failed(c, key, now, now - window))
        }

        fn login_failures(&self, key: &str, window: i64) -> Result<u32, $crate::StoreError> {
            let now = $crate::records::now_unix();
            self.write(|c| $crate::console::failures_since(c, key, now - window))
        }

        fn clear_login_failures(&self, key: &str) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::console::clear_failures(c, key))
        }

        fn save_import(&self, record: &$crate::ImportRecord) -> Result<i64, $crate::StoreError> {
            self.write(|c| $crate::console::save_import(c, record))
        }

        fn import(&self, id: i64) -> Result<Option<$crate::ImportRecord>, $crate::StoreError> {
            self.read(|c| $crate::console::import(c, id))
        }

        fn set_import_mapping(
            &self,
            id: i64,
            mapping_json: &str,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::console::set_import_mapping(c, id, mapping_json))
        }

        fn finish_import(
            &self,
            id: i64,
            status: &str,
            draft: Option<i64>,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::console::finish_import(c, id, status, draft))
        }

        fn submit_draft(&self, draft: &$crate::NewDraft) -> Result<i64, $crate::StoreError> {
            // Bodies are checked now, so a cadre hears about a bad posting at once and a
            // reviewer never approves something that cannot be published.
            let prepared = $crate::NewDraft {
                edits: $crate::publish::prepare(&draft.edits)?,
                ..draft.clone()
            };
            self.write(|c| $crate::console::insert_draft(c, &prepared, $crate::records::now_unix()))
        }

        fn drafts(
            &self,
            scope_prefix: &str,
            limit: u32,
        ) -> Result<Vec<$crate::DraftRow>, $crate::StoreError> {
            self.read(|c| $crate::console::drafts(c, scope_prefix, limit))
        }

        fn drafts_by(
            &self,
            author_id: i64,
            limit: u32,
        ) -> Result<Vec<$crate::DraftRow>, $crate::StoreError> {
            self.read(|c| $crate::console::drafts_by(c, author_id, limit))
        }

        fn draft(
            &self,
            id: i64,
        ) -> Result<Option<($crate::DraftRow, Vec<Edit>)>, $crate::StoreError> {
            self.read(|c| $crate::console::draft(c, id))
        }

        fn issue_cadre_code(
            &self,
            code_sha256: &str,
            user_id: i64,
            scope: &gongkai_model::ScopeId,
            kiosk_id: Option<&str>,
            expires_at: i64,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| {
                $crate::console::issue_cadre_code(
                    c,
                    code_sha256,
                    user_id,
                    scope,
                    kiosk_id,
                    $crate::records::now_unix(),
                    expires_at,
                )
            })
        }

        fn redeem_cadre_code(
            &self,
            code_sha256: &str,
            scope: &gongkai_model::ScopeId,
            kiosk_id: &str,
            token_sha256: &str,
            now: i64,
            session_expires: i64,
        ) -> Result<Option<$crate::User>, $crate::StoreError> {
            self.write(|c| {
                $crate::console::redeem_cadre_code(
                    c,
                    code_sha256,
                    scope,
                    kiosk_id,
                    token_sha256,
                    now,
                    session_expires,
                )
            })
        }

        fn kiosk_session(
            &self,
            token_sha256: &str,
            now: i64,
        ) -> Result<Option<($crate::User, gongkai_model::ScopeId, String)>, $crate::StoreError> {
            self.read(|c| $crate::console::kiosk_session(c, token_sha256, now))
        }

        fn issue_enroll_token(
            &self,
            token_sha256: &str,
            kiosk_id: &str,
            scope: &gongkai_model::ScopeId,
            created_by: i64,
            now: i64,
            expires_at: i64,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| {
                $crate::fleet::issue_enroll_token(
                    c,
                    token_sha256,
                    kiosk_id,
                    scope.as_str(),
                    created_by,
                    now,
                    expires_at,
                )
            })
        }

        fn enroll_kiosk(
            &self,
            token_sha256: &str,
            kiosk_id: &str,
            public_key: &str,
            app_version: &str,
            now: i64,
        ) -> Result<Option<String>, $crate::StoreError> {
            self.write(|c| {
                $crate::fleet::enroll(c, token_sha256, kiosk_id, public_key, app_version, now)
            })
        }

        fn memory_samples(
            &self,
            kiosk_id: &str,
            since: i64,
        ) -> Result<Vec<$crate::fleet::MemorySample>, $crate::StoreError> {
            self.read(|c| $crate::fleet::memory_samples(c, kiosk_id, since))
        }

        fn code_namespace(
            &self,
            kiosk_id: &str,
            candidate: u32,
        ) -> Result<Option<u32>, $crate::StoreError> {
            self.write(|c| $crate::fleet::code_namespace(c, kiosk_id, candidate))
        }

        fn reserve_codes(
            &self,
            kiosk_id: &str,
            candidates: &[String],
            now: i64,
        ) -> Result<Vec<String>, $crate::StoreError> {
            self.write(|c| $crate::fleet::reserve_codes(c, kiosk_id, candidates, now))
        }

        fn pending_enrollments(
            &self,
            scope_prefix: &str,
            now: i64,
        ) -> Result<Vec<(String, String, i64, i64)>, $crate::StoreError> {
            self.read(|c| $crate::fleet::pending_enrollments(c, scope_prefix, now))
        }

        fn kiosk(&self, kiosk_id: &str) -> Result<Option<$crate::KioskRecord>, $crate::StoreError> {
            self.read(|c| $crate::fleet::kiosk(c, kiosk_id))
        }

        fn kiosks(
            &self,
            scope_prefix: &str,
        ) -> Result<Vec<$crate::KioskRecord>, $crate::StoreError> {
            self.read(|c| $crate::fleet::kiosks(c, scope_prefix))
        }

        fn save_heartbeat(
            &self,
            write: &$crate::HeartbeatWrite<'_>,
        ) -> Result<bool, $crate::StoreError> {
            self.write(|c| $crate::fleet::save_heartbeat(c, write))
        }

        fn display_keys(&self, kiosk_id: &str) -> Result<Vec<String>, $crate::StoreError> {
            self.read(|c| $crate::fleet::display_keys(c, kiosk_id))
        }

        fn display_log(
            &self,
            kiosk_id: &str,
            key: &str,
            from_seq: u64,
            limit: u32,
        ) -> Result<Vec<gongkai_protocol::displaylog::DisplayEntry>, $crate::StoreError> {
            self.read(|c| $crate::fleet::display_log(c, kiosk_id, key, from_seq, limit))
        }

        fn set_remote_config(
            &self,
            kiosk_id: &str,
            config: &gongkai_protocol::fleet::RemoteConfig,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::fleet::set_remote_config(c, kiosk_id, config))
        }

        fn want_screenshot(&self, kiosk_id: &str, now: i64) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::fleet::want_screenshot(c, kiosk_id, now))
        }

        fn save_screenshot(
            &self,
            kiosk_id: &str,
            png: &[u8],
            now: i64,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::fleet::save_screenshot(c, kiosk_id, png, now))
        }

        fn screenshot(&self, kiosk_id: &str) -> Result<Option<(Vec<u8>, i64)>, $crate::StoreError> {
            self.read(|c| $crate::fleet::screenshot(c, kiosk_id))
        }

        fn raise_alert(
            &self,
            kiosk_id: &str,
            kind: &str,
            detail: &str,
            now: i64,
        ) -> Result<bool, $crate::StoreError> {
            self.write(|c| $crate::fleet::raise_alert(c, kiosk_id, kind, detail, now))
        }

        fn clear_alert(
            &self,
            kiosk_id: &str,
            kind: &str,
            now: i64,
        ) -> Result<bool, $crate::StoreError> {
            self.write(|c| $crate::fleet::clear_alert(c, kiosk_id, kind, now))
        }

        fn alerts(&self, since: i64) -> Result<Vec<$crate::Alert>, $crate::StoreError> {
            self.read(|c| $crate::fleet::alerts(c, since))
        }

        fn first_change_after(
            &self,
            scope: &str,
            seq: u64,
        ) -> Result<Option<i64>, $crate::StoreError> {
            self.read(|c| $crate::fleet::first_change_after(c, scope, seq))
        }

        fn publish_release(
            &self,
            package: &str,
            version: &str,
            manifest_json: &str,
            now: i64,
        ) -> Result<(), $crate::StoreError> {
            self.write(|c| $crate::fleet::publish_release(c, package, version, manifest_json, now))
        }

        fn latest_release(&self, package: &str) -> Result<Option<String>, $crate::StoreError> {
            self.read(|c| $crate::fleet::latest_release(c, package))
        }
    };
}
pub(crate) use shared_record_methods;
