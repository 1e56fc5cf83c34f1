import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { api, errorMessage } = await import("./api");

describe("commands", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("passes list arguments by the Rust parameter names", async () => {
    invoke.mockResolvedValue({ entries: [], total: 0, offset: 0, data_as_of: null });
    await api.listItems("disclosure", "政策法规", 7, 7);
    expect(invoke).toHaveBeenCalledWith("list_items", { kind: "disclosure", category: "政策法规", offset: 7, limit: 7 });
  });

  it("shows the Chinese message of a command error, and a safe one otherwise", async () => {
    invoke.mockImplementation(() => Promise.reject({ code: "not_found", message: "没有找到这条内容" }));
    let err: unknown = null;
    try {
      await api.disclosure("419901", "x");
    } catch (e) {
      err = e;
    }
    expect(errorMessage(err)).toBe("没有找到这条内容");
    expect(errorMessage(new Error("boom"))).toBe("暂时无法读取，请稍后再试");
  });
});
