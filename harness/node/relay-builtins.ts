// What a node answers beyond the builtins every peer has: `peer.*` with the node's real network
// (identify with its listen addresses, is_connected, connect, get_contact) and `kad.*` over the
// real DHT, with Nox's names, shapes and permission rule (facts §4.2, §4.4).
import { createHash } from 'node:crypto';
import { base58btc } from 'multiformats/bases/base58';
import { DEFAULT_IDENTITY, builtinServices } from '../builtins/index.js';
import {
  functionService,
  type ServiceCall,
  type ServiceFunction,
  type ServiceRegistry,
} from '../peer/index.js';
import type { NodeNetwork } from './network.js';

/** Kademlia's k: how many peers kad.neighborhood returns unless told. */
export const KAD_K = 20;

/** Nox's text when a protected builtin is called by someone other than the host or its manager. */
export const PROTECTED_ERROR = 'This function is only available to the host or worker spells';

/** What the relay builtins need to know about their node. */
export interface RelayContext {
  readonly peerId: string;
  readonly network: NodeNetwork;
  readonly managementPeers: readonly string[];
  readonly nodeVersion: string;
  /** Told how long each builtin call took (seconds), for metrics. */
  readonly observe?: (seconds: number) => void;
}

function optional(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function stringArg(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  throw new Error(`${what}: expected a string, found ${JSON.stringify(value) ?? String(value)}`);
}

function countArg(value: unknown, what: string): number {
  const v = optional(value);
  if (v === undefined || v === null) return KAD_K;
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new Error(`${what}: expected a count (u32), found ${JSON.stringify(v) ?? String(v)}`);
  }
  return n;
}

function decodeB58(text: string, what: string): Uint8Array {
  try {
    return base58btc.baseDecode(text);
  } catch {
    throw new Error(`${what}: expected a base58 string, found ${JSON.stringify(text)}`);
  }
}

/** The multihash code Nox wraps a neighbourhood key with (sha2-256), though it does not hash it. */
export const KAD_KEY_CODE = 0x12;

/**
 * The DHT key `kad.neighborhood` looks up for a base58 key, as Nox builds it: unless
 * `alreadyHashed`, the key's raw bytes wrapped (not hashed) as a multihash of code 0x12 (at most
 * 64 bytes fit); with `alreadyHashed`, the bytes must already be a multihash and are used as they
 * are. The DHT then measures distance on SHA-256 of these bytes, as libp2p's Kademlia does.
 */
export function kadLookupKey(
  keyB58: string,
  alreadyHashed: boolean,
  what = 'kad.neighborhood',
): Uint8Array {
  const raw = decodeB58(keyB58, what);
  if (alreadyHashed) {
    checkMultihash(raw, what);
    return raw;
  }
  if (raw.length > 64) {
    throw new Error(
      `${what}: expected a key of at most 64 bytes to wrap as a multihash, found ${raw.length} bytes (pass already_hashed for a multihash)`,
    );
  }
  return Uint8Array.from([KAD_KEY_CODE, raw.length, ...raw]);
}

// A multihash: varint code, varint digest length, then exactly that many bytes.
function checkMultihash(bytes: Uint8Array, what: string): void {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 63; shift += 7) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('cut short');
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error('a varint too long');
  };
  try {
    varint();
    const length = varint();
    if (bytes.length - at !== length) {
      throw new Error(`the digest length says ${length} bytes, ${bytes.length - at} follow`);
    }
  } catch (error) {
    throw new Error(
      `${what}: already_hashed is true, so the key must be a multihash in base58: ${(error as Error).message}`,
    );
  }
}

// kad.neighborhood's arguments: the key, already_hashed (an Aqua optional bool), the count.
function neighborhoodKey(args: readonly unknown[], what: string): Uint8Array {
  const already = optional(args[1]);
  if (already !== undefined && already !== null && typeof already !== 'boolean') {
    throw new Error(
      `${what}: expected already_hashed to be a bool, found ${JSON.stringify(already)}`,
    );
  }
  return kadLookupKey(stringArg(args[0], what), already === true, what);
}

