//! Back-end conformance (issue 10): the same operations on the SQLite store and on the
//! PostgreSQL store give the same answers, byte for byte where the protocol signs them.
//!
//! - Content: the same publishes — new rows, replacements, withdrawals, corrections of
//!   versioned items, in batches, at the same clock — give the same sequence numbers,
//!   state hash and item count (what every checkpoint signs), the same change pages from
//!   every cursor, the same item histories and the same public change log, entry for
//!   entry and hash for hash. Both refuse the same bad bodies.
//! - Records: one script of everything else the server stores — accounts, sessions,
//!   login failures, staff tokens, filings with their deadlines and answers, imports,
//!   drafts and reviews, cadre codes, kiosk enrollment, heartbeats and display logs,
//!   remote settings, screenshots, alerts, releases — run against each back-end, and
//!   every answer compared.
//! - Moving in: the demo county migrates whole and is then served the same.
//!
//! A kiosk, a cadre or an auditor cannot tell which back-end served them.

use anyhow::Result;
use gongkai_model::{ContentKind, Fen, Notice, ScopeId, SubsidyRow};
use gongkai_server::{SqliteStore, Store};
use gongkai_store::pg::{self, PgStore};
use gongkai_store::sql::PgConn;
use gongkai_store::{Edit, Provenance, StoreError};
use gongkai_tests::pg::TestPostgres;

fn row(n: usize, amount: i64) -> SubsidyRow {
    let names = ["张建国", "李秀英", "王桂兰", "赵德胜", "刘玉珍"];
    SubsidyRow {
        list_id: "grain-2026".into(),
        village_name: "石桥村".into(),
        name: names[n % names.len()].into(),
        id_masked: format!("4199**********{:04}", n % 10_000),
        household_size: (n % 6 + 1) as u32,
        area_centimu: Some((n % 900 + 100) as u32),
        amount: Fen(amount),
    }
}

fn notice(n: usize, version: usize) -> Notice {
    Notice {
        title: format!("关于第{n}组道路维修的通知"),
        publisher: "石桥村民委员会".into(),
        body_html: format!("<p>第{version}稿：施工期间请绕行。</p><script>x()</script>"),
        publish_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        expire_at: None,
        images: Vec::new(),
    }
}

/// Batches of edits: 300 new rows and a few notices, then replacements, corrections
/// (which keep versions) and withdrawals mixed with new ones.
fn batches() -> Vec<Vec<Edit>> {
    let mut first: Vec<Edit> = (0..300)
        .map(|n| Edit::put(ContentKind::SubsidyRow, format!("r{n:04}"), &row(n, 5704)))
        .collect();
    first.extend((0..4).map(|n| Edit::put(ContentKind::Notice, format!("n{n}"), &notice(n, 0))));
    let mut out = vec![first];
    for b in 0..10 {
        out.push(
            (0..25)
                .map(|k| {
                    let n = (b * 37 + k * 11) % 340;
                    let id = format!("r{n:04}");
                    if (b + k) % 5 == 0 {
                        Edit::delete(ContentKind::SubsidyRow, id)
                    } else {
                        Edit::put(ContentKind::SubsidyRow, id, &row(n, 5704 + b as i64))
                    }
                })
                .chain((b % 3 == 0).then(|| {
                    Edit::put(
                        ContentKind::Notice,
                        format!("n{}", b % 4),
                        &notice(b % 4, b + 1),
                    )
                }))
                .collect(),
        );
    }
    out
}

