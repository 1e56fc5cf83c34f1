import { describe, expect, it } from "vitest";
import { backspace, pick } from "./compose";

describe("pinyin composition", () => {
  it("commits the word and keeps the letters it did not use", () => {
    expect(pick("cunweihui", { word: "村", consumed: 3 })).toEqual({ commit: "村", rest: "weihui" });
    expect(pick("ludeng", { word: "路灯", consumed: 6 })).toEqual({ commit: "路灯", rest: "" });
  });
  it("backspace takes a letter while composing, a whole character otherwise", () => {
    expect(backspace("lud", "路灯坏了")).toEqual({ composition: "lu", text: "路灯坏了" });
    expect(backspace("", "路灯坏了")).toEqual({ composition: "", text: "路灯坏" });
    expect(backspace("", "")).toEqual({ composition: "", text: "" });
  });
});
