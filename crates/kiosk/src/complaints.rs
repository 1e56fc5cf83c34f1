//! Filing at the kiosk: check the form, save it durably, upload it when the network
//! allows, and look a code up on the server (or, offline, in this kiosk's outbox).

use crate::outbox::OutboxError;
use crate::views::{ComplaintDraft, ComplaintLookup, ComplaintReceipt};
use crate::{iso, Kiosk, KioskError};
use chrono::{DateTime, Utc};
use gongkai_model::calendar::provisional_note;
use gongkai_model::complaint::TrackingCode;
use gongkai_protocol::complaints::{ComplaintUpload, Contact, PublicStatus, UploadReceipt};
use gongkai_protocol::paths;

impl From<OutboxError> for KioskError {
    fn from(e: OutboxError) -> KioskError {
        KioskError::Corrupt(e.to_string())
    }
}

impl Kiosk {
    /// Saves a filing and returns its receipt. The receipt (and its code) exists only
    /// once the outbox commit with synchronous=FULL has returned.
    pub fn submit_complaint(
        &self,
        draft: &ComplaintDraft,
        now: DateTime<Utc>,
    ) -> Result<ComplaintReceipt, KioskError> {
        let text = draft.text.trim();
        // The subject is what staff sort and answer by: required (the screen fills it from
        // the first common phrase chosen when the resident types none).
        if draft.subject.trim().is_empty() {
            return Err(KioskError::Invalid(
                "请填写涉及事项（例如：村道路灯），或点选一条常用语".into(),
            ));
        }
        if text.is_empty() {
            return Err(KioskError::Invalid("请填写具体内容".into()));
        }
        if text.chars().count() > 2000 {
            return Err(KioskError::Invalid("内容请不要超过2000字".into()));
        }
        let name = draft.name.trim().to_string();
        let phone: String = draft.phone.chars().filter(|c| !c.is_whitespace()).collect();
        if !phone.is_empty() && (phone.len() < 7 || !phone.chars().all(|c| c.is_ascii_digit())) {
            return Err(KioskError::Invalid("请填写正确的联系电话".into()));
        }
        if draft.kind.requires_contact() && (name.is_empty() || phone.is_empty()) {
            return Err(KioskError::Invalid(
                "申请政府信息公开需要填写姓名和联系电话".into(),
            ));
        }
        // 代为提交: only with cadre mode unlocked, and always saying for whom.
        let cadre_session = if draft.on_behalf {
            if name.is_empty() {
                return Err(KioskError::Invalid(
                    "代群众提交时请填写群众姓名（为谁提交）".into(),
                ));
            }
            Some(self.cadre_session_hash(now)?)
        } else {
            None
        };
        // Sealed here, before it touches the disk: the outbox never holds it readable.
        let sealed_contact = (!name.is_empty() || !phone.is_empty())
            .then(|| Contact { name, phone }.seal(&self.config().server_public_key));
        // Only a place this kiosk serves; by default the most local one.
        let scope = self
            .followed_scopes()
            .into_iter()
            .find(|s| draft.scope.is_empty() || s.as_str() == draft.scope)
            .ok_or_else(|| KioskError::Invalid("请选择涉及的村、乡镇或县".into()))?;
        let kiosk_id = self.config().kiosk_id.clone();
        let fleet = &self.fleet;
        let code = self.outbox.submit(
            now.timestamp(),
            |client_uuid, code| ComplaintUpload {
                client_uuid,
                code,
                kiosk_id: kiosk_id.clone(),
                kind: draft.kind,
                scope: scope.clone(),
                subject: draft.subject.trim().to_string(),
                text: text.to_string(),
                sealed_contact: sealed_contact.clone(),
                filed_at: now.timestamp(),
                cadre_session: cadre_session.clone(),
            },
            // Signed with this kiosk's key now, offline or not: the server takes a filing
            // only from the enrolled kiosk it names.
            |payload| fleet.sign_body(paths::COMPLAINTS, payload),
            fleet.code_ns(),
        )?;
        Ok(ComplaintReceipt {
            phone_url: self.phone_path(&paths::public::track(
                self.followed_scopes()[0].as_str(),
                code.as_str(),
            )),
            code: code.display(),
            kind_label: draft.kind.label().to_string(),
            saved_at: iso(now.timestamp()).unwrap_or_default(),
            waiting: self.outbox.waiting()?,
        })
    }

