// End to end: the example services (and a hand-written ABI fixture) built by `buildServices`,
// their component WIT checked against the Rust signatures, and every export called through jco's
// generated bindings with edge values.
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { buildServices, kebabName, printComponentWit, type BuildResult } from '../build/index.js';
import { INTERFACE_SECTION, readInterface } from '../build/interface.js';
import { pascalCase } from '../build/names.js';
import type { ModuleInterface, RecordEntry, Ty } from '../build/types.js';
import { customSections, parseModule } from '../build/wasm/module.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = mkdtempSync(join(tmpdir(), 'marine-build-e2e-'));
t.teardown(() => rmSync(out, { recursive: true, force: true }));

type Fn = (...args: unknown[]) => unknown;
type Exports = Record<string, Fn>;

const Wasm = (
  globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<unknown> } }
).WebAssembly;

/** Instantiates a module's jco bindings with WASI (sandboxed) plus the given JS imports. */
async function instantiate(
  result: BuildResult,
  name: string,
  imports: Record<string, Record<string, Fn>>,
  preopens: Record<string, string> = {},
): Promise<Exports> {
  const module = result.modules.find((m) => m.name === name);
  if (module === undefined) throw new Error(`module ${name} was not built`);
  const entry = pathToFileURL(join(module.bindings, `${name}.js`)).href;
  const bindings = (await import(entry)) as {
    instantiate(
      getCoreModule: (path: string) => Promise<unknown>,
      imports: Record<string, unknown>,
    ): Promise<Exports>;
  };
  const wasi = new WASIShim({ sandbox: { preopens, env: {} } }).getImportObject() as Record<
    string,
    unknown
  >;
  return bindings.instantiate(
    async (path) => Wasm.compile(new Uint8Array(await readFile(join(module.bindings, path)))),
    { ...wasi, ...imports },
  );
}

interface Logged {
  level: number;
  target: number;
  msg: string;
}

function hostApi(logs: Logged[] = []): Record<string, Fn> {
  return {
    getCallParameters: () => ({
      particle: {
        id: 'particle-1',
        initPeerId: '12D3KooWinit',
        timestamp: 1_700_000_000_000n,
        ttl: 30_000,
        script: '(null)',
        signature: new Uint8Array([9, 8, 7]),
        token: 'tok',
      },
      serviceId: 'svc',
      serviceCreatorPeerId: 'creator',
      hostId: 'host',
      workerId: 'worker',
      tetraplets: [
        [{ peerPk: 'pk1', serviceId: 'srv', functionName: 'fn', lens: '.$.a' }],
        [{ peerPk: 'pk2', serviceId: '', functionName: '', lens: '' }],
      ],
    }),
    logUtf8String: (level, target, msg) => {
      logs.push({ level: level as number, target: target as number, msg: msg as string });
    },
  };
}

const logs: string[] = [];
let examples: BuildResult;

t.before(async () => {
  examples = await buildServices({
    path: join(root, 'services-rs', 'examples'),
    outDir: join(out, 'examples'),
    log: (line) => logs.push(line),
  });
});

const EXPECTED_EXPORTS: Record<string, string[]> = {
  greeting: ['greeting: func(name: string) -> string'],
  aquavm_facade: [
    'parse-air: func(script: string) -> string',
    'describe-data: func(data: list<u8>) -> string',
    'run-air: func(air: string, params: run-parameters) -> interpreter-outcome',
  ],
  sleeper: [
    'sleep-ms: func(ms: u64) -> u64',
    'write-file: func(path: string, size: u64) -> string',
  ],
  call_params: [
    'call-parameters: func() -> call-parameters',
    'tetraplets: func(a: string, b: u32) -> list<list<security-tetraplet>>',
    'init-peer-id: func() -> string',
  ],
  local_storage: [
    'put: func(name: string, content: list<u8>) -> string',
    'get: func(file-name: string) -> list<u8>',
  ],
  curl_adapter: ['download: func(url: string) -> string'],
  url_downloader: [
    'get-n-save: func(url: string, file-name: string) -> string',
    'load: func(file-name: string) -> string',
  ],
  records: [
    ...['bool', 'u8', 'u16', 'u32', 'u64'].map((x) => `echo-${x}: func(x: ${x}) -> ${x}`),
    ...['8', '16', '32', '64'].map((w) => `echo-i${w}: func(x: s${w}) -> s${w}`),
    'echo-f32: func(x: f32) -> f32',
    'echo-f64: func(x: f64) -> f64',
    'echo-string: func(s: string) -> string',
    'string-len: func(s: string) -> u64',
    'echo-bytes: func(b: list<u8>) -> list<u8>',
    'echo-matrix: func(m: list<list<u8>>) -> list<list<u8>>',
    'echo-deep: func(m: list<list<list<string>>>) -> list<list<list<string>>>',
    'echo-strings: func(v: list<string>) -> list<string>',
    'echo-i64s: func(v: list<s64>) -> list<s64>',
    'echo-f64s: func(v: list<f64>) -> list<f64>',
    'echo-bools: func(v: list<bool>) -> list<bool>',
    'echo-numbers: func(n: numbers) -> numbers',
    'echo-nested: func(n: nested) -> nested',
    'echo-outer: func(o: outer) -> outer',
    'echo-records: func(v: list<nested>) -> list<nested>',
    'echo-option-u64: func(x: option<u64>) -> option<u64>',
    'echo-option-string: func(x: option<string>) -> option<string>',
    'echo-option-record: func(x: option<numbers>) -> option<numbers>',
    'collect: func(flag: bool, val-u8: u8, val-u16: u16, val-u32: u32, val-u64: u64, val-i8: s8, val-i16: s16, val-i32: s32, val-i64: s64, val-f32: f32, val-f64: f64, text: string, extra1: u64, extra2: u64, extra3: u64, extra4: u64) -> numbers',
    'describe: func(n: nested) -> string',
    'ping: func()',
    'big-string: func(len: u32) -> string',
  ],
  styles_store: [
    'put: func(key: string, value: string) -> %result',
    'get: func(key: string) -> %result',
  ],
  styles_v0_10: [
    'remember: func(value: string) -> %result',
    'recall: func(key: string) -> %result',
    'call-parameters: func() -> call-parameters',
    'origin: func(arg: string) -> string',
  ],
  styles_v0_14: [
    'remember: func(value: string) -> %result',
    'recall: func(key: string) -> %result',
    'call-parameters: func() -> call-parameters',
    'origin: func(arg: string) -> string',
    'shout: func(words: list<string>) -> string',
  ],
};

