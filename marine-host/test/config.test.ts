import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  checkConfigToml,
  loadConfigToml,
  loadBlueprint,
  checkBlueprint,
  ModuleStore,
  moduleCid,
  blueprintId,
  parseByteSize,
  loadServiceConfig,
} from '../config/index.js';
import { ConfigError } from '../errors.js';

const fixtures = resolve(import.meta.dirname, '../../fixtures/configs');

t.test('a Config.toml with every field loads into a frozen config', async (t) => {
  const file = join(fixtures, 'full/Config.toml');
  const config = loadConfigToml(file);
  const dir = join(fixtures, 'full');
  t.equal(config.totalMemoryLimit, 10 * 1024 * 1024);
  t.equal(config.modulesDir, join(dir, 'artifacts'));
  t.same(
    config.modules.map((m) => m.name),
    ['curl_adapter', 'local_storage', 'facade'],
  );
  const [curl, storage, facade] = config.modules;
  t.equal(curl?.path, join(dir, 'artifacts/curl_adapter.wasm'));
  t.equal(curl?.loggerEnabled, false);
  t.equal(curl?.loggingMask, 5);
  t.same(curl?.envs, { GREETING: 'hi' });
  t.same(curl?.mappedDirs, { '/sites': join(dir, 'sites') });
  t.same(curl?.mountedBinaries, { curl: '/usr/bin/curl' });
  t.equal(storage?.path, join(dir, 'other/storage.wasm'));
  t.equal(storage?.loggerEnabled, true, 'logger_enabled defaults to true');
  t.equal(storage?.loggingMask, 2147483647);
  t.equal(facade?.path, join(dir, 'artifacts/facade-v2.wasm'));
  t.same(config.defaults?.envs, { X: '1' });
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.modules) && Object.isFrozen(curl?.envs));
  t.equal(loadServiceConfig(file).modules.length, 3);
});

t.test('byte sizes', async (t) => {
  t.equal(parseByteSize('10 MiB'), 10485760);
  t.equal(parseByteSize('10MB'), 10000000);
  t.equal(parseByteSize('64 KiB'), 65536);
  t.equal(parseByteSize('Infinity'), Infinity);
  t.equal(parseByteSize('infinity'), Infinity);
  t.equal(parseByteSize('4096'), 4096);
  t.equal(parseByteSize('10 parsecs'), null);
  t.equal(parseByteSize(-1), null);
});

const bad: [string, string, string, RegExp][] = [
  ['not toml', 'modules_dir = ', '(toml)', /not valid TOML/],
  ['no modules', 'modules_dir = "a"', 'module', /at least one \[\[module\]\]/],
  [
    'modules_dir type',
    'modules_dir = 3\n[[module]]\nname = "a"',
    'modules_dir',
    /expected a directory path, found 3/,
  ],
  [
    'memory limit',
    'modules_dir = "a"\ntotal_memory_limit = "lots"\n[[module]]\nname = "a"',
    'total_memory_limit',
    /found "lots"/,
  ],
  [
    'memory limit too small',
    'modules_dir = "a"\ntotal_memory_limit = "1 KiB"\n[[module]]\nname = "a"',
    'total_memory_limit',
    /at least one Wasm page/,
  ],
  [
    'missing name',
    'modules_dir = "a"\n[[module]]\nfile_name = "x.wasm"',
    'module[0].name',
    /found nothing/,
  ],
  ['bad name', 'modules_dir = "a"\n[[module]]\nname = "a b"', 'module[0].name', /found "a b"/],
  [
    'duplicate name',
    'modules_dir = "a"\n[[module]]\nname = "a"\n[[module]]\nname = "a"',
    'module[1].name',
    /already defined by module\[0\]/,
  ],
  [
    'file_name type',
    'modules_dir = "a"\n[[module]]\nname = "a"\nfile_name = true',
    'module[0].file_name',
    /found true/,
  ],
  ['load_from type', '[[module]]\nname = "a"\nload_from = 1', 'module[0].load_from', /found 1/],
  [
    'no location',
    '[[module]]\nname = "a"',
    'module[0]',
    /no load_from and the config has no modules_dir/,
  ],
  [
    'logger_enabled',
    'modules_dir = "a"\n[[module]]\nname = "a"\nlogger_enabled = "yes"',
    'module[0].logger_enabled',
    /true or false, found "yes"/,
  ],
  [
    'logging_mask',
    'modules_dir = "a"\n[[module]]\nname = "a"\nlogging_mask = 9999999999',
    'module[0].logging_mask',
    /32-bit signed integer, found 9999999999/,
  ],
  [
    'envs',
    'modules_dir = "a"\n[[module]]\nname = "a"\n[module.wasi]\nenvs = { A = 1 }',
    'module[0].wasi.envs.A',
    /expected a string, found 1/,
  ],
  [
    'mapped_dirs',
    'modules_dir = "a"\n[[module]]\nname = "a"\n[module.wasi]\nmapped_dirs = "x"',
    'module[0].wasi.mapped_dirs',
    /expected a table/,
  ],
  [
    'mounted_binaries',
    'modules_dir = "a"\n[[module]]\nname = "a"\n[module.mounted_binaries]\ncurl = 5',
    'module[0].mounted_binaries.curl',
    /found 5/,
  ],
  [
    'unknown field',
    'modules_dir = "a"\n[[module]]\nname = "a"\nnmae = "b"',
    'module[0].nmae',
    /unknown field/,
  ],
  [
    'unknown top field',
    'modules_dirr = "a"\n[[module]]\nname = "a"',
    'modules_dirr',
    /unknown field/,
  ],
  [
    'default type',
    'modules_dir = "a"\ndefault = 1\n[[module]]\nname = "a"',
    'default',
    /expected a table, found 1/,
  ],
];

