// Every CLI argument that takes JSON also takes `@path` (a file) and `-` (stdin), so arguments
// past the OS's 128 KiB limit for one command-line argument can be passed.
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '../../..');
const greeting = 'fixtures/configs/examples/greeting/Config.toml';
const built = existsSync(join(root, 'services-rs/artifacts/greeting.wasm'));
const skip = built ? false : 'example artifacts missing: run `marine build services-rs/examples`';
const marine = (args: string[], input?: string) =>
  execa('node', ['bin/marine.js', ...args], {
    cwd: root,
    reject: false,
    ...(input === undefined ? {} : { input }),
  });

const name = 'x'.repeat(300 * 1024);

t.test('marine call reads a 300 KB JSON argument from stdin', { skip }, async (t) => {
  const r = await marine(['call', greeting, 'greeting', '-', '--json'], JSON.stringify([name]));
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout.length, JSON.stringify(`Hi, ${name}`).length);
  t.match(r.stdout, /^"Hi, x+"$/);
});

t.test('marine call reads arguments and call parameters from files', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-json-input-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'args.json'), JSON.stringify({ name }));
  await writeFile(join(dir, 'cp.json'), '{"particle": {"id": "P", "init_peer_id": "I"}}');
  const r = await marine([
    'call',
    greeting,
    'greeting',
    `@${join(dir, 'args.json')}`,
    '--call-params',
    `@${join(dir, 'cp.json')}`,
    '--json',
  ]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stdout.length, name.length + 6);
  const missing = await marine(['call', greeting, 'greeting', `@${join(dir, 'none.json')}`]);
  t.equal(missing.exitCode, 1);
  t.match(missing.stderr, /args: cannot read the file .*none\.json/);
  await writeFile(join(dir, 'bad.json'), '[oops');
  const bad = await marine(['call', greeting, 'greeting', `@${join(dir, 'bad.json')}`]);
  t.match(bad.stderr, /args: invalid JSON at position 1.*\(from .*bad\.json\)/);
});

t.test('marine air run takes --args from stdin and from a file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-json-input-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const air = join(dir, 'echo.air');
  await writeFile(
    air,
    `(seq (call %init_peer_id% ("getDataSrv" "value") [] v) (call %init_peer_id% ("callbackSrv" "response") [v]))`,
  );
  const big = { value: 'y'.repeat(200 * 1024) };
  const piped = await marine(['air', 'run', air, '--args', '-', '--json'], JSON.stringify(big));
  t.equal(piped.exitCode, 0, piped.stderr);
  t.equal((JSON.parse(piped.stdout) as { outcome: { value: string } }).outcome.value, big.value);
  await writeFile(join(dir, 'args.json'), '{"value": 18446744073709551615}');
  const file = await marine(['air', 'run', air, '--args', `@${join(dir, 'args.json')}`]);
  t.equal(file.exitCode, 0, file.stderr);
  t.match(file.stdout, /^result: 18446744073709551615$/m);
});
