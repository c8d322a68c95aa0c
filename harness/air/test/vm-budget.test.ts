// Limits that keep a host safe from a script (issue #17, M2 and M6): an instruction budget and a
// deadline checked as the VM executes (error 40001), and a documented nesting limit (error
// 40000) that `marine air check` reports the same way. Each attack fails alone: the VM answers
// the next invoke as usual.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import {
  AquaVM,
  EXECUTION_BUDGET_EXCEEDED,
  MAX_AIR_DEPTH,
  RECURSION_TOO_DEEP,
  type AquaVMOptions,
} from '../index.js';
import { testPeer } from './vm-harness.js';

const me = testPeer(0);
const params = () => ({
  initPeerId: me.peerId,
  currentPeerId: me.peerId,
  timestamp: Date.now(),
  ttl: 60_000,
  particleId: 'budget',
  secretKey: me.seed,
});
const run = (vm: AquaVM, air: string, prev: Uint8Array = new Uint8Array()) =>
  vm.invoke(air, prev, new Uint8Array(), params(), new Map());

/** A canon stream of n numbers folded three times inside itself: n³ iterations. */
function cubicFold(n: number): string {
  let fill = '(null)';
  for (let i = 0; i < n; i++) fill = `(seq (ap ${i} $s) ${fill})`;
  const loop = (it: string, body: string) => `(fold #c ${it} (seq ${body} (next ${it})))`;
  return `(seq ${fill} (seq (canon %init_peer_id% $s #c) ${loop('i', loop('j', loop('k', '(null)')))}))`;
}

function nested(depth: number): string {
  let air = '(null)';
  for (let i = 1; i < depth; i++) air = `(seq (null) ${air})`;
  return air;
}

const ok = '(call %init_peer_id% ("op" "noop") [])';

t.test('a runaway fold stops at the instruction budget with 40001', async (t) => {
  const vm = new AquaVM({ maxSteps: 100_000 });
  const started = performance.now();
  const out = run(vm, cubicFold(200));
  t.equal(out.retCode, EXECUTION_BUDGET_EXCEEDED);
  t.match(out.errorMessage, /more than 100000 instructions \(AquaVMOptions\.maxSteps\)/);
  t.same(out.nextPeerPks, []);
  t.equal(out.callRequests.size, 0);
  t.equal(out.data.length, 0, 'the previous data (none) is returned');
  t.ok(performance.now() - started < 5_000, 'stopped long before the 8 million iterations');
  t.equal(run(vm, ok).retCode, 0, 'the VM answers the next invoke');
});

t.test('the default budget stops the n³ fold too', async (t) => {
  const out = run(new AquaVM(), cubicFold(200));
  t.equal(out.retCode, EXECUTION_BUDGET_EXCEEDED);
});

t.test('a deadline stops a run that is slow rather than long', async (t) => {
  const options: AquaVMOptions = { timeLimitMs: 50, maxSteps: Number.MAX_SAFE_INTEGER };
  const out = run(new AquaVM(options), cubicFold(200));
  t.equal(out.retCode, EXECUTION_BUDGET_EXCEEDED);
  t.match(out.errorMessage, /past its deadline/);
});

t.test('a budget-stopped run returns the previous data unchanged', async (t) => {
  const script = cubicFold(20);
  const first = run(new AquaVM(), script);
  t.equal(first.retCode, 0);
  const out = run(new AquaVM({ maxSteps: 1000 }), script, first.data);
  t.equal(out.retCode, EXECUTION_BUDGET_EXCEEDED);
  t.same(out.data, first.data);
});

t.test(
  `nesting: ${MAX_AIR_DEPTH} deep runs, deeper fails with 40000 naming the limit`,
  async (t) => {
    const vm = new AquaVM();
    t.equal(run(vm, nested(MAX_AIR_DEPTH)).retCode, 0);
    const deep = run(vm, nested(MAX_AIR_DEPTH + 1));
    t.equal(deep.retCode, RECURSION_TOO_DEEP);
    t.match(deep.errorMessage, `nests ${MAX_AIR_DEPTH + 1} instructions deep`);
    t.match(deep.errorMessage, `at most ${MAX_AIR_DEPTH} deep`);
    const huge = run(vm, nested(200_000));
    t.equal(huge.retCode, RECURSION_TOO_DEEP);
    t.equal(run(vm, ok).retCode, 0);
  },
);

t.test('marine air check agrees with the VM about nesting', async (t) => {
  const root = resolve(import.meta.dirname, '../../..');
  const dir = await mkdtemp(join(tmpdir(), 'marine-depth-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const write = async (name: string, air: string) => {
    await writeFile(join(dir, name), air);
    return join(dir, name);
  };
  const check = (file: string, ...flags: string[]) =>
    execa('node', ['bin/marine.js', 'air', 'check', file, ...flags], { cwd: root, reject: false });
  const fine = await check(await write('fine.air', nested(MAX_AIR_DEPTH)));
  t.equal(fine.exitCode, 0, fine.stderr);
  const tooDeep = await check(await write('deep.air', nested(1_000_000)), '--json');
  t.equal(tooDeep.exitCode, 1);
  const report = JSON.parse(tooDeep.stdout) as {
    ok: boolean;
    errors: { code: string; message: string }[];
  };
  t.equal(report.ok, false);
  t.equal(report.errors[0]?.code, 'nesting-too-deep');
  t.match(report.errors[0]?.message, /nests 1000000 instructions deep.*error 40000/);
});