#[test]
fn sqlite_and_postgres_number_hash_and_page_the_same_changes_alike() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let sqlite = SqliteStore::open(&tmp.path().join("server.sqlite"))?;
    let server = TestPostgres::start()?;
    let pgs = PgStore::open(&server.database("conformance")?, 4)?;
    let scope = ScopeId::parse("419901102201")?;
    sqlite.ensure_scope(&scope, "石桥村")?;
    pgs.ensure_scope(&scope, "石桥村")?;

    let by = Provenance::user("石桥村 张会计");
    for (i, batch) in batches().iter().enumerate() {
        let now = 1_800_000_000 + 3600 * i as i64;
        let a = sqlite.publish_as_at(&scope, batch, &by, now)?;
        let b = pgs.publish_as_at(&scope, batch, &by, now)?;
        assert_eq!(a.seq, b.seq, "batch {i}: sequence numbers");
        let page = pgs.changes(&scope, 0, 1)?;
        assert_eq!(
            (a.state_hash, a.item_count),
            (page.head.state_hash, page.head.item_count),
            "batch {i}: state hash and item count"
        );
        assert_eq!(
            pgs.poll_head(&scope)?,
            page.head,
            "batch {i}: the poll head"
        );
    }
    // Pages from every cursor a kiosk might hold, in the sizes kiosks ask for.
    let head = sqlite.head(&scope)?;
    for since in [0, 1, 150, 299, 300, 333, head.seq - 1, head.seq] {
        for limit in [1u32, 7, 500] {
            let a = sqlite.changes(&scope, since, limit)?;
            let b = pgs.changes(&scope, since, limit)?;
            assert_eq!(a.head, b.head);
            assert_eq!(a.more, b.more, "more after {since} by {limit}");
            if a.changes != b.changes {
                let key = |c: &gongkai_protocol::Change| (c.seq, c.id.clone(), c.op);
                let (ka, kb): (Vec<_>, Vec<_>) = (
                    a.changes.iter().map(key).collect(),
                    b.changes.iter().map(key).collect(),
                );
                let first = ka.iter().zip(&kb).position(|(x, y)| x != y);
                panic!(
                    "page after {since} by {limit}: {} vs {} changes; first difference at {first:?}: {:?} vs {:?}",
                    ka.len(),
                    kb.len(),
                    first.and_then(|i| ka.get(i)),
                    first.and_then(|i| kb.get(i))
                );
            }
        }
    }
    // The same head, field by field, and it matches the items it sums up.
    let head = sqlite.head(&scope)?;
    assert_eq!(head, pgs.head(&scope)?);
    assert_eq!(sqlite.heads()?, pgs.heads()?);
    assert_eq!(pgs.recompute_state_hash(&scope)?, head.state_hash);
    // A corrected notice: the same history, and the same kept versions on both.
    for id in ["n0", "n1", "n3"] {
        assert_eq!(
            sqlite.item_history(&scope, ContentKind::Notice, id)?,
            pgs.item_history(&scope, ContentKind::Notice, id)?,
            "{id}"
        );
    }
    let versions = sqlite.item_history(&scope, ContentKind::Notice, "n0")?;
    assert!(versions.len() >= 2, "n0 was corrected");

    // The public change log: the same chain, byte for byte, and it verifies.
    let a = sqlite.changelog(0, 100_000)?;
    let b = pgs.changelog(0, 100_000)?;
    assert_eq!(a.len(), b.len());
    assert_eq!(
        sqlite
            .recent_changes(&gongkai_store::LogFilter::under("4199", 20))?
            .entries,
        pgs.recent_changes(&gongkai_store::LogFilter::under("4199", 20))?
            .entries
    );
    // The public record's pages and filters (kind, time, cursor) answer alike.
    let first = sqlite.recent_changes(&gongkai_store::LogFilter::under("4199", 3))?;
    let filter = gongkai_store::LogFilter {
        kind: "notice".into(),
        from: Some(1_000_000_000),
        before: first.next_before,
        ..gongkai_store::LogFilter::under("4199", 2)
    };
    assert_eq!(
        sqlite.recent_changes(&filter)?,
        pgs.recent_changes(&filter)?
    );
    assert_eq!(
        sqlite.changes_between(1_800_000_000, 1_800_020_000)?,
        pgs.changes_between(1_800_000_000, 1_800_020_000)?
    );
    assert_eq!(
        sqlite.items_of_kind(&scope, ContentKind::SubsidyRow)?,
        pgs.items_of_kind(&scope, ContentKind::SubsidyRow)?
    );
    assert_eq!(
        sqlite.item_body(&scope, ContentKind::Notice, "n0")?,
        pgs.item_body(&scope, ContentKind::Notice, "n0")?
    );
    assert_eq!(sqlite.verify_changelog()?, pgs.verify_changelog()?);
    assert!(
        a.iter().any(|e| e.action.key() == "correct"),
        "corrections logged"
    );
    assert_eq!(a, b, "change logs differ");
    gongkai_protocol::changelog::verify_chain(
        (0, gongkai_protocol::changelog::GENESIS.into()),
        &b,
    )?;

    // The same bad bodies are refused by both, and neither changes.
    let unmasked = vec![Edit::put(
        ContentKind::SubsidyRow,
        "leak",
        &SubsidyRow {
            id_masked: "419901196505120014".into(),
            ..row(1, 100)
        },
    )];
    let before = pgs.head(&scope)?.seq;
    assert!(matches!(
        sqlite.publish(&scope, &unmasked),
        Err(StoreError::UnmaskedId { .. })
    ));
    assert!(matches!(
        pgs.publish(&scope, &unmasked),
        Err(StoreError::UnmaskedId { .. })
    ));
    assert_eq!(pgs.head(&scope)?.seq, before);
    // Pruning tombstones raises the floor alike.
    let up_to = before / 2;
    assert_eq!(
        sqlite.prune_tombstones(&scope, up_to)?,
        pgs.prune_tombstones(&scope, up_to)?
    );
    assert_eq!(
        sqlite.changes(&scope, up_to, 500)?.changes,
        pgs.changes(&scope, up_to, 500)?.changes
    );
    assert_eq!(sqlite.head(&scope)?.seq, before);
    Ok(())
}

