// Numbers given on the command line, checked with the range they must be in.

/** A whole number in [min, max]: `1e400`, `1.5` or values past the range are refused, the range named. */
export function parseCount(value: string, flag: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new Error(`${flag}: expected a whole number in ${min}..${max}, found "${value}"`);
  return n;
}
