//! The `Store` methods that are the same on every back-end: accounts, sessions, filings,
//! imports, drafts, cadre codes, the fleet and change-log reads all run the shared
//! statements of `sql.rs`. Each back-end provides `read` and `write` (a connection for a
//! read, and one for a write: SQLite's reader pool and single writer; PostgreSQL's pool
//! for both) and expands this list inside its `impl Store`, so there is one copy of it.

pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

macro_rules! shared_record_methods {
    () => {
        fn queue_webhook(&self, body: &str, now: i64) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::queue_webhook(c, body, now))
        }

        fn claim_webhooks(
            &self,
            now: i64,
            lease_until: i64,
            limit: u32,
        ) -> Result<Vec<(i64, String, u32)>, $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::claim_webhooks(c, now, lease_until, limit))
        }

        fn webhook_result(
            &self,
            id: i64,
            delivered: bool,
            now: i64,
            retry_at: i64,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::webhook_result(c, id, delivered, now, retry_at))
        }

        fn webhooks_waiting(&self) -> Result<u64, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::webhooks_waiting(c))
        }

        fn ping(&self) -> Result<(), $crate::store::StoreError> {
            self.read(|c| c.rows("SELECT 1", &[]).map(|_| ()))
        }

        fn changelog(
            &self,
            after: u64,
            limit: u32,
        ) -> Result<Vec<gongkai_protocol::changelog::LogEntry>, $crate::store::StoreError> {
            self.read(|c| $crate::store::changelog::page(c, after, limit))
        }

        fn recent_changes(
            &self,
            scope_prefix: &str,
            limit: u32,
        ) -> Result<Vec<gongkai_protocol::changelog::LogEntry>, $crate::store::StoreError> {
            self.read(|c| $crate::store::changelog::recent(c, scope_prefix, limit))
        }

        fn changes_between(
            &self,
            from: i64,
            to: i64,
        ) -> Result<Vec<gongkai_protocol::changelog::LogEntry>, $crate::store::StoreError> {
            self.read(|c| $crate::store::changelog::between(c, from, to))
        }

        fn item_history(
            &self,
            scope: &gongkai_model::ScopeId,
            kind: gongkai_model::ContentKind,
            id: &str,
        ) -> Result<Vec<gongkai_protocol::changelog::LogEntry>, $crate::store::StoreError> {
            self.read(|c| $crate::store::changelog::item(c, scope.as_str(), kind.key(), id))
        }

        fn file_complaint(
            &self,
            filing: &$crate::store::NewComplaint,
        ) -> Result<bool, $crate::store::StoreError> {
            self.write(|c| $crate::store::complaints::insert(c, filing))
        }

        fn complaint_status(
            &self,
            code: &gongkai_model::complaint::TrackingCode,
        ) -> Result<Option<gongkai_protocol::complaints::PublicStatus>, $crate::store::StoreError> {
            self.read(|c| $crate::store::complaints::status(c, code))
        }

        fn recount_deadlines(
            &self,
            calendar: &gongkai_model::calendar::Calendar,
            at: i64,
            actor: &str,
        ) -> Result<Vec<gongkai_model::complaint::TrackingCode>, $crate::store::StoreError> {
            // Only open filings move, and only a final one has a public answer on the
            // boards: nothing to publish.
            self.write(|c| $crate::store::complaints::recount(c, calendar, at, actor))
        }

        fn complaints(
            &self,
            office: Option<&str>,
        ) -> Result<Vec<$crate::store::StaffRow>, $crate::store::StoreError> {
            self.read(|c| $crate::store::complaints::list(c, office))
        }

        fn complaint_detail(
            &self,
            code: &gongkai_model::complaint::TrackingCode,
        ) -> Result<Option<$crate::store::StaffDetail>, $crate::store::StoreError> {
            self.read(|c| $crate::store::complaints::detail(c, code))
        }

        fn put_staff_token(
            &self,
            token_sha256: &str,
            name: &str,
            office: &str,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| {
                $crate::store::complaints::put_staff_token(
                    c,
                    token_sha256,
                    name,
                    office,
                    $crate::store::records::now_unix(),
                )
            })
        }

        fn staff_by_token(
            &self,
            token_sha256: &str,
        ) -> Result<Option<(String, String)>, $crate::store::StoreError> {
            self.read(|c| $crate::store::complaints::staff_by_token(c, token_sha256))
        }

        fn create_user(
            &self,
            user: &$crate::store::NewUser,
        ) -> Result<i64, $crate::store::StoreError> {
            self.write(|c| {
                $crate::store::console::create_user(c, user, $crate::store::records::now_unix())
            })
        }

        fn user_for_login(
            &self,
            username: &str,
        ) -> Result<Option<($crate::store::User, String)>, $crate::store::StoreError> {
            self.read(|c| $crate::store::console::user_for_login(c, username))
        }

        fn user(&self, id: i64) -> Result<Option<$crate::store::User>, $crate::store::StoreError> {
            self.read(|c| $crate::store::console::user_by_id(c, id))
        }

        fn create_session(
            &self,
            token_sha256: &str,
            user_id: i64,
            csrf: &str,
            expires_at: i64,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| {
                $crate::store::console::create_session(
                    c,
                    token_sha256,
                    user_id,
                    csrf,
                    $crate::store::records::now_unix(),
                    expires_at,
                )
            })
        }

        fn session(
            &self,
            token_sha256: &str,
            now: i64,
        ) -> Result<Option<($crate::store::User, String)>, $crate::store::StoreError> {
            self.read(|c| $crate::store::console::session(c, token_sha256, now))
        }

        fn delete_session(&self, token_sha256: &str) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::console::delete_session(c, token_sha256))
        }

        fn login_failed(&self, key: &str, window: i64) -> Result<u32, $crate::store::StoreError> {
            let now = $crate::store::records::now_unix();
            self.write(|c| $crate::store::console::login_failed(c, key, now, now - window))
        }

        fn login_failures(&self, key: &str, window: i64) -> Result<u32, $crate::store::StoreError> {
            let now = $crate::store::records::now_unix();
            self.write(|c| $crate::store::console::failures_since(c, key, now - window))
        }

        fn clear_login_failures(&self, key: &str) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::console::clear_failures(c, key))
        }

        fn save_import(
            &self,
            record: &$crate::store::ImportRecord,
        ) -> Result<i64, $crate::store::StoreError> {
            self.write(|c| $crate::store::console::save_import(c, record))
        }

        fn import(
            &self,
            id: i64,
        ) -> Result<Option<$crate::store::ImportRecord>, $crate::store::StoreError> {
            self.read(|c| $crate::store::console::import(c, id))
        }

        fn set_import_mapping(
            &self,
            id: i64,
            mapping_json: &str,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::console::set_import_mapping(c, id, mapping_json))
        }

        fn finish_import(
            &self,
            id: i64,
            status: &str,
            draft: Option<i64>,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::console::finish_import(c, id, status, draft))
        }

        fn submit_draft(
            &self,
            draft: &$crate::store::NewDraft,
        ) -> Result<i64, $crate::store::StoreError> {
            // Bodies are checked now, so a cadre hears about a bad posting at once and a
            // reviewer never approves something that cannot be published.
            let prepared = $crate::store::NewDraft {
                edits: $crate::store::publish::prepare(&draft.edits)?,
                ..draft.clone()
            };
            self.write(|c| {
                $crate::store::console::insert_draft(
                    c,
                    &prepared,
                    $crate::store::records::now_unix(),
                )
            })
        }

        fn drafts(
            &self,
            scope_prefix: &str,
            limit: u32,
        ) -> Result<Vec<$crate::store::DraftRow>, $crate::store::StoreError> {
            self.read(|c| $crate::store::console::drafts(c, scope_prefix, limit))
        }

        fn drafts_by(
            &self,
            author_id: i64,
            limit: u32,
        ) -> Result<Vec<$crate::store::DraftRow>, $crate::store::StoreError> {
            self.read(|c| $crate::store::console::drafts_by(c, author_id, limit))
        }

        fn draft(
            &self,
            id: i64,
        ) -> Result<Option<($crate::store::DraftRow, Vec<Edit>)>, $crate::store::StoreError> {
            self.read(|c| $crate::store::console::draft(c, id))
        }

        fn issue_cadre_code(
            &self,
            code_sha256: &str,
            user_id: i64,
            scope: &gongkai_model::ScopeId,
            kiosk_id: Option<&str>,
            expires_at: i64,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| {
                $crate::store::console::issue_cadre_code(
                    c,
                    code_sha256,
                    user_id,
                    scope,
                    kiosk_id,
                    $crate::store::records::now_unix(),
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
        ) -> Result<Option<$crate::store::User>, $crate::store::StoreError> {
            self.write(|c| {
                $crate::store::console::redeem_cadre_code(
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
        ) -> Result<
            Option<($crate::store::User, gongkai_model::ScopeId, String)>,
            $crate::store::StoreError,
        > {
            self.read(|c| $crate::store::console::kiosk_session(c, token_sha256, now))
        }

        fn issue_enroll_token(
            &self,
            token_sha256: &str,
            kiosk_id: &str,
            scope: &gongkai_model::ScopeId,
            created_by: i64,
            now: i64,
            expires_at: i64,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| {
                $crate::store::fleet::issue_enroll_token(
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
        ) -> Result<Option<String>, $crate::store::StoreError> {
            self.write(|c| {
                $crate::store::fleet::enroll(
                    c,
                    token_sha256,
                    kiosk_id,
                    public_key,
                    app_version,
                    now,
                )
            })
        }

        fn pending_enrollments(
            &self,
            scope_prefix: &str,
            now: i64,
        ) -> Result<Vec<(String, String, i64, i64)>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::pending_enrollments(c, scope_prefix, now))
        }

        fn kiosk(
            &self,
            kiosk_id: &str,
        ) -> Result<Option<$crate::store::KioskRecord>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::kiosk(c, kiosk_id))
        }

        fn kiosks(
            &self,
            scope_prefix: &str,
        ) -> Result<Vec<$crate::store::KioskRecord>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::kiosks(c, scope_prefix))
        }

        fn save_heartbeat(
            &self,
            write: &$crate::store::HeartbeatWrite<'_>,
        ) -> Result<bool, $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::save_heartbeat(c, write))
        }

        fn display_keys(&self, kiosk_id: &str) -> Result<Vec<String>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::display_keys(c, kiosk_id))
        }

        fn display_log(
            &self,
            kiosk_id: &str,
            key: &str,
            from_seq: u64,
            limit: u32,
        ) -> Result<Vec<gongkai_protocol::displaylog::DisplayEntry>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::display_log(c, kiosk_id, key, from_seq, limit))
        }

        fn set_remote_config(
            &self,
            kiosk_id: &str,
            config: &gongkai_protocol::fleet::RemoteConfig,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::set_remote_config(c, kiosk_id, config))
        }

        fn want_screenshot(
            &self,
            kiosk_id: &str,
            now: i64,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::want_screenshot(c, kiosk_id, now))
        }

        fn save_screenshot(
            &self,
            kiosk_id: &str,
            png: &[u8],
            now: i64,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::save_screenshot(c, kiosk_id, png, now))
        }

        fn screenshot(
            &self,
            kiosk_id: &str,
        ) -> Result<Option<(Vec<u8>, i64)>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::screenshot(c, kiosk_id))
        }

        fn raise_alert(
            &self,
            kiosk_id: &str,
            kind: &str,
            detail: &str,
            now: i64,
        ) -> Result<bool, $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::raise_alert(c, kiosk_id, kind, detail, now))
        }

        fn clear_alert(
            &self,
            kiosk_id: &str,
            kind: &str,
            now: i64,
        ) -> Result<bool, $crate::store::StoreError> {
            self.write(|c| $crate::store::fleet::clear_alert(c, kiosk_id, kind, now))
        }

        fn alerts(
            &self,
            since: i64,
        ) -> Result<Vec<$crate::store::Alert>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::alerts(c, since))
        }

        fn first_change_after(
            &self,
            scope: &str,
            seq: u64,
        ) -> Result<Option<i64>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::first_change_after(c, scope, seq))
        }

        fn publish_release(
            &self,
            package: &str,
            version: &str,
            manifest_json: &str,
            now: i64,
        ) -> Result<(), $crate::store::StoreError> {
            self.write(|c| {
                $crate::store::fleet::publish_release(c, package, version, manifest_json, now)
            })
        }

        fn latest_release(
            &self,
            package: &str,
        ) -> Result<Option<String>, $crate::store::StoreError> {
            self.read(|c| $crate::store::fleet::latest_release(c, package))
        }
    };
}
pub(crate) use shared_record_methods;
