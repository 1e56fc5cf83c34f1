// The freshness line every screen shows, from the kiosk's sync status.
import type { StatusView } from "./bindings/StatusView";
import { formatDateTime } from "./format";

export interface StatusLine {
  text: string;
  /** "ok" normal, "warn" possibly out of date, "offline" no connection. */
  tone: "ok" | "warn" | "offline";
  badge: string | null;
  /** 内容指纹 of the content shown: the phone page of the village shows the same. */
  fingerprint: string | null;
}

export function statusLine(s: StatusView): StatusLine {
  return { ...freshness(s), fingerprint: s.data_as_of ? s.fingerprint : null };
}

function freshness(s: StatusView): Omit<StatusLine, "fingerprint"> {
  const asOf = s.data_as_of ? `数据更新于 ${formatDateTime(s.data_as_of)}` : "正在获取数据…";
  if (!s.data_as_of && !s.online) {
    return { text: "尚未取得数据，请稍后再来查看", tone: "offline", badge: "离线" };
  }
  if (s.storage_full) {
    return { text: `${asOf}（本机存储已满，暂停更新）`, tone: "warn", badge: null };
  }
  if (s.stale) {
    return { text: `${asOf}（可能不是最新）`, tone: "warn", badge: s.online ? null : "离线" };
  }
  if (!s.online) {
    return { text: `${asOf}（网络中断，显示本机保存的内容）`, tone: "offline", badge: "离线" };
  }
  return { text: asOf, tone: "ok", badge: null };
}
