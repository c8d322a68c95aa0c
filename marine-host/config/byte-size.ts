// Marine writes memory limits as human byte sizes ("10 MiB", "Infinity"); decimal units are
// powers of 1000 and binary units powers of 1024, as in the bytesize crate Marine uses.

const UNITS: Record<string, number> = {
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};

/** Parses a byte size ("10 MiB", "4096", 65536, "Infinity"); returns bytes, or null when it is not one. */
export function parseByteSize(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? value : value === Infinity ? Infinity : null;
  }
  if (typeof value === 'bigint') return value >= 0n ? Number(value) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^infinity$/i.test(text)) return Infinity;
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text);
  if (!match) return null;
  const unit = UNITS[(match[2] ?? '').toLowerCase() || 'b'];
  if (unit === undefined) return null;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isFinite(bytes) ? bytes : null;
}

/** Renders bytes the way users write them (binary units), for messages. */
export function formatByteSize(bytes: number): string {
  if (bytes === Infinity) return 'Infinity';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit += 1;
  }
  return `${value} ${units[unit] ?? 'B'}`;
}
