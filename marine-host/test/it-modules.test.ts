// Marine IT modules (core modules with an `interface-types` section, as Fluence's `marine build`
// writes them) load beside components: values of every IT kind cross the adapters, the host API
// answers in the SDK version's shape, WASI runs `_initialize`, a trap, a runaway loop and a memory
// bomb fail only their call, IT and component modules link in one service, and a core module
// without IT is named for what it is. The fixture module is hand-written (test/it/fixture.ts).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadService, interfaceOf, validateService } from '../index.js';
import { buildFixture, encodeIt, fixtureFunctions, greetingImport, RECORDS } from './it/fixture.js';

const ARTIFACTS = resolve(import.meta.dirname, '..', '..', 'services-rs', 'artifacts');

/** Where a test's service lives; removed when the test ends. */
interface Tap {
  teardown(fn: () => void): void;
}

function serviceDir(t: Tap, files: Record<string, Uint8Array>, toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'marine-ts-it-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  writeFileSync(join(dir, 'Config.toml'), `modules_dir = "."\n${toml}`);
  return join(dir, 'Config.toml');
}

const fixture = await buildFixture();

t.test('an IT module answers with every kind of value', async (t) => {
  const config = serviceDir(t, { 'fixture.wasm': fixture }, '[[module]]\nname = "fixture"\n');
  const logs: string[] = [];
  const svc = await loadService(config, {
    serviceId: 'svc-1',
    onLog: (r) => logs.push(`${r.module} ${r.stream}: ${r.text}`),
  });
  t.teardown(() => svc.close());
  t.ok(logs.includes('fixture stdout: init'), '_initialize ran with WASI stdout');
  t.equal(await svc.call('greeting', ['Marine']), 'Hi, Marine');
  t.equal(await svc.call('greeting', { name: 'é€' }), 'Hi, é€', 'UTF-8, by name');
  t.equal(await svc.call('add64', [2n ** 62n, '1']), 4611686018427387905n);
  t.equal(await svc.call('add64', [-5, 3]), -2);
  t.equal(await svc.call('inc', [2147483646]), 2147483647, 'u32 through i32.from_u32');
  const rec = {
    id: 7,
    name: 'rec',
    tags: ['a', '', 'ccc'],
    bytes: [0, 1, 255],
    flag: true,
    inner: { x: 1.5, n: -3 },
    big: '18446744073709551615',
    inners: [
      { x: -0.25, n: 127 },
      { x: 1e300, n: -128 },
    ],
  };
  t.same(await svc.call('echo', [rec]), {
    ...rec,
    big: 18446744073709551615n,
  });
  await t.rejects(svc.call('echo', [{ ...rec, id: -1 }]), {
    name: 'ArgumentError',
    message: /r\.id: expected u32 in 0\.\.4294967295, found -1/,
  });
  await t.rejects(svc.call('inc', []), { name: 'ArgumentError' });
  t.equal(
    await svc.call('who', [], { particle: { id: 'p1', init_peer_id: 'peer-A' }, tetraplets: [] }),
    'peer-A',
    'call parameters in the v3 layout',
  );
  await svc.call('say', ['hello log']);
  t.ok(logs.includes('fixture info: hello log'), 'log_utf8_string reaches the log');
  const iface = svc.getInterface();
  t.same(
    iface.function_signatures.find((f) => f.name === 'echo'),
    { name: 'echo', arguments: [['r', 'Rec']], output_types: ['Rec'] },
  );
  t.same(
    iface.record_types.map((r) => r.name),
    ['Inner', 'Rec'],
  );
});

t.test('a trap, a runaway loop and a memory bomb fail only their call', async (t) => {
  const config = serviceDir(
    t,
    { 'fixture.wasm': fixture },
    'total_memory_limit = "4 MiB"\n[[module]]\nname = "fixture"\n',
  );
  const svc = await loadService(config, { callTimeoutMs: 2000 });
  t.teardown(() => svc.close());
  await t.rejects(svc.call('fail', []), { name: 'GuestTrapError', message: /unreachable/ });
  t.equal(await svc.call('greeting', ['after trap']), 'Hi, after trap');
  await t.rejects(svc.call('spin', [], undefined, { timeoutMs: 500 }), {
    name: 'CallTimeoutError',
  });
  t.equal(await svc.call('greeting', ['after loop']), 'Hi, after loop');
  const bomb = await svc.call('bomb', []).then(
    () => undefined,
    (e: Error) => e,
  );
  t.ok(bomb, 'the memory bomb fails');
  t.match(bomb?.name, /GuestTrapError|MemoryLimitError/);
  t.equal(await svc.call('greeting', ['after bomb']), 'Hi, after bomb');
});

t.test('a core module without interface types is named for what it is', async (t) => {
  const { parse } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const plain = await parse('(module (func (export "main")))');
  const config = serviceDir(t, { 'plain.wasm': plain }, '[[module]]\nname = "plain"\n');
  await t.rejects(loadService(config), {
    message: /built for wasm32-wasi but not by `marine build`: rebuild it with `marine build`/,
  });
  const findings = await validateService(config);
  t.match(findings[0]?.message ?? '', /built for wasm32-wasi but not by `marine build`/);
});

t.test('marine it lists an IT module from its own bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marine-ts-it-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'fixture.wasm'), fixture);
  const { interface: iface } = await interfaceOf(join(dir, 'fixture.wasm'));
  t.same(iface.function_signatures[0], {
    name: 'greeting',
    arguments: [['name', 'string']],
    output_types: ['string'],
  });
});

