import { describe, expect, it } from "vitest";
import { statusLine } from "./status";

const base = { online: true, last_sync_at: null, data_as_of: "2026-11-26T11:40:00+08:00", fingerprint: "1A2B-3C4D", stale: false, problem: null, storage_full: false, display_on: true };

describe("freshness line", () => {
  it("says when the data was updated", () => {
    expect(statusLine(base)).toEqual({ text: "数据更新于 2026年11月26日 11:40", tone: "ok", badge: null, fingerprint: "1A2B-3C4D" });
  });
  it("shows the offline badge when the server cannot be reached", () => {
    const l = statusLine({ ...base, online: false });
    expect(l.badge).toBe("离线");
    expect(l.text).toContain("网络中断");
  });
  it("warns that data may be out of date once the signature expired", () => {
    const l = statusLine({ ...base, stale: true });
    expect(l.tone).toBe("warn");
    expect(l.text).toContain("可能不是最新");
  });
  it("says there is no data yet before the first sync", () => {
    expect(statusLine({ ...base, online: false, data_as_of: null }).text).toBe("尚未取得数据，请稍后再来查看");
  });
});

it("says updates are paused on a full disk, the data shown stays", () => {
  const l = statusLine({ ...base, storage_full: true });
  expect(l.tone).toBe("warn");
  expect(l.text).toContain("本机存储已满");
  expect(l.text).toContain("数据更新于");
});

it("names the content's fingerprint only once there is data", () => {
  expect(statusLine({ ...base, stale: true }).fingerprint).toBe("1A2B-3C4D");
  expect(statusLine({ ...base, data_as_of: null, fingerprint: null }).fingerprint).toBeNull();
});