for (const [what, text, field, message] of bad) {
  t.test(`bad config: ${what}`, async (t) => {
    const check = checkConfigToml(text, '/x/Config.toml');
    t.notOk(check.config);
    const finding = check.findings.find((f) => f.severity === 'error');
    t.equal(finding?.file, '/x/Config.toml');
    t.equal(finding?.field, field);
    t.match(finding?.message, message);
  });
}

t.test('loadConfigToml throws a ConfigError naming the file, field and value', async (t) => {
  const dir = t.testdir({
    'Config.toml': 'modules_dir = "a"\n[[module]]\nname = "a"\nlogging_mask = "all"\n',
  });
  let caught: unknown;
  try {
    loadConfigToml(join(dir, 'Config.toml'));
  } catch (error) {
    caught = error;
  }
  t.ok(caught instanceof ConfigError);
  t.match(caught, { field: 'module[0].logging_mask', file: join(dir, 'Config.toml') });
  t.match(
    (caught as Error).message,
    `${join(dir, 'Config.toml')}: module[0].logging_mask: expected a 32-bit signed integer, found "all"`,
  );
  t.throws(() => loadConfigToml(join(dir, 'missing.toml')), ConfigError);
});

t.test('legacy fields are warnings, not errors', async (t) => {
  const check = checkConfigToml(
    'modules_dir = "a"\n[[module]]\nname = "a"\nmem_pages_count = 10\n',
    '/x/Config.toml',
  );
  t.ok(check.config);
  t.match(check.config?.warnings[0], /mem_pages_count: removed from Marine/);
});

t.test('blueprints resolve module CIDs against a module store', async (t) => {
  const dir = t.testdir({});
  const a = new TextEncoder().encode('module a bytes');
  const b = new TextEncoder().encode('module b bytes');
  writeFileSync(join(dir, 'storage.wasm'), a);
  const bCid = moduleCid(b);
  writeFileSync(join(dir, `${bCid}.wasm`), b);
  writeFileSync(
    join(dir, `${bCid}.wasm.config.json`),
    JSON.stringify({ name: 'facade', envs: { K: 'v' } }),
  );
  const aCid = moduleCid(a);
  t.match(aCid, /^bafkrei/);
  writeFileSync(
    join(dir, 'bp.json'),
    JSON.stringify({ name: 'svc', dependencies: [{ '/': aCid }, bCid] }),
  );
  const config = loadBlueprint(join(dir, 'bp.json'));
  t.same(
    config.modules.map((m) => [m.name, m.cid]),
    [
      ['storage', aCid],
      ['facade', bCid],
    ],
  );
  t.same(config.modules[1]?.envs, { K: 'v' });
  t.equal(config.blueprintId, blueprintId('svc', [aCid, bCid]));

  const store = ModuleStore.open(dir);
  const missing = checkBlueprint(
    JSON.stringify({ name: 'svc', dependencies: [moduleCid(new Uint8Array([1]))] }),
    join(dir, 'x.json'),
    store,
  );
  t.match(missing.findings[0], {
    field: 'dependencies[0]',
    message: /no module with CID bafkrei\w+ in the module store/,
  });
  const empty = checkBlueprint(
    JSON.stringify({ name: 'svc', dependencies: [] }),
    join(dir, 'x.json'),
    store,
  );
  t.match(empty.findings[0], { field: 'dependencies', message: /empty list/ });
  const notCid = checkBlueprint(
    JSON.stringify({ name: 'svc', dependencies: ['hello'] }),
    join(dir, 'x.json'),
    store,
  );
  t.match(notCid.findings[0], { field: 'dependencies[0]', message: /found "hello"/ });
  const wrongId = checkBlueprint(
    JSON.stringify({ id: aCid, name: 'svc', dependencies: [aCid] }),
    join(dir, 'x.json'),
    store,
  );
  t.match(wrongId.findings[0], { field: 'id', message: /found "bafkrei/ });
});

t.test('blueprint id matches Nox for the trust-graph blueprint', async (t) => {
  t.equal(
    blueprintId('trust-graph', [
      'bafybeiey4i2vtj7uu7tlvdoc2o52uuuwxa4ahcx5g4lpqzk4qtd5klniuq',
      'bafybeibuvzascfzi5ikyzhjxdkridgytg4z26ujtnx7xrejq7gxq54ssdm',
    ]),
    'bafkreifdehdwcppttfsqaju4kodgn5wgbefrarbzc72k4sore2bwpeq2fa',
  );
});

t.test('large modules get a dag-pb CID', async (t) => {
  const big = new Uint8Array(300000).fill(7);
  t.match(moduleCid(big), /^bafybei/);
  t.not(moduleCid(big), moduleCid(big.subarray(0, 299999)));
});

t.test("a modules dir given by the caller replaces a Config.toml's modules_dir", async (t) => {
  // marine-rs-sdk-test before 0.10 loaded modules from its attribute's modules_dir: `marine it`
  // and `marine serve` take it as --modules-dir, for configs with or without their own.
  const file = join(fixtures, 'full/Config.toml');
  const other = resolve('/tmp/elsewhere');
  const config = loadServiceConfig(file, other);
  t.equal(config.modulesDir, other);
  const curl = config.modules.find((m) => m.name === 'curl_adapter');
  t.equal(curl?.path, join(other, 'curl_adapter.wasm'));
  const without = checkConfigToml('[[module]]\nname = "m"\n', '/x/Config.toml', {
    modulesDir: '/y',
  });
  t.equal(without.config?.modules[0]?.path, '/y/m.wasm', 'a config without modules_dir too');
  t.match(checkConfigToml('[[module]]\nname = "m"\n', '/x/Config.toml').findings[0], {
    message: /has no load_from and the config has no modules_dir/,
  });
});
