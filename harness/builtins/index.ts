// The builtin services every peer answers with Nox's names and shapes (facts §4.2), one file per
// service, registered by name into a peer's service registry. Arguments arrive as the VM's JSON
// values; Aqua optionals arrive as [] or [x].
import { functionService, type ServiceFunction, type ServiceRegistry } from '../peer/index.js';
import { array } from './array.js';
import { cmp } from './cmp.js';
import { debug } from './debug.js';
import { json } from './json.js';
import { math } from './math.js';
import { op } from './op.js';
import { peerService, type PeerIdentity } from './peer.js';

export type { PeerIdentity };

/** What `peer.identify` reports for a peer of this toolkit unless told otherwise. */
export const DEFAULT_IDENTITY: PeerIdentity = {
  external_addresses: [],
  node_version: 'marine-ts',
  air_version: 'marine-ts',
  spell_version: 'none',
  allowed_binaries: [],
};

/** The builtin services by name (op, peer, math, cmp, array, json, debug). */
export function builtinServices(
  identity: Partial<PeerIdentity> = {},
): ReadonlyMap<string, Readonly<Record<string, ServiceFunction>>> {
  return new Map([
    ['op', op],
    ['peer', peerService({ ...DEFAULT_IDENTITY, ...identity })],
    ['math', math],
    ['cmp', cmp],
    ['array', array],
    ['json', json],
    ['debug', debug],
  ]);
}

/** Registers every builtin service in a peer's registry. */
export function registerBuiltins(
  registry: ServiceRegistry,
  identity: Partial<PeerIdentity> = {},
): void {
  for (const [name, functions] of builtinServices(identity)) {
    registry.register(name, functionService(name, functions));
  }
}
