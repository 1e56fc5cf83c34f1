// Returns the kiosk to its start screen after a period without touch, so the next
// resident never sees what the previous one was doing.

export interface IdleTimer {
  /** Call on every touch, key or scroll. */
  poke(): void;
  stop(): void;
}

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export function createIdleTimer(timeoutMs: number, onIdle: () => void, clock: Clock = realClock): IdleTimer {
  let handle: unknown = null;
  const arm = () => {
    if (handle !== null) clock.clearTimeout(handle);
    handle = clock.setTimeout(() => {
      handle = null;
      onIdle();
    }, timeoutMs);
  };
  arm();
  return {
    poke: arm,
    stop() {
      if (handle !== null) clock.clearTimeout(handle);
      handle = null;
    },
  };
}
