import { describe, expect, it } from "vitest";
import { formatClock, formatDate, formatDateTime, formatFen, formatMu, formatPeriod } from "./format";

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

describe("money and measures", () => {
  it("writes fen as yuan with grouping, like the Rust side", () => {
    expect(formatFen(0)).toBe("¥0.00");
    expect(formatFen(5)).toBe("¥0.05");
    expect(formatFen(123456789)).toBe("¥1,234,567.89");
    expect(formatFen(-100050)).toBe("-¥1,000.50");
  });
  it("writes areas and periods", () => {
    expect(formatMu(1250)).toBe("12.50亩");
    expect(formatPeriod("2026-03")).toBe("2026年3月");
    expect(formatPeriod("2026-Q1")).toBe("2026年第1季度");
  });
});
