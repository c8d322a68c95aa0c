// Data an earlier VM wrote still loads: a particle @A forwarded with the VM as of c16d72c
// (fixtures/air/data-compat-1.0.0.json, holding big integers and awkward floats) continues on @B
// and back on @A exactly as the same particle started today does. Particles in flight across an
// upgrade depend on it.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parseJson } from '../../protocol/index.js';
import { AquaVM, type AquaCallResult, type AquaRunParameters } from '../vm.js';
import { testPeer, type TestPeer } from './vm-harness.js';

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/air/data-compat-1.0.0.json', import.meta.url), 'utf8'),
) as { air: string; resultText: string; data: string };

const A = testPeer(0);
const B = testPeer(1);
const air = fixture.air.replaceAll('@A', A.peerId).replaceAll('@B', B.peerId);
const params = (p: TestPeer): AquaRunParameters => ({
  initPeerId: A.peerId,
  currentPeerId: p.peerId,
  timestamp: 1_700_000_000_000,
  ttl: 7000,
  particleId: 'old-data',
  secretKey: p.seed,
});
const EMPTY = new Uint8Array();

/**
 * Runs one peer on incoming data (over what it kept, `kept`), answering each call with `answer`,
 * until it asks no more.
 */
function runPeer(
  vm: AquaVM,
  peer: TestPeer,
  incoming: Uint8Array,
  answer: (fn: string, args: unknown[]) => unknown,
  script: string = air,
  kept: Uint8Array = EMPTY,
): { data: Uint8Array; calls: [string, unknown[]][]; next: string[]; retCode: number } {
  const calls: [string, unknown[]][] = [];
  let prev = kept;
  let current = incoming;
  let results = new Map<number, AquaCallResult>();
  for (;;) {
    const out = vm.invoke(script, prev, current, params(peer), results);
    if (out.retCode !== 0 || out.callRequests.size === 0)
      return { data: out.data, calls, next: out.nextPeerPks, retCode: out.retCode };
    results = new Map();
    for (const [id, r] of out.callRequests) {
      calls.push([r.functionName, r.arguments]);
      results.set(id, { retCode: 0, result: answer(r.functionName, r.arguments) });
    }
    prev = out.data;
    current = EMPTY;
  }
}

/** Text that tells apart bigint from number and -0 from 0. */
const exact = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : Object.is(v, -0) ? '-0' : v,
  );

const answer = (fn: string, args: unknown[]): unknown =>
  fn === 'get' ? parseJson(fixture.resultText) : [fn, ...args];

t.test('data from an earlier VM continues on today’s VM', async (t) => {
  const vm = new AquaVM();
  const old = Buffer.from(fixture.data, 'base64');
  const onB = runPeer(vm, B, old, answer);
  t.equal(onB.retCode, 0, 'B loads the old data');
  t.same(onB.next, [A.peerId]);
  const onA = runPeer(vm, A, onB.data, answer);
  t.equal(onA.retCode, 0, 'A loads data that merges old and new states');

  // The same particle started on today's VM.
  const fresh = runPeer(vm, A, EMPTY, answer);
  const freshB = runPeer(vm, B, fresh.data, answer);
  const freshA = runPeer(vm, A, freshB.data, answer);
  t.equal(exact(onB.calls), exact(freshB.calls), 'the same call on B, with the same arguments');
  t.equal(exact(onA.calls), exact(freshA.calls), 'the same call back on A');
  t.match(exact(onB.calls), /18446744073709551615n/, 'the u64 arrives exact');
  t.same(
    onB.calls.map(([fn]) => fn),
    ['put'],
  );
  t.same(
    onA.calls.map(([fn]) => fn),
    ['done'],
  );
});

// Format 1.0 recorded a call without output by its service result aggregate, which its peer
// signed; AquaVM (and format 1.1) records the value's CID, unsigned. Old states keep their meaning.
const unusedFixture = JSON.parse(
  readFileSync(
    new URL('../../../fixtures/air/data-compat-1.0.0-unused.json', import.meta.url),
    'utf8',
  ),
) as { air: string; data: string };
const unusedAir = unusedFixture.air.replaceAll('@A', A.peerId).replaceAll('@B', B.peerId);
const answerUnused = (fn: string, args: unknown[]): unknown =>
  fn === 'get' ? { n: 1 } : [fn, ...args];

t.test('a call without output recorded by an earlier VM still loads and merges', async (t) => {
  const vm = new AquaVM();
  const old = Buffer.from(unusedFixture.data, 'base64');
  const onB = runPeer(vm, B, old, answerUnused, unusedAir);
  t.equal(onB.retCode, 0, 'B loads the old data');
  // A merges the data it kept from before the upgrade with what B sends back.
  const onA = runPeer(vm, A, onB.data, answerUnused, unusedAir, old);
  t.equal(onA.retCode, 0, 'A merges its old data with the new');
  // B sees A's signed values grow from what the old data held: the old state is still signed.
  const backOnB = runPeer(vm, B, onA.data, answerUnused, unusedAir, onB.data);
  t.equal(backOnB.retCode, 0, 'B merges the data A extended');

  const fresh = runPeer(vm, A, EMPTY, answerUnused, unusedAir);
  const freshB = runPeer(vm, B, fresh.data, answerUnused, unusedAir);
  const freshA = runPeer(vm, A, freshB.data, answerUnused, unusedAir, fresh.data);
  t.equal(exact(onB.calls), exact(freshB.calls), 'the same call on B');
  t.equal(exact(onA.calls), exact(freshA.calls), 'the same call back on A');
  t.same(
    onA.calls.map(([fn]) => fn),
    ['done'],
  );
});
