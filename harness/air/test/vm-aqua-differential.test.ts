// Differential conformance on compiled Aqua: every program of fixtures/aqua/conformance is
// compiled with the reference compiler and run on a five-peer in-process network (client, relay,
// p1..p3) with our VM and with the reference AquaVM, using the js-client conventions
// (getDataSrv arguments, -relay-, callbackSrv.response, errorHandlingSrv.error). Every call each
// peer makes and every outcome must match.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { AquaVM, type AquaCallRequest, type AquaCallResult } from '../vm.js';
import { compileAquaFile } from './oracle/aqua.js';
import { createReferenceAquaVM } from '../../testing/reference-aquavm.js';
import { runNetwork, testPeer, type NetworkRun, type TestPeer } from './vm-harness.js';

const dir = fileURLToPath(new URL('../../../fixtures/aqua/conformance/', import.meta.url));
const { scenarios } = JSON.parse(readFileSync(`${dir}scenarios.json`, 'utf8')) as {
  scenarios: { file: string; args: unknown[] }[];
};
const names = ['client', 'relay', 'p1', 'p2', 'p3'] as const;
const peers: Record<(typeof names)[number], TestPeer> = {
  client: testPeer(10),
  relay: testPeer(11),
  p1: testPeer(12),
  p2: testPeer(13),
  p3: testPeer(14),
};
const all = names.map((n) => peers[n]);

function substitutePeers(v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith('$'))
    return peers[v.slice(1) as (typeof names)[number]].peerId;
  if (Array.isArray(v)) return v.map(substitutePeers);
  return v;
}

function argumentNames(source: string): string[] {
  const m = /func main\(([^)]*)\)/.exec(source);
  if (!m || m[1]!.trim() === '') return [];
  return m[1]!.split(',').map((p) => p.split(':')[0]!.trim());
}

/** The services every peer runs, plus the client's js-client services. */
function makeHandler(
  args: Record<string, unknown>,
): (peer: string, call: AquaCallRequest) => AquaCallResult {
  const counters = new Map<string, number>();
  return (peer, call) => {
    const a = call.arguments;
    const ok = (result: unknown): AquaCallResult => ({ retCode: 0, result });
    switch (`${call.serviceId}.${call.functionName}`) {
      case 'echo.echo':
      case 'echo.echo_num':
      case 'echo.echo_all':
        return ok(a[0]);
      case 'join.concat':
        return ok(`${String(a[0])}${String(a[1])}`);
      case 'join.all':
        return ok((a[0] as unknown[]).join(','));
      case 'records.pair':
        return ok({ left: a[0], right: a[1] });
      case 'records.nested':
        return ok({
          name: a[0],
          pair: { left: `${String(a[0])}-l`, right: 7 },
          tags: [`${String(a[0])}-t0`, `${String(a[0])}-t1`],
        });
      case 'records.maybe':
        return ok(a[0] ? ['here'] : []);
      case 'failing.fail':
        return { retCode: 1, result: String(a[0]) };
      case 'counter.next': {
        const n = (counters.get(peer) ?? 0) + 1;
        counters.set(peer, n);
        return ok(n);
      }
      case 'peer_info.whoami':
        return ok(peer);
      case 'peer_info.timestamp':
        return ok(1_700_000_000_000);
      case 'op.noop':
        return ok(null);
      case 'op.identity':
        return ok(a[0] ?? null);
      case 'callbackSrv.response':
      case 'errorHandlingSrv.error':
        return ok(null);
      default:
        if (call.serviceId === 'getDataSrv') {
          if (call.functionName === '-relay-') return ok(peers.relay.peerId);
          if (call.functionName in args) return ok(args[call.functionName]);
        }
        return {
          retCode: 1,
          result: `Service with id '${call.serviceId}' not found (function ${call.functionName})`,
        };
    }
  };
}

function observable(run: NetworkRun): unknown {
  let text = JSON.stringify({ calls: run.calls, outcomes: run.outcomes, hops: run.hops });
  for (const n of names) text = text.replaceAll(peers[n].peerId, `$${n}`);
  return JSON.parse(text);
}

t.test('compiled Aqua programs behave the same on our VM and the reference', async (t) => {
  const reference = await createReferenceAquaVM();
  const ours = new AquaVM();
  t.ok(scenarios.length >= 40, 'at least 40 compiled Aqua scenarios');
  for (const [i, scenario] of scenarios.entries()) {
    const path = `${dir}${scenario.file}`;
    const source = readFileSync(path, 'utf8');
    const compiled = await compileAquaFile(path);
    const air = compiled.functions['main'];
    if (!air) {
      t.fail(`${scenario.file}: no main (${compiled.errors.join('; ')})`);
      continue;
    }
    const argNames = argumentNames(source);
    const args = Object.fromEntries(argNames.map((n, k) => [n, substitutePeers(scenario.args[k])]));
    const label = `${scenario.file} ${JSON.stringify(scenario.args)}`;
    const particleId = `aqua-${i}`;
    for (const [order, duplicate] of [
      ['fifo', false],
      ['lifo', false],
      ['fifo', true],
    ] as const) {
      const options = { particleId, maxSteps: 3000, order, duplicate };
      const expected = observable(
        await runNetwork(reference, air, all, peers.client, makeHandler(args), options),
      );
      const actual = observable(
        await runNetwork(ours, air, all, peers.client, makeHandler(args), options),
      );
      t.same(actual, expected, `${label} (${order}${duplicate ? ', duplicated' : ''} delivery)`);
    }
  }
});
