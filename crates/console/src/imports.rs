//! Importing 补贴名单 and 三榜 boards from spreadsheets: upload (with a progress bar),
//! preview with every bad row and why, column re-mapping, then publish (or submit for
//! review) in one transaction. A file with any error cannot be published, so a list is
//! never half-imported. The uploaded file holds full ID numbers; it is deleted as soon
//! as the import is published, submitted or discarded.

use super::auth::csrf_field;
use super::auth::Session;
use super::posting::{scopes_for, Posted};
use super::shell::{page, ConsoleError, Result};
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use gongkai_api::state::AppState;
use gongkai_import::{Checked, Field, ListKind, Mapping};
use gongkai_model::{
    idcard, ContentKind, RelocationBoard, RelocationRow, ScopeId, SubsidyList, SubsidyRow,
};
use gongkai_store::{Edit, ImportRecord, User};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Largest upload: a 10⁵-row list as .xlsx is about 4 MB, as CSV about 6 MB.
pub const MAX_UPLOAD: usize = 32 * 1024 * 1024;

/// What the clerk said about the list besides the file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportMeta {
    pub list_kind: String,
    pub programme: String,
    pub year: i32,
    pub issuer: String,
    pub round: u8,
    pub posting_from: String,
    pub posting_until: String,
    pub objection_place: String,
    pub objection_phone: String,
}

impl ImportMeta {
    /// Subsidy or Board; ledgers have their own page (finance.rs), so matches below
    /// treat Ledger with Board only to be exhaustive.
    fn kind(&self) -> ListKind {
        if self.list_kind == "board" {
            ListKind::Board
        } else {
            ListKind::Subsidy
        }
    }
}

