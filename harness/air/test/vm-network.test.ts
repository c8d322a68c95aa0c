// Our VM inside the particle loop of harness/network: the compiled Aqua conformance programs run
// on a LocalNetwork of our VMs and on one of reference VMs, and give the same results and errors.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { LocalNetwork } from '../../testing/index.js';
import { type AirRunner } from '../../peer/index.js';
import type { Peer } from '../../peer/peer.js';
import { createReferenceAquaVM } from '../../testing/reference-aquavm.js';
import { AquaVM } from '../vm.js';
import { compileAquaFile } from './oracle/aqua.js';

const dir = fileURLToPath(new URL('../../../fixtures/aqua/conformance/', import.meta.url));
const { scenarios } = JSON.parse(readFileSync(`${dir}scenarios.json`, 'utf8')) as {
  scenarios: { file: string; args: unknown[] }[];
};

function installServices(peer: Peer): void {
  let counter = 0;
  const id = (args: readonly unknown[]): unknown => args[0];
  peer.registerService('echo', { echo: id, echo_num: id, echo_all: id });
  peer.registerService('join', {
    concat: (a) => `${String(a[0])}${String(a[1])}`,
    all: (a) => (a[0] as unknown[]).join(','),
  });
  peer.registerService('records', {
    pair: (a) => ({ left: a[0], right: a[1] }),
    nested: (a) => ({
      name: a[0],
      pair: { left: `${String(a[0])}-l`, right: 7 },
      tags: [`${String(a[0])}-t0`, `${String(a[0])}-t1`],
    }),
    maybe: (a) => (a[0] ? ['here'] : []),
  });
  peer.registerService('failing', {
    fail: (a) => {
      throw new Error(String(a[0]));
    },
  });
  peer.registerService('counter', { next: () => ++counter });
  peer.registerService('peer_info', {
    whoami: () => peer.peerId,
    timestamp: () => 1_700_000_000_000,
  });
}

/**
 * Results gathered from parallel peers (lists of peer ids) arrive in whatever order the
 * asynchronous loop delivers them, which differs between two networks; compare them as sets.
 * (The in-process differential suites compare exact orders under fixed delivery.)
 */
function unordered(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(unordered);
    return items.every((x) => typeof x === 'string' && x.startsWith('12D3KooW'))
      ? [...items].sort()
      : items;
  }
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unordered(x)]));
  return v;
}

async function outcome(
  vm: () => AirRunner,
  air: string,
  file: string,
  args: unknown[],
  timestamp: number,
): Promise<unknown> {
  const net = new LocalNetwork({ peers: 3, vm, seed: 42, services: installServices });
  const names = /func main\(([^)]*)\)/.exec(readFileSync(`${dir}${file}`, 'utf8'))?.[1] ?? '';
  const argNames = names.trim() === '' ? [] : names.split(',').map((p) => p.split(':')[0]!.trim());
  const sub = (v: unknown): unknown =>
    typeof v === 'string' && /^\$p\d$/.test(v)
      ? net.peers[Number(v.slice(2)) - 1]!.peerId
      : Array.isArray(v)
        ? v.map(sub)
        : v;
  const namedArgs = Object.fromEntries(argNames.map((n, i) => [n, sub(args[i])]));
  try {
    return {
      result: await net.callAquaFunction(air, namedArgs, { timestamp, ttl: 20_000 }),
    };
  } catch (e) {
    return { error: String((e as Error).message).replace(/\(particle id: [^)]*\)/, '') };
  } finally {
    net.stop();
  }
}

t.test('compiled Aqua on a LocalNetwork: our VM gives the reference results', async (t) => {
  const pool = await Promise.all(Array.from({ length: 5 }, () => createReferenceAquaVM()));
  let n = 0;
  const reference = (): AirRunner => pool[n++ % pool.length]!;
  // Wrapped in a promise like the reference, so both networks interleave particles the same way.
  const ours = (): AirRunner => {
    const vm = new AquaVM();
    return { invoke: async (...args: Parameters<AquaVM['invoke']>) => vm.invoke(...args) };
  };
  for (const s of scenarios) {
    const air = (await compileAquaFile(`${dir}${s.file}`)).functions['main']!;
    // One timestamp for both runs: %timestamp% is part of what the programs may return.
    const timestamp = Date.now();
    const expected = await outcome(reference, air, s.file, s.args, timestamp);
    const actual = await outcome(ours, air, s.file, s.args, timestamp);
    t.not(
      (expected as { error?: string }).error?.includes('expired'),
      true,
      'the reference run did not expire',
    );
    t.same(unordered(actual), unordered(expected), `${s.file} ${JSON.stringify(s.args)}`);
  }
});
