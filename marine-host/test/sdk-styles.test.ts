// Service code written against marine-rs-sdk 0.10 and 0.14 (services-rs/examples/sdk-styles),
// built by `marine build services-rs/examples` and run through the host: `main` runs at load,
// both import syntaxes link, both call-parameter shapes are filled, a record named `Result` and
// fields named `field_0` keep their names, and the `.wasm` alone is what runs.
import t from 'tap';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { interfaceOf, loadService } from '../service/index.js';
import { renderAqua } from '../service/interface.js';

const root = resolve(import.meta.dirname, '../..');
const artifacts = join(root, 'services-rs/artifacts');
const built = ['styles_store', 'styles_v0_10', 'styles_v0_14', 'greeting', 'call_params'].every(
  (m) => existsSync(join(artifacts, `${m}.wasm`)),
);
const config = (name: string) => join(root, 'fixtures/configs/examples', name, 'Config.toml');
const skip = built ? false : 'example artifacts missing: run `marine build services-rs/examples`';

t.test(
  'main() runs once per module at load, so a logger set up there logs',
  { skip },
  async (t) => {
    const svc = await loadService(config('sdk-v0-14'));
    t.teardown(() => svc.close());
    // Nothing called yet: the lines come from main().
    t.same(
      svc.logs().map((r) => [r.module, r.stream, r.text]),
      [
        ['styles_store', 'info', 'styles_store: logger ready in main'],
        ['styles_v0_14', 'debug', 'styles_v0_14: logger ready in main'],
      ],
    );
    await svc.call('remember', ['a'], { particle: { init_peer_id: 'peer' } });
    await svc.call('remember', ['b'], { particle: { init_peer_id: 'peer' } });
    const mains = svc.logs().filter((r) => r.text.includes('logger ready in main'));
    t.equal(mains.length, 2, 'main ran once per module, not per call');
    t.ok(svc.logs().some((r) => r.module === 'styles_store' && r.text === 'put peer'));
  },
);

t.test('SDK 0.10 style: #[link] imports, flat call parameters, json_path', { skip }, async (t) => {
  // The host id is the service's identity, set at load; the call may only repeat it.
  const svc = await loadService(config('sdk-v0-10'), { owner: 'creator', hostId: 'H1' });
  t.teardown(() => svc.close());
  const cp = { particle: { id: 'P1', init_peer_id: 'I1' }, host_id: 'H1' };
  t.same(await svc.call('remember', ['v1'], cp), {
    success: true,
    error: '',
    field_0: 'I1',
    field_1: 'v1',
  });
  t.same(await svc.call('recall', ['I1']), {
    success: true,
    error: '',
    field_0: 'I1',
    field_1: 'v1',
  });
  t.same(await svc.call('call_parameters', [], cp), {
    init_peer_id: 'I1',
    service_id: svc.serviceId,
    service_creator_peer_id: 'creator',
    host_id: 'H1',
    particle_id: 'P1',
    tetraplets: [],
  });
  const tp = { peer_pk: 'pk', service_id: 'srv', function_name: 'fn', lens: '.$.x' };
  t.equal(await svc.call('origin', ['a'], { tetraplets: [[tp]] }), 'pk/srv/fn/.$.x by creator');
  t.ok(svc.logs().some((r) => r.text === 'remember for I1 in particle P1 (host H1)'));
});

t.test(
  'SDK 0.14 style: #[module_import], #[host_import], particle call parameters, lens',
  { skip },
  async (t) => {
    const svc = await loadService(config('sdk-v0-14'), { owner: 'creator', workerId: 'W2' });
    t.teardown(() => svc.close());
    const cp = { particle: { id: 'P2', init_peer_id: 'I2' }, worker_id: 'W2' };
    t.same(await svc.call('remember', ['v2'], cp), {
      success: true,
      error: '',
      field_0: 'I2',
      field_1: 'v2',
    });
    t.same(await svc.call('recall', ['nobody']), {
      success: false,
      error: 'no entry nobody',
      field_0: 'nobody',
      field_1: '',
    });
    t.match(await svc.call('call_parameters', [], cp), {
      particle: { id: 'P2', init_peer_id: 'I2' },
      worker_id: 'W2',
      service_creator_peer_id: 'creator',
    });
    const tp = { peer_pk: 'pk', service_id: 'srv', function_name: 'fn', lens: '.$.y' };
    t.equal(await svc.call('origin', ['a'], { tetraplets: [[tp]] }), 'pk/srv/fn/.$.y by creator');
    t.equal(await svc.call('shout', [['hello', 'there']]), 'hello there');
  },
);

t.test(
  "a record named Result and fields named field_0 keep the author's names",
  { skip },
  async (t) => {
    const { interface: iface } = await interfaceOf(join(artifacts, 'styles_store.wasm'));
    t.same(iface.record_types, [
      {
        name: 'Result',
        id: 0,
        fields: [
          ['success', 'bool'],
          ['error', 'string'],
          ['field_0', 'string'],
          ['field_1', 'string'],
        ],
      },
    ]);
    t.same(
      iface.function_signatures.map((f) => f.output_types),
      [['Result'], ['Result']],
    );
    t.match(
      renderAqua(iface, 'styles_store'),
      /data Result:\n {2}success: bool\n {2}error: string\n {2}field_0: string/,
    );
    // Arguments may name the record's fields as written in Rust, and the generated Aqua and
    // TypeScript say the same.
    const aqua = readFileSync(join(artifacts, 'styles_store.aqua'), 'utf8');
    t.match(aqua, /data Result:[\s\S]*field_0: string/);
    const dts = readFileSync(join(artifacts, 'styles_store.d.ts'), 'utf8');
    t.match(dts, /export interface Result \{[\s\S]*field_0: string;/);
  },
);

t.test(
  'the .wasm is what runs: no .wit needed, stale bindings beside it ignored',
  { skip },
  async (t) => {
    const dir = t.testdir({});
    const modules = join(dir, 'modules');
    mkdirSync(modules);
    // A module copied alone, as Fluence scripts copy a .wasm.
    copyFileSync(join(artifacts, 'greeting.wasm'), join(modules, 'svc.wasm'));
    const cfg = join(dir, 'Config.toml');
    writeFileSync(cfg, `modules_dir = "modules"\n[[module]]\nname = "svc"\n`);
    const first = await loadService(cfg);
    t.equal(await first.call('greeting', ['x']), 'Hi, x');
    await first.close();
    t.same(
      (await interfaceOf(join(modules, 'svc.wasm'))).interface.function_signatures.map(
        (f) => f.name,
      ),
      ['greeting'],
    );

    // Stale outputs beside it (another module's WIT and bindings) change nothing.
    copyFileSync(join(artifacts, 'records.wit'), join(modules, 'svc.wit'));
    mkdirSync(join(modules, 'svc'));
    writeFileSync(join(modules, 'svc', 'svc.js'), 'throw new Error("stale bindings ran");\n');
    // Overwriting the .wasm changes what runs and what `it` shows.
    copyFileSync(join(artifacts, 'call_params.wasm'), join(modules, 'svc.wasm'));
    const second = await loadService(cfg);
    t.teardown(() => second.close());
    t.equal(
      await second.call('init_peer_id', [], { particle: { init_peer_id: 'someone' } }),
      'someone',
    );
    await t.rejects(second.call('greeting', ['x']), { name: 'NoSuchFunctionError' });
    t.same(
      (await interfaceOf(join(modules, 'svc.wasm'))).interface.function_signatures.map(
        (f) => f.name,
      ),
      ['call_parameters', 'tetraplets', 'init_peer_id'],
    );
  },
);
