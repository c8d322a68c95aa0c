// The executed states of a trace, in the flat form that travels inside interpreter data.
// A trace is a pre-order flattening of the execution: a par state is followed by its left then
// its right subtrace; a fold state is followed by the subtraces of its iterations, one per value.

/** Who sent a call: a remote peer (no call id) or this peer waiting on call request `callId`. */
export interface CallSender {
  readonly peer: string;
  readonly callId?: number;
}

/**
 * The recorded outcome of one `call`. CIDs name service result aggregates, except `unused`: a call
 * without output records only its value's CID, as AquaVM does, and no peer signs it.
 * `legacy_unused` is such a call as data format 1.0 recorded it, by its service result aggregate
 * (which its peer signed); it is kept as read so that the old signatures still hold.
 */
export type CallState =
  | { readonly kind: 'sent'; readonly sender: CallSender }
  | { readonly kind: 'scalar'; readonly cid: string }
  | { readonly kind: 'stream'; readonly cid: string; readonly generation: number }
  | { readonly kind: 'unused'; readonly cid: string }
  | { readonly kind: 'legacy_unused'; readonly cid: string }
  | { readonly kind: 'failed'; readonly cid: string };

/** One iterated value of a stream fold: where its producer state is and how long its subtrace is. */
export interface FoldLoreEntry {
  readonly valuePos: number;
  readonly length: number;
  /**
   * Where AquaVM recorded the (always empty) part of the subtrace after `next`, as read from
   * AquaVM's data; kept only so that data read and written unchanged keeps its bytes. Unset, it
   * is computed as AquaVM computes it (see foldAfterPositions).
   */
  readonly afterPos?: number;
  /**
   * Set only for AquaVM data whose part before `next` does not start where the previous value's
   * ends, or whose part after `next` is not empty: valid rkyv that no run writes. Kept so the
   * data is refused where AquaVM refuses it, when the fold is loaded (a trace error, 20000).
   */
  readonly beforePos?: number;
  readonly afterLength?: number;
}

/** The recorded outcome of one `canon`: still waiting on the canon peer, or its canon result CID. */
export type CanonState =
  | { readonly kind: 'sent'; readonly peer: string }
  | { readonly kind: 'executed'; readonly cid: string };

/** One executed state. */
export type ExecutedState =
  | { readonly kind: 'par'; readonly left: number; readonly right: number }
  | { readonly kind: 'call'; readonly call: CallState }
  | { readonly kind: 'fold'; readonly lore: readonly FoldLoreEntry[] }
  | { readonly kind: 'ap'; readonly generation: number }
  | { readonly kind: 'canon'; readonly canon: CanonState };

/** A whole trace. */
export type Trace = readonly ExecutedState[];
