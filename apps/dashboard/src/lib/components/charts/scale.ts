/**
 * Returns evenly spaced round ticks from 0 that cover `max`, at most about `count` of them, for a value axis that
 * starts at zero. Every report value is a count, an amount, hours or a rate, none of them negative.
 */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step / 2; tick += step) ticks.push(Math.round(tick * 1e6) / 1e6);
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

/** Number of colours in the series palette (the `chart-series-N` classes in app.css). */
export const PALETTE_SIZE = 5;

export function seriesClass(index: number): string {
  return `chart-series-${index % PALETTE_SIZE}`;
}
