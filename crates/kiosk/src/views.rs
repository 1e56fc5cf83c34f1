//! What the kiosk screens receive. These types cross the Tauri IPC boundary; their
//! TypeScript twins in ui/src/lib/bindings are generated from here (`cargo run -p
//! gongkai-kiosk --bin export-bindings`), never written by hand.

use crate::config::Orientation;
use gongkai_model::Disclosure;
use serde::Serialize;
use ts_rs::TS;

/// The home-screen tiles, in the order they appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TileKey {
    Disclosure,
    Finance,
    Subsidy,
    Relocation,
    Guide,
    Notice,
    Complaint,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Tile {
    pub key: TileKey,
    pub label: String,
    /// One short line under the label saying what is inside.
    pub hint: String,
    /// How many items are behind the tile (0 for actions such as complaints).
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct StatusView {
    /// The last attempt to reach the server succeeded.
    pub online: bool,
    /// When the kiosk last reached the server (ISO 8601), if ever since start.
    pub last_sync_at: Option<String>,
    /// The time up to which the shown data is verified current: the oldest signature
    /// time among the followed scopes (ISO 8601). None before the first sync.
    pub data_as_of: Option<String>,
    /// 内容指纹 of the shown content (`gongkai_protocol::fingerprint` over the followed
    /// scopes' verified state hashes): the public phone page of this village shows the
    /// same eight characters when it shows the same content. None before the first sync.
    pub fingerprint: Option<String>,
    /// Some signed checkpoint has expired: the screen must say "可能不是最新".
    pub stale: bool,
    /// A problem to show staff, in Chinese (never shown as a resident's error).
    pub problem: Option<String>,
    /// The kiosk's storage is full: content cannot be updated (what is shown stays
    /// correct, and filings are kept in their own file).
    pub storage_full: bool,
    /// Inside the display hours: false at night, when the screen goes dark until touched.
    pub display_on: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct HomeView {
    pub kiosk_id: String,
    /// The places this kiosk serves, most local first: what a filing can concern.
    pub places: Vec<PlaceView>,
    /// The most local place name (village, township or county).
    pub place_name: String,
    pub county_name: String,
    pub township_name: Option<String>,
    pub village_name: Option<String>,
    pub tiles: Vec<Tile>,
    pub status: StatusView,
    pub idle_timeout_secs: u32,
    pub orientation: Orientation,
    pub care_mode_default: bool,
    /// An emergency notice in force: the screen shows it over everything.
    pub emergency: Option<EmergencyView>,
}

/// 紧急通知 as the takeover screen shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct EmergencyView {
    pub id: String,
    pub level: gongkai_model::EmergencyLevel,
    pub level_label: String,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub issuer: String,
    /// ISO time in Beijing when it ends.
    pub expire_at: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PlaceView {
    pub scope: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CategoryCount {
    pub category: String,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ListEntry {
    /// The scope code that published it: items are named by (scope, id).
    pub scope: String,
    pub id: String,
    /// Name of the county, township or village that published it.
    pub scope_name: String,
    pub title: String,
    pub category: String,
    pub date: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ItemPage {
    pub entries: Vec<ListEntry>,
    pub total: u32,
    pub offset: u32,
    /// "数据截至 …" for the list: when its data was last verified current (ISO 8601).
    pub data_as_of: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DisclosureView {
    pub id: String,
    pub scope_name: String,
    pub item: Disclosure,
    /// Earlier versions, newest correction first (empty if never corrected).
    pub versions: Vec<VersionView>,
}

/// How an error reaches the screens: a stable code to branch on and a Chinese message
/// that may be shown as is.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

/// Writes the TypeScript declarations of every type that crosses IPC into `dir`.
pub fn export_bindings(dir: &std::path::Path) -> Result<(), ts_rs::ExportError> {
    // Counts and sizes stay far below 2^53, so plain numbers are right in the UI.
    let cfg = ts_rs::Config::new()
        .with_out_dir(dir)
        .with_large_int("number");
    HomeView::export_all(&cfg)?;
    ItemPage::export_all(&cfg)?;
    CategoryCount::export_all(&cfg)?;
    DisclosureView::export_all(&cfg)?;
    IpcError::export_all(&cfg)?;
    FinanceView::export_all(&cfg)?;
    GuideView::export_all(&cfg)?;
    NoticeView::export_all(&cfg)?;
    RelocationView::export_all(&cfg)?;
    SubsidyListView::export_all(&cfg)?;
    MySubsidies::export_all(&cfg)?;
    SubsidyRowsPage::export_all(&cfg)?;
    ComplaintDraft::export_all(&cfg)?;
    ComplaintReceipt::export_all(&cfg)?;
    ComplaintLookup::export_all(&cfg)?;
    crate::ime::Candidate::export_all(&cfg)?;
    gongkai_model::ContentKind::export_all(&cfg)?;
    CadreView::export_all(&cfg)?;
    UsbPhoto::export_all(&cfg)?;
    CadreNoticeDraft::export_all(&cfg)?;
    CadreDraftView::export_all(&cfg)?;
    VersionView::export_all(&cfg)?;
    gongkai_model::complaint::ComplaintKind::export_all(&cfg)?;
    std::fs::write(dir.join("complaintKinds.ts"), complaint_kinds_ts())?;
    Ok(())
}

/// The filing kinds as the UI offers them — key, label, whether name and phone are
/// required — generated from `ComplaintKind` so the tile, the form and the receipt say
/// the same thing the server does.
fn complaint_kinds_ts() -> String {
    use gongkai_model::complaint::ComplaintKind;
    let mut ts = String::from(
        "// Generated from gongkai_model::complaint::ComplaintKind by export-bindings; do not edit.\n\
         import type { ComplaintKind } from \"./ComplaintKind\";\n\n\
         export const COMPLAINT_KINDS: { kind: ComplaintKind; label: string; requiresContact: boolean }[] = [\n",
    );
    for k in ComplaintKind::ALL {
        let key = serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        ts.push_str(&format!(
            "  {{ kind: \"{key}\", label: \"{}\", requiresContact: {} }},\n",
            k.label(),
            k.requires_contact()
        ));
    }
    ts.push_str("];\n");
    ts
}

/// One period's 村务财务 statement, with what the screen draws from it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FinanceView {
    pub id: String,
    pub scope_name: String,
    pub statement: gongkai_model::FinanceStatement,
    /// Earlier versions, newest correction first (empty if never corrected).
    pub versions: Vec<VersionView>,
    pub income: gongkai_model::Fen,
    pub expense: gongkai_model::Fen,
    /// Opening + income − expense = closing.
    pub balanced: bool,
    /// Expense per category, largest first, for the chart.
    pub expense_by_category: Vec<CategoryAmount>,
    /// Every period of this village, newest first, for one-tap navigation.
    pub periods: Vec<PeriodRef>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct CategoryAmount {
    pub category: String,
    pub amount: gongkai_model::Fen,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct PeriodRef {
    pub id: String,
    pub period: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct GuideView {
    pub id: String,
    pub scope_name: String,
    pub guide: gongkai_model::Guide,
    /// Earlier versions, newest correction first (empty if never corrected).
    pub versions: Vec<VersionView>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct NoticeView {
    pub id: String,
    pub scope_name: String,
    pub notice: gongkai_model::Notice,
    /// Earlier versions, newest correction first (empty if never corrected).
    pub versions: Vec<VersionView>,
}

/// One 三榜 board with its posting status and what changed since the board before it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RelocationView {
    pub id: String,
    pub scope_name: String,
    pub board: gongkai_model::RelocationBoard,
    /// Earlier versions, newest correction first (empty if never corrected).
    pub versions: Vec<VersionView>,
    pub status: gongkai_model::boards::PostingStatus,
    /// Days of the posting period left, today included (0 once ended).
    pub days_left: i64,
    /// The other boards of the same village, by round.
    pub rounds: Vec<RoundRef>,
    /// Row-by-row comparison with the previous round; empty for round 1.
    pub changes: Vec<gongkai_model::boards::RowChange>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RoundRef {
    pub id: String,
    pub round: u8,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SubsidyListView {
    pub id: String,
    pub scope_name: String,
    pub list: gongkai_model::SubsidyList,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SubsidyRowView {
    pub id: String,
    pub row: gongkai_model::SubsidyRow,
}

/// What a search found, and how the text was understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QueryKind {
    All,
    Name,
    Initials,
    IdTail,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SubsidyRowsPage {
    pub rows: Vec<SubsidyRowView>,
    /// How many rows match; when `total_is_lower_bound`, at least this many ("2000 户以上").
    pub total: u32,
    pub total_is_lower_bound: bool,
    pub offset: u32,
    pub query_kind: QueryKind,
    /// The lists were just received and their name index is still being built: searches
    /// by name are slower meanwhile (the screen says 名单索引建立中), never different.
    pub indexing: bool,
}

/// 查我的补贴: a subsidy list the resident is on, with their row.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MySubsidyHit {
    pub list_id: String,
    /// Who published the list.
    pub scope_name: String,
    pub title: String,
    /// 发放单位.
    pub issuer: String,
    /// Until when it is posted, where the publisher set an end (ISO 8601).
    pub expires_at: Option<String>,
    pub row: gongkai_model::SubsidyRow,
}

/// 查我的补贴: a 三榜 board the resident's household is on, with its row.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MyBoardHit {
    pub scope: String,
    pub id: String,
    pub scope_name: String,
    pub title: String,
    pub posting_from: String,
    pub posting_until: String,
    pub row: gongkai_model::RelocationRow,
}

/// 查我的补贴: every list and board one person is on, and how many were searched (so
/// "not found" says how much was looked through).
#[derive(Debug, Clone, Serialize, TS)]
pub struct MySubsidies {
    pub lists: Vec<MySubsidyHit>,
    pub boards: Vec<MyBoardHit>,
    pub lists_searched: u32,
    pub boards_searched: u32,
}

/// What the resident filled in on the complaint form.
#[derive(Debug, Clone, serde::Deserialize, TS)]
pub struct ComplaintDraft {
    pub kind: gongkai_model::complaint::ComplaintKind,
    /// Which of the kiosk's places it concerns (village, township or county code); empty
    /// means the most local one.
    #[serde(default)]
    pub scope: String,
    /// What it concerns; prefilled for a 三榜 objection (board and household).
    pub subject: String,
    pub text: String,
    /// Optional, except for 依申请公开 and filings entered for someone.
    pub name: String,
    pub phone: String,
    /// 代为提交: a cadre in cadre mode enters it for a resident who cannot use the screen.
    #[serde(default)]
    pub on_behalf: bool,
}

/// Shown only after the filing is durably saved on this kiosk.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintReceipt {
    /// "K7Q3-9XW2-M"
    pub code: String,
    pub kind_label: String,
    /// ISO 8601.
    pub saved_at: String,
    /// Number of filings on this kiosk still waiting for the network.
    pub waiting: u32,
    /// The filing's status page on the public phone pages, for the receipt's QR code;
    /// none when the kiosk has no public base URL (then the QR holds the bare code).
    pub phone_url: Option<String>,
}

/// What a code lookup found, on the server or (offline) on this kiosk.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ComplaintLookup {
    pub code: String,
    pub found: bool,
    pub kind_label: Option<String>,
    pub subject: Option<String>,
    pub status_label: Option<String>,
    pub office: Option<String>,
    pub received_on: Option<String>,
    pub due_on: Option<String>,
    /// Beside the date when it is provisional (next year's holidays not entered yet).
    pub due_note: Option<String>,
    pub answer: Option<String>,
    /// A sentence for the resident about where things stand.
    pub message: String,
}

/// A cadre who unlocked this kiosk.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CadreView {
    pub display_name: String,
    pub village_name: String,
    /// ISO time in Beijing when the unlock lapses.
    pub expires_at: String,
}

/// A photo found on a USB stick.
#[derive(Debug, Clone, Serialize, TS)]
pub struct UsbPhoto {
    /// What to send back to attach it.
    pub path: String,
    pub name: String,
    /// A small JPEG as a data: URL (allowed by the webview's CSP for images).
    pub thumbnail: String,
}

/// What a cadre composed on the kiosk.
#[derive(Debug, Clone, serde::Deserialize, TS)]
pub struct CadreNoticeDraft {
    pub title: String,
    pub body: String,
    /// Shown for this many days; none for no end date.
    pub days: Option<u32>,
    /// Paths from [`UsbPhoto::path`].
    pub photos: Vec<String>,
}

/// One of the cadre's postings and where it stands.
#[derive(Debug, Clone, Serialize, TS)]
pub struct CadreDraftView {
    pub title: String,
    /// 待审核, 已通过并发布, 已退回, 等待上传
    pub status_label: String,
    pub status: String,
    pub reason: String,
    pub created_at: String,
}

/// One correction of an item: when the replaced version was published and replaced, and
/// what changed, line by line, from it to the version after it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct VersionView {
    pub published_at: String,
    pub replaced_at: String,
    pub changes: Vec<gongkai_model::history::DiffLine>,
}
