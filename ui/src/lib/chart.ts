// Horizontal bar chart geometry for amounts in fen: pure numbers, drawn as SVG by the
// screen. Bars are proportional to the largest amount.

export interface Bar {
  label: string;
  amount: number;
  y: number;
  width: number;
}

export interface BarChart {
  bars: Bar[];
  height: number;
}

export function barChart(
  items: { category: string; amount: number }[],
  maxWidth: number,
  rowHeight = 56,
): BarChart {
  const max = Math.max(1, ...items.map((i) => i.amount));
  const bars = items.map((item, i) => ({
    label: item.category,
    amount: item.amount,
    y: i * rowHeight,
    // Any positive amount stays visible as at least a sliver.
    width: item.amount > 0 ? Math.max(4, Math.round((item.amount / max) * maxWidth)) : 0,
  }));
  return { bars, height: items.length * rowHeight };
}
