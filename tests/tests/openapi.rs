//! API conformance: schemathesis (from PyPI, installed by scripts/setup.sh into .venv)
//! generates requests from the server's own OpenAPI document — valid, edge-case and
//! malformed — against a live server with the demo county, with and without a staff
//! token. No request may get a server error, and every response must be as documented
//! (status, content type, headers, body schema). Run by scripts/test.sh, hence `#[ignore]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gongkai_server::Store;
use gongkai_tests::{repo_root, TestServer};

#[test]
#[ignore = "needs schemathesis in .venv: run scripts/test.sh"]
fn generated_requests_get_documented_answers_and_never_a_server_error() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::demo(tmp.path()).unwrap();
    let token = gongkai_server::staff::new_token();
    server
        .store()
        .unwrap()
        .put_staff_token(
            &gongkai_server::staff::token_hash(&token),
            "测试",
            "石桥镇人民政府",
        )
        .unwrap();
    let bin = std::env::var_os("SCHEMATHESIS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/schemathesis"));
    let url = server.url();
    for auth in [None, Some(format!("Authorization: Bearer {token}"))] {
        let mut cmd = std::process::Command::new(&bin);
        cmd.arg("run")
            .arg(format!("{url}v1/openapi.json"))
            .args([
                "--checks",
                // No server error, and every answer as documented: status codes,
                // content types, headers and bodies against their schemas.
                "not_a_server_error,status_code_conformance,content_type_conformance,\
                 response_headers_conformance,response_schema_conformance",
                "--max-examples",
                "25",
                "--workers",
                "1",
            ])
            .args(["--seed", "419901"])
            .env("NO_COLOR", "1");
        if let Some(h) = &auth {
            cmd.args(["-H", h]);
        }
        let out = cmd
            .output()
            .expect("schemathesis (scripts/setup.sh installs it into .venv)");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "schemathesis found failures ({}):\n{text}\n{}",
            if auth.is_some() {
                "with a staff token"
            } else {
                "anonymous"
            },
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = text
            .lines()
            .find(|l| l.contains("generated,"))
            .unwrap_or("");
        eprintln!(
            "{}: {summary}",
            if auth.is_some() { "staff" } else { "anonymous" }
        );
    }
}
