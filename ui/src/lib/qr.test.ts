import { describe, expect, it } from "vitest";
import { qrModules } from "./qr";

describe("QR of a tracking code", () => {
  it("is a square grid with the three finder patterns", () => {
    const m = qrModules("K7Q3-9XW2-M");
    expect(m.length).toBe(21); // version 1 holds an 11-character alphanumeric code
    expect(m.every((row) => row.length === m.length)).toBe(true);
    // Finder pattern corners are dark.
    expect(m[0][0] && m[0][20] && m[20][0]).toBe(true);
  });
  it("differs for different codes", () => {
    expect(qrModules("K7Q3-9XW2-M")).not.toEqual(qrModules("K7Q3-9XW2-N"));
  });
});

describe("QR of a phone page", () => {
  it("holds a URL with lower case and percent escapes", () => {
    const url = "http://127.0.0.1:8700/m/419901102201/notice/419901102201/notice-1";
    const m = qrModules(url);
    expect(m.length).toBeGreaterThan(21);
    expect(m.every((row) => row.length === m.length)).toBe(true);
    expect(qrModules(url)).not.toEqual(qrModules(url.replace("notice-1", "notice-2")));
  });
});
