// Windowing for very long lists (a township's subsidy list can have a million rows): only
// the rows in view are drawn, and rows are fetched in fixed blocks as they come into view.

export interface Range {
  start: number;
  end: number; // exclusive
}

export function visibleRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 4,
): Range {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(viewport / rowHeight);
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(total, first + count + overscan),
  };
}

/** The block numbers (of `blockSize` rows) that cover a range. */
export function blocksFor(range: Range, blockSize: number): number[] {
  if (range.end <= range.start) return [];
  const first = Math.floor(range.start / blockSize);
  const last = Math.floor((range.end - 1) / blockSize);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
