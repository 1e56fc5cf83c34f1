import { describe, expect, it } from "vitest";
import { blocksFor, visibleRange } from "./virtual";

describe("windowing a million rows", () => {
  it("draws only what is in view, plus a margin", () => {
    expect(visibleRange(0, 560, 70, 1_000_000)).toEqual({ start: 0, end: 12 });
    expect(visibleRange(70 * 500_000, 560, 70, 1_000_000)).toEqual({ start: 499_996, end: 500_012 });
  });
  it("stops at the ends", () => {
    expect(visibleRange(70 * 999_998, 560, 70, 1_000_000).end).toBe(1_000_000);
    expect(visibleRange(0, 560, 70, 0)).toEqual({ start: 0, end: 0 });
  });
  it("fetches whole blocks", () => {
    expect(blocksFor({ start: 95, end: 130 }, 50)).toEqual([1, 2]);
    expect(blocksFor({ start: 0, end: 0 }, 50)).toEqual([]);
  });
});
