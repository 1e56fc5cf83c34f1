//! The detail reads behind each content kind's screens, all from the local cache.

use crate::views::{
    CategoryAmount, FinanceView, GuideView, MyBoardHit, MySubsidies, MySubsidyHit, NoticeView,
    PeriodRef, QueryKind, RelocationView, RoundRef, SubsidyListView, SubsidyRowView,
    SubsidyRowsPage, VersionView,
};
use crate::{beijing, now_key, Kiosk, KioskError};
use chrono::{DateTime, Utc};
use gongkai_model::history::{diff_lines, history_id, text_lines, ItemHistory};
use gongkai_model::names::{self, NameQuery};
use gongkai_model::{boards, ContentKind, Fen, FinanceLineKind, ScopeId};
use serde::de::DeserializeOwned;

impl Kiosk {
    /// Reads and parses one item's body. Only followed scopes are looked in, so a
    /// screen can never be pointed at anything else the cache might hold.
    pub(crate) fn item<T: DeserializeOwned>(
        &self,
        kind: ContentKind,
        scope: &str,
        id: &str,
    ) -> Result<(ScopeId, T), KioskError> {
        let scope = self
            .followed_scopes()
            .into_iter()
            .find(|s| s.as_str() == scope)
            .ok_or(KioskError::NotFound)?;
        let (scope, body) = self
            .cache()
            .body(kind, id, std::slice::from_ref(&scope))?
            .ok_or(KioskError::NotFound)?;
        let item = serde_json::from_str(&body).map_err(|e| KioskError::Corrupt(e.to_string()))?;
        Ok((scope, item))
    }

    /// The corrections of an item, newest first, each with what it changed. Read from the
    /// history item the server publishes with every correction; empty when there is none.
    pub(crate) fn versions(
        &self,
        kind: ContentKind,
        scope: &ScopeId,
        id: &str,
    ) -> Vec<VersionView> {
        let scopes = std::slice::from_ref(scope);
        let body = |k: ContentKind, i: &str| self.cache().body(k, i, scopes).ok().flatten();
        let Some((_, current)) = body(kind, id) else {
            return Vec::new();
        };
        let Some(history) = body(ContentKind::History, &history_id(kind, id))
            .and_then(|(_, b)| serde_json::from_str::<ItemHistory>(&b).ok())
        else {
            return Vec::new();
        };
        let mut bodies: Vec<&str> = history.versions.iter().map(|v| v.body.as_str()).collect();
        bodies.push(&current);
        let lines: Vec<Vec<String>> = bodies.iter().map(|b| text_lines(kind, b)).collect();
        let mut out: Vec<VersionView> = history
            .versions
            .iter()
            .enumerate()
            .map(|(i, v)| VersionView {
                published_at: v.published_at.clone(),
                replaced_at: v.replaced_at.clone(),
                changes: diff_lines(&lines[i], &lines[i + 1]),
            })
            .collect();
        out.reverse();
        out
    }

