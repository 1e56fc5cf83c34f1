//! How a console user's work reaches the store: store calls off the async workers, the
//! scopes a user may act in, the one decision between publishing now and submitting a
//! draft for review, and multipart uploads read whole.

use super::auth::Session;
use super::shell::{ConsoleError, Result};
use crate::state::AppState;
use axum::response::{IntoResponse, Response};
use gongkai_model::ScopeId;
use gongkai_store::{Store, StoreError, User};
use std::sync::Arc;

/// Runs a store call on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&dyn Store) -> std::result::Result<T, StoreError> + Send + 'static,
) -> Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|_| ConsoleError::from(StoreError::Refused("任务失败".into())))?
        .map_err(ConsoleError::from)
}

/// The scopes a user may post to, with names, county first.
pub async fn scopes_for(st: &AppState, user: &User) -> Result<Vec<(ScopeId, String)>> {
    let user = user.clone();
    blocking(&st.store, move |s| {
        Ok(s.heads()?
            .into_iter()
            .filter(|h| user.covers(&h.scope))
            .map(|h| (h.scope, h.name))
            .collect())
    })
    .await
}

/// Publishes directly when the user may and nothing in `edits` replaces public content;
/// otherwise queues a draft for 保密审查 — every correction is reviewed, whoever sends it.
/// Answers with where to go next: the public record, or the draft.
pub async fn publish_or_submit(
    st: &AppState,
    user: &User,
    scope: ScopeId,
    edits: Vec<gongkai_store::Edit>,
    title: String,
    summary: String,
) -> Result<Response> {
    let u = user.clone();
    let draft = blocking(&st.store, move |s| {
        let replaces = edits
            .iter()
            .any(|e| s.item_body(&scope, e.kind, &e.id).ok().flatten().is_some());
        if u.publishes_directly() && !replaces {
            s.publish_as(
                &scope,
                &edits,
                &gongkai_store::Provenance::user(&u.display_name),
            )?;
            return Ok(None);
        }
        let draft = gongkai_store::NewDraft {
            scope,
            title,
            summary,
            source: "console".into(),
            author_id: u.id,
            edits,
            client_id: None,
        };
        s.submit_draft(&draft).map(Some)
    })
    .await
    .map_err(|e| e.for_user(user))?;
    let to = match draft {
        None => "/history".to_string(),
        Some(id) => format!("/review/{id}"),
    };
    Ok(axum::response::Redirect::to(&to).into_response())
}

/// A multipart form read whole: text fields, and files `(field, file name, bytes)` for the
/// named file fields (empty file inputs left out). A broken or oversized upload is a
/// Chinese error, never a half-read form.
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl Upload {
    /// Reads the form and checks its CSRF token against the session.
    pub async fn read(
        mut multipart: axum::extract::Multipart,
        file_fields: &[&str],
        session: &Session,
    ) -> Result<Upload> {
        let user = &session.user;
        let broken = || ConsoleError::bad("上传中断或文件过大，请重试").for_user(user);
        let mut out = Upload {
            fields: Default::default(),
            files: Vec::new(),
        };
        while let Some(field) = multipart.next_field().await.map_err(|_| broken())? {
            let name = field.name().unwrap_or_default().to_string();
            if file_fields.contains(&name.as_str()) {
                let file = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| broken())?;
                if !bytes.is_empty() {
                    out.files.push((name, file, bytes.to_vec()));
                }
            } else {
                out.fields
                    .insert(name, field.text().await.map_err(|_| broken())?);
            }
        }
        session.check_csrf(&out.get("csrf"))?;
        Ok(out)
    }

    /// A text field, trimmed ("" when absent).
    pub fn get(&self, key: &str) -> String {
        self.fields
            .get(key)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// The files sent in one field.
    pub fn take(&mut self, field: &str) -> Vec<(String, Vec<u8>)> {
        let (mine, rest) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|(f, _, _)| f == field);
        self.files = rest;
        mine.into_iter().map(|(_, n, b)| (n, b)).collect()
    }
}
