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
