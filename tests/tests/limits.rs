//! Rate limits on what anyone can reach: code lookups per address, filing uploads per
//! kiosk, and password guessing across accounts from one address. Counted in the
//! database, so they hold across server instances.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gongkai_model::complaint::ComplaintKind;
use gongkai_model::ScopeId;
use gongkai_protocol::complaints::ComplaintUpload;
use gongkai_tests::console::ConsoleClient;
use gongkai_tests::TestServer;

#[test]
fn lookups_uploads_and_login_guessing_are_limited() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::demo(tmp.path()).unwrap();
    let url = server.url();
    let http = reqwest::blocking::Client::new();

    // Guessing codes: 120 lookups in ten minutes, then 429 with a Chinese message.
    let code = gongkai_tests::code_from(0x12_3456_789A).display();
    for _ in 0..120 {
        let r = http
            .get(format!("{url}v1/complaints/{code}"))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
    }
    let r = http
        .get(format!("{url}v1/complaints/{code}"))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["message"], "请求过于频繁，请稍后再试");

    // A flood of uploads from one enrolled kiosk (signed with its own key: unsigned ones
    // are refused before they count).
    let dir = tmp.path().join("kiosk");
    let config = gongkai_kiosk::KioskConfig::parse(
        &server.enrolled_config_text("419901102201", None).unwrap(),
        "t",
    )
    .unwrap();
    let kiosk_id = config.kiosk_id.clone();
    let kiosk = gongkai_kiosk::Kiosk::open(config, &dir).unwrap();
    kiosk.fleet_round(chrono::Utc::now()).unwrap();
    let key = gongkai_protocol::SigningKey::from_base64(
        &std::fs::read_to_string(dir.join("kiosk.key")).unwrap(),
    )
    .unwrap();
    let mut last = 0;
    for i in 0..301u64 {
        let upload = ComplaintUpload {
            client_uuid: format!("flood-{i}"),
            code: gongkai_tests::code_from((i + 1) * 8),
            kiosk_id: kiosk_id.clone(),
            kind: ComplaintKind::Suggestion,
            scope: ScopeId::parse("419901102201").unwrap(),
            subject: "测试".into(),
            text: "灌水".into(),
            sealed_contact: None,
            filed_at: 1_790_000_000,
            cadre_session: None,
        };
        let body = serde_json::to_vec(&upload).unwrap();
        let sig = key.sign(&gongkai_protocol::fleet::request_signing_bytes(
            &kiosk_id,
            "/v1/complaints",
            &body,
        ));
        last = http
            .post(format!("{url}v1/complaints"))
            .header(gongkai_protocol::fleet::KIOSK_HEADER, &kiosk_id)
            .header(gongkai_protocol::fleet::SIGNATURE_HEADER, sig)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap()
            .status()
            .as_u16();
        if last == 429 {
            assert_eq!(i, 300, "limited too early");
        }
    }
    assert_eq!(last, 429);

    // Password spraying: 30 failures from one address across accounts, then even a
    // correct password from that address is refused for the window.
    let mut c = ConsoleClient::new(&url);
    for i in 0..30 {
        let a = c.login(&format!("nobody{i}"), "guess");
        assert_eq!(a.status, 401);
    }
    let a = c.login("county", gongkai_server::demo::DEMO_PASSWORD);
    assert_eq!(a.status, 429);
}
