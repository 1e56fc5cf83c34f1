//! The public phone pages (`/m/`) against a real server on loopback and a real kiosk
//! engine: the village page shows what the village's kiosk shows (the same notices in the
//! same order, the same signature time and 内容指纹), a notice leaves both at the second it
//! expires, a withdrawn one says 已撤回 with its entry in the public record, 查我的补贴 finds
//! only the asker's own rows and cannot be walked, and a filing is found by its code on
//! its own village's page only. Run on fixed dates (year end, a leap day).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use gongkai_kiosk::views::ComplaintDraft;
use gongkai_kiosk::Kiosk;
use gongkai_model::calendar::beijing_reading;
use gongkai_model::complaint::ComplaintKind;
use gongkai_model::{idcard, ContentKind, Notice, ScopeId, SubsidyList, SubsidyRow};
use gongkai_server::{Clock, RateLimits, Store};
use gongkai_store::Edit;
use gongkai_tests::{enrolled_config_text, village_config_text, TestServer};

const VILLAGE: &str = "419901102201";
const OTHER_VILLAGE: &str = "419901102202";

struct Page {
    status: u16,
    body: String,
    location: Option<String>,
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn get(server: &TestServer, path: &str) -> Page {
    answer(client().get(format!("{}{}", server.url().trim_end_matches('/'), path)))
}

fn post(server: &TestServer, path: &str, form: &[(&str, &str)]) -> Page {
    answer(
        client()
            .post(format!("{}{}", server.url().trim_end_matches('/'), path))
            .form(form),
    )
}

fn answer(request: reqwest::blocking::RequestBuilder) -> Page {
    let r = request.send().unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Page {
        status,
        body: r.text().unwrap(),
        location,
    }
}

/// The titles of the entries of a list page, in order.
fn titles(body: &str) -> Vec<String> {
    let Some(start) = body.find("<ul class=\"entries\">") else {
        return vec![];
    };
    let list = &body[start..start + body[start..].find("</ul>").unwrap()];
    list.split("<span class=\"title\">")
        .skip(1)
        .map(|s| s[..s.find("</span>").unwrap()].to_string())
        .collect()
}

fn at(date: NaiveDate) -> DateTime<Utc> {
    // 09:30 in Beijing.
    Utc.from_utc_datetime(&date.and_hms_opt(1, 30, 0).unwrap())
}

fn notice(title: &str, publish_at: DateTime<Utc>, expire_at: Option<DateTime<Utc>>) -> Notice {
    Notice {
        title: title.into(),
        publisher: "石桥村村民委员会".into(),
        body_html: "<p>请各户按时参加。</p>".into(),
        publish_at,
        expire_at,
        images: vec![],
    }
}

fn village_kiosk(server: &TestServer, dir: &std::path::Path) -> Result<Kiosk> {
    let text = village_config_text(&server.url(), &server.public_key_b64()?, None, VILLAGE);
    Ok(Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&text, "test")?,
        dir,
    )?)
}

