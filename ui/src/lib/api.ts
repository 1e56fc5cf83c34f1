// The only way the screens get data: Tauri commands answered from the kiosk's local cache.
// Types come from ./bindings, generated from the Rust types.
import { invoke } from "@tauri-apps/api/core";
import type { CategoryCount } from "./bindings/CategoryCount";
import type { ContentKind } from "./bindings/ContentKind";
import type { DisclosureView } from "./bindings/DisclosureView";
import type { HomeView } from "./bindings/HomeView";
import type { IpcError } from "./bindings/IpcError";
import type { ItemPage } from "./bindings/ItemPage";

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
  disclosure: (id: string) => invoke<DisclosureView>("disclosure", { id }),
  attachmentUrl: (sha256: string) => invoke<string>("attachment_url", { sha256 }),
};
