// Every benchmark line as a ratio against its reference in the same run: benchmark modules print
// their tables and record each line here; `npm run -s bench -- --json` prints the recorded lines
// (-s keeps npm's banner off stdout).
// (This file is a helper, not a benchmark: bench/index.ts skips it.)

/** One benchmark line: our figure, the reference's in the same run, and their ratio. */
export interface BenchLine {
  /** Benchmark module (air-vm, host, …). */
  readonly bench: string;
  /** What was measured. */
  readonly line: string;
  /** Unit of `ours` and `reference` (ms, calls/s, MiB…). */
  readonly unit: string;
  readonly ours: number | null;
  readonly reference: number | null;
  /**
   * How many times better ours is than the reference (>1: ours is better), whatever the unit:
   * reference/ours for times and sizes, ours/reference for rates.
   */
  readonly advantage: number | null;
}

const lines: BenchLine[] = [];
let current = '';

/** Names the benchmark module whose lines are recorded next (bench/index.ts calls it). */
export function beginBench(name: string): void {
  current = name;
}

/**
 * Records one line. `lowerIsBetter` says whether a smaller figure is better (times, memory) or a
 * larger one (rates); a missing figure is null.
 */
export function record(
  line: string,
  unit: string,
  ours: number | undefined,
  reference: number | undefined,
  lowerIsBetter = true,
): void {
  const known = (v: number | undefined): number | null =>
    v === undefined || !Number.isFinite(v) ? null : v;
  const o = known(ours);
  const r = known(reference);
  const advantage = o === null || r === null || o === 0 ? null : lowerIsBetter ? r / o : o / r;
  lines.push({ bench: current, line, unit, ours: o, reference: r, advantage });
}

/** The lines recorded so far. */
export function recorded(): readonly BenchLine[] {
  return lines;
}
