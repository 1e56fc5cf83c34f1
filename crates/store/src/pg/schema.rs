//! The PostgreSQL schema, one step per entry, migrated under an advisory lock.

use super::*;

/// The schema, one step per entry; `schema_version` records how many have run.
pub const MIGRATIONS: &[&str] = &[
    // 1: published content, private IDs, the change log and attachments.
    r#"
CREATE TABLE IF NOT EXISTS scopes (
    scope      TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    epoch      BIGINT NOT NULL,
    seq        BIGINT NOT NULL DEFAULT 0,
    state_hash BYTEA NOT NULL,
    item_count BIGINT NOT NULL DEFAULT 0,
    floor      BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    scope      TEXT COLLATE "C" NOT NULL REFERENCES scopes(scope),
    kind       TEXT NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    seq        BIGINT NOT NULL,
    body       TEXT,
    item_hash  BYTEA,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS items_by_seq ON items(scope, seq);
CREATE TABLE IF NOT EXISTS private_ids (
    kind      TEXT NOT NULL,
    id        TEXT NOT NULL,
    id_number TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS changelog (
    n            BIGINT PRIMARY KEY,
    at           BIGINT NOT NULL,
    scope        TEXT COLLATE "C" NOT NULL,
    kind         TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    action       TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    actor        TEXT NOT NULL,
    draft        BIGINT,
    prev_hash    TEXT NOT NULL,
    entry_hash   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changelog_by_item ON changelog(scope, kind, item_id, n);
-- The public change log is one chain: its tail is one row every publish locks (after its
-- scope's row, always in that order, so publishers cannot deadlock).
CREATE TABLE IF NOT EXISTS changelog_tail (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    n    BIGINT NOT NULL,
    hash TEXT NOT NULL
);
-- Attachments and photos, by sha256, so every instance serves every blob.
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    bytes  BYTEA NOT NULL
);
INSERT INTO changelog_tail(id, n, hash)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
    ON CONFLICT (id) DO NOTHING;
"#,
    // 2: filings and staff tokens. Serial columns named `rowid` stand in for SQLite's
    // implicit one where statements order by it.
    r#"
CREATE TABLE complaints (
    id            BIGSERIAL PRIMARY KEY,
    client_uuid   TEXT NOT NULL UNIQUE,
    code          TEXT NOT NULL UNIQUE,
    kiosk_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    subject       TEXT NOT NULL,
    text          TEXT NOT NULL,
    contact_name  TEXT,
    contact_phone TEXT,
    office        TEXT NOT NULL,
    status        TEXT NOT NULL,
    filed_at      BIGINT NOT NULL,
    received_at   BIGINT NOT NULL,
    received_on   TEXT NOT NULL,
    due_on        TEXT,
    answer        TEXT,
    extended      BIGINT NOT NULL DEFAULT 0,
    limit_days    BIGINT
);
CREATE INDEX complaints_by_office ON complaints(office, due_on);
CREATE TABLE complaint_events (
    rowid        BIGSERIAL PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints(id),
    at           BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX complaint_events_by_filing ON complaint_events(complaint_id);
CREATE TABLE complaint_pauses (
    complaint_id BIGINT NOT NULL REFERENCES complaints(id),
    from_date    TEXT NOT NULL,
    until_date   TEXT
);
CREATE TABLE staff_tokens (
    token_hash TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    office     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked    BIGINT NOT NULL DEFAULT 0
);
"#,
    // 3: the console: accounts, sessions, failures and rate counters, imports, drafts,
    // cadre codes and kiosk sessions.
    r#"
CREATE TABLE users (
    id           BIGSERIAL PRIMARY KEY,
    username     TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    office       TEXT NOT NULL,
    pw_hash      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    disabled     BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    csrf         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures(key, at);
CREATE INDEX login_failures_by_at ON login_failures(at);
CREATE TABLE imports (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    scope      TEXT NOT NULL,
    list_kind  TEXT NOT NULL,
    filename   TEXT NOT NULL,
    meta       TEXT NOT NULL,
    mapping    TEXT,
    upload     BYTEA,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    draft      BIGINT
);
CREATE TABLE drafts (
    id          BIGSERIAL PRIMARY KEY,
    scope       TEXT COLLATE "C" NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    source      TEXT NOT NULL,
    author_id   BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    status      TEXT NOT NULL,
    reviewer_id BIGINT REFERENCES users(id),
    reviewed_at BIGINT,
    reason      TEXT NOT NULL DEFAULT '',
    client_id   TEXT
);
CREATE INDEX drafts_by_status ON drafts(status, scope);
CREATE UNIQUE INDEX drafts_by_client ON drafts(client_id);
CREATE TABLE draft_edits (
    draft_id   BIGINT NOT NULL REFERENCES drafts(id),
    n          BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    body       TEXT,
    private_id TEXT,
    PRIMARY KEY (draft_id, n)
);
CREATE TABLE cadre_codes (
    code_sha256 TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    scope       TEXT NOT NULL,
    kiosk_id    TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE TABLE kiosk_sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    scope        TEXT NOT NULL,
    kiosk_id     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
"#,
    // 4: the fleet.
    r#"
CREATE TABLE enroll_tokens (
    token_sha256 TEXT PRIMARY KEY,
    kiosk_id     TEXT NOT NULL,
    scope        TEXT NOT NULL,
    created_by   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE TABLE kiosks (
    kiosk_id          TEXT COLLATE "C" PRIMARY KEY,
    scope             TEXT COLLATE "C" NOT NULL,
    public_key        TEXT NOT NULL,
    enrolled_at       BIGINT NOT NULL,
    app_version       TEXT NOT NULL DEFAULT '',
    last_counter      BIGINT NOT NULL DEFAULT 0,
    last_seen_at      BIGINT,
    report            TEXT,
    display_seq       BIGINT NOT NULL DEFAULT 0,
    display_hash      TEXT NOT NULL,
    remote_config     TEXT,
    screenshot_wanted BIGINT,
    screenshot        BYTEA,
    screenshot_at     BIGINT
);
CREATE INDEX kiosks_by_scope ON kiosks(scope);
CREATE TABLE display_log (
    kiosk_id  TEXT NOT NULL,
    key       TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    event     TEXT NOT NULL,
    items     TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, key, seq)
);
CREATE TABLE fleet_alerts (
    id         BIGSERIAL PRIMARY KEY,
    kiosk_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    raised_at  BIGINT NOT NULL,
    cleared_at BIGINT
);
CREATE UNIQUE INDEX fleet_alerts_open ON fleet_alerts(kiosk_id, kind) WHERE cleared_at IS NULL;
CREATE TABLE releases (
    rowid        BIGSERIAL,
    package      TEXT NOT NULL,
    version      TEXT NOT NULL,
    manifest     TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (package, version)
);
"#,
    // 5: alert events waiting for the webhook.
    r#"
CREATE TABLE webhook_outbox (
    id           BIGSERIAL PRIMARY KEY,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    next_at      BIGINT NOT NULL,
    delivered_at BIGINT,
    given_up     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_at) WHERE delivered_at IS NULL AND given_up = 0;
"#,
    // 6: the year without entered holidays a deadline was counted across.
    "ALTER TABLE complaints ADD COLUMN due_provisional BIGINT;",
    // 7: codes that cannot collide (see the SQLite twin, fleet::MIGRATION_CODES).
    r#"
ALTER TABLE kiosks ADD COLUMN code_ns BIGINT;
CREATE UNIQUE INDEX kiosks_by_code_ns ON kiosks(code_ns);
CREATE TABLE code_pool (
    code        TEXT PRIMARY KEY,
    kiosk_id    TEXT NOT NULL,
    reserved_at BIGINT NOT NULL
);
"#,
    // 8: a kiosk's memory over time (see fleet::MIGRATION_MEMORY).
    r#"
CREATE TABLE kiosk_memory (
    kiosk_id    TEXT NOT NULL,
    at          BIGINT NOT NULL,
    rss_bytes   BIGINT NOT NULL,
    uptime_secs BIGINT NOT NULL
);
CREATE INDEX kiosk_memory_by_kiosk ON kiosk_memory(kiosk_id, at);
"#,
];

/// Brings the schema up to date. Instances starting together against an empty database
/// queue on a transaction-scoped advisory lock: one migrates, the others then find the
/// version current.
pub fn migrate(c: &mut PgConn) -> Result<(), StoreError> {
    in_tx(c, |c| {
        c.batch("SELECT pg_advisory_xact_lock(7101)")?;
        c.batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
        let done = c
            .row("SELECT max(version) FROM schema_version", &[])?
            .map(|r| r.opt_int(0))
            .transpose()?
            .flatten()
            .unwrap_or(0)
            .max(0) as usize;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(done) {
            c.batch(step)?;
            c.exec(
                "INSERT INTO schema_version(version) VALUES (?1)",
                args![(i + 1) as i64],
            )?;
        }
        Ok(())
    })
}
