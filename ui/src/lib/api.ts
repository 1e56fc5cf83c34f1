// The only way the screens get data: Tauri commands answered from the kiosk's local cache.
// Types come from ./bindings, generated from the Rust types.
import { invoke } from "@tauri-apps/api/core";
import type { CadreDraftView } from "./bindings/CadreDraftView";
import type { CadreNoticeDraft } from "./bindings/CadreNoticeDraft";
import type { CadreView } from "./bindings/CadreView";
import type { CategoryCount } from "./bindings/CategoryCount";
import type { ContentKind } from "./bindings/ContentKind";
import type { Candidate } from "./bindings/Candidate";
import type { ComplaintDraft } from "./bindings/ComplaintDraft";
import type { ComplaintLookup } from "./bindings/ComplaintLookup";
import type { ComplaintReceipt } from "./bindings/ComplaintReceipt";
import type { DisclosureView } from "./bindings/DisclosureView";
import type { FinanceView } from "./bindings/FinanceView";
import type { GuideView } from "./bindings/GuideView";
import type { NoticeView } from "./bindings/NoticeView";
import type { RelocationView } from "./bindings/RelocationView";
import type { SubsidyListView } from "./bindings/SubsidyListView";
import type { SubsidyRowsPage } from "./bindings/SubsidyRowsPage";
import type { MySubsidies } from "./bindings/MySubsidies";
import type { HomeView } from "./bindings/HomeView";
import type { IpcError } from "./bindings/IpcError";
import type { ItemPage } from "./bindings/ItemPage";
import type { UsbPhoto } from "./bindings/UsbPhoto";

export function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** A message a resident may see for any failure. */
export function errorMessage(e: unknown): string {
  return isIpcError(e) ? e.message : "暂时无法读取，请稍后再试";
}

export const api = {
  home: () => invoke<HomeView>("home"),
  categories: (kind: ContentKind) => invoke<CategoryCount[]>("categories", { kind }),
  listItems: (kind: ContentKind, category: string | null, offset: number, limit: number) =>
    invoke<ItemPage>("list_items", { kind, category, offset, limit }),
  disclosure: (scope: string, id: string) => invoke<DisclosureView>("disclosure", { scope, id }),
  finance: (scope: string, id: string) => invoke<FinanceView>("finance", { scope, id }),
  guide: (scope: string, id: string) => invoke<GuideView>("guide", { scope, id }),
  notice: (scope: string, id: string) => invoke<NoticeView>("notice", { scope, id }),
  relocation: (scope: string, id: string) => invoke<RelocationView>("relocation", { scope, id }),
  subsidyList: (scope: string, id: string) => invoke<SubsidyListView>("subsidy_list", { scope, id }),
  subsidyRows: (listId: string, query: string, offset: number, limit: number) =>
    invoke<SubsidyRowsPage>("subsidy_rows", { listId, query, offset, limit }),
  mySubsidies: (name: string, idTail: string) => invoke<MySubsidies>("my_subsidies", { name, idTail }),
  submitComplaint: (draft: ComplaintDraft) => invoke<ComplaintReceipt>("submit_complaint", { draft }),
  complaintStatus: (code: string) => invoke<ComplaintLookup>("complaint_status", { code }),
  pinyinCandidates: (input: string) => invoke<Candidate[]>("pinyin_candidates", { input }),
  handwriting: (strokes: [number, number][][], width: number, height: number) =>
    invoke<string[]>("handwriting", { strokes, width, height }),
  continuations: (last: string) => invoke<Candidate[]>("continuations", { last }),
  readAloud: (text: string) => invoke<void>("read_aloud", { text }),
  stopReading: () => invoke<void>("stop_reading"),
  attachmentUrl: (sha256: string) => invoke<string>("attachment_url", { sha256 }),
  phoneUrl: (kind: ContentKind, scope: string, id: string) => invoke<string | null>("phone_url", { kind, scope, id }),
  cadreUnlock: (code: string) => invoke<CadreView>("cadre_unlock", { code }),
  cadreStatus: () => invoke<CadreView | null>("cadre_status"),
  cadreLock: () => invoke<void>("cadre_lock"),
  panelPower: (on: boolean) => invoke<void>("panel_power", { on }),
  usbPhotos: () => invoke<UsbPhoto[]>("usb_photos"),
  cadreSubmit: (draft: CadreNoticeDraft) => invoke<CadreDraftView>("cadre_submit", { draft }),
  cadreDrafts: () => invoke<CadreDraftView[]>("cadre_drafts"),
};