fn the_village_page_is_the_village_kiosk_on(date: NaiveDate) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let clock = Clock::fixed(at(date));
    let server = TestServer::demo_at(tmp.path(), clock.clone())?;
    let store = server.store()?;
    let village = ScopeId::parse(VILLAGE)?;

    // A notice that expires in ten minutes, and one to withdraw.
    let now = clock.now();
    store.publish(
        &village,
        &[
            Edit::put(
                ContentKind::Notice,
                "m-expiring",
                &notice(
                    "停水通知（今天上午）",
                    now - Duration::hours(1),
                    Some(now + Duration::minutes(10)),
                ),
            ),
            Edit::put(
                ContentKind::Notice,
                "m-withdrawn",
                &notice("误发的通知", now - Duration::hours(2), None),
            ),
        ],
    )?;
    store.publish(
        &village,
        &[Edit::delete(ContentKind::Notice, "m-withdrawn")],
    )?;
    let (withdrawal_entry, _) = store.changelog_head()?;

    let kiosk = village_kiosk(&server, &tmp.path().join("kiosk"))?;
    kiosk.sync_once(now)?;
    let status = kiosk.status(now)?;
    let fingerprint = status.fingerprint.clone().expect("synced");
    let as_of = DateTime::parse_from_rfc3339(status.data_as_of.as_deref().unwrap())?;

    let home = get(&server, &format!("/m/{VILLAGE}"));
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains(&fingerprint),
        "{date}: fingerprint {fingerprint} not on the page"
    );
    assert!(
        home.body.contains(&format!(
            "数据更新于 <strong>{}</strong>",
            beijing_reading(as_of.timestamp())
        )),
        "{date}: the page's signature time is not the kiosk's {as_of}"
    );
    for kind in [
        ContentKind::Notice,
        ContentKind::Disclosure,
        ContentKind::Finance,
        ContentKind::Guide,
    ] {
        let on_kiosk: Vec<String> = kiosk
            .list(kind, None, 0, 500, now)?
            .entries
            .into_iter()
            .map(|e| e.title)
            .collect();
        let mut on_phone = Vec::new();
        for page in 0.. {
            let p = get(&server, &format!("/m/{VILLAGE}/{}?page={page}", kind.key()));
            assert_eq!(p.status, 200);
            let t = titles(&p.body);
            on_phone.extend(t);
            if !p.body.contains("下一页") {
                break;
            }
        }
        assert_eq!(on_phone, on_kiosk, "{date}: {kind:?} differ");
    }
    let notices = titles(&get(&server, &format!("/m/{VILLAGE}/notice")).body);
    assert!(notices.contains(&"停水通知（今天上午）".to_string()));
    assert!(!notices.contains(&"误发的通知".to_string()));

    // Expired: gone from the kiosk and the phone at the same second.
    clock.set(now + Duration::minutes(10));
    let later = clock.now();
    let on_kiosk = kiosk.list(ContentKind::Notice, None, 0, 500, later)?;
    assert!(!on_kiosk.entries.iter().any(|e| e.id == "m-expiring"));
    assert!(!titles(&get(&server, &format!("/m/{VILLAGE}/notice")).body)
        .contains(&"停水通知（今天上午）".to_string()));
    let expired = get(
        &server,
        &format!("/m/{VILLAGE}/notice/{VILLAGE}/m-expiring"),
    );
    assert!(expired.body.contains("到期，不再公示"), "{}", expired.body);
    assert!(!expired.body.contains("请各户按时参加"));
    clock.set(later - Duration::seconds(1));
    assert!(titles(&get(&server, &format!("/m/{VILLAGE}/notice")).body)
        .contains(&"停水通知（今天上午）".to_string()));

    // Withdrawn: said, with the record's entry, not a missing page.
    let w = get(
        &server,
        &format!("/m/{VILLAGE}/notice/{VILLAGE}/m-withdrawn"),
    );
    assert_eq!(w.status, 200);
    assert!(w.body.contains("已撤回"), "{}", w.body);
    assert!(
        w.body
            .contains(&format!("公开记录第 {withdrawal_entry} 条")),
        "{}",
        w.body
    );
    assert!(w.body.contains("误发的通知"));
    // Never published at all: missing. Another village's item through this village: missing.
    assert_eq!(
        get(&server, &format!("/m/{VILLAGE}/notice/{VILLAGE}/no-such")).status,
        404
    );
    assert_eq!(
        get(
            &server,
            &format!("/m/{VILLAGE}/notice/{OTHER_VILLAGE}/notice-1")
        )
        .status,
        404
    );
    assert_eq!(get(&server, "/m/12345/notice").status, 404);
    assert_eq!(
        get(&server, &format!("/m/{VILLAGE}/subsidy_row")).status,
        404
    );

    // What a first visit costs: the page and its stylesheet, as sent compressed.
    let mut bytes = 0;
    for path in [format!("/m/{VILLAGE}"), "/m/m.css".to_string()] {
        let r = client()
            .get(format!("{}{}", server.url().trim_end_matches('/'), path))
            .header("accept-encoding", "gzip")
            .send()?;
        bytes += r.bytes()?.len();
    }
    assert!(bytes < 100 * 1024, "first page {bytes} bytes");
    println!("{date}: first page {bytes} bytes with its stylesheet (gzip)");
    Ok(())
}

#[test]
fn the_village_page_shows_what_the_village_kiosk_shows_at_year_end() -> Result<()> {
    the_village_page_is_the_village_kiosk_on(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap())
}

