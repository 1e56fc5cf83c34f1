//! The kiosk's TOML configuration (schema: kiosk-config/README.md). Parsing goes from the
//! raw file shape to a checked [`KioskConfig`]; every error names the field at fault.

use gongkai_model::ScopeId;
use gongkai_protocol::PublicKey;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}: field `{field}`: {message}")]
    Field {
        path: String,
        field: &'static str,
        message: String,
    },
}

/// The file as written, before any checks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    kiosk_id: String,
    server_url: String,
    server_public_key: String,
    #[serde(default)]
    data_dir: Option<PathBuf>,
    #[serde(default = "default_poll")]
    poll_interval_secs: u64,
    #[serde(default = "default_idle")]
    idle_timeout_secs: u64,
    scope: RawScope,
    #[serde(default)]
    display: RawDisplay,
    /// Where USB sticks are mounted (cadre mode picks photos there).
    #[serde(default = "default_usb_roots")]
    usb_roots: Vec<PathBuf>,
    /// Largest the content cache may grow, in MiB.
    #[serde(default)]
    cache_max_mib: Option<u64>,
    /// The one-time token from the console that enrolls this kiosk in the fleet.
    #[serde(default)]
    enrollment_token: Option<String>,
    /// The program (and arguments) that writes a PNG of the screen to stdout.
    #[serde(default)]
    screenshot_command: Option<Vec<String>>,
    /// The release key (base64 ed25519) updates must be signed with; no updates without.
    #[serde(default)]
    update_public_key: Option<String>,
    /// The base URL of the public phone pages, for the QR codes on screen and receipts;
    /// none, no QR codes (a signed remote setting may set it later).
    #[serde(default)]
    public_url: Option<String>,
}

fn default_usb_roots() -> Vec<PathBuf> {
    ["/media", "/run/media", "/mnt"]
        .iter()
        .map(PathBuf::from)
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    county: String,
    county_name: String,
    #[serde(default)]
    township: Option<String>,
    #[serde(default)]
    township_name: Option<String>,
    #[serde(default)]
    village: Option<String>,
    #[serde(default)]
    village_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisplay {
    #[serde(default)]
    orientation: Option<String>,
    #[serde(default)]
    care_mode_default: bool,
    /// "06:30-22:00": when the screen is lit (Beijing time); always when absent.
    #[serde(default)]
    hours: Option<String>,
    /// Programs (argv, no shell) that power the panel off and on when the screen goes
    /// dark and wakes, e.g. `["wlopm", "--off", "*"]` under cage; without them the dark
    /// screen is a black page.
    #[serde(default)]
    power_off: Option<Vec<String>>,
    #[serde(default)]
    power_on: Option<Vec<String>>,
}

fn default_poll() -> u64 {
    30
}
fn default_idle() -> u64 {
    90
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    Landscape,
    Portrait,
}

/// One level of the kiosk's place: code and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub scope: ScopeId,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct KioskConfig {
    pub kiosk_id: String,
    pub server_url: url::Url,
    pub server_public_key: PublicKey,
    pub data_dir: Option<PathBuf>,
    pub poll_interval_secs: u64,
    pub idle_timeout_secs: u64,
    pub county: Place,
    pub township: Option<Place>,
    pub village: Option<Place>,
    pub orientation: Orientation,
    pub care_mode_default: bool,
    pub usb_roots: Vec<PathBuf>,
    pub cache_max_mib: Option<u64>,
    pub enrollment_token: Option<String>,
    pub screenshot_command: Option<Vec<String>>,
    pub display_hours: Option<gongkai_protocol::fleet::DisplayHours>,
    /// `(off, on)` programs for the panel's power; both or neither.
    pub display_power: Option<(Vec<String>, Vec<String>)>,
    pub update_public_key: Option<PublicKey>,
    /// See `public_url` in the file: the phone pages' base URL, checked, without a
    /// trailing slash.
    pub public_url: Option<String>,
}

