// The five content-addressed stores of interpreter data, keyed by CIDv1 (json, BLAKE3).
import type { SecurityTetraplet } from '../../protocol/index.js';

/** Where a canon element's value came from. */
export type Provenance =
  | { readonly kind: 'literal' }
  | { readonly kind: 'service_result'; readonly cid: string }
  | { readonly kind: 'canon'; readonly cid: string };

/** One element of a canon result: its value, tetraplet and provenance, all by CID. */
export interface CanonElement {
  readonly value: string;
  readonly tetraplet: string;
  readonly provenance: Provenance;
}

/** The result of one `canon`: the canon peer's tetraplet and the elements in order. */
export interface CanonResult {
  readonly tetraplet: string;
  readonly values: readonly string[];
}

/** A call's result as stored: value, hash of the call arguments, and the call's tetraplet. */
export interface ServiceResult {
  readonly value_cid: string;
  readonly argument_hash: string;
  readonly tetraplet_cid: string;
}

/** The stores; `values` holds the canonical JSON text of each value. */
export interface CidStores {
  readonly values: Map<string, string>;
  readonly tetraplets: Map<string, SecurityTetraplet>;
  readonly canonElements: Map<string, CanonElement>;
  readonly canonResults: Map<string, CanonResult>;
  readonly serviceResults: Map<string, ServiceResult>;
}

/** Empty stores. */
export function emptyStores(): CidStores {
  return {
    values: new Map(),
    tetraplets: new Map(),
    canonElements: new Map(),
    canonResults: new Map(),
    serviceResults: new Map(),
  };
}
