//! Cadre mode: a village cadre unlocks the kiosk with a one-time code from the console,
//! writes a notice on the screen keyboard, picks photos from a USB stick, and sends it
//! for the township's review. Photos are stripped of EXIF (GPS!) and shrunk here before
//! they leave the kiosk; the server does it again. A posting that cannot be sent at
//! once waits in the outbox file and is sent by the sync loop while the unlock lasts.

use crate::views::{CadreDraftView, CadreNoticeDraft, CadreView, UsbPhoto};
use crate::{iso, Kiosk, KioskError};
use base64::Engine;
use chrono::{DateTime, Utc};
use gongkai_protocol::cadre::{
    CadreDraftStatus, CadreNotice, CadreSession, CadreUnlock, MAX_PHOTOS,
};
use gongkai_protocol::paths;
use std::path::{Path, PathBuf};

/// The kiosk locks itself after this long without a tap in cadre mode.
pub const IDLE_LOCK_SECS: i64 = 5 * 60;
/// Most photos listed from a stick (the newest first).
const MAX_LISTED: usize = 60;

#[derive(Debug, Clone)]
pub(crate) struct Unlocked {
    session: CadreSession,
    last_activity: i64,
}

fn network(e: reqwest::Error) -> KioskError {
    KioskError::Invalid(if e.is_connect() || e.is_timeout() {
        "连不上服务器，请检查网络后再试".into()
    } else {
        "服务器暂时无法处理，请稍后再试".into()
    })
}

/// The server's `{code, message}` error as a message for the cadre.
fn server_message(resp: reqwest::blocking::Response) -> KioskError {
    let fallback = "服务器暂时无法处理，请稍后再试".to_string();
    let message = resp
        .json::<serde_json::Value>()
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or(fallback);
    KioskError::Invalid(message)
}

fn is_photo(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
}

fn scan(dir: &Path, depth: u32, out: &mut Vec<(std::time::SystemTime, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() && depth > 0 {
            scan(&path, depth - 1, out);
        } else if meta.is_file()
            && is_photo(&path)
            && meta.len() <= gongkai_photo::MAX_FILE_BYTES as u64
        {
            out.push((meta.modified().unwrap_or(std::time::UNIX_EPOCH), path));
        }
    }
}

impl Kiosk {
    fn village(&self) -> Result<&crate::config::Place, KioskError> {
        self.config()
            .village
            .as_ref()
            .ok_or_else(|| KioskError::Invalid("这台公开屏不在村里，不能使用村干部发布".into()))
    }

    fn view(&self, u: &Unlocked) -> CadreView {
        CadreView {
            display_name: u.session.display_name.clone(),
            village_name: self.village().map(|v| v.name.clone()).unwrap_or_default(),
            expires_at: iso(u.session.expires_at).unwrap_or_default(),
        }
    }

    fn cadre_guard(&self) -> std::sync::MutexGuard<'_, Option<Unlocked>> {
        self.cadre.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Unlocks cadre mode with a code from the console (needs the network).
    pub fn cadre_unlock(&self, code: &str, now: DateTime<Utc>) -> Result<CadreView, KioskError> {
        let village = self.village()?;
        let digits: String = code.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 8 {
            return Err(KioskError::Invalid("授权码是 8 位数字".into()));
        }
        let url = self
            .config()
            .server_url
            .join(paths::relative(paths::CADRE_UNLOCK))
            .map_err(|e| KioskError::Corrupt(e.to_string()))?;
        let body = serde_json::to_vec(&CadreUnlock {
            kiosk_id: self.config().kiosk_id.clone(),
            scope: village.scope.to_string(),
            code: digits,
        })
        .map_err(|e| KioskError::Corrupt(e.to_string()))?;
        // Signed with the kiosk's own key: once it is enrolled, the server takes a code
        // only from this kiosk.
        let mut req = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in self.fleet().sign_request(paths::CADRE_UNLOCK, &body) {
            req = req.header(name, value);
        }
        let resp = req.body(body).send().map_err(network)?;
        if !resp.status().is_success() {
            return Err(server_message(resp));
        }
        let session: CadreSession = resp.json().map_err(network)?;
        let unlocked = Unlocked {
            session,
            last_activity: now.timestamp(),
        };
        let view = self.view(&unlocked);
        *self.cadre_guard() = Some(unlocked);
        Ok(view)
    }