impl KioskConfig {
    pub fn load(path: &Path) -> Result<KioskConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        KioskConfig::parse(&text, &path.display().to_string())
    }

    /// Parses config text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<KioskConfig, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        let field = |field: &'static str, message: String| ConfigError::Field {
            path: origin.to_string(),
            field,
            message,
        };
        if raw.kiosk_id.trim().is_empty()
            || !raw
                .kiosk_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(field(
                "kiosk_id",
                "must be non-empty ASCII letters, digits, '-' or '_'".into(),
            ));
        }
        let server_url = url::Url::parse(&raw.server_url)
            .map_err(|e| field("server_url", format!("not a URL: {e}")))?;
        if !matches!(server_url.scheme(), "http" | "https") {
            return Err(field(
                "server_url",
                "must start with http:// or https://".into(),
            ));
        }
        let server_public_key = PublicKey::from_base64(&raw.server_public_key)
            .map_err(|e| field("server_public_key", e.to_string()))?;
        if !(5..=86_400).contains(&raw.poll_interval_secs) {
            return Err(field(
                "poll_interval_secs",
                "must be between 5 and 86400".into(),
            ));
        }
        if !(15..=3_600).contains(&raw.idle_timeout_secs) {
            return Err(field(
                "idle_timeout_secs",
                "must be between 15 and 3600".into(),
            ));
        }
        let scope_at = |name: &'static str, code: &str, level_len: usize| {
            let scope = ScopeId::parse(code).map_err(|e| field(name, e.to_string()))?;
            if code.len() != level_len {
                return Err(field(name, format!("must be a {level_len}-digit code")));
            }
            Ok(scope)
        };
        let county = Place {
            scope: scope_at("scope.county", &raw.scope.county, 6)?,
            name: raw.scope.county_name.clone(),
        };
        let named = |code: Option<String>,
                     name: Option<String>,
                     code_field: &'static str,
                     name_field: &'static str,
                     len: usize|
         -> Result<Option<Place>, ConfigError> {
            match (code, name) {
                (None, None) => Ok(None),
                (Some(code), Some(name)) => Ok(Some(Place {
                    scope: scope_at(code_field, &code, len)?,
                    name,
                })),
                (Some(_), None) => Err(field(name_field, "missing".into())),
                (None, Some(_)) => Err(field(code_field, "missing".into())),
            }
        };
        let township = named(
            raw.scope.township,
            raw.scope.township_name,
            "scope.township",
            "scope.township_name",
            9,
        )?;
        let village = named(
            raw.scope.village,
            raw.scope.village_name,
            "scope.village",
            "scope.village_name",
            12,
        )?;
        if let Some(t) = &township {
            if t.scope.parent().as_ref() != Some(&county.scope) {
                return Err(field("scope.township", "is not in scope.county".into()));
            }
        }
        match (&township, &village) {
            (None, Some(_)) => {
                return Err(field(
                    "scope.township",
                    "required when a village is set".into(),
                ))
            }
            (Some(t), Some(v)) if v.scope.parent().as_ref() != Some(&t.scope) => {
                return Err(field("scope.village", "is not in scope.township".into()))
            }
            _ => {}
        }
        let orientation = match raw.display.orientation.as_deref() {
            None | Some("landscape") => Orientation::Landscape,
            Some("portrait") => Orientation::Portrait,
            Some(other) => {
                return Err(field(
                    "display.orientation",
                    format!("“{other}” is not landscape or portrait"),
                ))
            }
        };
        for (name, value) in [
            ("scope.county_name", Some(&county.name)),
            ("scope.township_name", township.as_ref().map(|p| &p.name)),
            ("scope.village_name", village.as_ref().map(|p| &p.name)),
        ] {
            if value.is_some_and(|v| v.trim().is_empty()) {
                return Err(field(name, "must not be empty".into()));
            }
        }
        let display_hours = match raw.display.hours.as_deref() {
            None => None,
            Some(h) => Some(
                gongkai_protocol::fleet::DisplayHours::parse(h).ok_or_else(|| {
                    field(
                        "display.hours",
                        format!("“{h}” is not like \"06:30-22:00\""),
                    )
                })?,
            ),
        };
        let display_power = match (raw.display.power_off, raw.display.power_on) {
            (None, None) => None,
            (Some(off), Some(on)) if !off.is_empty() && !on.is_empty() => Some((off, on)),
            _ => {
                return Err(field(
                    "display.power_off",
                    "power_off and power_on must both name a program".into(),
                ))
            }
        };
        if raw
            .screenshot_command
            .as_ref()
            .is_some_and(|c| c.is_empty())
        {
            return Err(field("screenshot_command", "must name a program".into()));
        }
        let update_public_key = raw
            .update_public_key
            .as_deref()
            .map(PublicKey::from_base64)
            .transpose()
            .map_err(|e| field("update_public_key", e.to_string()))?;
        let public_url = raw
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(|u| match url::Url::parse(u) {
                Ok(p) if matches!(p.scheme(), "http" | "https") => {
                    Ok(u.trim_end_matches('/').to_string())
                }
                _ => Err(field(
                    "public_url",
                    "must be a URL starting with http:// or https://".into(),
                )),
            })
            .transpose()?;
        Ok(KioskConfig {
            update_public_key,
            public_url,
            kiosk_id: raw.kiosk_id,
            server_url,
            server_public_key,
            data_dir: raw.data_dir,
            poll_interval_secs: raw.poll_interval_secs,
            idle_timeout_secs: raw.idle_timeout_secs,
            county,
            township,
            village,
            orientation,
            care_mode_default: raw.display.care_mode_default,
            usb_roots: raw.usb_roots,
            cache_max_mib: raw.cache_max_mib,
            enrollment_token: raw
                .enrollment_token
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
            screenshot_command: raw.screenshot_command,
            display_hours,
            display_power,
        })
    }

    /// The scopes this kiosk follows, most local first.
    pub fn places(&self) -> Vec<&Place> {
        let mut out = Vec::new();
        out.extend(self.village.as_ref());
        out.extend(self.township.as_ref());
        out.push(&self.county);
        out
    }

    /// The name shown on the home screen: the most local place.
    pub fn place_name(&self) -> &str {
        &self.places()[0].name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
kiosk_id = "419901102201-01"
server_url = "http://127.0.0.1:8700"
server_public_key = "7yRDzEitOpeLZIQX5S9AiCMNegsKcq1NKXTw/o/YI+o="
[scope]
county = "419901"
county_name = "云溪县"
township = "419901102"
township_name = "石桥镇"
village = "419901102201"
village_name = "石桥村"
"#;

    fn err_of(text: &str) -> String {
        KioskConfig::parse(text, "t.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn good_file_parses_with_defaults() {
        let c = KioskConfig::parse(GOOD, "t.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.poll_interval_secs, 30);
        assert_eq!(c.place_name(), "石桥村");
        assert_eq!(c.places().len(), 3);
        assert_eq!(c.orientation, Orientation::Landscape);
    }

    #[test]
    fn errors_name_the_field() {
        assert!(err_of(&GOOD.replace("http://", "ftp://")).contains("`server_url`"));
        assert!(err_of(&GOOD.replace("7yRD", "7yR")).contains("`server_public_key`"));
        assert!(
            err_of(&GOOD.replace("\"419901102201\"", "\"419901101201\""))
                .contains("`scope.village`")
        );
        assert!(err_of(&GOOD.replace("kiosk_id", "kiosk_idd")).contains("kiosk_idd"));
        let missing = err_of(&GOOD.replace("server_url = \"http://127.0.0.1:8700\"\n", ""));
        assert!(missing.contains("server_url"), "{missing}");
        let bad_poll = format!("poll_interval_secs = 1\n{GOOD}");
        assert!(err_of(&bad_poll).contains("`poll_interval_secs`"));
    }

    #[test]
    fn panel_power_programs_come_in_pairs() {
        let both = format!(
            "{GOOD}[display]\npower_off = [\"wlopm\", \"--off\", \"*\"]\npower_on = [\"wlopm\", \"--on\", \"*\"]\n"
        );
        let c = KioskConfig::parse(&both, "t.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.display_power
                .map(|(off, on)| (off[1].clone(), on[1].clone())),
            Some(("--off".to_string(), "--on".to_string()))
        );
        let one = format!("{GOOD}[display]\npower_off = [\"wlopm\", \"--off\", \"*\"]\n");
        assert!(err_of(&one).contains("`display.power_off`"));
        let empty = format!("{GOOD}[display]\npower_off = []\npower_on = [\"x\"]\n");
        assert!(err_of(&empty).contains("`display.power_off`"));
        assert!(KioskConfig::parse(GOOD, "t.toml")
            .map(|c| c.display_power.is_none())
            .unwrap_or(false));
    }
}
