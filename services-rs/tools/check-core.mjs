// Development check of the SDK's side of ABI.md on built core modules (before `marine build`):
// exports/imports present, entries as expected, every records echo round-trips, imports are
// called with the params tuple, and repeated calls do not grow memory (nothing leaks).
//
//   node services-rs/tools/check-core.mjs [target/wasm32-wasi/debug]
import assert from 'node:assert/strict';
import { loadCore } from './core-abi.mjs';

const dir = process.argv[2] ?? new URL('../target/wasm32-wasi/debug', import.meta.url).pathname;
let checks = 0;
const check = (name, fn) => {
  fn();
  checks++;
  console.log(`ok ${checks} ${name}`);
};

const exportNames = (core) => WebAssembly.Module.exports(core.module).map((e) => e.name);

{
  const core = await loadCore(`${dir}/greeting.wasm`);
  check('greeting: bin crate exports the wrapper, cabi_realloc and shims', () => {
    const names = exportNames(core);
    for (const n of ['__marine_export_greeting', 'cabi_realloc', 'memory', '__marine_import_shim_marine_host_api_get_call_parameters']) {
      assert.ok(names.includes(n), `${n} in ${names}`);
    }
  });
  check('greeting: module_manifest! writes the five length-prefixed fields', () => {
    const [section] = WebAssembly.Module.customSections(core.module, '__fluence_wasm_module_manifest');
    assert.ok(section, 'manifest section present');
    const view = new DataView(section);
    const fields = [];
    for (let at = 0; at < section.byteLength; ) {
      const len = Number(view.getBigUint64(at, true));
      fields.push(new TextDecoder().decode(new Uint8Array(section, at + 8, len)));
      at += 8 + len;
    }
    assert.deepEqual(fields.slice(0, 4), ['marine-ts', '0.1.0', 'Greets by name', 'https://example.invalid/marine-ts']);
    assert.equal(fields.length, 5);
  });
  check('greeting: greeting(name)', () => {
    assert.equal(core.call('greeting', ['Wörld 🌍']), 'Hi, Wörld 🌍');
    assert.equal(core.call('greeting', ['']), 'Hi, ');
  });
}