function xorKey(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * Sorts peer ids by Kademlia (XOR of SHA-256) distance to `target` (a base58 key or a DHT key's
 * bytes), without duplicates.
 */
export function byDistance(target: string | Uint8Array, peers: readonly string[]): string[] {
  const t = xorKey(typeof target === 'string' ? decodeB58(target, 'kad.merge') : target);
  const unique = [...new Set(peers)];
  const dist = new Map(
    unique.map((p) => {
      const k = xorKey(decodeB58(p, 'kad.merge'));
      return [p, Buffer.from(k.map((b, i) => b ^ t[i]!))];
    }),
  );
  return unique.sort((a, b) => Buffer.compare(dist.get(a)!, dist.get(b)!));
}

/** The node's `peer` service: the common one plus the network functions. */
export function nodePeerService(ctx: RelayContext): Record<string, ServiceFunction> {
  const common = builtinServices().get('peer') ?? {};
  const allowed = (call: ServiceCall): boolean =>
    call.particle.initPeerId === ctx.peerId ||
    ctx.managementPeers.includes(call.particle.initPeerId);
  return {
    ...common,
    identify: () => ({
      ...DEFAULT_IDENTITY,
      external_addresses: ctx.network.multiaddrs(),
      node_version: ctx.nodeVersion,
      allowed_effectors: {},
    }),
    is_connected: (args) => ctx.network.isConnected(stringArg(args[0], 'peer.is_connected')),
    connect: async (args, call) => {
      if (!allowed(call)) throw new Error(PROTECTED_ERROR);
      const peer = stringArg(args[0], 'peer.connect');
      const addrs = optional(args[1]);
      const list = Array.isArray(addrs) ? addrs.map((a) => stringArg(a, 'peer.connect')) : [];
      try {
        if (list.length === 0) await ctx.network.connect(peer, { signal: call.signal });
        for (const addr of list) {
          await ctx.network.connect(addr.includes('/p2p/') ? addr : `${addr}/p2p/${peer}`, {
            signal: call.signal,
          });
        }
        return ctx.network.isConnected(peer);
      } catch {
        return false;
      }
    },
    get_contact: (args) => {
      const contact = ctx.network.getContact(stringArg(args[0], 'peer.get_contact'));
      return contact === undefined
        ? []
        : [{ peer_id: contact.peerId, addresses: [...contact.addresses] }];
    },
  };
}

/** The node's `kad` service over the real DHT. */
export function kadService(ctx: RelayContext): Record<string, ServiceFunction> {
  const neighborhood = (args: readonly unknown[], what: string): Promise<string[]> =>
    ctx.network.closestPeers(neighborhoodKey(args, what), countArg(args[2], what));
  return {
    neighborhood: (args) => neighborhood(args, 'kad.neighborhood'),
    neigh_with_addrs: async (args) =>
      (await neighborhood(args, 'kad.neigh_with_addrs')).map((p) => ({
        peer_id: p,
        addresses: [...(ctx.network.getContact(p)?.addresses ?? [])],
      })),
    merge: (args) => {
      const target = stringArg(args[0], 'kad.merge');
      const list = (v: unknown): string[] => {
        if (!Array.isArray(v))
          throw new Error(`kad.merge: expected an array of peer ids, found ${JSON.stringify(v)}`);
        return v.map((p) => stringArg(p, 'kad.merge'));
      };
      return byDistance(target, [...list(args[1]), ...list(args[2])]).slice(
        0,
        countArg(args[3], 'kad.merge'),
      );
    },
  };
}

/** Registers every builtin, with the node's own `peer` and `kad`, in a node's registry. */
export function registerNodeBuiltins(registry: ServiceRegistry, ctx: RelayContext): void {
  const all = new Map(builtinServices());
  all.set('peer', nodePeerService(ctx));
  all.set('kad', kadService(ctx));
  for (const [name, functions] of all) {
    registry.register(name, functionService(name, timed(functions, ctx.observe)));
  }
}

// Each function timed for the service-call histogram (peer.timeout included: it is a call).
function timed(
  functions: Readonly<Record<string, ServiceFunction>>,
  observe: ((seconds: number) => void) | undefined,
): Record<string, ServiceFunction> {
  if (observe === undefined) return { ...functions };
  return Object.fromEntries(
    Object.entries(functions).map(([name, fn]) => [
      name,
      async (args: readonly unknown[], call: ServiceCall) => {
        const started = performance.now();
        try {
          return await fn(args, call);
        } finally {
          observe((performance.now() - started) / 1000);
        }
      },
    ]),
  );
}
