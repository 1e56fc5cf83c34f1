import { describe, expect, it } from "vitest";
import { formatClock, formatDate, formatDateTime } from "./format";

describe("dates for residents", () => {
  it("writes plain dates without time zone shifts", () => {
    expect(formatDate("2026-01-05")).toBe("2026年1月5日");
  });
  it("writes instants in Beijing time", () => {
    // 16:30 UTC is half past midnight the next day in Beijing.
    expect(formatDateTime("2026-11-25T16:30:00+00:00")).toBe("2026年11月26日 00:30");
    expect(formatDate("2026-11-25T16:30:00Z")).toBe("2026年11月26日");
  });
  it("names the weekday on the clock", () => {
    expect(formatClock(new Date("2026-11-26T03:05:00Z"))).toBe("11月26日 星期四 11:05");
  });
  it("passes through what it cannot read", () => {
    expect(formatDateTime("2026-Q1")).toBe("2026-Q1");
  });
});