    /// The unlocked cadre, if the unlock is still good; counts as activity.
    pub fn cadre_status(&self, now: DateTime<Utc>) -> Option<CadreView> {
        let mut guard = self.cadre_guard();
        let live = guard.as_ref().is_some_and(|u| {
            u.session.expires_at > now.timestamp()
                && now.timestamp() - u.last_activity < IDLE_LOCK_SECS
        });
        if !live {
            *guard = None;
            return None;
        }
        let u = guard.as_mut()?;
        u.last_activity = now.timestamp();
        Some(self.view(u))
    }

    pub fn cadre_lock(&self) {
        *self.cadre_guard() = None;
    }

    fn token(&self, now: DateTime<Utc>) -> Result<String, KioskError> {
        self.cadre_status(now)
            .and_then(|_| self.cadre_guard().as_ref().map(|u| u.session.token.clone()))
            .ok_or_else(|| KioskError::Invalid("已退出村干部发布，请重新输入授权码".into()))
    }

    /// The unlock a filing entered for a resident names (代为提交): the sha256 of the
    /// cadre's token, as the server keeps it; the token itself never goes into a filing.
    pub(crate) fn cadre_session_hash(&self, now: DateTime<Utc>) -> Result<String, KioskError> {
        Ok(gongkai_protocol::sha256_hex(self.token(now)?.as_bytes()))
    }

    /// Resolves a photo path the screen sent back, refusing anything outside the USB
    /// mount points (the webview must not read arbitrary files through this).
    fn usb_file(&self, path: &str) -> Result<PathBuf, KioskError> {
        let refused = || KioskError::Invalid("照片不在 U 盘上".into());
        let real = std::fs::canonicalize(path).map_err(|_| refused())?;
        let inside = self
            .config()
            .usb_roots
            .iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .any(|root| real.starts_with(root));
        if inside && is_photo(&real) {
            Ok(real)
        } else {
            Err(refused())
        }
    }

    /// Photos on the USB sticks, newest first, with thumbnails.
    pub fn usb_photos(&self, now: DateTime<Utc>) -> Result<Vec<UsbPhoto>, KioskError> {
        self.token(now)?;
        let mut found = Vec::new();
        for root in &self.config().usb_roots {
            scan(root, 4, &mut found);
        }
        found.sort_by_key(|f| std::cmp::Reverse(f.0));
        let mut out = Vec::new();
        for (_, path) in found.into_iter().take(MAX_LISTED) {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(thumb) = gongkai_photo::thumbnail(&bytes) else {
                continue; // unreadable or not really a photo: not offered
            };
            out.push(UsbPhoto {
                path: path.display().to_string(),
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                thumbnail: format!(
                    "data:image/jpeg;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(thumb)
                ),
            });
        }
        Ok(out)
    }

