import type { CallRequest, CallResult } from '../protocol/index.js';

/** A size limit the VM checks: the AIR script, the incoming particle data, a call result. */
export type SizeLimitName = 'air' | 'particle' | 'call-result';

/** Something a peer reports while it works: what `marine air run` prints and tests assert on. */
export type PeerEvent =
  | {
      readonly type: 'received';
      readonly peerId: string;
      readonly particleId: string;
      readonly from: string;
    }
  | {
      readonly type: 'invoked';
      readonly peerId: string;
      readonly particleId: string;
      readonly retCode: number;
      readonly errorMessage: string;
      readonly nextPeerPks: readonly string[];
      readonly callRequests: number;
      readonly dataBytes: number;
    }
  | {
      readonly type: 'call';
      readonly peerId: string;
      readonly particleId: string;
      readonly callId: number;
      readonly request: CallRequest;
      readonly result: CallResult;
    }
  | {
      readonly type: 'sent';
      readonly from: string;
      readonly to: string;
      readonly particleId: string;
    }
  | {
      readonly type: 'dropped';
      readonly peerId: string;
      readonly particleId: string;
      readonly reason: string;
    }
  | {
      /**
       * The VM flagged size limits in a run (soft limits: the run went on; hard: it failed with
       * error 10). Nox records such a run as an anomaly.
       */
      readonly type: 'size-limit-exceeded';
      readonly peerId: string;
      readonly particleId: string;
      readonly limits: readonly SizeLimitName[];
    };

/** The type of one kind of event. */
export type PeerEventOf<K extends PeerEvent['type']> = Extract<PeerEvent, { readonly type: K }>;

/** Typed listeners: by kind, or for every event. */
export class PeerEvents {
  readonly #any = new Set<(event: PeerEvent) => void>();
  readonly #byType = new Map<string, Set<(event: PeerEvent) => void>>();

  /** Calls `listener` for every event of kind `type`; returns the unsubscribe function. */
  on<K extends PeerEvent['type']>(type: K, listener: (event: PeerEventOf<K>) => void): () => void {
    const set = this.#byType.get(type) ?? new Set();
    this.#byType.set(type, set);
    const wrapped = listener as (event: PeerEvent) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Calls `listener` for every event; returns the unsubscribe function. */
  onAny(listener: (event: PeerEvent) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  /** Delivers an event; a listener that throws cannot stop the others or the peer. */
  emit(event: PeerEvent): void {
    for (const listener of [...(this.#byType.get(event.type) ?? []), ...this.#any]) {
      try {
        listener(event);
      } catch {
        // Listeners observe; their faults are theirs.
      }
    }
  }
}
