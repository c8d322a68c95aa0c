// `npm run bench air-data`: AquaVM's data format (0.17.2, rkyv inner data) on 10 MB of data, our
// codec against the reference AquaVM in the same run. Both VMs read and write the same bytes now,
// so the data is made once (by our VM) and handed to each. Lines:
// - a whole invoke over the data as current data (decode, CID and signature checks, replay of
//   2000 call states, encode), on both VMs;
// - decode alone: ours (decodeData) against the reference's to_human_readable_data, which
//   decodes the same bytes and then prints them as JSON (the reference exports no bare decode);
// - encode alone (ours; the reference's encode runs only inside an invoke).
import { decodeData, encodeData } from '../harness/air/data/interpreter-data.js';
import { createReferenceAquaVM } from '../harness/testing/index.js';
import { AquaVM, type AquaRunParameters } from '../harness/air/vm.js';
import { testPeer } from '../harness/air/test/vm-harness.js';
import { record } from './report.js';

const self = testPeer(0);
const other = testPeer(1);
const params = (peer: typeof self): AquaRunParameters => ({
  initPeerId: self.peerId,
  currentPeerId: peer.peerId,
  timestamp: 1_700_000_000_000,
  ttl: 600_000,
  particleId: 'bench-data',
  secretKey: peer.seed,
});

function parTree(leaves: readonly string[]): string {
  if (leaves.length === 1) return leaves[0]!;
  const mid = Math.ceil(leaves.length / 2);
  return `(par ${parTree(leaves.slice(0, mid))} ${parTree(leaves.slice(mid))})`;
}

async function median(run: () => unknown, budgetMs = 4000, maxRuns = 20): Promise<number> {
  const times: number[] = [];
  const deadline = performance.now() + budgetMs;
  while (times.length === 0 || (times.length < maxRuns && performance.now() < deadline)) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Prints the table. */
export async function run(): Promise<void> {
  const calls = 2000;
  const air = parTree(
    Array.from({ length: calls }, (_, i) => `(call "${self.peerId}" ("svc" "f") [${i}] r${i})`),
  );
  const ours = new AquaVM();
  let out = ours.invoke(air, new Uint8Array(), new Uint8Array(), params(self), new Map());
  const results = new Map(
    [...out.callRequests.keys()].map((id) => [
      id,
      { retCode: 0, result: { id, text: `${id}:`.padEnd(5000, 'x') } },
    ]),
  );
  out = ours.invoke(air, out.data, new Uint8Array(), params(self), results);
  if (out.retCode !== 0) throw new Error(`preparing the data: ${out.errorMessage}`);
  const data = out.data;
  const reference = await createReferenceAquaVM();

  const oursInvoke = await median(() =>
    ours.invoke(air, new Uint8Array(), data, params(other), new Map()),
  );
  const refInvoke = await median(
    () => reference.invoke(air, new Uint8Array(), data, params(other), new Map()),
    8000,
    5,
  );
  const oursDecode = await median(() => decodeData(data, 'bench'));
  const refDecode = await median(() => reference.toHumanReadableData(data), 8000, 5);
  const decoded = decodeData(data, 'bench');
  const fresh = { ...decoded };
  const oursEncode = await median(() => encodeData(fresh));

  const mb = (data.length / 1024 / 1024).toFixed(1);
  record(`invoke over ${mb} MB of data`, 'ms', oursInvoke, refInvoke);
  record(`decode ${mb} MB (reference: decode + JSON dump)`, 'ms', oursDecode, refDecode);
  const rows = [
    ['case', 'ours ms', 'reference ms', 'ours/reference'],
    [
      `invoke over ${mb} MB of data (${calls} states replayed)`,
      oursInvoke.toFixed(1),
      refInvoke.toFixed(1),
      (oursInvoke / refInvoke).toFixed(2),
    ],
    [
      `decode ${mb} MB (reference: decode + JSON dump)`,
      oursDecode.toFixed(1),
      refDecode.toFixed(1),
      (oursDecode / refDecode).toFixed(2),
    ],
    [`encode ${mb} MB`, oursEncode.toFixed(1), '— (only inside invoke)', '—'],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
  process.stdout.write('\nA ratio below 1 means ours is faster.\n');
}