    /// Checks a notice, prepares its photos, saves it to the outbox and tries to send it.
    pub fn cadre_submit(
        &self,
        draft: &CadreNoticeDraft,
        now: DateTime<Utc>,
    ) -> Result<CadreDraftView, KioskError> {
        let token = self.token(now)?;
        let title = draft.title.trim();
        if title.is_empty() {
            return Err(KioskError::Invalid("请填写标题".into()));
        }
        if title.chars().count() > 60 {
            return Err(KioskError::Invalid("标题请不要超过 60 个字".into()));
        }
        let body = draft.body.trim();
        if body.is_empty() {
            return Err(KioskError::Invalid("请填写正文".into()));
        }
        if draft.photos.len() > MAX_PHOTOS {
            return Err(KioskError::Invalid("照片最多选 6 张".into()));
        }
        for (place, text) in [("标题", title), ("正文", body)] {
            if let Some(found) = gongkai_model::idcard::find_full_ids(text).first() {
                return Err(KioskError::Invalid(format!(
                    "{place}里有完整的身份证号（{}），通知要公开，请删去或只写后 4 位",
                    found.masked
                )));
            }
        }
        let mut photos = Vec::new();
        for p in &draft.photos {
            let bytes = std::fs::read(self.usb_file(p)?)
                .map_err(|_| KioskError::Invalid("读不出这张照片，U 盘是否已拔出？".into()))?;
            let prepared =
                gongkai_photo::prepare(&bytes).map_err(|e| KioskError::Invalid(e.to_string()))?;
            photos.push(base64::engine::general_purpose::STANDARD.encode(prepared.jpeg));
        }
        let expire_on = draft.days.filter(|d| *d > 0).map(|d| {
            (gongkai_model::calendar::beijing_date(now) + chrono::Duration::days(i64::from(d) - 1))
                .to_string()
        });
        let notice = CadreNotice {
            client_id: crate::outbox::new_uuid(),
            title: title.to_string(),
            body: body.to_string(),
            expire_on,
            photos,
        };
        let expires = self
            .cadre_guard()
            .as_ref()
            .map(|u| u.session.expires_at)
            .unwrap_or_default();
        self.outbox
            .put_cadre_post(&notice, &token, expires, now.timestamp())?;
        let sent = self.upload_cadre_posts(now)?;
        Ok(CadreDraftView {
            title: notice.title,
            status: if sent > 0 { "pending" } else { "waiting" }.into(),
            status_label: if sent > 0 {
                "已提交，等待乡镇审核"
            } else {
                "已保存，联网后自动上传"
            }
            .into(),
            reason: String::new(),
            created_at: iso(now.timestamp()).unwrap_or_default(),
        })
    }

    /// Sends cadre postings waiting in the outbox while their unlock is still valid.
    pub(crate) fn upload_cadre_posts(&self, now: DateTime<Utc>) -> Result<usize, KioskError> {
        let url = self
            .config()
            .server_url
            .join(paths::relative(paths::CADRE_NOTICES))
            .map_err(|e| KioskError::Corrupt(e.to_string()))?;
        let mut sent = 0;
        for (notice, token) in self.outbox.due_cadre_posts(now.timestamp())? {
            let result = self
                .http
                .post(url.clone())
                .bearer_auth(&token)
                .json(&notice)
                .send();
            match result {
                Ok(r) if r.status().is_success() => {
                    self.outbox
                        .cadre_post_sent(&notice.client_id, now.timestamp())?;
                    sent += 1;
                }
                Ok(r) if r.status().is_client_error() => {
                    // Refused for good (bad content, expired unlock): say why, keep no photos.
                    let message = server_message(r).to_string();
                    self.outbox
                        .cadre_post_refused(&notice.client_id, &message, now.timestamp())?;
                    return Err(KioskError::Invalid(message));
                }
                _ => break, // offline or server trouble: the sync loop tries again
            }
        }
        Ok(sent)
    }

    /// The cadre's postings: from the server when reachable, plus any still waiting here.
    pub fn cadre_drafts(&self, now: DateTime<Utc>) -> Result<Vec<CadreDraftView>, KioskError> {
        let token = self.token(now)?;
        let mut out: Vec<CadreDraftView> = self
            .outbox
            .waiting_cadre_titles()?
            .into_iter()
            .map(|(title, at)| CadreDraftView {
                title,
                status: "waiting".into(),
                status_label: "已保存，联网后自动上传".into(),
                reason: String::new(),
                created_at: iso(at).unwrap_or_default(),
            })
            .collect();
        let url = self
            .config()
            .server_url
            .join(paths::relative(paths::CADRE_DRAFTS))
            .map_err(|e| KioskError::Corrupt(e.to_string()))?;
        if let Ok(resp) = self.http.get(url).bearer_auth(&token).send() {
            if let Ok(rows) = resp.json::<Vec<CadreDraftStatus>>() {
                out.extend(rows.into_iter().map(|d| {
                    CadreDraftView {
                        status_label: match d.status.as_str() {
                            "pending" => "待审核",
                            "approved" => "已通过并发布",
                            "rejected" => "已退回",
                            _ => "",
                        }
                        .into(),
                        title: d.title,
                        status: d.status,
                        reason: d.reason,
                        created_at: iso(d.created_at).unwrap_or_default(),
                    }
                }));
            }
        }
        Ok(out)
    }
}
