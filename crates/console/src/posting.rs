//! How a console user's work reaches the store: store calls off the async workers, the
//! scopes a user may act in, the one decision between publishing now and submitting a
//! draft for review, and multipart uploads read whole.

use super::auth::Session;
use super::shell::{ConsoleError, Result};
use axum::response::{IntoResponse, Response};
use gongkai_api::state::AppState;
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

/// Where a posting went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// Published at once: on the boards with the next poll.
    Published,
    /// A draft waiting for 保密审查, by its id.
    Draft(i64),
}

/// The one decision every console posting goes through: published directly when the user
/// may (a reviewer or the county) and it adds something new; otherwise a draft for
/// 保密审查 — every correction is reviewed, whoever sends it. A posting is named by its
/// first edit (a notice, a list's header): if that item is public, the posting replaces
/// it. (Emergencies, which cannot wait, and the county's calendar publish directly.)
pub fn post(
    s: &dyn Store,
    user: &User,
    scope: &ScopeId,
    edits: Vec<gongkai_store::Edit>,
    title: String,
    summary: String,
) -> std::result::Result<Posted, StoreError> {
    let replaces = match edits.first() {
        Some(e) => s.item_body(scope, e.kind, &e.id)?.is_some(),
        None => false,
    };
    if user.publishes_directly() && !replaces {
        s.publish_as(
            scope,
            &edits,
            &gongkai_store::Provenance::user(&user.display_name),
        )?;
        return Ok(Posted::Published);
    }
    let draft = gongkai_store::NewDraft {
        scope: scope.clone(),
        title,
        summary,
        source: "console".into(),
        author_id: user.id,
        edits,
        client_id: None,
    };
    s.submit_draft(&draft).map(Posted::Draft)
}

/// [`post`] from a form handler; answers with where to go next: the public record, or
/// the draft.
pub async fn publish_or_submit(
    st: &AppState,
    user: &User,
    scope: ScopeId,
    edits: Vec<gongkai_store::Edit>,
    title: String,
    summary: String,
) -> Result<Response> {
    let u = user.clone();
    let posted = blocking(&st.store, move |s| {
        post(s, &u, &scope, edits, title, summary)
    })
    .await
    .map_err(|e| e.for_user(user))?;
    let to = match posted {
        Posted::Published => "/history".to_string(),
        Posted::Draft(id) => format!("/review/{id}"),
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
