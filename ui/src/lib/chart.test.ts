import { describe, expect, it } from "vitest";
import { barChart } from "./chart";

describe("bar chart", () => {
  it("scales bars to the largest amount and stacks rows", () => {
    const c = barChart(
      [
        { category: "道路维修", amount: 180000 },
        { category: "办公费", amount: 45000 },
        { category: "水电费", amount: 1 },
      ],
      600,
    );
    expect(c.bars.map((b) => b.width)).toEqual([600, 150, 4]);
    expect(c.bars.map((b) => b.y)).toEqual([0, 56, 112]);
    expect(c.height).toBe(168);
  });
  it("draws nothing for an empty month", () => {
    expect(barChart([], 600)).toEqual({ bars: [], height: 0 });
  });
});