#[test]
fn the_village_page_shows_what_the_village_kiosk_shows_on_a_leap_day() -> Result<()> {
    the_village_page_is_the_village_kiosk_on(NaiveDate::from_ymd_opt(2028, 2, 29).unwrap())
}

#[test]
fn a_resident_finds_only_their_own_rows_and_a_list_cannot_be_walked() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let clock = Clock::fixed(at(NaiveDate::from_ymd_opt(2027, 2, 7).unwrap()));
    let limit = 12;
    let server = TestServer::demo_with(tmp.path(), clock.clone(), |s| gongkai_server::AppState {
        rate: RateLimits {
            lookups_per_10_min: limit,
            ..RateLimits::default()
        },
        ..s
    })?;
    let store = server.store()?;
    let township = ScopeId::parse(&VILLAGE[..9])?;
    let village = ScopeId::parse(VILLAGE)?;
    let lists = |scope: &ScopeId| -> Result<Vec<(String, SubsidyList)>> {
        Ok(store
            .items_of_kind(scope, ContentKind::SubsidyList)?
            .into_iter()
            .map(|(id, b)| (id, serde_json::from_str(&b).unwrap()))
            .collect())
    };
    let (grain_id, grain) = lists(&township)?
        .into_iter()
        .find(|(_, l)| !l.shown_in_full)
        .unwrap();
    let (dibao_id, dibao) = lists(&village)?
        .into_iter()
        .find(|(_, l)| l.shown_in_full)
        .unwrap();
    let rows: Vec<SubsidyRow> = store
        .items_of_kind(&township, ContentKind::SubsidyRow)?
        .into_iter()
        .map(|(_, b)| serde_json::from_str::<SubsidyRow>(&b).unwrap())
        .filter(|r| r.list_id == grain_id)
        .collect();
    let me = rows[7].clone();
    let tail = idcard::tail(&me.id_masked);
    let mut used = 0;

    // By whole name and by initials: my row, with its amount.
    for who in [me.name.clone(), gongkai_model::names::initials(&me.name)] {
        let p = post(
            &server,
            &format!("/m/{VILLAGE}/find"),
            &[("who", &who), ("tail", &tail)],
        );
        used += 1;
        assert_eq!(p.status, 200);
        assert!(p.body.contains(&me.id_masked), "{who}: {}", p.body);
        assert!(p.body.contains(&me.amount.to_string()), "{who}");
        // Nobody else's row: every masked ID on the page is mine.
        let others = rows
            .iter()
            .filter(|r| r.id_masked != me.id_masked && p.body.contains(&r.id_masked))
            .count();
        assert_eq!(others, 0, "{who}: another person's row on the page");
    }
    // A part of the name, or the tail alone: nothing.
    let first: String = me.name.chars().take(1).collect();
    let p = post(
        &server,
        &format!("/m/{VILLAGE}/find"),
        &[("who", &first), ("tail", &tail)],
    );
    assert!(p.body.contains("请输入完整姓名"), "{}", p.body);
    assert!(!p.body.contains(&me.id_masked));
    let p = post(
        &server,
        &format!("/m/{VILLAGE}/find"),
        &[("who", &me.name), ("tail", "")],
    );
    assert!(p.body.contains("请输入身份证号的最后4位"));
    // Another name with my tail: not found, and nothing about me.
    let p = post(
        &server,
        &format!("/m/{VILLAGE}/find"),
        &[("who", "欧阳不存在"), ("tail", &tail)],
    );
    used += 1;
    assert!(p.body.contains("没有找到"), "{}", p.body);
    assert!(!p.body.contains(&me.id_masked));

    // The grain list is searched, not browsed; the 低保 list was published whole.
    let grain_page = get(
        &server,
        &format!("/m/{VILLAGE}/subsidy_list/{township}/{grain_id}"),
    );
    assert_eq!(grain_page.status, 200);
    assert!(grain_page.body.contains(&grain.issuer));
    assert!(!rows.iter().any(|r| grain_page.body.contains(&r.id_masked)));
    let dibao_rows: Vec<SubsidyRow> = store
        .items_of_kind(&village, ContentKind::SubsidyRow)?
        .into_iter()
        .map(|(_, b)| serde_json::from_str::<SubsidyRow>(&b).unwrap())
        .filter(|r| r.list_id == dibao_id)
        .collect();
    let dibao_page = get(
        &server,
        &gongkai_server::public::item_path(VILLAGE, "subsidy_list", VILLAGE, &dibao_id),
    );
    assert_eq!(dibao_page.status, 200, "{}", dibao_page.body);
    assert!(dibao_page.body.contains(&dibao.issuer));
    assert!(dibao_rows
        .iter()
        .all(|r| dibao_page.body.contains(&r.id_masked)));

    // Guessing is counted per address: the page refuses, in Chinese, once over the limit.
    let mut refused = None;
    for i in used..limit + 2 {
        let p = post(
            &server,
            &format!("/m/{VILLAGE}/find"),
            &[("who", "王建国"), ("tail", &format!("{:04}", i))],
        );
        if p.status == 429 {
            refused = Some((i, p.body));
            break;
        }
    }
    let (at_try, body) = refused.expect("never refused");
    assert_eq!(at_try, limit, "refused at the wrong count");
    assert!(body.contains("查询太频繁"));
    Ok(())
}

