//! Kiosk configuration files for the demo county, one per village plus one for the county
//! service hall, in the format documented in kiosk-config/README.md.

use super::{COUNTY, TOWNSHIPS};
use gongkai_model::ScopeId;
use gongkai_protocol::PublicKey;
use gongkai_store::Store;
use std::fmt::Write as _;
use std::path::Path;

fn config(
    kiosk_id: &str,
    url: &str,
    key: &PublicKey,
    token: &str,
    scope: &[(&str, &str, &str)],
) -> String {
    let mut out = format!(
        "# Gongkai kiosk configuration, written by `gongkai-server demo`.\n\
         # Fields are documented in kiosk-config/README.md.\n\
         kiosk_id = \"{kiosk_id}\"\n\
         server_url = \"{url}\"\n\
         server_public_key = \"{}\"\n\
         # The public phone pages, which the QR codes on screen and on receipts open.\n\
         public_url = \"{url}\"\n\
         # One-time token: the kiosk enrolls in the fleet (公开屏管理) with it on first start.\n\
         enrollment_token = \"{token}\"\n\
         poll_interval_secs = 30\n\
         idle_timeout_secs = 90\n\n[scope]\n",
        key.to_base64()
    );
    for (level, code, name) in scope {
        let _ = writeln!(out, "{level} = \"{code}\"\n{level}_name = \"{name}\"");
    }
    out.push_str("\n[display]\norientation = \"landscape\"\ncare_mode_default = false\n");
    out
}

/// Writes `DIR/<code>.toml` for every demo village and `DIR/county-hall.toml`, each with
/// an enrollment token issued in `store` (30 days), so a demo kiosk joins the fleet.
pub fn write_configs(
    dir: &Path,
    url: &str,
    key: &PublicKey,
    store: &dyn Store,
    now: i64,
) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut n = 0;
    let county = ("county", COUNTY.0, COUNTY.1);
    let mut write = |file: String, kiosk_id: String, scope: &str, levels: &[(&str, &str, &str)]| {
        let token = gongkai_api::fleet::issue_enrollment(
            store,
            &kiosk_id,
            &ScopeId::parse(scope)?,
            0,
            now,
            gongkai_api::fleet::ENROLLMENT_DAYS,
        )?;
        std::fs::write(dir.join(file), config(&kiosk_id, url, key, &token, levels))?;
        n += 1;
        anyhow::Ok(())
    };
    write(
        "county-hall.toml".into(),
        format!("{}-hall-01", COUNTY.0),
        COUNTY.0,
        &[county],
    )?;
    for (t_code, t_name, villages) in TOWNSHIPS {
        for (v_code, v_name) in *villages {
            write(
                format!("{v_code}.toml"),
                format!("{v_code}-01"),
                v_code,
                &[
                    county,
                    ("township", t_code, t_name),
                    ("village", v_code, v_name),
                ],
            )?;
        }
    }
    Ok(n)
}