#[test]
fn a_county_moves_into_postgres_whole_and_is_served_the_same() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = gongkai_tests::demo_data(tmp.path())?;
    // The demo's filings, drafts and enrolled kiosks come along too.
    gongkai_server::demo::console_samples(
        &SqliteStore::open(&data.db_path())?,
        gongkai_server::Clock::system().now(),
    )?;
    let server = TestPostgres::start()?;
    let url = server.database("county")?;
    let bin = std::env::current_exe()?
        .parent()
        .and_then(std::path::Path::parent)
        .map(|d| d.join("gongkai-server"))
        .unwrap_or_default();
    let run = || {
        std::process::Command::new(&bin)
            .args(["migrate-to-postgres", "--data"])
            .arg(&data.root)
            .args(["--url", &url])
            .output()
    };
    let out = run()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains("compared equal"), "{said}");
    for table in ["users", "complaints", "drafts", "changelog", "items"] {
        assert!(
            said.lines()
                .any(|l| l.trim_start().starts_with(table) && !l.trim_end().ends_with(" 0 rows")),
            "{table} moved: {said}"
        );
    }
    // Not twice into the same database, and the refusal says why in Chinese.
    let again = run()?;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("已有内容"));

    // What a kiosk, a cadre or an office is served is the same from either back-end.
    let sqlite = SqliteStore::open(&data.db_path())?;
    let pgs = std::sync::Arc::new(PgStore::open(&url, 4)?);
    for head in sqlite.heads()? {
        assert_eq!(head, pgs.head(&head.scope)?);
        let a = sqlite.changes(&head.scope, 0, 100_000)?;
        let b = pgs.changes(&head.scope, 0, 100_000)?;
        assert_eq!(a.changes, b.changes, "{}", head.scope);
    }
    assert_eq!(sqlite.complaints(None)?, pgs.complaints(None)?);
    assert_eq!(sqlite.drafts("4199", 100)?, pgs.drafts("4199", 100)?);
    assert_eq!(
        sqlite.user_for_login("county")?,
        pgs.user_for_login("county")?
    );
    assert_eq!(sqlite.verify_changelog()?, pgs.verify_changelog()?);
    // New rows continue the moved numbering (serial columns were carried forward).
    let next = pgs.create_user(&gongkai_store::NewUser {
        username: "after-move".into(),
        display_name: "迁移后新账号".into(),
        role: gongkai_store::Role::VillageCadre,
        scope: ScopeId::parse("419901102201")?,
        office: String::new(),
        pw_hash: "x".into(),
    })?;
    let last = sqlite
        .user_for_login("county")?
        .map(|(u, _)| u.id)
        .unwrap_or(0);
    assert!(next > last, "new id {next} after moved ids");

    // Attachments are served from the database, checked against their names.
    let blobs = gongkai_store::blobs::BlobStore::new(data.blob_dir());
    let in_db = gongkai_store::blobs::BlobStore::in_postgres(pgs.clone());
    let mut conn = PgConn::connect(&url)?;
    let names: Vec<String> = conn
        .client
        .query("SELECT sha256 FROM blobs", &[])?
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        names.len() >= 10,
        "the demo's photos and PDF pages moved: {}",
        names.len()
    );
    for name in &names {
        assert_eq!(in_db.get(name)?, blobs.get(name)?);
    }
    // A damaged row is never served.
    conn.client.execute(
        "UPDATE blobs SET bytes = '\\x00' WHERE sha256 = $1",
        &[&names[0]],
    )?;
    assert!(in_db.get(&names[0]).is_err());
    assert!(pg::blob(&mut conn, &names[0]).is_err());
    Ok(())
}