{
  const core = await loadCore(`${dir}/records.wasm`);
  const numbers = {
    flag: true, val_u8: 255, val_u16: 65535, val_u32: 4294967295, val_u64: 18446744073709551615n,
    val_i8: -128, val_i16: -32768, val_i32: -2147483648, val_i64: -9223372036854775808n,
    val_f32: 1.5, val_f64: Number.NaN, text: 'ünï ✓',
  };
  const nested = {
    name: 'n', numbers, children: [numbers, { ...numbers, text: '' }], matrix: [[1, 2, 3], [], [255]],
    maybe: numbers, tags: ['a', null, ''],
  };
  const echo = (fn, v) => assert.deepEqual(core.call(fn, [v]), v, fn);
  check('records: scalars at their limits', () => {
    echo('echo_bool', true);
    echo('echo_bool', false);
    echo('echo_u8', 255);
    echo('echo_u16', 65535);
    echo('echo_u32', 4294967295);
    echo('echo_u64', 18446744073709551615n);
    echo('echo_i8', -128);
    echo('echo_i16', -32768);
    echo('echo_i32', -2147483648);
    echo('echo_i64', -9223372036854775808n);
    echo('echo_f32', Number.POSITIVE_INFINITY);
    echo('echo_f64', Number.NEGATIVE_INFINITY);
    assert.ok(Number.isNaN(core.call('echo_f64', [Number.NaN])));
  });
  check('records: strings and lists, empty and nested', () => {
    echo('echo_string', '');
    echo('echo_string', 'ü'.repeat(1 << 19));
    assert.equal(core.call('string_len', ['héllo']), 6n);
    echo('echo_bytes', []);
    echo('echo_bytes', [0, 1, 255]);
    echo('echo_matrix', [[1, 2], [], [3]]);
    echo('echo_deep', [[['a', ''], []], []]);
    echo('echo_strings', ['x', '', 'yz']);
    echo('echo_i64s', [1n, -1n, 9223372036854775807n]);
    echo('echo_f64s', [0.5, -0, 1e300]);
    echo('echo_bools', [true, false, true]);
  });
  check('records: records, nested records and options', () => {
    echo('echo_numbers', numbers);
    echo('echo_nested', nested);
    echo('echo_nested', { ...nested, children: [], matrix: [], maybe: null, tags: [] });
    echo('echo_outer', { inner: nested, depth: 7 });
    echo('echo_records', [nested, nested]);
    echo('echo_option_u64', null);
    echo('echo_option_u64', 5n);
    echo('echo_option_string', '');
    echo('echo_option_string', null);
    echo('echo_option_record', numbers);
    assert.equal(core.call('describe', [nested]), 'n: 2 children, 3 rows, maybe=ünï ✓, tags=[Some("a"), None, Some("")]');
    assert.equal(core.call('ping', []), undefined);
    assert.equal(core.call('big_string', [1 << 20]).length, 1 << 20);
  });
  check('records: params tuple through memory (16 params)', () => {
    const args = [true, 1, 2, 3, 4n, -1, -2, -3, -4n, 0.25, 0.5, 'txt', 1n, 2n, 3n, 4n];
    assert.deepEqual(core.call('collect', args), {
      flag: true, val_u8: 1, val_u16: 2, val_u32: 3, val_u64: 4n, val_i8: -1, val_i16: -2,
      val_i32: -3, val_i64: -4n, val_f32: 0.25, val_f64: 0.5, text: 'txt',
    });
  });
  check('records: 2000 calls with large values do not grow memory after warm-up', () => {
    const big = 'y'.repeat(100_000);
    for (let i = 0; i < 50; i++) core.call('echo_nested', [nested]), core.call('echo_string', [big]);
    const before = core.instance.exports.memory.buffer.byteLength;
    for (let i = 0; i < 1000; i++) core.call('echo_nested', [nested]), core.call('echo_string', [big]);
    assert.equal(core.instance.exports.memory.buffer.byteLength, before);
  });
}

{
  const tetraplet = (peer) => ({ peer_pk: peer, service_id: 'svc', function_name: 'fn', lens: '.$.a.[0]' });
  const cp = {
    particle: { id: 'p-1', init_peer_id: 'peer-init', timestamp: 1700000000000n, ttl: 7000, script: '(null)', signature: [1, 2, 3], token: 'tok' },
    service_id: 'service-1', service_creator_peer_id: 'creator', host_id: 'host', worker_id: 'worker',
    tetraplets: [[tetraplet('a')], [tetraplet('b'), tetraplet('c')]],
  };
  const logs = [];
  const core = await loadCore(`${dir}/call_params.wasm`, {
    marine_host_api: {
      get_call_parameters: () => cp,
      log_utf8_string: (level, target, msg) => logs.push({ level, target, msg }),
    },
  });
  check('call-params: CallParameters come through the marine_host_api import', () => {
    assert.deepEqual(core.call('call_parameters', []), cp);
    assert.deepEqual(core.call('tetraplets', ['x', 1]), cp.tetraplets);
  });
  check('call-params: log records reach marine_host_api.log_utf8_string', () => {
    assert.equal(core.call('init_peer_id', []), 'peer-init');
    assert.deepEqual(logs, [{ level: 3, target: 0, msg: 'called by peer-init in particle p-1' }]);
  });
  check('call-params: 1000 import calls do not grow memory after warm-up', () => {
    for (let i = 0; i < 50; i++) core.call('call_parameters', []);
    const before = core.instance.exports.memory.buffer.byteLength;
    for (let i = 0; i < 1000; i++) core.call('call_parameters', []);
    assert.equal(core.instance.exports.memory.buffer.byteLength, before);
  });
}