    /// All items of a kind in one scope, parsed, for navigation between siblings.
    fn siblings<T: DeserializeOwned>(
        &self,
        kind: ContentKind,
        scope: &ScopeId,
    ) -> Result<Vec<(String, T)>, KioskError> {
        let (rows, _) = self
            .cache()
            .list(kind, std::slice::from_ref(scope), None, "", 0, 1000)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Ok((_, item)) = self.item::<T>(kind, scope.as_str(), &r.id) {
                out.push((r.id, item));
            }
        }
        Ok(out)
    }

    pub fn finance(&self, scope: &str, id: &str) -> Result<FinanceView, KioskError> {
        let (scope, statement): (_, gongkai_model::FinanceStatement) =
            self.item(ContentKind::Finance, scope, id)?;
        let (income, expense) = statement
            .totals()
            .map_err(|e| KioskError::Corrupt(e.to_string()))?;
        let mut by_category: Vec<CategoryAmount> = Vec::new();
        for line in statement
            .lines
            .iter()
            .filter(|l| l.kind == FinanceLineKind::Expense)
        {
            match by_category.iter_mut().find(|c| c.category == line.category) {
                Some(c) => c.amount = Fen(c.amount.0 + line.amount.0),
                None => by_category.push(CategoryAmount {
                    category: line.category.clone(),
                    amount: line.amount,
                }),
            }
        }
        by_category.sort_by_key(|c| std::cmp::Reverse(c.amount));
        let (rows, _) = self.cache().list(
            ContentKind::Finance,
            std::slice::from_ref(&scope),
            None,
            "",
            0,
            200,
        )?;
        Ok(FinanceView {
            versions: self.versions(ContentKind::Finance, &scope, id),
            id: id.to_string(),
            scope_name: self.scope_name(scope.as_str()),
            balanced: statement.check().is_ok(),
            income,
            expense,
            expense_by_category: by_category,
            periods: rows
                .into_iter()
                .map(|r| PeriodRef {
                    id: r.id,
                    period: r.date,
                })
                .collect(),
            statement,
        })
    }

    pub fn guide(&self, scope: &str, id: &str) -> Result<GuideView, KioskError> {
        let (scope, guide) = self.item(ContentKind::Guide, scope, id)?;
        Ok(GuideView {
            versions: self.versions(ContentKind::Guide, &scope, id),
            id: id.to_string(),
            scope_name: self.scope_name(scope.as_str()),
            guide,
        })
    }

    /// A notice, unless it has expired by the kiosk's own clock.
    pub fn notice(
        &self,
        scope: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<NoticeView, KioskError> {
        let (scope, notice): (_, gongkai_model::Notice) =
            self.item(ContentKind::Notice, scope, id)?;
        if notice.expire_at.is_some_and(|t| t <= now) {
            return Err(KioskError::NotFound);
        }
        Ok(NoticeView {
            versions: self.versions(ContentKind::Notice, &scope, id),
            id: id.to_string(),
            scope_name: self.scope_name(scope.as_str()),
            notice,
        })
    }

    pub fn relocation(
        &self,
        scope: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<RelocationView, KioskError> {
        let (scope, board): (_, gongkai_model::RelocationBoard) =
            self.item(ContentKind::RelocationBoard, scope, id)?;
        let mut siblings: Vec<(String, gongkai_model::RelocationBoard)> = self
            .siblings::<gongkai_model::RelocationBoard>(ContentKind::RelocationBoard, &scope)?
            .into_iter()
            .filter(|(_, b)| b.village_name == board.village_name)
            .collect();
        siblings.sort_by_key(|(_, b)| b.round);
        let previous = siblings
            .iter()
            .filter(|(_, b)| b.round < board.round)
            .max_by_key(|(_, b)| b.round);
        let changes = previous
            .map(|(_, p)| boards::diff(&p.rows, &board.rows))
            .unwrap_or_default();
        let today = now.with_timezone(&beijing()).date_naive();
        let (status, days_left) = boards::posting(&board, today);
        Ok(RelocationView {
            versions: self.versions(ContentKind::RelocationBoard, &scope, id),
            id: id.to_string(),
            scope_name: self.scope_name(scope.as_str()),
            rounds: siblings
                .iter()
                .map(|(id, b)| RoundRef {
                    id: id.clone(),
                    round: b.round,
                    title: b.title.clone(),
                })
                .collect(),
            status,
            days_left,
            changes,
            board,
        })
    }

    pub fn subsidy_list(&self, scope: &str, id: &str) -> Result<SubsidyListView, KioskError> {
        let (scope, list) = self.item(ContentKind::SubsidyList, scope, id)?;
        Ok(SubsidyListView {
            id: id.to_string(),
            scope_name: self.scope_name(scope.as_str()),
            list,
        })
    }

    /// Rows of a subsidy list matching `query`.
    pub fn subsidy_rows(
        &self,
        list_id: &str,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<SubsidyRowsPage, KioskError> {
        let found = self
            .cache()
            .search_subsidy(list_id, query, offset, limit.clamp(1, 500))?;
        Ok(SubsidyRowsPage {
            rows: found
                .rows
                .into_iter()
                .map(|f| SubsidyRowView {
                    id: f.id,
                    row: f.row,
                })
                .collect(),
            total: found.total as u32,
            total_is_lower_bound: found.total_is_lower_bound,
            offset,
            indexing: self.cache().index_pending()?,
            query_kind: match names::classify(query) {
                NameQuery::Empty => QueryKind::All,
                NameQuery::Name(_) => QueryKind::Name,
                NameQuery::Initials(_) => QueryKind::Initials,
                NameQuery::IdTail(_) => QueryKind::IdTail,
            },
        })
    }
}

impl Kiosk {
    /// 查我的补贴: every subsidy list and 三榜 board shown on this kiosk that has a row
    /// for the person whose whole name (or its pinyin initials) is `name` and whose ID
    /// number ends in `id_tail` (4 characters). Both must match a row for it to be shown:
    /// nothing comes back about anyone else, and a part of a name or a shorter tail is
    /// refused rather than searched.
    pub fn my_subsidies(
        &self,
        name: &str,
        id_tail: &str,
        now: DateTime<Utc>,
    ) -> Result<MySubsidies, KioskError> {
        let (asked, tail) =
            names::person_query(name, id_tail).map_err(|m| KioskError::Invalid(m.into()))?;
        let scopes = self.followed_scopes();
        let key = now_key(now);
        let (hits, lists_searched) = self.cache().find_person(&scopes, &key, &asked, &tail)?;
        let lists = hits
            .into_iter()
            .map(|h| MySubsidyHit {
                list_id: h.found.row.list_id.clone(),
                scope_name: self.scope_name(&h.list_scope),
                issuer: self
                    .item::<gongkai_model::SubsidyList>(
                        ContentKind::SubsidyList,
                        &h.list_scope,
                        &h.found.row.list_id,
                    )
                    .map(|(_, l)| l.issuer)
                    .unwrap_or_default(),
                title: h.list_title,
                expires_at: h.list_expires_at,
                row: h.found.row,
            })
            .collect();
        // Boards are few and each holds its rows in its body: read them all.
        let (entries, _) =
            self.cache()
                .list(ContentKind::RelocationBoard, &scopes, None, &key, 0, 1000)?;
        let mut boards = Vec::new();
        for e in &entries {
            let Ok((scope, board)) = self.item::<gongkai_model::RelocationBoard>(
                ContentKind::RelocationBoard,
                &e.scope,
                &e.id,
            ) else {
                continue;
            };
            for row in &board.rows {
                if gongkai_model::idcard::tail(&row.id_masked) == tail
                    && names::same_person(&asked, &row.head_name)
                {
                    boards.push(MyBoardHit {
                        scope: scope.to_string(),
                        id: e.id.clone(),
                        scope_name: self.scope_name(scope.as_str()),
                        title: board.title.clone(),
                        posting_from: board.posting_from.to_string(),
                        posting_until: board.posting_until.to_string(),
                        row: row.clone(),
                    });
                }
            }
        }
        Ok(MySubsidies {
            lists,
            boards,
            lists_searched: lists_searched as u32,
            boards_searched: entries.len() as u32,
        })
    }
}

/// The image type of an attachment by its first bytes, for the screen;
/// `None` for anything that is not an image the kiosk shows.
pub fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"<svg") || bytes.starts_with(b"<?xml") {
        Some("image/svg+xml")
    } else {
        None
    }
}