t.test(
  'every example module is built with its component, WIT, Aqua, types and bindings',
  async (t) => {
    t.same(examples.modules.map((m) => m.name).sort(), Object.keys(EXPECTED_EXPORTS).sort());
    for (const m of examples.modules) {
      for (const file of [m.component, m.wit, m.aqua, m.types, join(m.bindings, `${m.name}.js`)]) {
        t.ok(existsSync(file), `${m.name}: ${file}`);
      }
    }
    t.ok(
      logs.some((l) => l.startsWith('componentizing greeting')),
      'progress is reported',
    );
    t.match(
      readFileSync(join(out, 'examples', 'greeting.aqua'), 'utf8'),
      /service Greeting\("greeting"\):\n {2}greeting\(name: string\) -> string/,
    );
  },
);

t.test("each component's WIT, as jco prints it, matches the Rust signatures", async (t) => {
  for (const m of examples.modules) {
    const printed = await printComponentWit(new Uint8Array(readFileSync(m.component)));
    const exported = [...printed.matchAll(/^ {2}export (.*);$/gm)].map((x) => x[1]);
    t.same(exported, EXPECTED_EXPORTS[m.name], `${m.name} exports`);
  }
  const url = await printComponentWit(
    new Uint8Array(readFileSync(join(out, 'examples', 'url_downloader.wasm'))),
  );
  t.match(url, /import curl-adapter: interface \{\s*download: func\(url: string\) -> string;/);
  t.match(
    url,
    /import local-storage: interface \{\s*put: func\(name: string, content: list<u8>\) -> string;\s*get: func\(file-name: string\) -> list<u8>;/,
  );
  const curl = await printComponentWit(
    new Uint8Array(readFileSync(join(out, 'examples', 'curl_adapter.wasm'))),
  );
  t.match(
    curl,
    /import host: interface \{[^]*?curl: func\(cmd: list<string>\) -> mounted-binary-result;/,
  );
});

t.test("each example's Aqua compiles with the reference Aqua compiler", async (t) => {
  const { compileFromString } = (await import('@fluencelabs/aqua-api')) as {
    compileFromString(args: { code: string }): Promise<{ errors: string[] }>;
  };
  for (const m of examples.modules) {
    const result = await compileFromString({ code: readFileSync(m.aqua, 'utf8') });
    t.same(result.errors, [], `${m.name}.aqua`);
  }
});

t.test("each module's .d.ts agrees with the types jco generated for its bindings", async (t) => {
  const ts = (await import('typescript')).default;
  const dir = join(out, 'examples');
  const files: string[] = [];
  for (const m of examples.modules) {
    const pascal = pascalCase(m.name);
    const file = join(dir, `check-${m.name}.ts`);
    const importChecks = m.imports.map((module, i) => {
      const key = kebabName(module, module);
      return `export const import${i}: ImportObject['${key}'] = mine2['${key}'];`;
    });
    writeFileSync(
      file,
      [
        `import type { ${pascal}Exports, ${pascal}Imports } from './${m.name}.js';`,
        `import type { Root, ImportObject } from './${m.name}/${m.name}.js';`,
        `declare const mine: ${pascal}Exports;`,
        `declare const theirs: Root;`,
        `declare const mine2: ${pascal}Imports;`,
        `export const toJco: Root = mine;`,
        `export const fromJco: ${pascal}Exports = theirs;`,
        ...importChecks,
        '',
      ].join('\n'),
    );
    files.push(file);
  }
  const wrong = join(dir, 'check-wrong.ts');
  writeFileSync(
    wrong,
    "import type { GreetingExports } from './greeting.js';\nexport const w: GreetingExports = { greeting: (n: number) => n };\n",
  );
  const program = ts.createProgram([...files, wrong], {
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  });
  const messages = (file: string): string[] =>
    ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  for (const file of files) t.same(messages(file), [], file);
  t.ok(messages(wrong).length > 0, 'a wrong signature is caught');
});

t.test("the examples' generated WIT, Aqua and TS match their golden files", async (t) => {
  const golden = join(root, 'fixtures', 'golden', 'build', 'examples');
  for (const m of examples.modules) {
    for (const [ext, path] of [
      ['wit', m.wit],
      ['aqua', m.aqua],
      ['d.ts', m.types],
    ] as const) {
      const file = join(golden, `${m.name}.${ext}`);
      const actual = readFileSync(path, 'utf8');
      if (process.env['BLESS'] === '1') {
        mkdirSync(golden, { recursive: true });
        writeFileSync(file, actual);
      }
      if (!existsSync(file)) {
        t.fail(`golden file ${file} is missing; run with BLESS=1 to create it`);
        continue;
      }
      t.equal(actual, readFileSync(file, 'utf8'), `${m.name}.${ext} (BLESS=1 rewrites it)`);
    }
  }
});

t.test('greeting answers through the bindings, for empty, unicode and 1 MiB names', async (t) => {
  const g = await instantiate(examples, 'greeting', { 'marine-host-api': hostApi() });
  t.equal(g['greeting']?.('Marine'), 'Hi, Marine');
  t.equal(g['greeting']?.(''), 'Hi, ');
  t.equal(g['greeting']?.('мир 🌍 世界'), 'Hi, мир 🌍 世界');
  const big = 'é'.repeat(1 << 19) + 'z'.repeat(1);
  t.equal(g['greeting']?.(big), `Hi, ${big}`);
});

t.test('records: every scalar width at its limits, NaN and infinities', async (t) => {
  const r = await instantiate(examples, 'records', { 'marine-host-api': hostApi() });
  const call = (name: string, ...args: unknown[]): unknown => {
    const f = r[name];
    if (f === undefined) throw new Error(`no export ${name}`);
    return f(...args);
  };
  for (const v of [true, false]) t.equal(call('echoBool', v), v);
  const ints: [string, (number | bigint)[]][] = [
    ['echoU8', [0, 1, 255]],
    ['echoU16', [0, 65535]],
    ['echoU32', [0, 4294967295]],
    ['echoU64', [0n, 18446744073709551615n]],
    ['echoI8', [-128, -1, 0, 127]],
    ['echoI16', [-32768, 32767]],
    ['echoI32', [-2147483648, 2147483647]],
    ['echoI64', [-9223372036854775808n, -1n, 9223372036854775807n]],
  ];
  for (const [name, values] of ints)
    for (const v of values) t.equal(call(name, v), v, `${name}(${v})`);
  for (const v of [0, 1.5, -2.25, 3.4028234663852886e38, Infinity, -Infinity])
    t.equal(call('echoF32', v), v);
  t.ok(Number.isNaN(call('echoF32', NaN)), 'f32 NaN');
  for (const v of [
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MAX_VALUE,
    Infinity,
    -Infinity,
    Math.PI,
  ]) {
    t.equal(call('echoF64', v), v);
  }
  t.ok(Number.isNaN(call('echoF64', NaN)), 'f64 NaN');
  t.ok(Object.is(call('echoF64', -0), -0), 'f64 -0 keeps its sign');
});

t.test('records: strings, lists and nesting round-trip, empty and 1 MiB included', async (t) => {
  const r = await instantiate(examples, 'records', { 'marine-host-api': hostApi() });
  const f = (name: string): Fn => {
    const fn = r[name];
    if (fn === undefined) throw new Error(`no export ${name}`);
    return fn;
  };
  const mib = 'ab'.repeat(1 << 19);
  for (const s of ['', 'ünïcödé ✓ 🦀', mib]) t.equal(f('echoString')(s), s);
  t.equal(f('stringLen')('🦀'), 4n, 'length in UTF-8 bytes');
  t.equal(f('stringLen')(mib), BigInt(1 << 20));
  t.equal((f('bigString')(1 << 20) as string).length, 1 << 20);
  t.equal(f('bigString')(0), '');
  const bytes = new Uint8Array(1 << 20).map((_, i) => i & 0xff);
  t.same(f('echoBytes')(bytes), bytes);
  t.same(f('echoBytes')(new Uint8Array()), new Uint8Array());
  const matrix = [new Uint8Array([1, 2]), new Uint8Array(), new Uint8Array([255])];
  t.same(f('echoMatrix')(matrix), matrix);
  t.same(f('echoMatrix')([]), []);
  const deep = [[['a', ''], []], [], [['ü']]];
  t.same(f('echoDeep')(deep), deep);
  t.same(f('echoStrings')(['', 'x', '日本']), ['', 'x', '日本']);
  const i64s = new BigInt64Array([-9223372036854775808n, 0n, 9223372036854775807n]);
  t.same(f('echoI64s')(i64s), i64s);
  const f64s = new Float64Array([NaN, Infinity, -Infinity, 0.1]);
  const back = f('echoF64s')(f64s) as Float64Array;
  t.ok(Number.isNaN(back[0]) && back[1] === Infinity && back[2] === -Infinity && back[3] === 0.1);
  t.same(f('echoBools')([true, false, true]), [true, false, true]);
  t.same(f('echoBools')([]), []);

  const numbers = {
    flag: true,
    valU8: 255,
    valU16: 65535,
    valU32: 4294967295,
    valU64: 18446744073709551615n,
    valI8: -128,
    valI16: -32768,
    valI32: -2147483648,
    valI64: -9223372036854775808n,
    valF32: -Infinity,
    valF64: 1e308,
    text: 'nümbers',
  };
  t.same(f('echoNumbers')(numbers), numbers);
  const nested = {
    name: 'outer ✓',
    numbers,
    children: [numbers, { ...numbers, text: '', flag: false }],
    matrix: [new Uint8Array([7]), new Uint8Array()],
    maybe: { ...numbers, text: 'some' },
    tags: ['a', undefined, ''],
  };
  t.same(f('echoNested')(nested), nested);
  const none = { ...nested, children: [], matrix: [], maybe: undefined, tags: [] };
  t.same(f('echoNested')(none), none);
  t.same(f('echoOuter')({ inner: nested, depth: 4294967295 }), {
    inner: nested,
    depth: 4294967295,
  });
  t.same(f('echoRecords')([nested, none]), [nested, none]);
  t.same(f('echoRecords')([]), []);
  t.equal(
    f('describe')(nested),
    'outer ✓: 2 children, 2 rows, maybe=some, tags=[Some("a"), None, Some("")]',
  );

  t.equal(f('echoOptionU64')(undefined), undefined);
  t.equal(f('echoOptionU64')(0n), 0n);
  t.equal(f('echoOptionU64')(18446744073709551615n), 18446744073709551615n);
  t.equal(f('echoOptionString')(undefined), undefined);
  t.equal(f('echoOptionString')(''), '');
  t.equal(f('echoOptionString')(mib), mib);
  t.equal(f('echoOptionRecord')(undefined), undefined);
  t.same(f('echoOptionRecord')(numbers), numbers);

  // 17 flat values: the params tuple travels through memory
  t.same(f('collect')(true, 1, 2, 3, 4n, -5, -6, -7, -8n, 0.5, 0.25, 'txt', 1n, 2n, 3n, 4n), {
    flag: true,
    valU8: 1,
    valU16: 2,
    valU32: 3,
    valU64: 4n,
    valI8: -5,
    valI16: -6,
    valI32: -7,
    valI64: -8n,
    valF32: 0.5,
    valF64: 0.25,
    text: 'txt',
  });
  t.equal(f('ping')(), undefined);
});

t.test('call-params returns what the host supplies and logs through the host API', async (t) => {
  const logged: Logged[] = [];
  const c = await instantiate(examples, 'call_params', { 'marine-host-api': hostApi(logged) });
  const cp = c['callParameters']?.() as Record<string, unknown>;
  t.same(cp, hostApi().getCallParameters?.());
  t.same(c['tetraplets']?.('a', 1), [
    [{ peerPk: 'pk1', serviceId: 'srv', functionName: 'fn', lens: '.$.a' }],
    [{ peerPk: 'pk2', serviceId: '', functionName: '', lens: '' }],
  ]);
  t.equal(c['initPeerId']?.(), '12D3KooWinit');
  t.match(logged, [{ level: 3, msg: /called by 12D3KooWinit in particle particle-1/ }]);
});

t.test(
  'url-downloader: the facade calls its imports, local_storage uses a mapped dir, curl_adapter the mounted binary',
  async (t) => {
    const calls: string[] = [];
    const facade = await instantiate(examples, 'url_downloader', {
      'marine-host-api': hostApi(),
      'curl-adapter': {
        download: (url) => {
          calls.push(`download ${String(url)}`);
          return `<body of ${String(url)}>`;
        },
      },
      'local-storage': {
        put: (name, content) => {
          calls.push(`put ${String(name)} ${new TextDecoder().decode(content as Uint8Array)}`);
          return 'OK';
        },
        get: (name) => new TextEncoder().encode(`stored ${String(name)}`),
      },
    });
    t.equal(facade['getNSave']?.('https://example.org', 'page.html'), 'OK');
    t.same(calls, ['download https://example.org', 'put page.html <body of https://example.org>']);
    t.equal(facade['load']?.('page.html'), 'stored page.html');

    const sites = join(out, 'sites');
    mkdirSync(sites, { recursive: true });
    const storage = await instantiate(
      examples,
      'local_storage',
      { 'marine-host-api': hostApi() },
      { '/sites': sites },
    );
    t.equal(storage['put']?.('hello.txt', new TextEncoder().encode('hi there')), 'OK');
    t.equal(readFileSync(join(sites, 'hello.txt'), 'utf8'), 'hi there');
    writeFileSync(join(sites, 'other.txt'), 'from host');
    t.same(storage['get']?.('other.txt'), new TextEncoder().encode('from host'));
    t.same(storage['get']?.('missing.txt'), new Uint8Array());
    t.match(storage['put']?.('../escape', new Uint8Array()), /not a plain file name/);

    const seen: unknown[] = [];
    const curl = await instantiate(examples, 'curl_adapter', {
      'marine-host-api': hostApi(),
      host: {
        curl: (cmd) => {
          seen.push(cmd);
          return {
            retCode: 0,
            error: '',
            stdout: new TextEncoder().encode('page body'),
            stderr: new Uint8Array(),
          };
        },
      },
    });
    t.equal(curl['download']?.('https://example.org'), 'page body');
    t.same(seen, [
      [
        '-sS',
        '--max-time',
        '10',
        '--proto',
        '=http,https',
        '--proto-redir',
        '=http,https',
        '--',
        'https://example.org',
      ],
    ]);
    // Anything but http(s) is refused before curl runs: no host file, no option injection.
    t.match(curl['download']?.('file:///etc/passwd'), /^refused "file:\/\/\/etc\/passwd"/);
    t.match(curl['download']?.('-o/tmp/x'), /^refused "-o\/tmp\/x"/);
    t.equal(seen.length, 1, 'curl was not run for them');
  },
);

t.test('a second build with nothing changed reuses every module', async (t) => {
  const again: string[] = [];
  const second = await buildServices({
    path: join(root, 'services-rs', 'examples'),
    outDir: join(out, 'examples'),
    log: (line) => again.push(line),
  });
  t.ok(
    second.modules.every((m) => m.cached),
    'all modules cached',
  );
  t.notOk(
    again.some((l) => l.startsWith('componentizing')),
    'nothing componentized again',
  );
  t.same(
    second.modules.map((m) => m.functions),
    examples.modules.map((m) => m.functions),
  );
});

t.test(
  'a crate implementing the ABI by hand (bin layout, host import) builds and runs',
  async (t) => {
    const result = await buildServices({
      path: join(root, 'fixtures', 'build', 'abi-crate'),
      outDir: join(out, 'abi'),
      force: true,
      log: () => {},
    });
    t.same(
      result.modules.map((m) => [m.name, m.imports]),
      [['abi_fixture', ['host_fns']]],
    );
    const m = await instantiate(result, 'abi_fixture', {
      'host-fns': { echo: (s) => `<${String(s)}>` },
    });
    t.equal(m['greeting']?.('wörld'), 'Hi, wörld');
    t.equal(m['add']?.(18446744073709551615n, -128), -129n);
    t.equal(m['half']?.(-Infinity), -Infinity);
    t.equal(m['shout']?.('abc'), '<ABC>');
    m['tick']?.();
    m['tick']?.();
    t.equal(m['count']?.(), 2);
  },
);

t.test('PATH at a member crate builds only that crate of the workspace', async (t) => {
  const result = await buildServices({
    path: join(root, 'services-rs', 'examples', 'greeting'),
    outDir: join(out, 'member'),
    log: () => {},
  });
  t.equal(result.workspaceRoot, join(root, 'services-rs'));
  t.same(
    result.modules.map((m) => m.name),
    ['greeting'],
  );
});

t.test('a wasm binary without the interface section is skipped with a reason', async (t) => {
  const notes: string[] = [];
  const result = await buildServices({
    path: join(root, 'fixtures', 'build', 'plain-crate'),
    outDir: join(out, 'plain'),
    log: (l) => notes.push(l),
  });
  t.same(result.modules, []);
  t.match(result.skipped, [
    { path: /plain_wasm\.wasm$/, reason: /no marine-ts:interface section/ },
  ]);
  t.ok(notes.some((n) => n.startsWith('note: skipping')));
});

t.test(
  'a crate that does not compile fails the build with cargo diagnostics on stderr',
  async (t) => {
    const { execa } = await import('execa');
    const run = await execa(
      'node',
      [join(root, 'bin', 'marine.js'), 'build', join(root, 'fixtures', 'build', 'broken-crate')],
      { reject: false, cwd: root },
    );
    t.equal(run.exitCode, 1);
    t.match(run.stderr, /error\[E0308\]: mismatched types/);
    t.match(run.stderr, /src\/main\.rs:4/);
    t.match(run.stderr, /error: cargo build failed/);
    t.equal(run.stdout, '');
  },
);

t.test('marine build --json prints only the JSON result on stdout', async (t) => {
  const { execa } = await import('execa');
  const run = await execa(
    'node',
    [
      join(root, 'bin', 'marine.js'),
      'build',
      join(root, 'fixtures', 'build', 'plain-crate'),
      '--out',
      join(out, 'cli'),
      '--json',
    ],
    { reject: false, cwd: root },
  );
  t.equal(run.exitCode, 0, run.stderr);
  const parsed = JSON.parse(run.stdout) as BuildResult;
  t.equal(parsed.outDir, join(out, 'cli'));
  t.equal(parsed.skipped.length, 1);
  t.match(run.stderr, /building crates/);
});

t.test(
  'without a usable toolchain, marine build says in one paragraph how to set one up',
  async (t) => {
    const { execa } = await import('execa');
    const run = await execa(
      'node',
      [join(root, 'bin', 'marine.js'), 'build', join(root, 'fixtures', 'build', 'abi-crate')],
      {
        reject: false,
        cwd: root,
        env: {
          MARINE_TOOLCHAIN_DIR: join(out, 'no-toolchain'),
          MARINE_RUSTC: '/nonexistent/rustc',
          MARINE_SETUP_NO_INSTALL: '1',
        },
      },
    );
    t.equal(run.exitCode, 1);
    t.match(
      run.stderr,
      /error: No Rust toolchain that can build wasm32-wasi service modules is set up\. Run `bash scripts\/setup-toolchain\.sh`/,
    );
    t.match(run.stderr, /apt-get install rustc cargo libstd-rust-dev-wasm32 lld wasi-libc/);
    t.equal(run.stdout, '');
  },
);

t.test('setup-toolchain.sh records its decision and is silent when nothing changed', async (t) => {
  const { execa } = await import('execa');
  const dir = join(out, 'toolchain');
  const script = join(root, 'scripts', 'setup-toolchain.sh');
  const first = await execa('bash', [script], {
    env: { MARINE_TOOLCHAIN_DIR: dir },
    reject: false,
  });
  t.equal(first.exitCode, 0, first.stderr);
  const record = readFileSync(join(dir, '.marine-toolchain.env'), 'utf8');
  t.match(record, /^TARGET=wasm32-wasi(p1)?$/m);
  t.match(record, /^CARGO=\/.+cargo$/m);
  if (/^CRATES=debian$/m.test(record)) {
    t.match(
      readFileSync(join(dir, '.marine-cargo-config.toml'), 'utf8'),
      /replace-with = "debian-registry"/,
    );
  }
  const second = await execa('bash', [script], {
    env: { MARINE_TOOLCHAIN_DIR: dir },
    reject: false,
  });
  t.equal(second.exitCode, 0);
  t.equal(second.stderr, '');
  t.equal(second.stdout, '');
  t.equal(readFileSync(join(dir, '.marine-toolchain.env'), 'utf8'), record);
});

t.test('arguments after -- go to cargo build', async (t) => {
  const { execa } = await import('execa');
  const run = await execa(
    'node',
    [join(root, 'bin', 'marine.js'), 'build', '--', '--no-such-cargo-flag'],
    { reject: false, cwd: join(root, 'fixtures', 'build', 'plain-crate') },
  );
  t.equal(run.exitCode, 1);
  t.match(run.stderr, /--no-such-cargo-flag/);
  t.match(run.stderr, /error: cargo build failed/);
});

t.test(
  'setup-toolchain.sh prefers a toolchain with wasm32-wasip1 and decides the crate source',
  async (t) => {
    const { execa } = await import('execa');
    const { chmodSync } = await import('node:fs');
    // A stand-in for a rustup toolchain: its rustc reports a sysroot holding the wasip1 std and
    // rust-lld, as `rustup target add wasm32-wasip1` leaves it.
    const fake = join(out, 'fake-toolchain');
    const sysroot = join(fake, 'sysroot');
    mkdirSync(join(sysroot, 'lib', 'rustlib', 'wasm32-wasip1', 'lib'), { recursive: true });
    mkdirSync(join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'bin'), {
      recursive: true,
    });
    writeFileSync(
      join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu', 'bin', 'rust-lld'),
      '',
    );
    mkdirSync(join(fake, 'bin'), { recursive: true });
    const rustc = join(fake, 'bin', 'rustc');
    writeFileSync(
      rustc,
      `#!/bin/sh\ncase "$*" in\n  "--print sysroot") echo '${sysroot}' ;;\n  "--print target-list") printf 'wasm32-unknown-unknown\\nwasm32-wasip1\\n' ;;\n  "--version") echo 'rustc 1.95.0 (stand-in)' ;;\nesac\n`,
    );
    writeFileSync(join(fake, 'bin', 'cargo'), '#!/bin/sh\nexit 0\n');
    chmodSync(rustc, 0o755);
    chmodSync(join(fake, 'bin', 'cargo'), 0o755);
    const dir = join(out, 'fake-record');
    const run = await execa('bash', [join(root, 'scripts', 'setup-toolchain.sh')], {
      env: { MARINE_TOOLCHAIN_DIR: dir, MARINE_RUSTC: rustc, MARINE_OFFLINE: '1' },
      reject: false,
    });
    t.equal(run.exitCode, 0, run.stderr);
    const record = readFileSync(join(dir, '.marine-toolchain.env'), 'utf8');
    t.match(record, new RegExp(`^RUSTC=${rustc}$`, 'm'));
    t.match(record, new RegExp(`^CARGO=${join(fake, 'bin', 'cargo')}$`, 'm'));
    t.match(record, /^TARGET=wasm32-wasip1$/m);
    t.match(record, /^CRATES=debian$/m, 'offline: Debian registry as a directory source');
    t.match(record, /^CARGO_ARGS=--config .*\.marine-cargo-config\.toml --offline$/m);
  },
);

// A user test as `marine test` runs it: typed by the generated <Module>Service types, compiled
// against the real loadTestService (marine-ts/testing), then run against the built services.
const USER_TEST = (root: string): string => `
import { loadTestService } from '${root}/harness/testing/index.js';
import type { CallParametersInput as HostCallParametersInput } from '${root}/marine-host/index.js';
import type { CallParametersInput, GreetingService } from '../examples/greeting.js';
import type { RecordsService, RecordsJson, RecordsJsonInput } from '../examples/records.js';
import type { CallParamsService } from '../examples/call_params.js';

// The generated call-parameters shape and the host's accept each other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const sameCallParameters: Same<CallParametersInput, HostCallParametersInput> = true;

export async function run(configs: { greeting: string; records: string; callParams: string }) {
  const g = await loadTestService<GreetingService>(configs.greeting);
  const r = await loadTestService<RecordsService>(configs.records);
  // The host id is part of the service's identity, set at load (a call cannot claim it).
  const c = await loadTestService<CallParamsService>(configs.callParams, { hostId: 'h' });
  try {
    const numbers: RecordsJsonInput.Numbers = {
      flag: true, val_u8: 255, val_u16: 65535, val_u32: 4294967295,
      val_u64: 18446744073709551615n, val_i8: -128, val_i16: -32768, val_i32: -2147483648,
      val_i64: -9223372036854775808n, val_f32: 0.5, val_f64: -1e308, text: 'nümbers',
    };
    // maybe left out, a tag given as null, one as [], one bare
    const nested: RecordsJsonInput.Nested = {
      name: 'n', numbers, children: [numbers], matrix: [[1, 2], new Uint8Array([255]), []],
      tags: ['a', null, [], ['b']],
    };
    const greeting: string = await g.greeting('Marine');
    const greetingCp: string = await g.greeting_cp({ particle: { id: 'p-1' } }, 'cp');
    const u64Max: number | bigint = await r.echo_u64(18446744073709551615n);
    const u64Small: number | bigint = await r.echo_u64(7);
    const i64Min: number | bigint = await r.echo_i64(-9223372036854775808n);
    const u8: number = await r.echo_u8(255);
    const len: number | bigint = await r.string_len('🦀');
    const optionNone: [] | [number | bigint] = await r.echo_option_u64(null);
    const optionEmpty: [] | [number | bigint] = await r.echo_option_u64([]);
    const optionSome: [] | [number | bigint] = await r.echo_option_u64([18446744073709551615n]);
    const optionBare: [] | [string] = await r.echo_option_string('');
    const optionRecord: [] | [RecordsJson.Numbers] = await r.echo_option_record(numbers);
    const bytes: number[] = await r.echo_bytes(new Uint8Array([0, 1, 255]));
    const bytesFromArray: number[] = await r.echo_bytes([7]);
    const matrix: number[][] = await r.echo_matrix([[1], new Uint8Array([2, 3]), []]);
    const i64s: Array<number | bigint> = await r.echo_i64s([-9223372036854775808n, 0, 1]);
    const f64s: number[] = await r.echo_f64s([Infinity, 0.25]);
    const echoed: RecordsJson.Nested = await r.echo_nested(nested);
    const records: RecordsJson.Nested[] = await r.echo_records([]);
    const ping: null = await r.ping();
    const tetraplets = await c.tetraplets_cp(
      { tetraplets: [[{ peer_pk: 'pk', service_id: 's', function_name: 'f', lens: '.$.x' }], []] },
      'a',
      1,
    );
    const peer: string = tetraplets[0]?.[0]?.peer_pk ?? '';
    const cp: Awaited<ReturnType<CallParamsService['call_parameters']>> =
      await c.call_parameters_cp({ particle: { id: 'p-2', timestamp: 2n ** 60n } });
    const timestamp: number | bigint = cp.particle.timestamp;
    return {
      greeting, greetingCp, u64Max, u64Small, i64Min, u8, len, optionNone, optionEmpty, optionSome,
      optionBare, optionRecord, bytes, bytesFromArray, matrix, i64s, f64s, echoed, records, ping,
      tetraplets, peer, cp, timestamp,
    };
  } finally {
    await g.$close();
    await r.$close();
    await c.$close();
  }
}

// Never called: each misuse must be a type error (an unused @ts-expect-error is one too).
export function misuse(g: GreetingService, r: RecordsService): void {
  // @ts-expect-error a number is not a string
  void g.greeting(42);
  // @ts-expect-error every argument is required
  void g.greeting();
  // @ts-expect-error the service's names are snake_case, not the jco bindings' camelCase
  void r.echoU64(1);
  // @ts-expect-error a 64-bit result may be a bigint
  const n: Promise<number> = r.echo_u64(1);
  // @ts-expect-error an option comes back as [] or [x], never undefined
  const o: Promise<bigint | undefined> = r.echo_option_u64(1);
  // @ts-expect-error a record field is missing
  void r.echo_numbers({ flag: true });
  // @ts-expect-error record fields are snake_case
  void r.echo_outer({ inner: {} as RecordsJsonInput.Nested, depthValue: 1 });
  // @ts-expect-error bytes come back as numbers, not a Uint8Array
  const b: Promise<Uint8Array> = r.echo_bytes([]);
  // @ts-expect-error call parameters come first in a _cp variant
  void g.greeting_cp('x', {});
  void [n, o, b];
}
`;

/** Whether a value has the JSON shape the host returns for `ty` (what the generated types declare). */
function conforms(value: unknown, ty: Ty, records: ReadonlyMap<string, RecordEntry>): boolean {
  if (typeof ty === 'string') {
    switch (ty) {
      case 'bool':
        return typeof value === 'boolean';
      case 'string':
        return typeof value === 'string';
      case 'u64':
      case 'i64':
        return typeof value === 'bigint'
          ? value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)
          : Number.isSafeInteger(value);
      case 'f32':
      case 'f64':
        return typeof value === 'number';
      default:
        return Number.isInteger(value);
    }
  }
  if ('list' in ty)
    return Array.isArray(value) && value.every((v) => conforms(v, ty.list, records));
  if ('option' in ty)
    return (
      Array.isArray(value) &&
      value.length <= 1 &&
      value.every((v) => conforms(v, ty.option, records))
    );
  const record = records.get(ty.record);
  if (record === undefined || typeof value !== 'object' || value === null || Array.isArray(value))
    return false;
  const obj = value as Record<string, unknown>;
  const names = record.fields.map((f) => kebabName(f.name, f.name).replace(/-/g, '_'));
  return (
    Object.keys(obj).sort().join() === [...names].sort().join() &&
    record.fields.every((f, i) => conforms(obj[names[i] as string], f.type, records))
  );
}

t.test(
  'a user test typed by the generated service types compiles against loadTestService and its values match the types',
  async (t) => {
    const ts = (await import('typescript')).default;
    const dir = join(out, 'user');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'user.test.ts');
    writeFileSync(file, USER_TEST(root));
    // A user's project is an ES module package, like this one.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const program = ts.createProgram([file], {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map(
        (d) =>
          `${d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      );
    t.same(diagnostics, [], 'the user test type-checks, and every misuse is a type error');

    const configs: Record<string, string> = {};
    for (const name of ['greeting', 'records', 'call_params']) {
      const config = join(dir, `${name}.toml`);
      writeFileSync(
        config,
        `modules_dir = ${JSON.stringify(join(out, 'examples'))}\n\n[[module]]\n    name = "${name}"\n`,
      );
      configs[name] = config;
    }
    const user = (await import(pathToFileURL(file).href)) as {
      run(c: {
        greeting: string;
        records: string;
        callParams: string;
      }): Promise<Record<string, unknown>>;
    };
    const got = await user.run({
      greeting: configs['greeting'] as string,
      records: configs['records'] as string,
      callParams: configs['call_params'] as string,
    });
    t.equal(got['greeting'], 'Hi, Marine');
    t.equal(got['greetingCp'], 'Hi, cp');
    t.equal(got['u64Max'], 18446744073709551615n, 'u64 max comes back as a bigint');
    t.equal(got['u64Small'], 7, 'a small u64 comes back as a number');
    t.equal(got['i64Min'], -9223372036854775808n);
    t.equal(got['len'], 4);
    t.same(got['optionNone'], [], 'None is []');
    t.same(got['optionEmpty'], []);
    t.same(got['optionSome'], [18446744073709551615n], 'Some is [x]');
    t.same(got['optionBare'], ['']);
    t.same(got['bytes'], [0, 1, 255]);
    t.notOk(ArrayBuffer.isView(got['bytes']), 'bytes come back as a plain array');
    t.same(got['matrix'], [[1], [2, 3], []]);
    t.same(got['i64s'], [-9223372036854775808n, 0, 1]);
    t.same(got['f64s'], [Infinity, 0.25]);
    t.match(got['echoed'], {
      maybe: [],
      tags: [['a'], [], [], ['b']],
      matrix: [[1, 2], [255], []],
    });
    t.equal(got['ping'], null);
    t.equal(got['peer'], 'pk');
    t.match(got['cp'], { particle: { id: 'p-2', timestamp: 2n ** 60n }, host_id: 'h' });

    // Every value has exactly the shape its declared type describes.
    const iface = (name: string): ModuleInterface => {
      const m = examples.modules.find((x) => x.name === name);
      if (m === undefined) throw new Error(`module ${name} was not built`);
      const core = new Uint8Array(readFileSync(m.core));
      const sections = customSections(parseModule(core, name), INTERFACE_SECTION);
      return readInterface(
        new TextEncoder().encode(sections.map((s) => new TextDecoder().decode(s)).join('\n')),
        name,
      );
    };
    const recordsIface = iface('records');
    const callParamsIface = iface('call_params');
    const resultOf = (i: ModuleInterface, fn: string): Ty => {
      const f = i.functions.find((x) => x.name === fn);
      if (f?.result == null) throw new Error(`no function ${fn} with a result`);
      return f.result;
    };
    const checks: [string, ModuleInterface, string][] = [
      ['u64Max', recordsIface, 'echo_u64'],
      ['u64Small', recordsIface, 'echo_u64'],
      ['i64Min', recordsIface, 'echo_i64'],
      ['u8', recordsIface, 'echo_u8'],
      ['len', recordsIface, 'string_len'],
      ['optionNone', recordsIface, 'echo_option_u64'],
      ['optionSome', recordsIface, 'echo_option_u64'],
      ['optionBare', recordsIface, 'echo_option_string'],
      ['optionRecord', recordsIface, 'echo_option_record'],
      ['bytes', recordsIface, 'echo_bytes'],
      ['matrix', recordsIface, 'echo_matrix'],
      ['i64s', recordsIface, 'echo_i64s'],
      ['f64s', recordsIface, 'echo_f64s'],
      ['echoed', recordsIface, 'echo_nested'],
      ['records', recordsIface, 'echo_records'],
      ['tetraplets', callParamsIface, 'tetraplets'],
      ['cp', callParamsIface, 'call_parameters'],
    ];
    for (const [key, i, fn] of checks) {
      t.ok(conforms(got[key], resultOf(i, fn), i.records), `${key} (${fn}) has its declared shape`);
    }
  },
);
