// Which screen is showing, and which content kind each home tile opens.
import type { ComplaintKind } from "./bindings/ComplaintKind";
import type { ContentKind } from "./bindings/ContentKind";
import type { TileKey } from "./bindings/TileKey";

export type Screen =
  | { name: "home" }
  | { name: "attract" }
  | { name: "list"; kind: ContentKind; tile: TileKey }
  | { name: "detail"; kind: ContentKind; scope: string; id: string; back: Screen }
  | { name: "complaint"; kind?: ComplaintKind; subject?: string; onBehalf?: boolean }
  | { name: "lookup" }
  | { name: "mine" }
  | { name: "cadre" };

/** The content kind a tile lists, or null for tiles that are actions. */
export function kindOfTile(key: TileKey): ContentKind | null {
  switch (key) {
    case "disclosure":
      return "disclosure";
    case "finance":
      return "finance";
    case "subsidy":
      return "subsidy_list";
    case "relocation":
      return "relocation_board";
    case "guide":
      return "guide";
    case "notice":
      return "notice";
    case "complaint":
      return null;
  }
}

export const TILE_TITLES: Record<TileKey, string> = {
  disclosure: "公开目录",
  finance: "村务财务",
  subsidy: "补贴名单",
  relocation: "移民三榜",
  guide: "办事指南",
  notice: "通知公告",
  complaint: "我要投诉",
};

/** The one character shown large on each tile. */
export const TILE_GLYPHS: Record<TileKey, string> = {
  disclosure: "公",
  finance: "财",
  subsidy: "补",
  relocation: "迁",
  guide: "办",
  notice: "告",
  complaint: "诉",
};
