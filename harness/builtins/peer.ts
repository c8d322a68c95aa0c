import type { ServiceFunction } from '../peer/index.js';
import { integer } from './args.js';

/** What `peer.identify` reports, with Nox's field names. */
export interface PeerIdentity {
  readonly external_addresses: readonly string[];
  readonly node_version: string;
  readonly air_version: string;
  readonly spell_version: string;
  readonly allowed_binaries: readonly string[];
}

/** Nox's `peer`: identity, clocks and a timeout (ended early when the particle ends). */
export function peerService(identity: PeerIdentity): Record<string, ServiceFunction> {
  return {
    identify: () => identity,
    timestamp_ms: () => Date.now(),
    timestamp_sec: () => Math.floor(Date.now() / 1000),
    timeout: async (args, call) => {
      const ms = Number(integer(args[0], 'peer.timeout'));
      const message = Array.isArray(args[1]) ? (args[1][0] ?? '') : (args[1] ?? '');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        call.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(new Error('peer.timeout: the particle ended before the timeout'));
          },
          { once: true },
        );
      });
      return message;
    },
  };
}
