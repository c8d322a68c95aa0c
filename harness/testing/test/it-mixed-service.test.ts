// Both formats in one service: services-rs/examples/aquavm-facade, a component built with our SDK,
// imports ast, to_human_readable_data and invoke from AquaVM's prebuilt avm.wasm (a Marine IT
// module); its answers must be what marine-js gives for avm.wasm alone. Also `marine it` on
// avm.wasm, through the CLI.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadService } from '../../../marine-host/index.js';
import { avmWasmPath, createMarineJsAvm } from '../reference-aquavm.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const config = join(root, 'services-rs/examples/aquavm-facade/Config.toml');
const built = existsSync(join(root, 'services-rs/artifacts/aquavm_facade.wasm'));

t.test(
  'a component facade over avm.wasm answers as marine-js does',
  { skip: built ? false : 'aquavm_facade missing: run `marine build services-rs/examples`' },
  async (t) => {
    const marineJs = await createMarineJsAvm();
    const ref = (fn: string, args: unknown[]): unknown => marineJs.call(fn, args);

    const svc = await loadService(config, { callTimeoutMs: 60000 });
    t.teardown(() => svc.close());
    t.same(
      svc.getInterface().function_signatures.map((f) => f.name),
      ['parse_air', 'describe_data', 'run_air'],
    );
    for (const air of ['(null)', '(seq (call "a" ("s" "f") [x] y) (ap y $s))', '(seq (null)']) {
      t.equal(await svc.call('parse_air', [air]), ref('ast', [air]), `ast of ${air}`);
    }
    const params = {
      init_peer_id: 'peer-a',
      current_peer_id: 'peer-a',
      timestamp: 1700000000000,
      ttl: 20000,
      key_format: 0,
      secret_key_bytes: Array.from({ length: 32 }, (_, i) => i + 1),
      particle_id: 'particle-1',
      air_size_limit: 16777216,
      particle_size_limit: 67108864,
      call_result_size_limit: 33554432,
      hard_limit_enabled: false,
    };
    const air = '(seq (call %init_peer_id% ("srv" "fn") ["x"] r) (call "peer-b" ("op" "noop") []))';
    const ours = (await svc.call('run_air', [air, params])) as {
      ret_code: number;
      data: number[];
      next_peer_pks: string[];
      call_requests: number[];
    };
    const theirs = ref('invoke', [air, [], [], params, [0x81, 0x04, 0x80]]) as {
      ret_code: number;
      data: ArrayLike<number>;
      next_peer_pks: string[];
      call_requests: ArrayLike<number>;
    };
    t.equal(ours.ret_code, 0, 'AquaVM ran the AIR');
    t.equal(ours.ret_code, theirs.ret_code, 'same ret code');
    t.same(ours.next_peer_pks, theirs.next_peer_pks, 'same next peers');
    t.same(ours.call_requests, Array.from(theirs.call_requests), 'same call requests');
    t.equal(ours.data.length, theirs.data.length, 'same data size');
    const text = ref('to_human_readable_data', [Array.from(theirs.data)]) as string;
    t.equal(ref('to_human_readable_data', [ours.data]), text, 'the same data, as AquaVM reads it');
    t.equal(
      await svc.call('describe_data', [ours.data]),
      `${ours.data.length} bytes: ${text}`,
      'data passed back into avm.wasm through the facade',
    );
  },
);

t.test('marine it lists avm.wasm', async (t) => {
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [join(root, 'bin/marine.js'), 'it', avmWasmPath()],
      { timeout: 120000 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
  });
  t.match(
    out,
    /invoke\(air: string, prev_data: \[\]u8, data: \[\]u8, params: RunParameters, call_results: \[\]u8\) -> InterpreterOutcome/,
  );
  t.match(out, /ast\(script: string\) -> string/);
  t.match(out, /RunParameters \{ init_peer_id: string/);
});
