// Limits and filesystem of node services, called straight through the registry: the node's call
// time limit stops a call that sleeps too long (the service answers again afterwards), and at a
// restart `/storage` is kept while `/tmp` starts empty.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ServiceRegistry, type ServiceCall } from '../../peer/index.js';
import { KeyPair } from '../../protocol/index.js';
import { registerServiceBuiltins, type ServicesContext } from '../index.js';

const root = resolve(import.meta.dirname, '../../..');
const sleeper = join(root, 'services-rs/artifacts/sleeper.wasm');

function callOf(host: string, serviceId: string, fn: string, args: unknown[]): ServiceCall {
  return {
    serviceId,
    functionName: fn,
    args,
    tetraplets: args.map(() => []),
    peerId: host,
    particle: {
      particleId: 'p',
      initPeerId: host,
      timestamp: Date.now(),
      ttl: 60000,
      signature: new Uint8Array(64),
    },
    signal: new AbortController().signal,
  };
}

t.test(
  'call time limit; /storage kept and /tmp emptied at restart',
  { skip: existsSync(sleeper) ? false : 'run `marine build services-rs/examples` first' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'marine-svc-limits-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const keyPair = KeyPair.random();
    const host = keyPair.peerId;
    const context = (extra: Partial<ServicesContext> = {}): ServicesContext => ({
      hostPeerId: host,
      keyPair,
      dataDir: dir,
      limits: { callTimeoutMs: 300 },
      ...extra,
    });
    const registry = new ServiceRegistry();
    const services = registerServiceBuiltins(registry, context());
    let open = services;
    t.teardown(() => open.close());
    const cid = await services.store.addModule(new Uint8Array(readFileSync(sleeper)), 'sleeper');
    const bp = services.store.addBlueprint(
      JSON.stringify({ name: 'sleeper', dependencies: [{ '/': cid }] }),
    );
    const id = await services.manager.create(bp, host);
    const call = (reg: ServiceRegistry, ms: number) =>
      reg.resolve(id)?.(callOf(host, id, 'sleep_ms', [ms]));

    t.same(await call(registry, 20), { retCode: 0, result: 20 }, 'a short call answers');
    const slow = await call(registry, 3000);
    t.equal(slow?.retCode, 1, 'a call over the time limit fails');
    t.match(String(slow?.result), /did not finish within 300 ms/);
    t.same(await call(registry, 10), { retCode: 0, result: 10 }, 'and the service answers again');

    // What the guest would have written, put there from the host side.
    const storage = join(dir, 'services', id, 'storage', 'kept.txt');
    const tmp = join(dir, 'ephemeral', 'services', id, 'tmp', 'scratch.txt');
    writeFileSync(storage, 'kept');
    writeFileSync(tmp, 'scratch');
    await services.close();
    const again = new ServiceRegistry();
    open = registerServiceBuiltins(again, context());
    t.same(await open.restore(), { restored: [id], failed: [] });
    t.equal(readFileSync(storage, 'utf8'), 'kept', '/storage survives a restart');
    t.notOk(existsSync(tmp), '/tmp starts empty after a restart');
    t.same(await call(again, 5), { retCode: 0, result: 5 }, 'the restored service answers');
  },
);
