/**
 * A small seeded pseudo-random generator (xorshift32), so the simulated firm's cast and calendar are the same on
 * every run and a failure can be replayed. Statistical quality does not matter here, only repeatability.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    // xorshift never leaves zero, so a zero seed is replaced by a fixed non-zero one.
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Returns a float in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x / 0x1_0000_0000;
  }

  /** Returns an integer from `min` to `max`, both included. */
  integer(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick needs at least one item");
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Returns the items in a new, shuffled order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = Math.floor(this.next() * (index + 1));
      [copy[index], copy[other]] = [copy[other]!, copy[index]!];
    }
    return copy;
  }
}