    /// Sends every filing that is due; returns how many the server acknowledged.
    pub(crate) fn upload_outbox(&self, now: DateTime<Utc>) -> Result<usize, KioskError> {
        let mut sent = 0;
        let due = self.outbox.due(now.timestamp())?;
        if due.is_empty() {
            return Ok(0);
        }
        // The server takes filings only from enrolled kiosks: enroll first if this one
        // has a token and has not yet (its first fleet round may not have come).
        if !self.fleet.is_enrolled()? {
            if let Some(token) = &self.config().enrollment_token {
                if let Err(e) = self
                    .fleet
                    .enroll(&self.http, &self.config().server_url, token)
                {
                    tracing::warn!(error = %e, "enrollment before uploading filings failed");
                }
            }
        }
        for item in due {
            let upload = &item.upload;
            let url = self
                .config()
                .server_url
                .join(paths::relative(paths::COMPLAINTS))
                .map_err(|e| KioskError::Corrupt(e.to_string()))?;
            let signature = match &item.signature {
                Some(s) => s.clone(),
                None => {
                    let s = self
                        .fleet
                        .sign_body(paths::COMPLAINTS, item.payload.as_bytes());
                    self.outbox.set_signature(&upload.client_uuid, &s)?;
                    s
                }
            };
            let result = self
                .http
                .post(url)
                .header(
                    gongkai_protocol::fleet::KIOSK_HEADER,
                    &self.config().kiosk_id,
                )
                .header(gongkai_protocol::fleet::SIGNATURE_HEADER, signature)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(item.payload.clone())
                .send()
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.json::<UploadReceipt>());
            match result {
                Ok(receipt) if receipt.code == upload.code => {
                    self.outbox
                        .acknowledged(&upload.client_uuid, now.timestamp())?;
                    sent += 1;
                }
                Ok(_) => {
                    self.outbox
                        .failed(&upload.client_uuid, now.timestamp(), "code mismatch")?
                }
                Err(e) => {
                    self.outbox
                        .failed(&upload.client_uuid, now.timestamp(), &e.to_string())?;
                    if e.is_connect() || e.is_timeout() {
                        break; // offline: the rest would fail the same way
                    }
                }
            }
        }
        Ok(sent)
    }

    /// The public answer to a filing, if it was synced to this kiosk.
    fn cached_answer(
        &self,
        code: &TrackingCode,
    ) -> Result<Option<gongkai_model::content::Answer>, KioskError> {
        let found = self.cache().body(
            gongkai_model::ContentKind::Answer,
            code.as_str(),
            &self.followed_scopes(),
        )?;
        Ok(found.and_then(|(_, body)| serde_json::from_str(&body).ok()))
    }

    /// Looks a code up: the server's public status when reachable, else what this kiosk
    /// knows of its own filings.
    pub fn complaint_status(&self, code_text: &str) -> Result<ComplaintLookup, KioskError> {
        let code =
            TrackingCode::parse(code_text).map_err(|e| KioskError::Invalid(e.to_string()))?;
        let empty = |message: &str| ComplaintLookup {
            code: code.display(),
            found: false,
            kind_label: None,
            subject: None,
            status_label: None,
            office: None,
            received_on: None,
            due_on: None,
            due_note: None,
            answer: None,
            message: message.to_string(),
        };
        let url = self
            .config()
            .server_url
            .join(paths::relative(&paths::fill(
                paths::COMPLAINT,
                &[code.as_str()],
            )))
            .map_err(|e| KioskError::Corrupt(e.to_string()))?;
        let local = self.outbox.local(&code)?;
        match self
            .http
            .get(url)
            .timeout(std::time::Duration::from_secs(8))
            .send()
        {
            Ok(r) if r.status().is_success() => {
                let s: PublicStatus = r.json().map_err(|e| KioskError::Corrupt(e.to_string()))?;
                Ok(ComplaintLookup {
                    code: code.display(),
                    found: true,
                    kind_label: Some(s.kind.label().to_string()),
                    subject: Some(s.subject),
                    status_label: Some(s.status.label().to_string()),
                    message: match (
                        &s.answer,
                        s.due_on.as_deref().map(str::parse::<chrono::NaiveDate>),
                    ) {
                        (Some(_), _) => "已答复，答复内容见下方".to_string(),
                        (None, Some(Ok(due))) => {
                            format!("正在办理，{}前答复", due.format("%Y年%-m月%-d日"))
                        }
                        (None, _) => {
                            "补正中：请按办理单位的要求补充材料，补齐后继续计时".to_string()
                        }
                    },
                    office: Some(s.office),
                    received_on: Some(s.received_on),
                    due_on: s.due_on,
                    due_note: s.due_provisional.map(provisional_note),
                    answer: s.answer,
                })
            }
            Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => Ok(match local {
                Some(_) => empty("已保存在本机，正在提交，请稍后再查"),
                None => empty("没有找到这个查询码，请核对后重新输入"),
            }),
            // Unreachable: an answer synced to this kiosk still shows.
            _ if self.cached_answer(&code)?.is_some() => {
                let a = self.cached_answer(&code)?.ok_or(KioskError::NotFound)?;
                Ok(ComplaintLookup {
                    code: code.display(),
                    found: true,
                    kind_label: Some(a.kind.label().to_string()),
                    subject: Some(a.subject),
                    status_label: Some(a.status.label().to_string()),
                    office: Some(a.office),
                    received_on: Some(a.received_on),
                    due_on: a.due_on,
                    due_note: a.due_provisional.map(provisional_note),
                    answer: a.answer,
                    message: "网络暂时中断，以下是本机保存的答复".to_string(),
                })
            }
            _ => Ok(match local {
                Some(l) if l.uploaded_at.is_none() => {
                    empty("已保存在本机，网络恢复后自动提交，请放心")
                }
                _ => empty("暂时无法连接服务器，请稍后再查或拨打12345"),
            }),
        }
    }
}
