// How big a call's value is, measured before it crosses between the host and a service's worker.
// A guest can return as much as its memory holds (hundreds of MiB); copying that to the host
// thread, then converting it, would exhaust the host's heap, so a call over the limit fails
// instead. The walk is iterative (no recursion on deep values) and stops once past the limit.

/** Default largest argument list or result, in bytes: AquaVM's default call-result size limit. */
export const DEFAULT_VALUE_SIZE_LIMIT = 32 * 1024 * 1024;

function stringBytes(s: string, room: number): number {
  // Every UTF-16 unit is at least one UTF-8 byte: a string longer than the room left is over
  // it without counting further; otherwise count exactly (Buffer.byteLength does not copy).
  return s.length > room ? s.length : Buffer.byteLength(s, 'utf8');
}

/**
 * The size in bytes of a value as the host passes it (UTF-8 strings, byte arrays, 8 bytes a
 * number, field names counted), or a number above `limit` as soon as it is clear the value is
 * larger; `limit` bounds the work done too.
 */
export function valueSize(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') total += stringBytes(v, limit - total);
    else if (ArrayBuffer.isView(v)) total += v.byteLength;
    else if (Array.isArray(v)) {
      total += 1;
      for (let i = v.length - 1; i >= 0; i -= 1) stack.push(v[i]);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        total += k.length;
        stack.push(x);
      }
    } else total += 8;
  }
  return total;
}

/** Whether a value is larger than `limit` bytes (see valueSize). */
export function valueSizeOver(value: unknown, limit: number): boolean {
  return valueSize(value, limit) > limit;
}
