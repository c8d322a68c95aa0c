// Our Marine host runs AquaVM: avm.wasm (@fluencelabs/avm, a Marine IT module) loaded as a service
// by our host must answer exactly what marine-js answers for the same module. Every scenario of the
// AIR conformance corpus runs on a local network whose peers use avm.wasm on our host; each invoke
// is also given to marine-js with the same arguments and the raw outcomes (ret code, error, data
// bytes, next peers, call request bytes, limit flags) must be equal. `ast` is compared over every
// scenario and parser case, `to_human_readable_data` over every data blob the runs produced.
// it-avm-inline.test.ts runs all of it again with avm.wasm inline in the test's thread, metered.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AirRunner } from '../../peer/index.js';
import { decodeCallRequests } from '../reference-aquavm.js';
import { avmInvokeArgs, loadAvmPair, type RawAvmOutcome } from '../host-aquavm.js';
import { loadAirScenarios, permutations, runAirScenario } from './conformance/air-scenarios.js';

const only = process.env['AIR_CONFORMANCE_ONLY'];

/** Where our host runs avm.wasm (it-avm-inline.test.ts sets 'inline'). */
const execution = process.env['MARINE_IT_AVM_EXECUTION'] === 'inline' ? 'inline' : 'worker';
const pair = await loadAvmPair({}, execution);
t.comment(`avm.wasm runs on our host with execution '${execution}'`);
const { host } = pair;
t.teardown(() => host.close());
const refCall = (fn: string, args: unknown[]): unknown => pair.reference.call(fn, args);

/**
 * A raw outcome in a form two runs can be compared by. AquaVM serialises some maps in hash order
 * and seeds its hashes from WASI randomness, so the data bytes of one invoke differ from run to
 * run even on marine-js alone (same arguments twice: different bytes, same content). The data is
 * therefore compared by its length and by the reference's own rendering of it
 * (`to_human_readable_data` run by marine-js on both blobs), call requests decoded, next peers
 * as a set (also in hash order).
 */
function normal(raw: RawAvmOutcome): Record<string, unknown> {
  const data = Array.from(raw.data);
  return {
    ret_code: Number(raw.ret_code),
    error_message: raw.error_message,
    data_length: data.length,
    data: refCall('to_human_readable_data', [data]),
    // A hash set in AquaVM: its order varies from run to run as well.
    next_peer_pks: [...raw.next_peer_pks].sort(),
    call_requests: JSON.stringify(
      [...decodeCallRequests(Array.from(raw.call_requests))],
      (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v),
    ),
    air_size_limit_exceeded: raw.air_size_limit_exceeded,
    particle_size_limit_exceeded: raw.particle_size_limit_exceeded,
    call_result_size_limit_exceeded: raw.call_result_size_limit_exceeded,
  };
}

const blobs = new Map<string, Uint8Array>();
const keep = (b: Uint8Array): void => {
  if (blobs.size < 400) blobs.set(Buffer.from(b).toString('base64'), b);
};
let invokes = 0;
let sameBytes = 0;

/** Peers' VM: every invoke runs on our host and on marine-js; differences are collected. */
function dualRunner(differences: string[]): AirRunner {
  return {
    async invoke(...a) {
      const [ourRaw, theirRaw] = await pair.callBoth('invoke', avmInvokeArgs({}, ...a));
      const expectedRaw = theirRaw as RawAvmOutcome;
      const actualRaw = ourRaw as RawAvmOutcome;
      const expected = normal(expectedRaw);
      const actual = normal(actualRaw);
      if (JSON.stringify(Array.from(expectedRaw.data)) === JSON.stringify(actualRaw.data))
        sameBytes += 1;
      const outcome = await host.invoke(...a);
      invokes += 1;
      keep(a[1]);
      keep(a[2]);
      keep(outcome.data);
      const ours = JSON.stringify(actual);
      const theirs = JSON.stringify(expected);
      if (ours !== theirs) {
        let at = 0;
        while (ours[at] === theirs[at]) at += 1;
        differences.push(
          `invoke at ${a[3].currentPeerId.slice(0, 12)}…, from character ${at}: ours …${ours.slice(at - 40, at + 160)} vs marine-js …${theirs.slice(at - 40, at + 160)}`,
        );
      }
      return outcome;
    },
  };
}

const scenarios = loadAirScenarios();
t.ok(scenarios.length >= 60, `${scenarios.length} scenarios`);

for (const scenario of scenarios) {
  if (only !== undefined && !scenario.name.includes(only)) continue;
  const deliveries = scenario.hold
    ? [
        ...permutations(scenario.hold.count).map((order) => ({ order, duplicate: false })),
        { order: permutations(scenario.hold.count).at(-1) as number[], duplicate: true },
      ]
    : [undefined];
  t.test(`${scenario.file}: ${scenario.name}`, async (t) => {
    for (const delivery of deliveries) {
      const differences: string[] = [];
      const before = invokes;
      const outcome = await runAirScenario(scenario, () => dualRunner(differences), {
        timestamp: Date.now(),
        ...(delivery ? { delivery } : {}),
      });
      t.equal(
        (outcome.end as { status: string }).status,
        scenario.ends,
        'the run on our host ends as the scenario says',
      );
      t.ok(invokes > before, `${invokes - before} invokes compared`);
      t.same(differences, [], 'every invoke: same raw outcome as marine-js');
    }
  });
}

t.test('ast: same answer for every scenario and parser case', async (t) => {
  const cases = readFileSync(
    join(import.meta.dirname, '..', '..', '..', 'fixtures', 'air', 'parser-cases.air'),
    'utf8',
  )
    .split(/^;;;;.*$/m)
    .slice(1);
  const sources = [...scenarios.map((s) => s.air), ...cases];
  let same = 0;
  for (const air of sources) {
    const expected = refCall('ast', [air]);
    const actual = await host.ast(air);
    if (actual === expected) same += 1;
    else t.equal(actual, expected, `ast of ${JSON.stringify(air.slice(0, 60))}`);
  }
  t.equal(same, sources.length, `${same} of ${sources.length} ASTs equal`);
});

t.test('to_human_readable_data: same text for every data blob seen', async (t) => {
  const list = [...blobs.values(), new Uint8Array([1, 2, 3]), new Uint8Array(0)];
  let same = 0;
  for (const data of list) {
    const expected = refCall('to_human_readable_data', [Array.from(data)]);
    const actual = await host.toHumanReadableData(data);
    if (actual === expected) same += 1;
    else t.equal(actual, expected, `data of ${data.length} bytes`);
  }
  t.equal(same, list.length, `${same} of ${list.length} texts equal`);
});

t.test('summary', async (t) => {
  t.ok(invokes > 0, `${invokes} invokes compared, ${sameBytes} with byte-identical data`);
});
