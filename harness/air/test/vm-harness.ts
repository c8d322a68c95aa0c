// Test helpers: deterministic peers and a tiny in-process particle loop around one AIR runner,
// so VM tests can run multi-peer scripts without the network package.
import { readFileSync } from 'node:fs';
import { keyPairFromSeed } from '../../protocol/index.js';
import type {
  AquaCallRequest,
  AquaCallResult,
  AquaInvokeOutcome,
  AquaRunParameters,
} from '../vm.js';

/** A test peer: seed and peer id. */
export interface TestPeer {
  readonly seed: Uint8Array;
  readonly peerId: string;
}

/** Deterministic test peer number `n`. */
export function testPeer(n: number): TestPeer {
  const seed = new Uint8Array(32).fill(n + 1);
  return { seed, peerId: keyPairFromSeed(seed).peerId };
}

/** One hand-written VM scenario: AIR with `@A`, `@B`, `@C` for the three scenario peers. */
export interface VmScenario {
  readonly name: string;
  readonly air: string;
}

/** The hand-written VM scenarios (fixtures/air/vm-differential.json). */
export function vmScenarios(): readonly VmScenario[] {
  const url = new URL('../../../fixtures/air/vm-differential.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { scenarios: VmScenario[] }).scenarios;
}

/** The three peers the scenarios run on (`@A`, `@B`, `@C`). */
export const scenarioPeers = [testPeer(0), testPeer(1), testPeer(2)] as const;

/**
 * The services of the hand-written VM scenarios (fixtures/air/vm-differential.json): `fail`
 * fails, `arr` and `obj` return fixed values, `inc` adds one, anything else echoes its function
 * name and arguments.
 */
export function scenarioServices(_peer: string, call: AquaCallRequest): AquaCallResult {
  switch (call.serviceId) {
    case 'fail':
      return { retCode: 1, result: 'boom' };
    case 'arr':
      return { retCode: 0, result: [1, 2, 3] };
    case 'obj':
      return { retCode: 0, result: { a: { b: [5, 6] }, n: 'x' } };
    case 'inc':
      return { retCode: 0, result: (call.arguments[0] as number) + 1 };
    default:
      return { retCode: 0, result: [call.functionName, ...call.arguments] };
  }
}

/** The scenarios' peer placeholders `@A`, `@B`, `@C` replaced by the peer ids of `peers`. */
export function withScenarioPeers(air: string, peers: readonly TestPeer[] = scenarioPeers): string {
  return ['@A', '@B', '@C'].reduce(
    (text, placeholder, i) => text.replaceAll(placeholder, `"${peers[i]?.peerId ?? ''}"`),
    air,
  );
}

/** Anything with AquaVM's invoke (ours synchronously, the reference asynchronously). */
export interface Runner {
  invoke(
    air: string,
    prev: Uint8Array,
    current: Uint8Array,
    params: AquaRunParameters,
    results: ReadonlyMap<number, AquaCallResult>,
  ): AquaInvokeOutcome | Promise<AquaInvokeOutcome>;
}

/** One service call a peer made. */
export interface ObservedCall {
  readonly peer: string;
  readonly serviceId: string;
  readonly functionName: string;
  readonly arguments: unknown[];
  readonly tetraplets: AquaCallRequest['tetraplets'];
}

/** What a run of the loop observed. */
export interface NetworkRun {
  readonly calls: ObservedCall[];
  readonly outcomes: { peer: string; retCode: number; errorMessage: string }[];
  readonly hops: string[];
  readonly data: Map<string, Uint8Array>;
}

/** Runs `air` from `init` until no peer has work; `handler` answers every call. */
export async function runNetwork(
  runner: Runner,
  air: string,
  peers: readonly TestPeer[],
  init: TestPeer,
  handler: (peer: string, call: AquaCallRequest) => AquaCallResult,
  options: {
    particleId?: string;
    timestamp?: number;
    ttl?: number;
    maxSteps?: number;
    /** `lifo` delivers the newest particle first, so peers see data in another order. */
    order?: 'fifo' | 'lifo';
    /** Deliver every forwarded particle twice (networks may duplicate). */
    duplicate?: boolean;
  } = {},
): Promise<NetworkRun> {
  const byId = new Map(peers.map((p) => [p.peerId, p]));
  const data = new Map<string, Uint8Array>();
  const calls: ObservedCall[] = [];
  const outcomes: NetworkRun['outcomes'] = [];
  const hops: string[] = [];
  const queue: { peer: TestPeer; current: Uint8Array }[] = [
    { peer: init, current: new Uint8Array() },
  ];
  let steps = 0;
  while (queue.length > 0) {
    if (++steps > (options.maxSteps ?? 200)) throw new Error('network did not settle');
    const { peer, current } = options.order === 'lifo' ? queue.pop()! : queue.shift()!;
    let incoming = current;
    let results = new Map<number, AquaCallResult>();
    for (;;) {
      const params: AquaRunParameters = {
        initPeerId: init.peerId,
        currentPeerId: peer.peerId,
        timestamp: options.timestamp ?? 1_700_000_000_000,
        ttl: options.ttl ?? 7000,
        particleId: options.particleId ?? 'particle-1',
        secretKey: peer.seed,
      };
      const out = await runner.invoke(
        air,
        data.get(peer.peerId) ?? new Uint8Array(),
        incoming,
        params,
        results,
      );
      outcomes.push({ peer: peer.peerId, retCode: out.retCode, errorMessage: out.errorMessage });
      data.set(peer.peerId, out.data);
      // AquaVM's next_peer_pks order is unspecified; visit peers in sorted order so runs compare.
      for (const next of [...out.nextPeerPks].sort()) {
        const target = byId.get(next);
        hops.push(`${peer.peerId}->${next}`);
        if (target) queue.push({ peer: target, current: out.data });
        if (target && options.duplicate) queue.push({ peer: target, current: out.data });
      }
      if (out.callRequests.size === 0) break;
      results = new Map();
      for (const [id, req] of [...out.callRequests].sort((a, b) => a[0] - b[0])) {
        calls.push({
          peer: peer.peerId,
          serviceId: req.serviceId,
          functionName: req.functionName,
          arguments: req.arguments,
          tetraplets: req.tetraplets,
        });
        results.set(id, handler(peer.peerId, req));
      }
      incoming = new Uint8Array();
    }
  }
  return { calls, outcomes, hops, data };
}
