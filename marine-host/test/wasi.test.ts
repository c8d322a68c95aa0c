import t from 'tap';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';
import { loadService, MOUNTED_BINARY_KILLED, type LogRecord } from '../service/index.js';
import { confinedPath, PathEscapeError } from '../wasi/paths.js';

const artifacts = await buildHostFixtures();

function service(dir: string, binary: string, extra = '') {
  const file = join(dir, 'Config.toml');
  writeFileSync(
    file,
    `modules_dir = ${JSON.stringify(artifacts)}
[[module]]
name = "fx_helper"
[[module]]
name = "fx_facade"
[module.wasi]
envs = { "GRANTED" = "yes" }
mapped_dirs = { "/data" = "./data" }
[module.mounted_binaries]
echo = ${JSON.stringify(binary)}
${extra}`,
  );
  return file;
}

t.test('WASI is deny by default', async (t) => {
  const dir = t.testdir({ outside: { 'secret.txt': 'top secret' } });
  const logs: LogRecord[] = [];
  const svc = await loadService(service(dir, '/bin/echo'), {
    onLog: (r) => logs.push(r),
    binaryTimeoutMs: 500,
  });
  t.teardown(() => svc.close());
  const data = join(dir, 'data');

  t.test('only granted env vars are visible', async (t) => {
    t.equal(await svc.call('env', ['GRANTED']), 'yes');
    t.equal(await svc.call('env', ['HOME']), '<unset>');
    t.equal(await svc.call('env', ['PATH']), '<unset>');
    t.equal(await svc.call('env', ['/data']), '/data', 'each mapped alias is also an env var');
    t.equal(
      await svc.call('env', ['service_id']),
      svc.serviceId,
      'the service id is injected as in Marine',
    );
  });

  t.test('a mapped dir is readable and writable, and created if missing', async (t) => {
    t.ok(existsSync(data));
    t.equal(await svc.call('write_file', ['/data/note.txt', 'hello']), 'ok');
    t.equal(readFileSync(join(data, 'note.txt'), 'utf8'), 'hello');
    t.equal(await svc.call('read_file', ['/data/note.txt']), 'hello');
    mkdirSync(join(data, 'sub'));
    t.equal(await svc.call('write_file', ['/data/sub/../sub/x.txt', 'nested']), 'ok');
    t.equal(readFileSync(join(data, 'sub/x.txt'), 'utf8'), 'nested');
  });

  t.test('a mapped dir cannot be escaped', async (t) => {
    t.match(await svc.call('read_file', ['/data/../outside/secret.txt']), /^error: /);
    t.match(await svc.call('read_file', ['/data/../../../../etc/passwd']), /^error: /);
    t.match(await svc.call('write_file', ['/data/../escaped.txt', 'x']), /^error: /);
    t.notOk(existsSync(join(dir, 'escaped.txt')));
    t.match(
      await svc.call('read_file', ['/etc/passwd']),
      /^error: /,
      'absolute paths outside every mapped dir',
    );
    t.match(await svc.call('read_file', [join(dir, 'outside/secret.txt')]), /^error: /);
    symlinkSync(join(dir, 'outside'), join(data, 'link-out'));
    t.match(
      await svc.call('read_file', ['/data/link-out/secret.txt']),
      /^error: /,
      'a symlink pointing out',
    );
    symlinkSync(join(dir, 'outside/secret.txt'), join(data, 'file-link'));
    t.match(await svc.call('read_file', ['/data/file-link']), /^error: /);
    t.match(await svc.call('write_file', ['/data/link-out/new.txt', 'x']), /^error: /);
    t.notOk(existsSync(join(dir, 'outside/new.txt')));
    symlinkSync('note.txt', join(data, 'inside-link'));
    t.equal(
      await svc.call('read_file', ['/data/inside-link']),
      'hello',
      'a symlink staying inside is fine',
    );
    t.equal(await svc.call('greeting', ['still up']), 'Hi, still up');
  });

  t.test('guest stderr goes to the service log', async (t) => {
    await t.rejects(svc.call('trap'));
    t.ok(
      logs.some(
        (r) =>
          r.module === 'fx_facade' &&
          r.stream === 'stderr' &&
          r.text.includes("panicked at 'trap requested'"),
      ),
    );
    t.ok(svc.logs().some((r) => r.text.includes('trap requested')));
  });

  t.test('mounted binaries run without a shell and return their output', async (t) => {
    t.equal(
      await svc.call('run_echo', ['$HOME; rm -rf / `id`']),
      '0||$HOME; rm -rf / `id`',
      'arguments reach the binary as given',
    );
  });
});

t.test('mounted binaries: exit codes, time limit, missing executables', async (t) => {
  const dir = t.testdir({});
  const failing = join(dir, 'failing.sh');
  writeFileSync(failing, '#!/bin/sh\necho "out:$2"\necho err >&2\nexit 3\n');
  chmodSync(failing, 0o755);
  const slow = join(dir, 'slow.sh');
  writeFileSync(slow, '#!/bin/sh\nsleep 5\n');
  chmodSync(slow, 0o755);

  mkdirSync(join(dir, 'a'));
  const a = await loadService(service(join(dir, 'a'), failing));
  t.teardown(() => a.close());
  t.equal(await a.call('run_echo', ['z']), '3||out:z\n');

  mkdirSync(join(dir, 'b'));
  const b = await loadService(service(join(dir, 'b'), slow), { binaryTimeoutMs: 300 });
  t.teardown(() => b.close());
  const started = Date.now();
  t.match(
    await b.call('run_echo', ['z']),
    new RegExp(
      `^${MOUNTED_BINARY_KILLED}\\|slow\\.sh was killed by signal SIGTERM \\(time limit 300 ms\\)`,
    ),
  );
  t.ok(Date.now() - started < 4000);

  mkdirSync(join(dir, 'c'));
  await t.rejects(loadService(service(join(dir, 'c'), join(dir, 'missing-binary'))), {
    message:
      /mounted_binaries\.echo: module "fx_facade": mounted binary ".*missing-binary" is not an executable file/,
  });
});

t.test('confinedPath', async (t) => {
  const dir = realpathSync(t.testdir({ root: { a: { 'f.txt': 'x' } }, other: {} }));
  const root = join(dir, 'root');
  symlinkSync('../other', join(root, 'out'));
  symlinkSync('a', join(root, 'in'));
  t.equal(confinedPath(root, root, 'a/f.txt', true), join(root, 'a/f.txt'));
  t.equal(confinedPath(root, root, 'a/../a/./f.txt', true), join(root, 'a/f.txt'));
  t.equal(confinedPath(root, root, 'in/f.txt', true), join(root, 'a/f.txt'));
  t.equal(
    confinedPath(root, root, 'out', false),
    join(root, 'out'),
    'an unfollowed last link is returned as is (opened with O_NOFOLLOW)',
  );
  for (const bad of ['..', '../other', 'a/../../other', '/etc/passwd', 'out/x', 'out']) {
    t.throws(() => confinedPath(root, root, bad, true), PathEscapeError, bad);
  }
});