/// Everything the server stores besides content, as one script; each answer is
/// recorded (times the store takes from its own clock are blanked) so two back-ends'
/// transcripts can be compared line by line.
fn records_script(s: &dyn Store) -> Result<Vec<String>> {
    use gongkai_model::calendar::Calendar;
    use gongkai_model::complaint::{ComplaintKind, ComplaintStatus};
    use gongkai_protocol::complaints::ComplaintUpload;
    use gongkai_protocol::displaylog::{DisplayEntry, DisplayEvent, ShownItem};
    use gongkai_protocol::fleet::{DisplayHours, RemoteConfig};
    use gongkai_store::{
        HeartbeatWrite, ImportRecord, NewComplaint, NewDraft, NewUser, Role, Transition,
    };
    let mut out = Vec::new();
    let mut say = |what: &str, v: String| out.push(format!("{what}: {v}"));
    let village = ScopeId::parse("419901102201")?;
    let township = ScopeId::parse("419901102")?;
    s.ensure_scope(&ScopeId::parse("419901")?, "云溪县")?;
    s.ensure_scope(&township, "石桥镇")?;
    s.ensure_scope(&village, "石桥村")?;

    // Accounts, sessions, failures.
    let user = |name: &str, role, scope: &ScopeId| NewUser {
        username: name.into(),
        display_name: format!("{name}（显示名）"),
        role,
        scope: scope.clone(),
        office: if role == Role::VillageCadre {
            String::new()
        } else {
            "石桥镇人民政府".into()
        },
        pw_hash: format!("hash-of-{name}"),
    };
    let cadre = s.create_user(&user("cadre", Role::VillageCadre, &village))?;
    let reviewer = s.create_user(&user("reviewer", Role::TownshipReviewer, &township))?;
    say("ids", format!("{cadre} {reviewer}"));
    say(
        "reset keeps the id",
        s.create_user(&user("cadre", Role::VillageCadre, &village))?
            .to_string(),
    );
    say("login", format!("{:?}", s.user_for_login("cadre")?));
    say(
        "no such login",
        format!("{:?}", s.user_for_login("nobody")?),
    );
    say("user", format!("{:?}", s.user(reviewer)?));
    s.create_session("tok-1", cadre, "csrf-1", i64::MAX / 2)?;
    s.create_session("tok-old", cadre, "csrf-2", 1)?;
    say("session", format!("{:?}", s.session("tok-1", now())?));
    say(
        "expired session",
        format!("{:?}", s.session("tok-old", now())?),
    );
    s.delete_session("tok-1")?;
    say("after logout", format!("{:?}", s.session("tok-1", now())?));
    for _ in 0..3 {
        say("failed", s.login_failed("user:cadre", 900)?.to_string());
    }
    say("failures", s.login_failures("user:cadre", 900)?.to_string());
    s.clear_login_failures("user:cadre")?;
    say("cleared", s.login_failures("user:cadre", 900)?.to_string());
    s.put_staff_token("staff-hash", "王办事员", "石桥镇人民政府")?;
    say("staff", format!("{:?}", s.staff_by_token("staff-hash")?));
    say("no staff", format!("{:?}", s.staff_by_token("other")?));

    // Filings: once only, transitions with deadlines, the answer published.
    let calendar = Calendar::official();
    let code = gongkai_tests::code_from(123_456_789);
    let filing = NewComplaint {
        upload: ComplaintUpload {
            client_uuid: "uuid-1".into(),
            code: code.clone(),
            kiosk_id: "kiosk-a".into(),
            kind: ComplaintKind::DisclosureRequest,
            scope: village.clone(),
            subject: "低保名单有误".into(),
            text: "名单里有已故人员。".into(),
            sealed_contact: None,
            filed_at: 1_790_000_000,
            cadre_session: None,
        },
        contact: Some(gongkai_protocol::complaints::Contact {
            name: "张大爷".into(),
            phone: "13800000000".into(),
        }),
        office: "石桥镇人民政府".into(),
        received_at: 1_790_000_100,
        received_on: "2026-11-02".parse()?,
        due_on: "2026-11-16".parse()?,
        due_provisional: None,
        limit_days: 10,
    };
    say("filed", s.file_complaint(&filing)?.to_string());
    say("filed again", s.file_complaint(&filing)?.to_string());
    let step = |to, note: &str, answer: Option<&str>, today: &str| -> Result<Transition> {
        Ok(Transition {
            code: code.clone(),
            to,
            actor: "王办事员".into(),
            note: note.into(),
            answer: answer.map(str::to_string),
            at: 1_790_100_000,
            today: today.parse()?,
        })
    };
    for (to, note, answer, today) in [
        (ComplaintStatus::InProgress, "", None, "2026-11-03"),
        (
            ComplaintStatus::Clarifying,
            "请补充姓名",
            None,
            "2026-11-04",
        ),
        (ComplaintStatus::InProgress, "已补正", None, "2026-11-09"),
        (ComplaintStatus::Extended, "需核查", None, "2026-11-10"),
        (ComplaintStatus::Extended, "再延", None, "2026-11-11"),
        (ComplaintStatus::Answered, "", None, "2026-11-12"),
        (
            ComplaintStatus::Answered,
            "",
            Some("已核实，名单已更正。"),
            "2026-11-12",
        ),
    ] {
        let r = s.complaint_transition(&step(to, note, answer, today)?, &calendar);
        say(
            &format!("{to:?}"),
            match r {
                Ok(st) => format!("{st:?}"),
                Err(e) => format!("refused: {e}"),
            },
        );
    }
    say("status", format!("{:?}", s.complaint_status(&code)?));
    say(
        "list",
        format!("{:?}", s.complaints(Some("石桥镇人民政府"))?),
    );
    say("other office", format!("{:?}", s.complaints(Some("别处"))?));
    let detail = s.complaint_detail(&code)?;
    say("detail", format!("{detail:?}"));
    say(
        "answer on the board",
        format!(
            "{:?}",
            s.item_body(&village, ContentKind::Answer, code.as_str())?
        ),
    );

    // Imports and drafts, review.
    let import = s.save_import(&ImportRecord {
        id: 0,
        user_id: cadre,
        scope: village.clone(),
        list_kind: "subsidy".into(),
        filename: "名单.xlsx".into(),
        meta: "{}".into(),
        mapping: None,
        upload: Some(vec![1, 2, 3, 0, 255]),
        status: "preview".into(),
        created_at: 1_790_000_000,
        draft: None,
    })?;
    s.set_import_mapping(import, "{\"name\":0}")?;
    say("import", format!("{:?}", s.import(import)?));
    let draft = NewDraft {
        scope: village.clone(),
        title: "停水通知".into(),
        summary: "通知".into(),
        source: "kiosk:kiosk-a".into(),
        author_id: cadre,
        edits: vec![Edit::put(ContentKind::Notice, "water", &notice(9, 0))],
        client_id: Some("client-1".into()),
    };
    let d = s.submit_draft(&draft)?;
    say(
        "draft again is the same",
        (s.submit_draft(&draft)? == d).to_string(),
    );
    s.finish_import(import, "submitted", Some(d))?;
    let blank = |mut r: gongkai_store::DraftRow| {
        r.created_at = 0;
        r.reviewed_at = r.reviewed_at.map(|_| 0);
        r
    };
    say(
        "drafts",
        format!(
            "{:?}",
            s.drafts("419901", 10)?
                .into_iter()
                .map(blank)
                .collect::<Vec<_>>()
        ),
    );
    let cadre_user = s.user(cadre)?.context_none()?;
    let reviewer_user = s.user(reviewer)?.context_none()?;
    say(
        "own review",
        format!(
            "{:?}",
            s.review_draft(d, &cadre_user, true, "")
                .map(blank)
                .map_err(|e| e.to_string())
        ),
    );
    say(
        "approved",
        format!(
            "{:?}",
            s.review_draft(d, &reviewer_user, true, "")
                .map(blank)
                .map_err(|e| e.to_string())
        ),
    );
    say(
        "twice",
        format!(
            "{:?}",
            s.review_draft(d, &reviewer_user, false, "不行")
                .map(blank)
                .map_err(|e| e.to_string())
        ),
    );
    say("import after", format!("{:?}", s.import(import)?));
    say(
        "by author",
        format!(
            "{:?}",
            s.drafts_by(cadre, 10)?
                .into_iter()
                .map(blank)
                .collect::<Vec<_>>()
        ),
    );
    let (row, edits) = s.draft(d)?.context_none()?;
    say("draft", format!("{:?} {edits:?}", blank(row)));
    say(
        "published as the author's",
        format!(
            "{:?}",
            s.item_history(&village, ContentKind::Notice, "water")?
                .iter()
                .map(|e| (e.actor.clone(), e.draft))
                .collect::<Vec<_>>()
        ),
    );

    // Cadre codes: one use.
    s.issue_cadre_code("code-hash", cadre, &village, Some("kiosk-a"), i64::MAX / 2)?;
    say(
        "wrong kiosk",
        format!(
            "{:?}",
            s.redeem_cadre_code(
                "code-hash",
                &village,
                "kiosk-b",
                "ks-0",
                now(),
                i64::MAX / 2
            )?
        ),
    );
    say(
        "redeemed",
        format!(
            "{:?}",
            s.redeem_cadre_code(
                "code-hash",
                &village,
                "kiosk-a",
                "ks-1",
                now(),
                i64::MAX / 2
            )?
        ),
    );
    say(
        "not twice",
        format!(
            "{:?}",
            s.redeem_cadre_code(
                "code-hash",
                &village,
                "kiosk-a",
                "ks-2",
                now(),
                i64::MAX / 2
            )?
        ),
    );
    say(
        "kiosk session",
        format!("{:?}", s.kiosk_session("ks-1", now())?),
    );

    // The fleet.
    s.issue_enroll_token(
        "enroll-hash",
        "kiosk-a",
        &village,
        reviewer,
        1_790_000_000,
        1_790_600_000,
    )?;
    s.issue_enroll_token(
        "enroll-2",
        "kiosk-b",
        &village,
        reviewer,
        1_790_000_001,
        1_790_600_000,
    )?;
    say(
        "pending",
        format!("{:?}", s.pending_enrollments("4199", 1_790_000_100)?),
    );
    say(
        "enrolled",
        format!(
            "{:?}",
            s.enroll_kiosk("enroll-hash", "kiosk-a", "key-a", "1.0", 1_790_000_200)?
        ),
    );
    say(
        "retry, same key",
        format!(
            "{:?}",
            s.enroll_kiosk("enroll-hash", "kiosk-a", "key-a", "1.0", 1_790_000_300)?
        ),
    );
    say(
        "other key",
        format!(
            "{:?}",
            s.enroll_kiosk("enroll-hash", "kiosk-a", "key-x", "1.0", 1_790_000_300)?
        ),
    );
    say(
        "pending after",
        format!("{:?}", s.pending_enrollments("4199", 1_790_000_400)?),
    );
    // Codes that cannot collide: a namespace once, then always the same; a code reserved
    // or used once is never reserved again.
    say(
        "code namespace",
        format!("{:?}", s.code_namespace("kiosk-a", 4242)?),
    );
    say(
        "code namespace again",
        format!("{:?}", s.code_namespace("kiosk-a", 77)?),
    );
    say(
        "codes reserved",
        format!(
            "{:?}",
            s.reserve_codes(
                "kiosk-a",
                &["AAAAAAAA0".into(), "BBBBBBBB0".into()],
                1_790_000_500
            )?
        ),
    );
    say(
        "codes reserved twice",
        format!(
            "{:?}",
            s.reserve_codes(
                "kiosk-b",
                &["AAAAAAAA0".into(), "CCCCCCCC0".into()],
                1_790_000_500
            )?
        ),
    );
    let entry = |seq: u64, event| DisplayEntry {
        seq,
        at: 1_790_000_000 + seq as i64 * 300,
        event,
        items: vec![ShownItem {
            kind: "relocation_board".into(),
            scope: village.to_string(),
            id: "b1".into(),
            hash: "ab".repeat(32),
        }],
        prev_hash: format!("prev-{seq}"),
        hash: format!("hash-{seq}"),
        signature: format!("sig-{seq}"),
    };
    let first = [entry(1, DisplayEvent::Start), entry(2, DisplayEvent::Alive)];
    let beat = |counter, after_seq, entries: &[DisplayEntry]| -> Result<bool> {
        Ok(s.save_heartbeat(&HeartbeatWrite {
            kiosk_id: "kiosk-a",
            key: "key-a",
            counter,
            now: 1_790_001_000 + counter as i64,
            app_version: "1.0",
            report: "{\"rss\":1}",
            after_seq,
            entries,
            rss_bytes: 300_000_000 + counter * 1_000_000,
            uptime_secs: counter * 60,
        })?)
    };
    say("beat", beat(5, 0, &first)?.to_string());
    say("replayed", beat(5, 2, &[])?.to_string());
    say("moved log", beat(6, 0, &[])?.to_string());
    say(
        "next",
        beat(7, 2, &[entry(3, DisplayEvent::ScreenOff)])?.to_string(),
    );
    say("keys", format!("{:?}", s.display_keys("kiosk-a")?));
    say("memory", format!("{:?}", s.memory_samples("kiosk-a", 0)?));
    say(
        "log",
        format!("{:?}", s.display_log("kiosk-a", "key-a", 2, 10)?),
    );
    s.set_remote_config(
        "kiosk-a",
        &RemoteConfig {
            kiosk_id: "kiosk-a".into(),
            version: 3,
            poll_interval_secs: Some(60),
            idle_timeout_secs: None,
            display_hours: Some(DisplayHours {
                on_minute: 360,
                off_minute: 1320,
            }),
            care_mode_default: Some(true),
            public_url: Some("https://gk.yunxi.example".into()),
        },
    )?;
    s.want_screenshot("kiosk-a", 1_790_002_000)?;
    say("kiosk", format!("{:?}", s.kiosk("kiosk-a")?));
    s.save_screenshot("kiosk-a", &[137, 80, 78, 71, 0, 1], 1_790_002_100)?;
    say("screenshot", format!("{:?}", s.screenshot("kiosk-a")?));
    say("no screenshot", format!("{:?}", s.screenshot("kiosk-b")?));
    say("kiosks", format!("{:?}", s.kiosks("419901")?));
    say(
        "raise",
        s.raise_alert("kiosk-a", "offline", "离线 12 分钟", 1_790_003_000)?
            .to_string(),
    );
    say(
        "raise again",
        s.raise_alert("kiosk-a", "offline", "离线 13 分钟", 1_790_003_060)?
            .to_string(),
    );
    say(
        "clear",
        s.clear_alert("kiosk-a", "offline", 1_790_003_600)?
            .to_string(),
    );
    say(
        "clear again",
        s.clear_alert("kiosk-a", "offline", 1_790_003_601)?
            .to_string(),
    );
    say(
        "raise anew",
        s.raise_alert("kiosk-a", "offline", "离线", 1_790_004_000)?
            .to_string(),
    );
    say("alerts", format!("{:?}", s.alerts(0)?));
    say(
        "first change after",
        format!("{:?}", s.first_change_after(village.as_str(), 0)?.is_some()),
    );
    say(
        "none after head",
        format!("{:?}", s.first_change_after(village.as_str(), 1_000_000)?),
    );
    s.publish_release("gongkai-kiosk", "1.1.0", "{\"v\":\"1.1.0\"}", 1_790_005_000)?;
    s.publish_release("gongkai-kiosk", "1.0.9", "{\"v\":\"1.0.9\"}", 1_790_005_000)?;
    say(
        "latest release",
        format!("{:?}", s.latest_release("gongkai-kiosk")?),
    );
    say("no release", format!("{:?}", s.latest_release("other")?));
    // The webhook queue: claimed once, retried when due, done.
    s.queue_webhook("{\"a\":1}", 1_790_006_000)?;
    s.queue_webhook("{\"b\":2}", 1_790_006_001)?;
    say(
        "claimed",
        format!("{:?}", s.claim_webhooks(1_790_006_010, 1_790_006_600, 10)?),
    );
    say(
        "leased",
        format!("{:?}", s.claim_webhooks(1_790_006_020, 1_790_006_600, 10)?),
    );
    s.webhook_result(1, true, 1_790_006_030, 0)?;
    s.webhook_result(2, false, 1_790_006_030, 1_790_006_090)?;
    say("waiting", s.webhooks_waiting()?.to_string());
    say(
        "not yet",
        format!("{:?}", s.claim_webhooks(1_790_006_060, 1_790_006_700, 10)?),
    );
    say(
        "again",
        format!("{:?}", s.claim_webhooks(1_790_006_100, 1_790_006_700, 10)?),
    );
    Ok(out)
}

