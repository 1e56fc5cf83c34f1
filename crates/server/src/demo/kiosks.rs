//! Kiosk configuration files for the demo county, one per village plus one for the county
//! service hall, in the format documented in kiosk-config/README.md.

use super::{COUNTY, TOWNSHIPS};
use gongkai_protocol::PublicKey;
use std::fmt::Write as _;
use std::path::Path;

fn config(kiosk_id: &str, url: &str, key: &PublicKey, scope: &[(&str, &str, &str)]) -> String {
    let mut out = format!(
        "# Gongkai kiosk configuration, written by `gongkai-server demo`.\n\
         # Fields are documented in kiosk-config/README.md.\n\
         kiosk_id = \"{kiosk_id}\"\n\
         server_url = \"{url}\"\n\
         server_public_key = \"{}\"\n\
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

/// Writes `DIR/<code>.toml` for every demo village and `DIR/county-hall.toml`.
pub fn write_configs(dir: &Path, url: &str, key: &PublicKey) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut n = 0;
    let county = ("county", COUNTY.0, COUNTY.1);
    std::fs::write(
        dir.join("county-hall.toml"),
        config(&format!("{}-hall-01", COUNTY.0), url, key, &[county]),
    )?;
    n += 1;
    for (t_code, t_name, villages) in TOWNSHIPS {
        for (v_code, v_name) in *villages {
            let text = config(
                &format!("{v_code}-01"),
                url,
                key,
                &[
                    county,
                    ("township", t_code, t_name),
                    ("village", v_code, v_name),
                ],
            );
            std::fs::write(dir.join(format!("{v_code}.toml")), text)?;
            n += 1;
        }
    }
    Ok(n)
}