{
  const files = new Map();
  const core = await loadCore(`${dir}/url_downloader.wasm`, {
    curl_adapter: { download: (url) => `<body of ${url}>` },
    local_storage: {
      put: (name, content) => (files.set(name, content), 'OK'),
      get: (name) => files.get(name) ?? [],
    },
    marine_host_api: { log_utf8_string: () => {} },
  });
  check('url_downloader: facade calls both modules through its imports (link_name honoured)', () => {
    assert.equal(core.call('get_n_save', ['http://x/', 'x.html']), 'OK');
    assert.deepEqual(files.get('x.html'), [...new TextEncoder().encode('<body of http://x/>')]);
    assert.equal(core.call('load', ['x.html']), '<body of http://x/>');
    assert.equal(core.call('load', ['missing']), '');
  });
  check('url_downloader: raw imports use the link names and module names', () => {
    const imports = WebAssembly.Module.imports(core.module).map((i) => `${i.module}.${i.name}`);
    for (const n of ['curl_adapter.download', 'local_storage.put', 'local_storage.get']) assert.ok(imports.includes(n), n);
  });
}

{
  const calls = [];
  const core = await loadCore(`${dir}/curl_adapter.wasm`, {
    host: {
      curl: (cmd) => {
        calls.push(cmd);
        if (cmd.at(-1) === 'bad') return { ret_code: 6, error: '', stdout: [], stderr: [...new TextEncoder().encode('no host')] };
        if (cmd.at(-1) === 'none') return { ret_code: 100001, error: 'spawn failed', stdout: [], stderr: [] };
        return { ret_code: 0, error: '', stdout: [...new TextEncoder().encode('body ✓')], stderr: [] };
      },
    },
    marine_host_api: { log_utf8_string: () => {} },
  });
  check('curl_adapter: MountedBinaryResult from the host curl import', () => {
    assert.equal(core.call('download', ['http://ok']), 'body ✓');
    assert.deepEqual(calls[0], ['-sS', '--max-time', '10', 'http://ok']);
    assert.equal(core.call('download', ['bad']), 'curl failed with code 6: no host');
    assert.equal(core.call('download', ['none']), 'curl could not run: spawn failed');
  });
}

for (const name of ['greeting', 'records', 'call_params', 'url_downloader', 'local_storage', 'curl_adapter']) {
  const core = await loadCore(`${dir}/${name}.wasm`);
  check(`${name}: entries and exports agree; every record mentioned has an entry`, () => {
    const exports = new Set(exportNames(core));
    const records = new Set(core.entries.filter((e) => e.kind === 'record').map((e) => e.name));
    const mentioned = [];
    const walk = (t) => {
      if (typeof t === 'string') return;
      if (t.list) walk(t.list);
      else if (t.option) walk(t.option);
      else mentioned.push(t.record);
    };
    for (const e of core.entries) {
      if (e.kind === 'function') assert.ok(exports.has(e.export), `${e.export} exported`);
      if (e.kind === 'import') assert.ok(exports.has(e.shim), `${e.shim} exported`);
      if (e.kind === 'record') e.fields.forEach((f) => walk(f.type));
      else [...e.params.map((p) => p.type), ...(e.result === null ? [] : [e.result])].forEach(walk);
    }
    for (const r of mentioned) assert.ok(records.has(r), `record ${r} has an entry`);
    for (const x of exports) {
      if (x.startsWith('__marine_export_')) assert.ok(core.entries.some((e) => e.export === x), `${x} has an entry`);
      if (x.startsWith('__marine_import_shim_')) assert.ok(core.entries.some((e) => e.shim === x), `${x} has an entry`);
    }
    assert.ok(exports.has('_initialize') && exports.has('cabi_realloc'), '_initialize and cabi_realloc exported');
  });
}

console.log(`${checks} checks passed`);