/// The scheme under which the app serves attachments to its own webview.
pub const ATTACHMENT_SCHEME: &str = "gkblob";

/// Where the webview finds attachment `sha256`: WebKitGTK reaches a custom scheme as
/// `gkblob://localhost/…`, WebView2 as `http://gkblob.localhost/…`.
pub fn attachment_url(sha256: &str) -> String {
    if cfg!(windows) {
        format!("http://{ATTACHMENT_SCHEME}.localhost/{sha256}")
    } else {
        format!("{ATTACHMENT_SCHEME}://localhost/{sha256}")
    }
}

impl Kiosk {
    /// The address of an image attachment that is on this kiosk. The bytes are served by
    /// the app under [`ATTACHMENT_SCHEME`] (the CSP allows images from there and the app
    /// only), so the webview never fetches anything from outside, and a photo never
    /// passes through script as a base64 string: WebKit loads, decodes and drops it like
    /// any image (a `data:` URL copy of each voucher and PDF page lived in the page's
    /// heap and in WebKit's memory cache under a key as long as the image).
    pub fn attachment_address(&self, sha256: &str) -> Result<String, KioskError> {
        if !self.blobs().has(sha256) {
            return Err(KioskError::NotFound);
        }
        Ok(attachment_url(sha256))
    }

    /// An image attachment's type and bytes, for the app's scheme handler.
    pub fn attachment_image(&self, sha256: &str) -> Result<(&'static str, Vec<u8>), KioskError> {
        let bytes = self
            .blobs()
            .read(sha256)
            .map_err(|_| KioskError::NotFound)?;
        let mime = image_mime(&bytes).ok_or_else(|| KioskError::Invalid("附件不是图片".into()))?;
        Ok((mime, bytes))
    }
}

#[cfg(test)]
mod image_tests {
    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(super::image_mime(b"\x89PNG\r\n"), Some("image/png"));
        assert_eq!(super::image_mime(&[0xFF, 0xD8, 0xFF]), Some("image/jpeg"));
        assert_eq!(super::image_mime(b"<svg xmlns"), Some("image/svg+xml"));
        assert_eq!(super::image_mime(b"%PDF-1.4"), None);
    }
}