t.test('an IT facade imports a component, and the link check covers it', async (t) => {
  const withImport = await buildFixture({ withImport: true });
  const files = { 'fixture.wasm': withImport } as Record<string, Uint8Array>;
  const config = serviceDir(
    t,
    files,
    '[[module]]\nname = "greeting"\n\n[[module]]\nname = "fixture"\n',
  );
  copyFileSync(join(ARTIFACTS, 'greeting.wasm'), join(config, '..', 'greeting.wasm'));
  const svc = await loadService(config);
  t.teardown(() => svc.close());
  const direct = await svc.call('greeting', ['x'], undefined, { module: 'greeting' });
  t.equal(await svc.call('hello', ['Marine']), String(direct).replace('x', 'Marine'));

  // A type mismatch: the IT module imports greeting(name: u32).
  const section = encodeIt(RECORDS, fixtureFunctions(true), [greetingImport('u32')]);
  const mismatched = await buildFixture({ withImport: true, section });
  const bad = serviceDir(
    t,
    { 'fixture.wasm': mismatched },
    '[[module]]\nname = "greeting"\n\n[[module]]\nname = "fixture"\n',
  );
  copyFileSync(join(ARTIFACTS, 'greeting.wasm'), join(bad, '..', 'greeting.wasm'));
  await t.rejects(loadService(bad), {
    name: 'LinkError',
    message: /imports greeting\.greeting as .*u32.*exports it as .*string/,
  });
  // A missing module.
  const alone = serviceDir(t, { 'fixture.wasm': withImport }, '[[module]]\nname = "fixture"\n');
  await t.rejects(loadService(alone), {
    name: 'LinkError',
    message: /imports interface "greeting", but the service has no module of that name/,
  });
});

t.test('a mounted binary of an IT module runs as granted', async (t) => {
  const bytes = await buildFixture({ withBinary: true });
  const ungranted = serviceDir(t, { 'fixture.wasm': bytes }, '[[module]]\nname = "fixture"\n');
  await t.rejects(loadService(ungranted), { message: /mounted binary "echo".*does not grant/ });
  const config = serviceDir(
    t,
    { 'fixture.wasm': bytes },
    '[[module]]\nname = "fixture"\n[module.mounted_binaries]\necho = "/bin/echo"\n',
  );
  const svc = await loadService(config);
  t.teardown(() => svc.close());
  t.same(await svc.call('run_echo', [['-n', 'hello', 'it']]), [
    ...new TextEncoder().encode('hello it'),
  ]);
});

t.test('the section reader and version checks name what is wrong', async (t) => {
  const { parseInterfaces } = await import('../module/it/section.js');
  const { readItModel } = await import('../module/it/model.js');
  const section = encodeIt(RECORDS, fixtureFunctions(false));
  t.throws(() => parseInterfaces(section.subarray(0, section.length - 3), 'm'), {
    name: 'ModuleLoadError',
    message: /^m: interface-types section: expected .* at byte \d+/,
  });
  t.throws(() => parseInterfaces(Uint8Array.from([0x00, 0x00]), 'm'), {
    message: /expected exactly one version, found 0/,
  });
  const oldIt = await buildFixture({ section: encodeIt(RECORDS, [], [], '0.19.0') });
  t.throws(() => readItModel(oldIt, 'm'), { message: /IncompatibleITVersions/ });
  const oldSdk = await buildFixture({ sdkVersion: '0.5.9' });
  t.throws(() => readItModel(oldSdk, 'm'), { message: /IncompatibleSDKVersions/ });
  const model = readItModel(fixture, 'm');
  t.equal(model.sdkVersion, '0.14.0');
  t.same([...model.hostApi].sort(), ['get_call_parameters', 'log_utf8_string']);
  t.equal(model.hostApiVersion, 3);
  t.same(model.wasi, ['fd_write']);
});

t.test('call parameters take the layout of the module SDK version', async (t) => {
  const { callParametersRecord } = await import('../module/it/runtime-it.js');
  const cp = {
    particle: { id: 'pid', init_peer_id: 'init', timestamp: 5, ttl: 7, signature: [1] },
    service_id: 'sid',
    service_creator_peer_id: 'owner',
    host_id: 'host',
    worker_id: 'worker',
    tetraplets: [[{ peer_pk: 'pk', service_id: 's', function_name: 'f', lens: '.$' }]],
  };
  const strings = (version: number) =>
    callParametersRecord(version, cp)
      .slice(0, -1)
      .map((v) => (v.t === 'string' ? v.v : v.t));
  t.same(strings(0), ['init', 'sid', 'owner', 'host', 'pid'], 'v0: flat, no worker id');
  t.same(strings(1), ['init', 'sid', 'owner', 'host', 'worker', 'pid'], 'v1: flat + worker id');
  t.same(strings(3), ['record', 'sid', 'owner', 'host', 'worker'], 'v2/v3: particle record');
  const tetraplets = callParametersRecord(3, cp).at(-1);
  t.same(tetraplets, {
    t: 'array',
    v: [
      {
        t: 'array',
        v: [
          {
            t: 'record',
            v: [
              { t: 'string', v: 'pk' },
              { t: 'string', v: 's' },
              { t: 'string', v: 'f' },
              { t: 'string', v: '.$' },
            ],
          },
        ],
      },
    ],
  });
});
