//! 公开目录 items from the console: catalog fields (索引号, 发布机构, 文号, 分类, date),
//! a rich-text body (a small editor in console.js; without script a plain text box), and
//! attachments — PDFs are rendered to page images (kiosks never open PDFs), photos are
//! re-encoded without metadata. A cadre's item becomes a draft; others publish.

use super::auth::csrf_field;
use super::auth::Session;
use super::posting::scopes_for;
use super::shell::{page, paragraphs, ConsoleError, Result};
use axum::extract::{Multipart, State};
use axum::response::Response;
use chrono::NaiveDate;
use gongkai_api::state::AppState;
use gongkai_model::{Attachment, ContentKind, Disclosure, ScopeId};
use gongkai_store::blobs::BlobStore;
use gongkai_store::Edit;
use maud::html;

/// Most attachments on one item.
const MAX_ATTACHMENTS: usize = 10;
/// Page images are rendered at this resolution: sharp on a 1080p screen.
const PDF_DPI: u32 = 110;

pub async fn new_page(session: Session, State(st): State<AppState>) -> Result<Response> {
    let user = &session.user;
    let scopes = scopes_for(&st, user).await?;
    let today = st.clock.today();
    Ok(page(
        "发布公开目录信息",
        Some(user),
        html! {
            @if !user.publishes_directly() {
                p.hint { "提交后由乡镇审核员审核（保密审查），通过后出现在公开屏上。" }
            }
            form.card.wide method="post" action="/disclosures" data-keep="" enctype="multipart/form-data" data-progress="disclosure-progress" {
                (csrf_field(&session))
                label { "公开到"
                    select name="scope" required {
                        @for (code, name) in &scopes {
                            option value=(code.as_str()) { (name) "（" (super::shell::level_label(code)) "）" }
                        }
                    }
                }
                label { "分类"
                    select name="category" required {
                        @for c in gongkai_model::content::CATALOG_CATEGORIES { option value=(c) { (c) } }
                    }
                }
                label { "标题" input name="title" maxlength="100" required; }
                div.row {
                    label { "发布机构" input name="publisher" required placeholder="例：云溪县财政局"; }
                    label { "文号（可不填）" input name="doc_no" placeholder="例：云财〔2026〕15号"; }
                }
                div.row {
                    label { "索引号（可不填，系统自动编号）" input name="index_no"; }
                    label { "成文/发布日期" input type="date" name="published_on" value=(today.to_string()) required; }
                }
                p.field-label { "正文" }
                textarea name="body" rows="12" data-richtext required aria-label="正文" {}
                p.hint { "可以直接从 Word 复制粘贴；格式会被整理，脚本、外部链接的图片等不安全内容会被去除。" }
                label { "附件（PDF、JPG、PNG，可多选，最多 10 个）" input type="file" name="attachments" multiple accept=".pdf,.jpg,.jpeg,.png"; }
                progress id="disclosure-progress" max="100" value="0" hidden {}
                p id="disclosure-progress-text" class="hint" hidden {}
                button type="submit" { @if user.publishes_directly() { "发布" } @else { "提交审核" } }
            }
        },
    ))
}

/// An uploaded file as an attachment: PDFs with their rendered pages, photos re-encoded.
pub fn attachment(
    blobs: &BlobStore,
    name: &str,
    bytes: &[u8],
) -> std::result::Result<Attachment, String> {
    let store = |b: &[u8]| blobs.put(b).map_err(|_| "附件保存失败，请重试".to_string());
    if gongkai_api::pdf::looks_like_pdf(bytes) {
        let pages = gongkai_api::pdf::render_pages(bytes, PDF_DPI)
            .map_err(|_| format!("“{name}”无法打开，请确认是未加密的 PDF"))?;
        let pages = pages
            .iter()
            .map(|p| store(p))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        return Ok(Attachment {
            name: name.to_string(),
            sha256: store(bytes)?,
            size: bytes.len() as u64,
            mime: "application/pdf".into(),
            pages,
        });
    }
    let photo = gongkai_photo::prepare(bytes)
        .map_err(|e| format!("“{name}”：{e}。附件只支持 PDF、JPG、PNG"))?;
    Ok(Attachment {
        name: name.to_string(),
        sha256: store(&photo.jpeg)?,
        size: photo.jpeg.len() as u64,
        mime: "image/jpeg".into(),
        pages: vec![],
    })
}

/// Rich text from the editor is HTML (sanitized at publish); plain text becomes paragraphs.
fn body_html(text: &str) -> String {
    if text.contains('<') && text.contains('>') {
        gongkai_store::sanitize::clean(text)
    } else {
        paragraphs(text)
    }
}

pub async fn create(
    session: Session,
    State(st): State<AppState>,
    multipart: Multipart,
) -> Result<Response> {
    let user = session.user.clone();
    let bad = |m: &str| ConsoleError::bad(m).for_user(&user);
    let mut upload = super::posting::Upload::read(multipart, &["attachments"], &session).await?;
    let files = upload.take("attachments");
    let get = |k: &str| upload.get(k);
    let scope = ScopeId::parse(&get("scope")).map_err(|_| bad("请选择公开到哪里"))?;
    if !user.covers(&scope) {
        return Err(ConsoleError::not_found().for_user(&user));
    }
    if files.len() > MAX_ATTACHMENTS {
        return Err(bad("附件最多 10 个"));
    }
    let (title, publisher, category) = (get("title"), get("publisher"), get("category"));
    if title.is_empty() || publisher.is_empty() || category.is_empty() || get("body").is_empty() {
        return Err(bad("标题、发布机构、分类和正文都要填写"));
    }
    let published_on: NaiveDate = get("published_on")
        .parse()
        .map_err(|_| bad("日期格式不对"))?;
    let blobs = st.blobs.clone();
    let attachments = tokio::task::spawn_blocking(move || {
        files
            .iter()
            .map(|(n, b)| attachment(&blobs, n, b))
            .collect::<std::result::Result<Vec<_>, String>>()
    })
    .await
    .map_err(|_| bad("附件处理失败，请重试"))?
    .map_err(|m| bad(&m))?;
    let id = super::notices::new_item_id("disclosure", st.clock.now());
    let index_no = match get("index_no") {
        n if n.is_empty() => format!(
            "{}/{}-{}",
            scope,
            published_on.format("%Y"),
            &id[id.len() - 8..]
        ),
        n => n,
    };
    let item = Disclosure {
        index_no,
        publisher,
        doc_no: get("doc_no"),
        published_on,
        category,
        title: title.clone(),
        body_html: body_html(&get("body")),
        attachments,
    };
    let summary = format!("公开目录 · {} 个附件", item.attachments.len());
    let edit = Edit::put(ContentKind::Disclosure, id, &item);
    super::staging::preview(
        &st,
        &session,
        &scope,
        vec![edit],
        title,
        summary,
        false,
        super::staging::Back("/disclosures"),
    )
    .await
}
