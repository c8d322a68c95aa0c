// Numbers given on the command line, checked with the range they must be in.

/** An integer flag value ≥ `min`; the error names the flag, the range and what was found. */
export function parseCount(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`${flag}: expected an integer ≥ ${min}, found "${value}"`);
  return n;
}
