// What crosses between WorkerAquaVM and its worker. Structured clone keeps Maps, Uint8Arrays and
// bigints but not classes, so an integral f64 (JsonFloat) travels as a tagged object.
import { JsonFloat } from '../protocol/index.js';
import type { AquaInvokeOutcome, AquaRunParameters } from '../air/index.js';

/** One invoke, as sent to the worker. */
export interface InvokeRequest {
  readonly id: number;
  readonly air: string;
  readonly prevData: Uint8Array;
  readonly currentData: Uint8Array;
  readonly params: AquaRunParameters;
  readonly callResults: unknown;
}

/** Its answer: the outcome, or why the VM threw. */
export type InvokeReply =
  | { readonly id: number; readonly outcome: AquaInvokeOutcome; readonly heapDelta?: number }
  | { readonly id: number; readonly error: string };

const FLOAT_TAG = '\u0000jsonFloat';

/** A value with every JsonFloat replaced by a tagged object structured clone can carry. */
export function toCloneable(value: unknown): unknown {
  if (value instanceof JsonFloat) return { [FLOAT_TAG]: value.value };
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, toCloneable(v)]));
  if (Array.isArray(value)) return value.map(toCloneable);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, { value: toCloneable(v), enumerable: true, writable: true });
  }
  return out;
}

/** The inverse of toCloneable. */
export function fromCloneable(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, fromCloneable(v)]));
  if (Array.isArray(value)) return value.map(fromCloneable);
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === FLOAT_TAG) {
    return new JsonFloat(entries[0]![1] as number);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    Object.defineProperty(out, k, { value: fromCloneable(v), enumerable: true, writable: true });
  }
  return out;
}
