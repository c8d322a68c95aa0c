// The AIR VM benchmark cases: each prepares its inputs with the VM under test (so each VM reads
// data in its own format) and then times one kind of invoke.
import { KeyPair } from '../../harness/protocol/index.js';
import type { AirRunner, CallResult, RunParameters } from '../../harness/peer/vm-types.js';

/** What one timed invoke needs. */
export interface PreparedInvoke {
  readonly air: string;
  readonly prevData: Uint8Array;
  readonly currentData: Uint8Array;
  readonly params: RunParameters;
  readonly callResults: ReadonlyMap<number, CallResult>;
}

/** A benchmark case. */
export interface VmCase {
  readonly name: string;
  prepare(vm: AirRunner): Promise<PreparedInvoke>;
}

const self = KeyPair.fromSecretKey(new Uint8Array(32).fill(1));
const other = KeyPair.fromSecretKey(new Uint8Array(32).fill(2));
const EMPTY: Uint8Array = new Uint8Array(0);
const NO_RESULTS: ReadonlyMap<number, CallResult> = new Map();

function params(keyPair: KeyPair): RunParameters {
  return {
    initPeerId: self.peerId,
    currentPeerId: keyPair.peerId,
    timestamp: 1_700_000_000_000,
    ttl: 600_000,
    particleId: 'bench-particle',
    secretKey: keyPair.secretKey,
  };
}

// A balanced tree of `par`s keeps the nesting shallow however many leaves there are.
function parTree(leaves: readonly string[]): string {
  if (leaves.length === 1) return leaves[0]!;
  const mid = Math.ceil(leaves.length / 2);
  return `(par ${parTree(leaves.slice(0, mid))} ${parTree(leaves.slice(mid))})`;
}

const calls = (n: number, peer = '%init_peer_id%'): string[] =>
  Array.from({ length: n }, (_, i) => `(call ${peer} ("svc" "f") [${i}] r${i})`);

async function runToCompletion(
  vm: AirRunner,
  air: string,
  value: (id: number) => unknown,
): Promise<Uint8Array> {
  let data: Uint8Array = EMPTY;
  let outcome = await vm.invoke(air, EMPTY, EMPTY, params(self), NO_RESULTS);
  data = outcome.data;
  while (outcome.callRequests.size > 0) {
    const results = new Map(
      [...outcome.callRequests.keys()].map((id) => [id, { retCode: 0, result: value(id) }]),
    );
    outcome = await vm.invoke(air, data, EMPTY, params(self), results);
    data = outcome.data;
  }
  return data;
}

/** The cases of the issue: empty, many requests, many results, long trace, big values, fan-out, stream fold. */
export const cases: readonly VmCase[] = [
  {
    name: 'empty script',
    prepare: async () => ({
      air: '(null)',
      prevData: EMPTY,
      currentData: EMPTY,
      params: params(self),
      callResults: NO_RESULTS,
    }),
  },
  {
    name: '500 call requests',
    prepare: async () => ({
      air: parTree(calls(500)),
      prevData: EMPTY,
      currentData: EMPTY,
      params: params(self),
      callResults: NO_RESULTS,
    }),
  },
  {
    name: '500 call results',
    prepare: async (vm) => {
      const air = parTree(calls(500));
      const first = await vm.invoke(air, EMPTY, EMPTY, params(self), NO_RESULTS);
      const results = new Map(
        [...first.callRequests.keys()].map((id) => [id, { retCode: 0, result: `value ${id}` }]),
      );
      return {
        air,
        prevData: first.data,
        currentData: EMPTY,
        params: params(self),
        callResults: results,
      };
    },
  },
  {
    name: 'long trace (2000 calls) merged by another peer',
    prepare: async (vm) => {
      const air = parTree(calls(2000, `"${self.peerId}"`));
      const data = await runToCompletion(vm, air, (id) => ({ id, text: 'x'.repeat(32) }));
      return {
        air,
        prevData: EMPTY,
        currentData: data,
        params: params(other),
        callResults: NO_RESULTS,
      };
    },
  },
  {
    name: '10 MB call result',
    prepare: async (vm) => {
      const air = '(call %init_peer_id% ("svc" "big") [] big)';
      const first = await vm.invoke(air, EMPTY, EMPTY, params(self), NO_RESULTS);
      const [id] = [...first.callRequests.keys()];
      return {
        air,
        prevData: first.data,
        currentData: EMPTY,
        params: params(self),
        callResults: new Map([[id!, { retCode: 0, result: 'v'.repeat(10 * 1024 * 1024) }]]),
      };
    },
  },
  {
    name: 'par fan-out to 1000 peers',
    prepare: async (vm) => {
      const air = `(seq (call %init_peer_id% ("svc" "peers") [] peers) (fold peers p (par (call p ("svc" "f") []) (next p))))`;
      const first = await vm.invoke(air, EMPTY, EMPTY, params(self), NO_RESULTS);
      const [id] = [...first.callRequests.keys()];
      const peers = Array.from(
        { length: 1000 },
        (_, i) =>
          KeyPair.fromSecretKey(
            new Uint8Array(32).fill(3).map((b, j) => (j < 2 ? (i >> (8 * j)) & 0xff : b)),
          ).peerId,
      );
      return {
        air,
        prevData: first.data,
        currentData: EMPTY,
        params: params(self),
        callResults: new Map([[id!, { retCode: 0, result: peers }]]),
      };
    },
  },
  {
    name: 'fold over a 1000-element stream',
    prepare: async (vm) => {
      const air = `(seq (seq (call %init_peer_id% ("svc" "items") [] items) (fold items i (seq (ap i $s) (next i)))) (fold $s e (seq (ap e $t) (next e))))`;
      const first = await vm.invoke(air, EMPTY, EMPTY, params(self), NO_RESULTS);
      const [id] = [...first.callRequests.keys()];
      const items = Array.from({ length: 1000 }, (_, i) => i);
      return {
        air,
        prevData: first.data,
        currentData: EMPTY,
        params: params(self),
        callResults: new Map([[id!, { retCode: 0, result: items }]]),
      };
    },
  },
];
