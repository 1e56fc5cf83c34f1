import { describe, expect, it } from "vitest";
import { createIdleTimer, type Clock } from "./idle";

function fakeClock() {
  let t = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  const clock: Clock = {
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: t + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      timers = timers.filter((x) => x.id !== h);
    },
  };
  const advance = (ms: number) => {
    t += ms;
    const due = timers.filter((x) => x.at <= t);
    timers = timers.filter((x) => x.at > t);
    due.forEach((x) => x.fn());
  };
  return { clock, advance };
}

describe("idle reset", () => {
  it("fires once after the timeout without touch", () => {
    const { clock, advance } = fakeClock();
    let fired = 0;
    createIdleTimer(1000, () => fired++, clock);
    advance(999);
    expect(fired).toBe(0);
    advance(1);
    expect(fired).toBe(1);
    advance(5000);
    expect(fired).toBe(1);
  });
  it("every touch starts the wait again", () => {
    const { clock, advance } = fakeClock();
    let fired = 0;
    const idle = createIdleTimer(1000, () => fired++, clock);
    advance(800);
    idle.poke();
    advance(800);
    expect(fired).toBe(0);
    advance(200);
    expect(fired).toBe(1);
  });
  it("stops for good", () => {
    const { clock, advance } = fakeClock();
    let fired = 0;
    const idle = createIdleTimer(1000, () => fired++, clock);
    idle.stop();
    advance(2000);
    expect(fired).toBe(0);
  });
});
