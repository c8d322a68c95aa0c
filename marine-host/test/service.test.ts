import t from 'tap';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';
import {
  ArgumentError,
  CallTimeoutError,
  EffectNotGrantedError,
  GuestTrapError,
  LinkError,
  MemoryLimitError,
  NoSuchFunctionError,
  Service,
  checkService,
  loadService,
} from '../service/index.js';
import { blueprintId, checkConfigToml, makeBlueprint, moduleCid } from '../config/index.js';

const artifacts = await buildHostFixtures();
const fixtureConfig = resolve(artifacts, '../Config.toml');

function config(dir: string, body: string): string {
  const file = join(dir, 'Config.toml');
  writeFileSync(file, `modules_dir = ${JSON.stringify(artifacts)}\n${body}`);
  return file;
}

const facade = (extra = '') =>
  `[[module]]\nname = "fx_facade"\n[module.mounted_binaries]\necho = "/bin/echo"\n${extra}`;

t.test('calls through the host', async (t) => {
  const service = await loadService(fixtureConfig);
  t.teardown(() => service.close());

  t.test('interface in the shape of srv.get_interface', async (t) => {
    const iface = service.getInterface();
    t.same(iface.function_signatures[0], {
      name: 'greeting',
      arguments: [['name', 'string']],
      output_types: ['string'],
    });
    t.same(
      iface.function_signatures.find((f) => f.name === 'echo_record'),
      { name: 'echo_record', arguments: [['r', 'Rec']], output_types: ['Rec'] },
    );
    t.same(iface.function_signatures.find((f) => f.name === 'trap')?.output_types, []);
    t.same(iface.record_types, [
      {
        name: 'Rec',
        id: 0,
        fields: [
          ['a', 'u8'],
          ['b', 'u64'],
          ['c', 'string'],
          ['d', '[]u32'],
        ],
      },
    ]);
  });

  t.test('arguments positional, by name, or bare', async (t) => {
    t.equal(await service.call('greeting', ['world']), 'Hi, world');
    t.equal(await service.call('greeting', { name: 'by name' }), 'Hi, by name');
    t.equal(await service.call('greeting', 'bare'), 'Hi, bare');
    t.equal(
      await service.call('write-file', ['/data/k', 'v']),
      'ok',
      'WIT kebab-case names work too',
    );
  });

  t.test('64-bit integers stay exact beyond 2^53', async (t) => {
    t.equal(await service.call('add', [1, 2]), 3);
    t.equal(await service.call('add', ['18446744073709551000', 15]), 18446744073709551015n);
    t.equal(await service.call('add', [9007199254740993n, 0]), 9007199254740993n);
    t.equal(await service.call('add', ['18446744073709551615', 1]), 0, 'u64 wraps in the guest');
  });

  t.test('records go in and come back as JSON', async (t) => {
    const out = await service.call('echo_record', [
      { a: 1, b: '12345678901234567890', c: 'ab', d: [1, 2, 3] },
    ]);
    t.same(out, { a: 2, b: 12345678901234567890n, c: 'abab', d: [2, 3, 4] });
  });

  t.test('a module import is served by another module', async (t) => {
    t.equal(await service.call('shout', ['quiet']), 'QUIET!');
  });

  t.test('the facade reads the call parameters', async (t) => {
    const out = await service.call('who', [], {
      particle: { id: 'particle-1', init_peer_id: 'peer-A' },
      tetraplets: [],
    });
    t.equal(
      out,
      `particle-1|peer-A|${service.serviceId}|local|`,
      'the service and host ids are the service identity',
    );
    const withTetraplets = await service.call('greeting', ['x'], {
      tetraplets: [[{ peer_pk: 'p1', service_id: 's', function_name: 'f', lens: '' }]],
    });
    t.equal(withTetraplets, 'Hi, x');
  });

  t.test(
    "call parameters held by the worker are the call's own, one call after another",
    async (t) => {
      // A call without parameters sends them once; the worker keeps them for the next ones. Calls
      // with and without, and a trap (the worker instantiates again), must each see their own.
      const none = `||${service.serviceId}|local|`;
      t.equal(await service.call('who', []), none);
      t.equal(await service.call('who', []), none, 'the same, not sent again');
      const given = { particle: { id: 'p-2', init_peer_id: 'peer-B' }, tetraplets: [] };
      t.equal(await service.call('who', [], given), `p-2|peer-B|${service.serviceId}|local|`);
      t.equal(await service.call('who', []), none, 'back to none after a call with parameters');
      await service.call('trap').catch(() => undefined);
      t.equal(await service.call('who', []), none, 'after a trap');
      t.equal(await service.call('who', [], given), `p-2|peer-B|${service.serviceId}|local|`);
    },
  );

  t.test('argument errors name the argument, the type expected and the value found', async (t) => {
    await t.rejects(
      service.call('greeting', [42]),
      new ArgumentError('function greeting: argument name: expected string, found 42'),
    );
    await t.rejects(service.call('greeting', []), {
      name: 'ArgumentError',
      message: /expected 1 argument\(s\) \(name\), found 0/,
    });
    await t.rejects(service.call('add', [1]), {
      name: 'ArgumentError',
      message: 'function add: expected 2 argument(s) (a, b), found 1',
    });
    await t.rejects(service.call('add', [-1, 1]), {
      message: /argument a: expected u64 in 0\.\.18446744073709551615, found -1/,
    });
    await t.rejects(service.call('add', [2 ** 60, 1]), { message: /beyond 2\^53 and not exact/ });
    await t.rejects(service.call('greeting', { nmae: 'x' }), {
      message: 'function greeting: no argument named "nmae" (arguments: name)',
    });
    await t.rejects(service.call('echo_record', [{ a: 1, b: 2, c: 'x' }]), {
      message: /argument r: field d of Rec is missing \(expected \[\]u32\)/,
    });
    await t.rejects(service.call('echo_record', [{ a: 300, b: 2, c: 'x', d: [] }]), {
      message: /argument r\.a: expected u8 in 0\.\.255, found 300/,
    });
    await t.rejects(service.call('nope', []), NoSuchFunctionError);
    await t.rejects(service.call('nope', []), {
      message: /has no function "nope" \(functions: greeting, add, /,
    });
    t.equal(await service.call('greeting', ['still fine']), 'Hi, still fine');
  });

  t.test('a trap fails that call with the guest panic, then the service works', async (t) => {
    await t.rejects(service.call('trap'), GuestTrapError);
    await t.rejects(service.call('trap'), {
      message: /unreachable[\s\S]*panicked at 'trap requested'/,
    });
    t.equal(await service.call('greeting', ['after trap']), 'Hi, after trap');
  });

  t.test('an infinite loop is stopped by the time limit, then the service works', async (t) => {
    const started = Date.now();
    await t.rejects(service.call('spin', [], undefined, { timeoutMs: 300 }), CallTimeoutError);
    t.ok(Date.now() - started < 5000, 'stopped promptly');
    t.equal(await service.call('greeting', ['after loop']), 'Hi, after loop');
  });

  t.test('timeouts back to back: each swaps in a worker, none is lost', async (t) => {
    // Restarts close together keep two spares; each timeout here takes one (or waits for one
    // still starting), and the service answers, with its state fresh, after every one.
    for (let i = 0; i < 3; i += 1) {
      await t.rejects(service.call('spin', [], undefined, { timeoutMs: 100 }), CallTimeoutError);
      t.equal(await service.call('greeting', [`after ${i}`]), `Hi, after ${i}`);
    }
    const spares = (service as unknown as { spares: unknown[] }).spares;
    t.ok(spares.length <= 2, `at most two spares (${spares.length})`);
  });

  t.test('a memory bomb hits total_memory_limit, then the service works', async (t) => {
    t.equal(await service.call('grow', [8]), 8, '8 MiB is within the 64 MiB limit');
    await t.rejects(service.call('grow', [100]), MemoryLimitError);
    await t.rejects(service.call('grow', [100]), {
      message:
        /out of memory \(total_memory_limit 64 MiB\)[\s\S]*memory allocation of 104857600 bytes failed/,
    });
    t.equal(await service.call('greeting', ['after bomb']), 'Hi, after bomb');
  });

  t.test('calls run one at a time, in order', async (t) => {
    const calls = Array.from({ length: 20 }, (_, i) => service.call('greeting', [`n${i}`]));
    const failing = service.call('trap');
    const after = service.call('greeting', ['last']);
    t.same(
      await Promise.all(calls),
      Array.from({ length: 20 }, (_, i) => `Hi, n${i}`),
    );
    await t.rejects(failing, GuestTrapError);
    t.equal(await after, 'Hi, last');
  });
});

t.test('load-time errors', async (t) => {
  t.test('a missing module', async (t) => {
    const file = config(t.testdir(), facade());
    await t.rejects(Service.load(file), LinkError);
    await t.rejects(Service.load(file), {
      message: `${file}: module[0]: module "fx_facade" imports interface "fx-helper", but the service has no module of that name (modules: fx_facade)`,
    });
  });

  t.test('a type mismatch between modules', async (t) => {
    const file = config(
      t.testdir(),
      `[[module]]\nname = "fx_helper"\nfile_name = "fx_helper_bad.wasm"\n${facade()}`,
    );
    await t.rejects(Service.load(file), {
      name: 'LinkError',
      message:
        /module "fx_facade" imports fx-helper\.upper as func\(s: string\) -> string, but module "fx_helper" exports it as func\(s: string\) -> u32/,
    });
  });

  t.test('an effect the config does not grant', async (t) => {
    const file = config(
      t.testdir(),
      `[[module]]\nname = "fx_helper"\n[[module]]\nname = "fx_facade"\n`,
    );
    await t.rejects(Service.load(file), EffectNotGrantedError);
    await t.rejects(Service.load(file), {
      message:
        /module\[1\]\.mounted_binaries: module "fx_facade" imports the mounted binary "echo" \(host\.echo\), which its config does not grant/,
    });
  });

  t.test('a module file that does not exist', async (t) => {
    const file = config(
      t.testdir(),
      `[[module]]\nname = "fx_helper"\nfile_name = "nothing.wasm"\n${facade()}`,
    );
    await t.rejects(Service.load(file), {
      message: /module\[0\]: module "fx_helper": file .*nothing\.wasm does not exist/,
    });
  });

  t.test('modules importing each other in a cycle', async (t) => {
    // Real components (dummy core modules for their WIT): the host reads a module's world
    // from its .wasm, never from a .wit beside it.
    const { componentEmbed, componentNew } =
      await import('@bytecodealliance/jco-transpile/wasm-tools');
    const component = async (witSource: string, world: string): Promise<Uint8Array> =>
      componentNew(await componentEmbed({ dummy: true, witSource, world }), []);
    const dir = t.testdir({
      'a.wasm': Buffer.from(
        await component(
          'package x:a;\nworld a {\n  import b: interface { g: func(); }\n  export f: func();\n}\n',
          'a',
        ),
      ),
      'b.wasm': Buffer.from(
        await component(
          'package x:b;\nworld b {\n  import a: interface { f: func(); }\n  export g: func();\n}\n',
          'b',
        ),
      ),
    });
    const check = checkConfigToml(
      `modules_dir = "."\n[[module]]\nname = "a"\n[[module]]\nname = "b"\n`,
      join(dir, 'Config.toml'),
    );
    const result = await checkService(check.config as NonNullable<typeof check.config>);
    t.notOk(result.plan);
    t.match(
      result.findings.find((f) => f.severity === 'error')?.message,
      /modules import each other in a cycle: a → b → a/,
    );
  });

  t.test('the host still loads good services afterwards', async (t) => {
    const service = await loadService(fixtureConfig);
    t.teardown(() => service.close());
    t.equal(await service.call('greeting', ['ok']), 'Hi, ok');
  });
});

t.test('services are independent: a runaway call in one does not block another', async (t) => {
  const a = await loadService(fixtureConfig);
  const b = await loadService(fixtureConfig);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const spinning = a.call('spin', [], undefined, { timeoutMs: 1500 });
  const started = Date.now();
  t.equal(await b.call('greeting', ['b']), 'Hi, b');
  t.ok(Date.now() - started < 1400, 'b answered while a was spinning');
  await t.rejects(spinning, CallTimeoutError);
  t.equal(await a.call('greeting', ['a']), 'Hi, a');
});

t.test('a blueprint resolved against a module store runs like a Config.toml', async (t) => {
  const store = t.testdir({});
  for (const name of ['fx_helper', 'fx_facade']) {
    cpSync(join(artifacts, `${name}.wasm`), join(store, `${name}.wasm`));
    cpSync(join(artifacts, `${name}.wit`), join(store, `${name}.wit`));
    cpSync(join(artifacts, name), join(store, name), { recursive: true });
  }
  // Grants come from the module's sidecar config (Nox's ModuleConfig shape).
  writeFileSync(
    join(store, 'fx_facade.wasm.config.json'),
    JSON.stringify({ name: 'fx_facade', mounted_binaries: { echo: '/bin/echo' } }),
  );
  const deps = [
    moduleCid(readFileSync(join(store, 'fx_helper.wasm'))),
    moduleCid(readFileSync(join(store, 'fx_facade.wasm'))),
  ];
  const blueprint = join(store, 'blueprint.json');
  writeFileSync(blueprint, JSON.stringify(makeBlueprint('fx', deps)));
  const service = await loadService(blueprint);
  t.teardown(() => service.close());
  t.equal(service.plan.config.blueprintId, blueprintId('fx', deps));
  t.equal(await service.call('shout', ['bp']), 'BP!');
  t.equal(await service.call('run_echo', ['x']), '0||x');

  writeFileSync(
    join(store, 'fx_facade.wasm'),
    Buffer.concat([readFileSync(join(store, 'fx_facade.wasm')), Buffer.from([0])]),
  );
  await t.rejects(loadService(blueprint), {
    name: 'ConfigError',
    message: /dependencies\[1\]: no module with CID bafk\w+ in the module store/,
  });
});

t.test(
  'a call past half its time limit starts a spare, and its timeout swaps that spare in',
  async (t) => {
    const service = await loadService(fixtureConfig, { spareWorker: 'after-restart' });
    t.teardown(() => service.close());
    const internals = service as unknown as {
      spares: { worker: unknown; ready: Promise<void> }[];
      worker: unknown;
    };
    t.equal(internals.spares.length, 0, 'no spare after the load');
    const call = service.call('spin', [], undefined, { timeoutMs: 1500 });
    const rejected = t.rejects(call, CallTimeoutError);
    // Half the limit has passed at 750 ms; the spare is started then, well before the timeout.
    await new Promise((r) => setTimeout(r, 1000));
    t.equal(internals.spares.length, 1, 'a spare started while the call ran');
    const spare = internals.spares[0]!;
    await rejected;
    t.equal(await service.call('greeting', ['after']), 'Hi, after', 'the service answers after it');
    t.equal(
      internals.worker,
      spare.worker,
      'the restart swapped in the spare the slow call started',
    );
  },
);

t.test("spareWorker 'after-restart': no spare until the first restart, then one", async (t) => {
  const service = await loadService(fixtureConfig, { spareWorker: 'after-restart' });
  t.teardown(() => service.close());
  const spares = (): readonly { ready: Promise<void> }[] =>
    (service as unknown as { spares: { ready: Promise<void> }[] }).spares;
  t.equal(await service.call('greeting', ['one']), 'Hi, one');
  // Past the delay after which a default service starts its spare.
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(spares().length, 0, 'no spare after the load');
  await t.rejects(service.call('spin', [], undefined, { timeoutMs: 200 }), CallTimeoutError);
  t.equal(await service.call('greeting', ['two']), 'Hi, two', 'the service answers after it');
  for (let i = 0; i < 100 && spares().length === 0; i += 1)
    await new Promise((r) => setTimeout(r, 50));
  t.equal(spares().length, 1, 'a spare once it has restarted');
  await spares()[0]!.ready;
});