trait ContextNone<T> {
    fn context_none(self) -> Result<T>;
}

impl<T> ContextNone<T> for Option<T> {
    fn context_none(self) -> Result<T> {
        self.ok_or_else(|| anyhow::anyhow!("missing"))
    }
}

#[test]
fn every_record_the_server_keeps_behaves_the_same_on_both() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let sqlite = SqliteStore::open(&tmp.path().join("server.sqlite"))?;
    let server = TestPostgres::start()?;
    let pgs = PgStore::open(&server.database("records")?, 4)?;
    let a = records_script(&sqlite)?;
    let b = records_script(&pgs)?;
    assert!(a.len() > 60, "the script ran: {} answers", a.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "SQLite (left) and PostgreSQL (right) differ");
    }
    assert_eq!(a.len(), b.len());
    // The script's answers are the right ones, not only the same ones.
    let find = |what: &str| {
        a.iter()
            .find(|l| l.starts_with(&format!("{what}: ")))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(find("filed again"), "filed again: false");
    let extensions: Vec<&String> = a.iter().filter(|l| l.starts_with("Extended: ")).collect();
    assert!(
        extensions.len() == 2
            && !extensions[0].contains("refused")
            && extensions[1].contains("refused"),
        "{extensions:?}"
    );
    assert!(find("answer on the board").contains("已核实"));
    assert!(find("own review").contains("不能审核自己"));
    assert!(find("twice").contains("已经审核过"));
    assert_eq!(find("not twice"), "not twice: None");
    assert_eq!(find("other key"), "other key: None");
    assert_eq!(find("replayed"), "replayed: false");
    assert_eq!(find("raise again"), "raise again: false");
    assert!(find("latest release").contains("1.0.9"), "published last");
    assert_eq!(find("leased"), "leased: []");
    assert!(
        find("again").starts_with("again: [(2, ") && find("again").ends_with(", 2)]"),
        "{}",
        find("again")
    );
    Ok(())
}

/// The store's answers are compared at the machine's time, as a server reads it.
fn now() -> i64 {
    gongkai_server::Clock::system().unix()
}