pub async fn new_page(
    session: Session,
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response> {
    let user = &session.user;
    let scopes = scopes_for(&st, user).await?;
    // After 放弃: say what was discarded, so the blank form is not a mystery.
    let discarded = match q.get("discarded").and_then(|d| d.parse::<i64>().ok()) {
        Some(id) => super::posting::blocking(&st.store, move |s| s.import(id))
            .await?
            .filter(|r| r.user_id == user.id && r.status == "discarded")
            .map(|r| r.filename),
        None => None,
    };
    let today = st.clock.today();
    let year = chrono::Datelike::year(&today);
    Ok(page(
        "导入名单",
        Some(user),
        html! {
            @if let Some(name) = &discarded {
                p.ok role="status" { "已放弃“" (name) "”的导入：上传的文件已删除，没有公开任何内容。" }
            }
            p.hint { "支持 Excel（.xlsx、.xls）和 CSV（含 GBK 编码）。表头可以在标题行下面；系统会自动识别“姓名”“身份证号”“金额”等列，识别不对的可以在预览页改。每一行都会检查，有错的行会逐条列出，改好后重新上传。" }
            form.card method="post" action="/imports" enctype="multipart/form-data" data-progress="upload-progress" {
                (csrf_field(&session))
                label { "名单类型"
                    select name="list_kind" data-switch="list_kind" {
                        option value="subsidy" { "补贴名单（粮食直补、低保、救灾等）" }
                        option value="board" { "移民三榜（某一榜）" }
                    }
                }
                label { "公开到"
                    select name="scope" required {
                        @for (code, name) in &scopes {
                            option value=(code.as_str()) { (name) "（" (super::shell::level_label(code)) "）" }
                        }
                    }
                }
                fieldset data-when="list_kind=subsidy" {
                    legend { "补贴名单填写" }
                    label { "补贴项目" input name="programme" placeholder="例：耕地地力保护补贴（粮食直补）"; }
                    label { "年度" input name="year" type="number" value=(year) min="2000" max="2100"; }
                    label { "发放单位" input name="issuer" placeholder="例：石桥镇人民政府、云溪县财政局"; }
                }
                fieldset data-when="list_kind=board" {
                    legend { "三榜填写" }
                    label { "第几榜"
                        select name="round" {
                            option value="1" { "第一榜：移民身份确认" }
                            option value="2" { "第二榜：实物指标及补偿" }
                            option value="3" { "第三榜：人口核定" }
                        }
                    }
                    div.row {
                        label { "公示开始" input type="date" name="posting_from" value=(today.to_string()); }
                        label { "公示截止" input type="date" name="posting_until" value=((today + chrono::Duration::days(7)).to_string()); }
                    }
                    label { "异议受理地点" input name="objection_place" placeholder="例：柳湾乡移民工作站"; }
                    label { "异议电话" input name="objection_phone" placeholder="例：0398-6125066"; }
                }
                label { "文件" input type="file" name="file" accept=".xlsx,.xls,.csv,.txt" required; }
                progress id="upload-progress" max="100" value="0" hidden {}
                p id="upload-progress-text" class="hint" hidden {}
                button type="submit" { "上传并检查" }
            }
        },
    ))
}

pub async fn upload(
    session: Session,
    State(st): State<AppState>,
    multipart: Multipart,
) -> Result<Response> {
    let user = session.user.clone();
    let bad = |m: &str| ConsoleError::bad(m).for_user(&user);
    let mut upload = super::posting::Upload::read(multipart, &["file"], &session).await?;
    let file = upload.take("file").into_iter().next();
    let get = |k: &str| upload.get(k);
    let scope = ScopeId::parse(&get("scope")).map_err(|_| bad("请选择公开到哪里"))?;
    if !user.covers(&scope) {
        return Err(ConsoleError::not_found().for_user(&user));
    }
    let (filename, bytes) = file.ok_or_else(|| bad("请选择要上传的文件"))?;
    if bytes.is_empty() {
        return Err(bad("文件是空的"));
    }
    let meta = ImportMeta {
        list_kind: if get("list_kind") == "board" {
            "board".into()
        } else {
            "subsidy".into()
        },
        programme: get("programme"),
        year: get("year").parse().unwrap_or(0),
        issuer: get("issuer"),
        round: get("round").parse().unwrap_or(1),
        posting_from: get("posting_from"),
        posting_until: get("posting_until"),
        objection_place: get("objection_place"),
        objection_phone: get("objection_phone"),
    };
    check_meta(&meta).map_err(|m| bad(&m))?;
    // Reading the file now reports an unreadable one at once, before anything is saved.
    let table = gongkai_import::read(&bytes).map_err(|e| bad(&e.to_string()))?;
    let mapping = gongkai_import::guess(&table, meta.kind()).ok();
    let record = ImportRecord {
        id: 0,
        user_id: user.id,
        scope,
        list_kind: meta.list_kind.clone(),
        filename,
        meta: serde_json::to_string(&meta).unwrap_or_default(),
        mapping: mapping.and_then(|m| serde_json::to_string(&m).ok()),
        upload: Some(bytes),
        status: "preview".into(),
        created_at: st.clock.unix(),
        draft: None,
    };
    let id = super::posting::blocking(&st.store, move |s| s.save_import(&record)).await?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

fn check_meta(meta: &ImportMeta) -> std::result::Result<(), String> {
    match meta.kind() {
        ListKind::Subsidy => {
            if meta.programme.is_empty() {
                return Err("请填写补贴项目名称".into());
            }
            if !(2000..=2100).contains(&meta.year) {
                return Err("年度不对".into());
            }
            if meta.issuer.is_empty() {
                return Err("请填写发放单位".into());
            }
        }
        ListKind::Board | ListKind::Ledger => {
            if !(1..=3).contains(&meta.round) {
                return Err("请选择第几榜".into());
            }
            let from: NaiveDate = meta.posting_from.parse().map_err(|_| "公示开始日期不对")?;
            let until: NaiveDate = meta.posting_until.parse().map_err(|_| "公示截止日期不对")?;
            if until < from {
                return Err("公示截止日期不能早于开始日期".into());
            }
            if meta.objection_place.is_empty() || meta.objection_phone.is_empty() {
                return Err("请填写异议受理地点和电话，群众要看到到哪里提异议".into());
            }
        }
    }
    Ok(())
}

/// The import, if this user may see it (the uploader, or anyone above them who covers
/// its scope and may review).
async fn load(st: &AppState, user: &User, id: i64) -> Result<(ImportRecord, ImportMeta)> {
    let record = super::posting::blocking(&st.store, move |s| s.import(id))
        .await?
        .filter(|r| r.user_id == user.id || user.may_review(&r.scope))
        .ok_or_else(|| ConsoleError::not_found().for_user(user))?;
    let meta: ImportMeta = serde_json::from_str(&record.meta).unwrap_or_default();
    Ok((record, meta))
}

struct Examined {
    format: String,
    mapping: Option<Mapping>,
    checked: Option<Checked>,
    problem: Option<String>,
}

fn examine(record: &ImportRecord, meta: &ImportMeta) -> Examined {
    let Some(bytes) = &record.upload else {
        return Examined {
            format: String::new(),
            mapping: None,
            checked: None,
            problem: Some("这次导入已经结束，文件已删除。".into()),
        };
    };
    let table = match gongkai_import::read(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Examined {
                format: String::new(),
                mapping: None,
                checked: None,
                problem: Some(e.to_string()),
            }
        }
    };
    let mapping = record
        .mapping
        .as_deref()
        .and_then(|m| serde_json::from_str::<Mapping>(m).ok())
        .map(Ok)
        .unwrap_or_else(|| gongkai_import::guess(&table, meta.kind()));
    match mapping {
        Ok(mapping) => {
            let checked = gongkai_import::check(&table, &mapping, meta.kind());
            Examined {
                format: table.format,
                mapping: Some(mapping),
                checked: Some(checked),
                problem: None,
            }
        }
        Err(e) => Examined {
            format: table.format,
            mapping: None,
            checked: None,
            problem: Some(e.to_string()),
        },
    }
}

/// How many bad rows the page lists in full (all are counted; a file with thousands of
/// bad rows usually has one systematic mistake, visible in the first hundreds).
const SHOWN_ERRORS: usize = 500;

pub async fn preview(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response> {
    let user = session.user.clone();
    let (record, meta) = load(&st, &user, id).await?;
    let status = record.status.clone();
    let filename = record.filename.clone();
    let scope = record.scope.clone();
    let for_check = meta.clone();
    let ex = tokio::task::spawn_blocking(move || examine(&record, &for_check))
        .await
        .map_err(|_| ConsoleError::bad("检查失败").for_user(&user))?;
    let changes = match &ex.checked {
        Some(c) => board_changes(&st, &scope, &meta, c).await?,
        None => None,
    };
    let foreign = match ex.checked.as_ref().and_then(|c| c.title.clone()) {
        Some(title) => foreign_places(&st, &scope, &title).await?,
        None => Vec::new(),
    };
    let scope_name = {
        let sc = scope.clone();
        super::posting::blocking(&st.store, move |s| s.head(&sc))
            .await?
            .name
    };
    let reach = super::item::reach(&st, &scope).await?;
    let body = html! {
        dl.facts {
            dt { "文件" } dd { (filename) @if !ex.format.is_empty() { "（" (ex.format) "）" } }
            dt { "类型" } dd { (if meta.kind() == ListKind::Board { format!("移民三榜 · 第{}榜", meta.round) } else { format!("{} · {}年", meta.programme, meta.year) }) }
            dt { "状态" } dd { (status_label(&status)) }
        }
        @if let Some(p) = &ex.problem { p.error role="alert" { (p) } }
        @if let Some(changes) = &changes {
            @let count = |k: gongkai_model::boards::RowChangeKind| changes.iter().filter(|c| c.change == k).count();
            h2 { "与第" (meta.round - 1) "榜相比" }
            p {
                "新增 " (count(gongkai_model::boards::RowChangeKind::Added)) " 户，核减 "
                (count(gongkai_model::boards::RowChangeKind::Removed)) " 户，变更 "
                (count(gongkai_model::boards::RowChangeKind::Changed)) " 户（按户编号对应）。"
            }
            table {
                thead { tr { th { "户编号" } th { "变化" } th { "变更的项目" } } }
                tbody {
                    @for c in changes.iter().filter(|c| c.change != gongkai_model::boards::RowChangeKind::Same) {
                        tr {
                            td { (c.household_id) }
                            td { (match c.change {
                                gongkai_model::boards::RowChangeKind::Added => "新增",
                                gongkai_model::boards::RowChangeKind::Removed => "核减",
                                _ => "变更",
                            }) }
                            td { (c.fields.join("、")) }
                        }
                    }
                }
            }
        }
        @if let Some(c) = &ex.checked {
            @if let Some(t) = &c.title { p { "表格标题：" strong { (t) } } }
            @if c.is_clean() {
                p.ok { "检查通过：共 " (c.rows.len()) " 行，金额合计 " (c.total) "。" }
            } @else {
                p.error role="alert" {
                    "有 " (c.bad_lines()) " 行有问题（共 " (c.errors.len()) " 处），整份名单不能发布。请按下表逐行改正后重新上传（已上传的内容不会发布）。"
                }
            }
            (figures(c))
            @if !foreign.is_empty() {
                p.waiting role="alert" {
                    "表格标题写的是“" (foreign.join("”“")) "”，但您选择公开到“" (scope_name) "”。请核对是不是选错了地方；确认无误，发布前要勾选确认。"
                }
            }
        }
        @if let Some(c) = &ex.checked {
            @if !c.errors.is_empty() { (error_table(c)) }
        }
        @if status == "preview" {
            @if let Some(m) = &ex.mapping { (mapping_form(&session, id, m, &meta)) }
            @if let Some(c) = &ex.checked {
                @if c.is_clean() {
                    p.waiting role="status" data-testid="reach" {
                        @if !user.publishes_directly() { "提交后先由乡镇审核员审核，通过后" }
                        (super::item::reach_line(&scope_name, &reach))
                    }
                    form.inline method="post" action=(format!("/imports/{id}/publish")) {
                        (csrf_field(&session))
                        @if !foreign.is_empty() {
                            label.confirm {
                                input type="checkbox" name="confirm_place" value="yes" required;
                                " 我已核对：这份名单确实公开到“" (scope_name) "”"
                            }
                        }
                        button type="submit" {
                            @if user.publishes_directly() { "发布这份名单" } @else { "提交乡镇审核" }
                        }
                    }
                }
            }
            // Discarding asks first, without script: the button only opens the question.
            details.discard {
                summary.button.secondary { "放弃这次导入…" }
                form.inline method="post" action=(format!("/imports/{id}/discard")) {
                    (csrf_field(&session))
                    p { "放弃后，上传的文件会被删除，这份名单不会公开。确定放弃吗？" }
                    button type="submit" { "确定放弃" }
                }
            }
        }
        @if let Some(c) = &ex.checked {
            @if !c.skipped.is_empty() { (skipped_table(c)) }
            @if !c.rows.is_empty() { (sample_table(c)) }
        }
    };
    Ok(page("导入预览", Some(&session.user), body))
}

fn status_label(s: &str) -> &'static str {
    match s {
        "preview" => "待检查和发布",
        "submitted" => "已提交审核",
        "published" => "已发布",
        "rejected" => "审核未通过",
        "discarded" => "已放弃",
        _ => "",
    }
}

fn mapping_form(session: &Session, id: i64, m: &Mapping, meta: &ImportMeta) -> Markup {
    html! {
        details.card open[meta.kind().fields().iter().any(|(f, required)| *required && m.column(*f).is_none())] {
            summary { "列对应（表头在第 " (m.header_line) " 行）" }
            form method="post" action=(format!("/imports/{id}/mapping")) {
                (csrf_field(session))
                div.grid {
                    @for (field, required) in meta.kind().fields() {
                        label {
                            (field.label()) @if *required { " *" }
                            select name=(field.key()) {
                                option value="" selected[m.column(*field).is_none()] { "（无此列）" }
                                @for (i, h) in m.headers.iter().enumerate() {
                                    option value=(i) selected[m.column(*field) == Some(i)] {
                                        (column_letter(i)) " 列：" (h)
                                    }
                                }
                            }
                        }
                    }
                }
                button.secondary type="submit" { "按此对应重新检查" }
            }
        }
    }
}

/// Excel's column name for a 0-based index: A … Z, AA …
fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn error_table(c: &Checked) -> Markup {
    html! {
        h2 { "需要改正的行" }
        table.errors {
            thead { tr { th { "行号" } th { "列" } th { "填写的内容" } th { "问题" } } }
            tbody {
                @for e in c.errors.iter().take(SHOWN_ERRORS) {
                    tr {
                        td { @if e.line == 0 { "整个文件" } @else { "第 " (e.line) " 行" } }
                        td { (e.field.map(Field::label).unwrap_or("")) }
                        td { (e.value) }
                        td { (e.message) }
                    }
                }
            }
        }
        @if c.errors.len() > SHOWN_ERRORS {
            p.hint { "另有 " (c.errors.len() - SHOWN_ERRORS) " 处问题未列出，改正以上问题后重新上传即可看到。" }
        }
    }
}

/// Accepted rows and their sum beside the sheet's own 合计, so the clerk can compare
/// with the paper.
fn figures(c: &Checked) -> Markup {
    html! {
        table.figures {
            tbody {
                tr { th { "检查通过的行" } td { (c.rows.len()) " 行" } }
                tr { th { "这些行的金额相加" } td { (c.total) } }
                @if let (Some(declared), Some(line)) = (c.declared_total, c.total_line) {
                    tr {
                        th { "表格自带的合计（第 " (line) " 行）" }
                        td {
                            (declared)
                            @if declared == c.total {
                                " " span.badge.approved { "一致" }
                            } @else {
                                " " span.badge.warn {
                                    "不一致，相差 " (gongkai_model::Fen((declared.0 - c.total.0).abs()))
                                    @if !c.errors.is_empty() { "（有问题的行未计入）" }
                                }
                            }
                        }
                    }
                } @else {
                    tr { th { "表格自带的合计" } td.hint { "表格里没有合计行，请与纸质名单的合计核对" } }
                }
                @if !c.skipped.is_empty() {
                    tr { th { "未作为名单读入的行" } td { (c.skipped.len()) " 行（见下表）" } }
                }
            }
        }
    }
}

/// Lines under the header that were not read as rows: listed, so nothing disappears.
fn skipped_table(c: &Checked) -> Markup {
    html! {
        h2 { "没有作为名单行读入的内容（不会公开，请核对）" }
        table.skipped {
            thead { tr { th { "行号" } th { "内容" } th { "原因" } } }
            tbody {
                @for s in &c.skipped {
                    tr { td { "第 " (s.line) " 行" } td { (s.text) } td { (s.why) } }
                }
            }
        }
    }
}

/// Places the table's title names that are neither the chosen scope nor above or below
/// it: a 河口村 list about to be posted to 石桥村.
async fn foreign_places(st: &AppState, scope: &ScopeId, title: &str) -> Result<Vec<String>> {
    let heads = super::posting::blocking(&st.store, |s| s.heads()).await?;
    let related = |other: &ScopeId| {
        other.as_str().starts_with(scope.as_str()) || scope.chain().contains(other)
    };
    let mut names: Vec<String> = heads
        .into_iter()
        .filter(|h| !related(&h.scope) && h.name.chars().count() >= 2 && title.contains(&h.name))
        .map(|h| h.name)
        .collect();
    names.dedup();
    Ok(names)
}

fn sample_table(c: &Checked) -> Markup {
    html! {
        h2 { "检查通过的行（前 20 行，身份证号已遮蔽，公开时也是这样）" }
        table {
            @let area = c.rows.iter().any(|r| r.area_centimu.is_some());
            thead { tr { th { "行号" } th { "姓名" } th { "身份证号" } th { "人口" } @if area { th { "面积（亩）" } } th { "金额" } } }
            tbody {
                @for r in c.rows.iter().take(20) {
                    tr {
                        td { (r.line) }
                        td { (r.name) }
                        td { (idcard::mask(&r.id_number)) }
                        td { (r.household_size.map(|n| n.to_string()).unwrap_or_else(|| "—".into())) }
                        @if area { td { (r.area_centimu.map(|a| format!("{}.{:02}", a / 100, a % 100)).unwrap_or_else(|| "—".into())) } }
                        td { (r.amount) }
                    }
                }
            }
        }
    }
}

pub async fn remap(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response> {
    session.check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let user = session.user.clone();
    let (record, meta) = load(&st, &user, id).await?;
    if record.status != "preview" {
        return Err(ConsoleError::bad("这次导入已经结束").for_user(&user));
    }
    let ex = tokio::task::spawn_blocking(move || examine(&record, &meta))
        .await
        .map_err(|_| ConsoleError::bad("检查失败").for_user(&user))?;
    let Some(mut mapping) = ex.mapping else {
        return Err(ConsoleError::bad(ex.problem.unwrap_or_default()).for_user(&user));
    };
    for (key, value) in &form {
        if let Some(field) = Field::from_key(key) {
            mapping.set(field, value.parse().ok());
        }
    }
    let json = serde_json::to_string(&mapping).unwrap_or_default();
    super::posting::blocking(&st.store, move |s| s.set_import_mapping(id, &json)).await?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    csrf: String,
    /// Set when the clerk confirmed a title naming another place.
    #[serde(default)]
    confirm_place: Option<String>,
}

pub async fn discard(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let (record, _) = load(&st, &session.user, id).await?;
    if record.status == "preview" {
        super::posting::blocking(&st.store, move |s| s.finish_import(id, "discarded", None))
            .await?;
    }
    Ok(Redirect::to(&format!("/imports/new?discarded={id}")).into_response())
}

/// A checked board file's rows as published (IDs masked).
fn board_rows(checked: &Checked) -> Vec<RelocationRow> {
    checked
        .rows
        .iter()
        .map(|r| RelocationRow {
            household_id: r.household_id.clone().unwrap_or_default(),
            head_name: r.name.clone(),
            id_masked: idcard::mask(&r.id_number),
            persons: r.household_size.unwrap_or(1),
            detail: r.detail.clone().unwrap_or_default(),
            compensation: r.amount,
        })
        .collect()
}

/// For a board after the first: how it differs from the board before it, household by
/// household (the same comparison kiosks show residents).
async fn board_changes(
    st: &AppState,
    scope: &gongkai_model::ScopeId,
    meta: &ImportMeta,
    checked: &Checked,
) -> Result<Option<Vec<gongkai_model::boards::RowChange>>> {
    if meta.kind() != ListKind::Board || meta.round < 2 || !checked.is_clean() {
        return Ok(None);
    }
    let sc = scope.clone();
    let round = meta.round - 1;
    let previous = super::posting::blocking(&st.store, move |s| {
        let name = s.head(&sc)?.name;
        s.item_body(
            &sc,
            ContentKind::RelocationBoard,
            &format!("relocation-{name}-{round}"),
        )
    })
    .await?
    .and_then(|b| serde_json::from_str::<RelocationBoard>(&b).ok());
    Ok(previous.map(|p| gongkai_model::boards::diff(&p.rows, &board_rows(checked))))
}

/// Builds the items a checked list publishes as.
fn edits(
    record: &ImportRecord,
    meta: &ImportMeta,
    checked: &Checked,
    scope_name: &str,
) -> Vec<Edit> {
    match meta.kind() {
        ListKind::Subsidy => {
            let list_id = format!("import-{}-{}-{}", meta.year, record.scope, record.id);
            let header = SubsidyList {
                programme: meta.programme.clone(),
                year: meta.year,
                area_name: scope_name.to_string(),
                issuer: meta.issuer.clone(),
                row_count: checked.rows.len() as u32,
                total: checked.total,
                shown_in_full: false,
            };
            let mut out = vec![Edit::put(
                ContentKind::SubsidyList,
                list_id.clone(),
                &header,
            )];
            for (i, r) in checked.rows.iter().enumerate() {
                let row = SubsidyRow {
                    list_id: list_id.clone(),
                    village_name: r.village.clone().unwrap_or_else(|| scope_name.to_string()),
                    name: r.name.clone(),
                    id_masked: idcard::mask(&r.id_number),
                    household_size: r.household_size.unwrap_or(1),
                    area_centimu: r.area_centimu,
                    amount: r.amount,
                };
                out.push(
                    Edit::put(
                        ContentKind::SubsidyRow,
                        format!("{list_id}-{:06}", i + 1),
                        &row,
                    )
                    .with_private_id(r.id_number.clone()),
                );
            }
            out
        }
        ListKind::Board | ListKind::Ledger => {
            let title = match meta.round {
                1 => "移民身份确认第一榜",
                2 => "实物指标及补偿第二榜",
                _ => "人口核定第三榜",
            };
            let board = RelocationBoard {
                village_name: scope_name.to_string(),
                round: meta.round,
                title: format!("{scope_name}{title}"),
                posting_from: meta.posting_from.parse().unwrap_or_default(),
                posting_until: meta.posting_until.parse().unwrap_or_default(),
                objection_place: meta.objection_place.clone(),
                objection_phone: meta.objection_phone.clone(),
                rows: board_rows(checked),
            };
            // The same id per village and round as the demo's boards, so a re-import of a
            // corrected board is a correction (更正) of that board, logged as such.
            vec![Edit::put(
                ContentKind::RelocationBoard,
                format!("relocation-{scope_name}-{}", meta.round),
                &board,
            )]
        }
    }
}

pub async fn publish(
    session: Session,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Form(f): Form<PublishForm>,
) -> Result<Response> {
    session.check_csrf(&f.csrf)?;
    let user = session.user.clone();
    let (record, meta) = load(&st, &user, id).await?;
    if record.status != "preview" {
        return Err(ConsoleError::bad("这次导入已经结束").for_user(&user));
    }
    if f.confirm_place.is_none() {
        let (r, m) = (record.clone(), meta.clone());
        let title = tokio::task::spawn_blocking(move || examine(&r, &m))
            .await
            .ok()
            .and_then(|ex| ex.checked)
            .and_then(|c| c.title);
        if let Some(title) = title {
            let foreign = foreign_places(&st, &record.scope, &title).await?;
            if !foreign.is_empty() {
                return Err(ConsoleError::bad(format!(
                    "表格标题写的是“{}”，与选择的公开范围不一致。请回到预览页核对并勾选确认后再发布。",
                    foreign.join("”“")
                ))
                .for_user(&user));
            }
        }
    }
    let scope_name = {
        let scope = record.scope.clone();
        super::posting::blocking(&st.store, move |s| s.head(&scope))
            .await?
            .name
    };
    let store = st.store.clone();
    let u = user.clone();
    // Publishing re-reads and re-checks the stored file: what is published is exactly
    // what was checked, never a stale preview. Ids derive from the import's id, so a
    // retry after a crash republishes identical items (no change, no duplicate).
    let published = tokio::task::spawn_blocking(move || -> Result<bool> {
        let ex = examine(&record, &meta);
        let checked = ex
            .checked
            .filter(Checked::is_clean)
            .ok_or_else(|| ConsoleError::bad("名单还有错误，不能发布。请改正后重新上传。"))?;
        let edits = edits(&record, &meta, &checked, &scope_name);
        let (title, summary) = match meta.kind() {
            ListKind::Subsidy => (
                format!("{}{}年{}名单", scope_name, meta.year, meta.programme),
                format!(
                    "补贴名单 · {} 户 · 合计 {}",
                    checked.rows.len(),
                    checked.total
                ),
            ),
            ListKind::Board | ListKind::Ledger => (
                format!("{}移民三榜第{}榜", scope_name, meta.round),
                format!("移民三榜 · {} 户", checked.rows.len()),
            ),
        };
        // Re-importing a board that is up is a correction: reviewed, whoever sends it.
        match super::posting::post(store.as_ref(), &u, &record.scope, edits, title, summary)? {
            Posted::Published => {
                store.finish_import(record.id, "published", None)?;
                Ok(true)
            }
            Posted::Draft(draft) => {
                store.finish_import(record.id, "submitted", Some(draft))?;
                Ok(false)
            }
        }
    })
    .await
    .map_err(|_| ConsoleError::bad("发布失败，请重试").for_user(&user))?
    .map_err(|e| e.for_user(&user))?;
    Ok(Redirect::to(if published { "/history" } else { "/drafts" }).into_response())
}
