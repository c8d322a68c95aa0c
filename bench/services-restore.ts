// Restart of a node with many services (nox#1154: users found persisted services slow to come
// back): 50 services persisted under a data dir are restored by a fresh registry, and the time
// until all of them answer a call is compared with the reference measured in the same run,
// loading one such service afresh with marine-host (50 × that is what a serial restore costs).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadService } from '../marine-host/service/index.js';
import { registerServiceBuiltins } from '../harness/node/index.js';
import { ServiceRegistry, type ServiceCall } from '../harness/peer/index.js';
import { KeyPair } from '../harness/protocol/index.js';
import { record } from './report.js';

const SERVICES = 50;
const root = resolve(import.meta.dirname, '..');

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/** A call to `serviceId` as a peer would make it, from the host itself. */
function callOf(
  keyPair: KeyPair,
  serviceId: string,
  functionName: string,
  args: unknown[],
): ServiceCall {
  return {
    serviceId,
    functionName,
    args,
    tetraplets: args.map(() => []),
    peerId: keyPair.peerId,
    particle: {
      particleId: 'bench',
      initPeerId: keyPair.peerId,
      timestamp: Date.now(),
      ttl: 60000,
      signature: new Uint8Array(64),
    },
    signal: new AbortController().signal,
  };
}

/** Prints restore and first-answer times for 50 services, against loading one service afresh. */
export async function run(): Promise<void> {
  const wasm = readFileSync(join(root, 'services-rs/artifacts/greeting.wasm'));
  const dataDir = mkdtempSync(join(tmpdir(), 'marine-bench-restore-'));
  const keyPair = KeyPair.random();
  const context = { hostPeerId: keyPair.peerId, keyPair, dataDir, onConsole: () => undefined };
  try {
    const first = registerServiceBuiltins(new ServiceRegistry(), context);
    const cid = await first.store.addModule(new Uint8Array(wasm), 'greeting');
    const blueprint = first.store.addBlueprint(
      JSON.stringify({ name: 'greeting', dependencies: [{ '/': cid }] }),
    );
    const [, createMs] = await time(async () => {
      for (let i = 0; i < SERVICES; i += 1) await first.manager.create(blueprint, keyPair.peerId);
    });
    await first.close();

    const registry = new ServiceRegistry();
    const again = registerServiceBuiltins(registry, context);
    const [report, restoreMs] = await time(() => again.restore());
    if (report.restored.length !== SERVICES)
      throw new Error(
        `restored ${report.restored.length} of ${SERVICES}: ${JSON.stringify(report.failed)}`,
      );
    const [, answerMs] = await time(() =>
      Promise.all(
        report.restored.map(async (id) => {
          const result = await registry.resolve(id)?.(callOf(keyPair, id, 'greeting', ['back']));
          if (result?.retCode !== 0)
            throw new Error(`service ${id} did not answer: ${String(result?.result)}`);
        }),
      ),
    );
    await again.close();

    const [, loadOneMs] = await time(async () => {
      const service = await loadService(
        join(root, 'fixtures/configs/examples/greeting/Config.toml'),
      );
      await service.call('greeting', ['fresh']);
      await service.close();
    });

    record(
      `restore ${SERVICES} services and answer a call each (reference: ${SERVICES} fresh loads)`,
      'ms',
      restoreMs + answerMs,
      SERVICES * loadOneMs,
    );
    const rows: [string, string][] = [
      [`create ${SERVICES} services (srv.create, one after another)`, `${createMs.toFixed(0)} ms`],
      [`restore ${SERVICES} services from the data dir`, `${restoreMs.toFixed(0)} ms`],
      [`… then all ${SERVICES} answer a call`, `${answerMs.toFixed(0)} ms`],
      ['reference: load one service afresh and call it', `${loadOneMs.toFixed(0)} ms`],
      [
        `restore ÷ (${SERVICES} × reference)`,
        `${((restoreMs + answerMs) / (SERVICES * loadOneMs)).toFixed(2)}`,
      ],
    ];
    // Shared machines skew every figure here: say how busy this one was.
    rows.push(['load average (1 min) at the end', loadavg()[0]?.toFixed(1) ?? '?']);
    const width = Math.max(...rows.map(([name]) => name.length));
    for (const [name, value] of rows) process.stdout.write(`${name.padEnd(width)}  ${value}\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
