// How dates and times are written for residents: Chinese style, Beijing time.

const BEIJING_OFFSET_MIN = 8 * 60;

function beijingParts(iso: string): { y: number; m: number; d: number; hh: number; mm: number } | null {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const b = new Date(t + BEIJING_OFFSET_MIN * 60_000);
  return {
    y: b.getUTCFullYear(),
    m: b.getUTCMonth() + 1,
    d: b.getUTCDate(),
    hh: b.getUTCHours(),
    mm: b.getUTCMinutes(),
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "2026年11月26日" from an ISO date or date-time. */
export function formatDate(iso: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) {
    const [y, m, d] = iso.split("-").map(Number);
    return `${y}年${m}月${d}日`;
  }
  const p = beijingParts(iso);
  return p ? `${p.y}年${p.m}月${p.d}日` : iso;
}

/** "2026年11月26日 19:40" from an ISO date-time. */
export function formatDateTime(iso: string): string {
  const p = beijingParts(iso);
  return p ? `${p.y}年${p.m}月${p.d}日 ${pad(p.hh)}:${pad(p.mm)}` : iso;
}

/** The clock on the header: "11月26日 星期四 19:40". */
export function formatClock(now: Date): string {
  const p = beijingParts(now.toISOString());
  if (!p) return "";
  const week = "日一二三四五六"[new Date(Date.UTC(p.y, p.m - 1, p.d)).getUTCDay()];
  return `${p.m}月${p.d}日 星期${week} ${pad(p.hh)}:${pad(p.mm)}`;
}

/** "¥1,234.56" from integer fen, as on paper boards; never via floating point. */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(fen));
  const yuan = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}¥${yuan}.${pad(abs % 100)}`;
}

/** "12.50亩" from hundredths of a mu. */
export function formatMu(centimu: number): string {
  return `${Math.floor(centimu / 100)}.${pad(centimu % 100)}亩`;
}

/** "2026年3月" from "2026-03"; "2026年第1季度" from "2026-Q1". */
export function formatPeriod(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m) return `${m[1]}年${Number(m[2])}月`;
  const q = /^(\d{4})-Q([1-4])$/.exec(period);
  if (q) return `${q[1]}年第${q[2]}季度`;
  return period;
}