#[test]
fn a_filing_is_found_by_its_code_on_its_own_village_page_only() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let clock = Clock::fixed(at(NaiveDate::from_ymd_opt(2027, 2, 6).unwrap()));
    let server = TestServer::demo_at(tmp.path(), clock.clone())?;
    let now = clock.now();
    let store = server.store()?;
    let text = enrolled_config_text(
        &store,
        &server.url(),
        &server.public_key_b64()?,
        None,
        VILLAGE,
        now.timestamp(),
    )?;
    let kiosk = Kiosk::open(
        gongkai_kiosk::KioskConfig::parse(&text, "test")?,
        &tmp.path().join("kiosk"),
    )?;
    kiosk.sync_once(now)?;
    let receipt = kiosk.submit_complaint(
        &ComplaintDraft {
            kind: ComplaintKind::Complaint,
            scope: String::new(),
            subject: "村道路灯<b>不亮</b>".into(),
            text: "村东头到学校的路灯坏了两个月，晚上孩子放学不安全。".into(),
            name: "王建国".into(),
            phone: "13937012345".into(),
            on_behalf: false,
        },
        now,
    )?;
    kiosk.sync_once(now)?;
    let code = gongkai_model::complaint::TrackingCode::parse(&receipt.code)?;
    assert!(store.complaint_status(&code)?.is_some(), "not uploaded");

    let page = get(&server, &format!("/m/{VILLAGE}/track/{}", code.as_str()));
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&code.display()), "{}", page.body);
    assert!(
        page.body.contains("村道路灯&lt;b&gt;不亮&lt;/b&gt;"),
        "subject not escaped"
    );
    // Nothing personal on a public page.
    assert!(!page.body.contains("王建国") && !page.body.contains("13937012345"));
    assert!(!page.body.contains("路灯坏了两个月"));

    // Typed loosely: lower case, no dashes, O for 0 — led to the same page.
    let loose = code.as_str().to_ascii_lowercase().replace('0', "o");
    let p = get(&server, &format!("/m/{VILLAGE}/track?code={loose}"));
    assert_eq!(p.status, 303);
    assert_eq!(
        p.location.as_deref(),
        Some(format!("/m/{VILLAGE}/track/{}", code.as_str()).as_str())
    );

    // Another village's page: exactly what a code that does not exist gets.
    let elsewhere = get(
        &server,
        &format!("/m/{OTHER_VILLAGE}/track/{}", code.as_str()),
    );
    let missing_code = gongkai_tests::code_from(987_654);
    let missing = get(
        &server,
        &format!("/m/{OTHER_VILLAGE}/track/{}", missing_code.as_str()),
    );
    assert_eq!(elsewhere.status, missing.status);
    assert!(elsewhere.body.contains("没有找到这个查询码"));
    assert!(!elsewhere.body.contains("村道路灯"));
    let strip = |b: &str, c: &str| b.replace(c, "CODE");
    assert_eq!(
        strip(&elsewhere.body, code.as_str()),
        strip(&missing.body, missing_code.as_str())
    );
    // The township's page covers its villages.
    let township = get(
        &server,
        &format!("/m/{}/track/{}", &VILLAGE[..9], code.as_str()),
    );
    assert!(township.body.contains(&code.display()));
    Ok(())
}
