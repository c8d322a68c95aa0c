// Attacks on the sandbox (issue #17: C1, metadataHashAt, M3, M4, L3), each run from inside Wasm
// by the fx_attack guest (fixtures/configs/host/fx-attack). Every test asserts the attack failed,
// that nothing changed outside the mapped directory, and that the service still answers after it.
import t from 'tap';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { buildHostFixtures } from '../../fixtures/configs/host/build-fixtures.js';
import { checkConfigToml } from '../config/index.js';
import { CallTimeoutError } from '../errors.js';
import { loadService, MOUNTED_BINARY_KILLED, type LogRecord } from '../service/index.js';

const artifacts = await buildHostFixtures();

/** ENOSPC as WASI preview1 numbers it. */
const WASI_ENOSPC = 51;

/** Writes a Config.toml for the attacking guest in `dir` (data dir ./data, the given binary). */
function config(dir: string, binary: string, extra = ''): string {
  const file = join(dir, 'Config.toml');
  writeFileSync(
    file,
    `modules_dir = ${JSON.stringify(artifacts)}
${extra}
[[module]]
name = "fx_attack"
[module.wasi]
mapped_dirs = { "/data" = "./data" }
[module.mounted_binaries]
stubborn = ${JSON.stringify(binary)}
`,
  );
  return file;
}

/** Parses `key=value key=value` from an attack report. */
function report(text: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of String(text).split(' ')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * Whether a process is still running half a second on: SIGKILL is delivered asynchronously,
 * and a killed one waiting to be reaped (state Z) counts as gone.
 */
async function outlives(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 10));
  return alive(pid);
}

/** Whether a process still runs (a killed one waiting to be reaped, state Z, does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

t.test(
  'C1: a descriptor whose directory was swapped for a symlink reaches nothing outside',
  async (t) => {
    const dir = realpathSync(t.testdir({ outside: { 'secret.txt': 'top secret' } }));
    const outside = join(dir, 'outside');
    const svc = await loadService(config(dir, '/bin/true'));
    t.teardown(() => svc.close());
    const r = report(await svc.call('attack', ['rename-swap', outside]));
    t.equal(r.before, 'ok:inside', 'the descriptor works before the swap');
    t.equal(r['rename-away'], 'ok');
    t.equal(r.symlink, 'ok', 'a 20-deep link whose target stays inside there may be made');
    t.equal(r.swap, 'ok', 'and moved to where the directory was');
    t.ok(lstatSync(join(dir, 'data/d')).isSymbolicLink(), 'the swap really happened on disk');
    for (const step of ['read', 'list', 'create', 'mkdir', 'link', 'path-read', 'path-write'])
      t.match(r[step], /^err\(\d+\)$/, `${step} through the old descriptor fails`);
    t.same(readdirSync(outside), ['secret.txt'], 'nothing was created outside');
    t.notOk(existsSync(join(dir, 'data/stolen')), 'no hard link of an outside file');
    t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');
  },
);

t.test('C1: a second process racing on the shared directory gains nothing', async (t) => {
  const dir = realpathSync(
    t.testdir({ outside: { 'secret.txt': 'top secret' }, data: { r: { 'secret.txt': 'inside' } } }),
  );
  const svc = await loadService(config(dir, '/bin/true'));
  t.teardown(() => svc.close());
  // The racer swaps data/r between the real directory and a symlink to the outside, as fast as it can.
  const racer = spawn(
    '/bin/sh',
    [
      '-c',
      `cd ${JSON.stringify(join(dir, 'data'))}; while :; do mv r r.real; ln -s ${JSON.stringify(join(dir, 'outside'))} r; rm r; mv r.real r; done`,
    ],
    { stdio: 'ignore' },
  );
  t.teardown(() => {
    racer.kill('SIGKILL');
  });
  const r = report(await svc.call('attack', ['race', '3000']));
  racer.kill('SIGKILL');
  t.equal(r.outside, '0', 'no read ever returned the outside file');
  // How reads split between the real directory and refusals depends on the scheduler.
  t.equal(
    Number(r.inside) + Number(r.errors),
    3000,
    `every read got the inside file or was refused (${r.inside} inside, ${r.errors} refused)`,
  );
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');
});

t.test('C1: hard links of an outside file are refused', async (t) => {
  const dir = realpathSync(t.testdir({ outside: { 'secret.txt': 'top secret' }, data: {} }));
  symlinkSync(join(dir, 'outside'), join(dir, 'data/link-out'));
  symlinkSync(join(dir, 'outside/secret.txt'), join(dir, 'data/file-link'));
  const svc = await loadService(config(dir, '/bin/true'));
  t.teardown(() => svc.close());
  const r = report(await svc.call('attack', ['hardlink', '']));
  t.match(r['through-dir-link'], /^err\(\d+\)$/, 'through a directory link pointing out');
  t.match(r.follow, /^err\(\d+\)$/, 'following a file link pointing out');
  t.notOk(existsSync(join(dir, 'data/stolen')));
  // Without follow, link(2) links the symlink itself, which stays a link to be checked on use.
  if (r.nofollow === 'ok')
    t.ok(lstatSync(join(dir, 'data/stolen2')).isSymbolicLink(), 'only the link itself was linked');
  t.equal(statSync(join(dir, 'outside/secret.txt')).nlink, 1, 'the outside file got no new name');
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');
});

t.test('metadataHashAt without the follow flag does not follow a link', async (t) => {
  const dir = realpathSync(t.testdir({ outside: { 'secret.txt': 'top secret' }, data: {} }));
  symlinkSync(join(dir, 'outside/secret.txt'), join(dir, 'data/file-link'));
  const svc = await loadService(config(dir, '/bin/true'));
  t.teardown(() => svc.close());
  const r = report(await svc.call('attack', ['inode', '']));
  const linkIno = lstatSync(join(dir, 'data/file-link'), { bigint: true }).ino;
  const outsideIno = statSync(join(dir, 'outside/secret.txt'), { bigint: true }).ino;
  t.equal(r.nofollow, String(linkIno), 'the inode is the link’s own');
  t.not(r.nofollow, String(outsideIno), 'the outside inode does not leak');
  t.match(r.follow, /^err\(\d+\)$/, 'following it is refused');
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');
});

t.test('M3: the disk quota stops a filling guest with ENOSPC', async (t) => {
  const dir = t.testdir({});
  const logs: LogRecord[] = [];
  const svc = await loadService(
    config(dir, '/bin/true', '[disk_quota]\nbytes = "4 MiB"\nfiles = 50'),
    { onLog: (rec) => logs.push(rec) },
  );
  t.teardown(() => svc.close());
  const fill = String(await svc.call('attack', ['fill', '145']));
  t.match(fill, new RegExp(`^wrote=\\d+ err\\(${WASI_ENOSPC}\\)$`), fill);
  const wrote = Number(report(fill).wrote);
  t.ok(wrote <= 4 * 1024 * 1024, `at most the quota was written (${wrote} bytes)`);
  t.ok(statSync(join(dir, 'data/fill.bin')).size <= 4 * 1024 * 1024, 'and on disk');
  t.ok(
    logs.some((l) => l.stream === 'host' && /disk quota exceeded.*disk_quota\.bytes/.test(l.text)),
    'the host log says why',
  );
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');

  const sparse = report(await svc.call('attack', ['sparse', '']));
  t.equal(sparse.seek, 'ok');
  t.equal(
    sparse.write,
    `err(${WASI_ENOSPC})`,
    'a write 1 TiB past the end counts its apparent size',
  );
  t.equal(sparse['set-len'], `err(${WASI_ENOSPC})`, 'so does set_len(1 TiB)');
  t.ok(statSync(join(dir, 'data/sparse.bin')).size < 1024 * 1024, 'no sparse giant on disk');

  const files = String(await svc.call('attack', ['files', '1000']));
  t.match(files, new RegExp(`^created=\\d+ err\\(${WASI_ENOSPC}\\)$`), files);
  t.ok(readdirSync(join(dir, 'data/many')).length < 50, 'fewer entries than the quota');
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');
});

t.test('M3: usage already on disk counts when the service starts', async (t) => {
  const dir = t.testdir({ data: { 'old.bin': 'x'.repeat(3 * 1024 * 1024) } });
  const svc = await loadService(config(dir, '/bin/true'), {
    diskQuota: { bytes: 4 * 1024 * 1024 },
  });
  t.teardown(() => svc.close());
  const fill = report(await svc.call('attack', ['fill', '10']));
  t.ok(Number(fill.wrote) <= 1024 * 1024, `only the room left was written (${fill.wrote})`);
  t.equal(await svc.call('ping'), 'pong');
});

t.test(
  'M4: a mounted binary that ignores SIGTERM and leaves children cannot wedge the service',
  async (t) => {
    const dir = t.testdir({});
    const pids = join(dir, 'pids');
    const stubborn = join(dir, 'stubborn.sh');
    // Ignores SIGTERM (its children inherit that), starts a background child, then never ends.
    writeFileSync(
      stubborn,
      `#!/bin/sh\ntrap '' TERM\nsleep 60 &\necho $! >> ${JSON.stringify(pids)}\necho $$ >> ${JSON.stringify(pids)}\nwhile :; do sleep 1; done\n`,
    );
    chmodSync(stubborn, 0o755);
    const svc = await loadService(config(dir, stubborn), { binaryTimeoutMs: 400 });
    t.teardown(() => svc.close());
    const started = Date.now();
    const out = String(await svc.call('attack', ['binary', 'x']));
    const took = Date.now() - started;
    t.match(
      out,
      new RegExp(`^${MOUNTED_BINARY_KILLED}\\|stubborn\\.sh was killed by signal SIGKILL`),
    );
    t.ok(took < 3000, `the binary limit held (${took} ms for a 400 ms limit)`);
    const children = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    t.equal(children.length, 2);
    for (const pid of children)
      t.notOk(await outlives(pid), `process ${pid} did not outlive the call`);
    t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');
  },
);

t.test('M4: background children of a binary that exits do not outlive the call', async (t) => {
  const dir = t.testdir({});
  const pids = join(dir, 'pids');
  const leaver = join(dir, 'leaver.sh');
  writeFileSync(
    leaver,
    `#!/bin/sh\nsleep 60 > /dev/null 2>&1 &\necho $! >> ${JSON.stringify(pids)}\nsleep 60 &\necho $! >> ${JSON.stringify(pids)}\necho done\n`,
  );
  chmodSync(leaver, 0o755);
  const svc = await loadService(config(dir, leaver), { binaryTimeoutMs: 5000 });
  t.teardown(() => svc.close());
  const started = Date.now();
  t.equal(await svc.call('attack', ['binary', 'x']), '0||done\n');
  t.ok(Date.now() - started < 3000, 'the call ends when the binary does');
  for (const pid of readFileSync(pids, 'utf8').trim().split('\n').map(Number))
    t.notOk(await outlives(pid), `background child ${pid} was killed`);
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');
});

t.test('M4: the call limit holds while a mounted binary runs', async (t) => {
  const dir = t.testdir({});
  const pids = join(dir, 'pids');
  const stubborn = join(dir, 'stubborn.sh');
  writeFileSync(
    stubborn,
    `#!/bin/sh\ntrap '' TERM\necho $$ >> ${JSON.stringify(pids)}\nwhile :; do sleep 1; done\n`,
  );
  chmodSync(stubborn, 0o755);
  const svc = await loadService(config(dir, stubborn), {
    binaryTimeoutMs: 60000,
    callTimeoutMs: 500,
  });
  t.teardown(() => svc.close());
  const started = Date.now();
  await t.rejects(svc.call('attack', ['binary', 'x']), CallTimeoutError);
  t.ok(Date.now() - started < 2000, 'the call failed at its own limit');
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving');
  for (const pid of readFileSync(pids, 'utf8').trim().split('\n').map(Number))
    t.notOk(await outlives(pid), `process ${pid} was killed with the call`);
});

t.test(
  'L3: mapped-dir aliases and mounted-binary paths that would widen the sandbox are refused',
  async (t) => {
    const dir = t.testdir({});
    mkdirSync(join(dir, 'x'));
    const check = (wasi: string, binary = '/bin/true') =>
      checkConfigToml(
        `modules_dir = "."\n[[module]]\nname = "fx_attack"\n[module.wasi]\nmapped_dirs = ${wasi}\n[module.mounted_binaries]\nstubborn = ${JSON.stringify(binary)}\n`,
        join(dir, 'Config.toml'),
      );
    for (const alias of ['/', '.', '..', '../x', './', '/data/../..', 'a/../..', '/data/./x', ''])
      t.match(
        check(`{ ${JSON.stringify(alias)} = "./x" }`).findings.filter(
          (f) => f.severity === 'error',
        ),
        [{ field: /^module\[0\]\.wasi\.mapped_dirs/ }],
        `alias ${JSON.stringify(alias)}`,
      );
    t.same(check('{ "/data" = "./x" }').findings, [], 'a plain alias is fine');
    t.match(
      check('{ "/data" = "/" }').findings,
      [{ field: 'module[0].wasi.mapped_dirs./data', message: /whole host filesystem/ }],
      'mapping the host root',
    );
    for (const binary of ['', 'true', './bin/true', 'bin/x'])
      t.match(
        check('{}', binary).findings,
        [{ field: 'module[0].mounted_binaries.stubborn', severity: 'error' }],
        `binary path ${JSON.stringify(binary)}`,
      );
    // Load refuses too, naming the field, and a refused config starts nothing.
    writeFileSync(
      join(dir, 'Config.toml'),
      `modules_dir = ${JSON.stringify(artifacts)}\n[[module]]\nname = "fx_attack"\n[module.wasi]\nmapped_dirs = { "/" = "/" }\n[module.mounted_binaries]\nstubborn = "/bin/true"\n`,
    );
    await t.rejects(loadService(join(dir, 'Config.toml')), {
      message: /module\[0\]\.wasi\.mapped_dirs/,
    });
    const svc = await loadService(config(dir, '/bin/true'));
    t.teardown(() => svc.close());
    t.equal(await svc.call('ping'), 'pong', 'a good config still loads and serves');
  },
);

t.test('M3: [disk_quota] is read from Config.toml and checked field by field', async (t) => {
  const dir = t.testdir({});
  const check = (quota: string) =>
    checkConfigToml(
      `modules_dir = "."\n[disk_quota]\n${quota}\n[[module]]\nname = "a"\n`,
      join(dir, 'Config.toml'),
    );
  t.same(check('bytes = "8 MiB"\nfiles = 12').config?.diskQuota, {
    bytes: 8 * 1024 * 1024,
    files: 12,
  });
  t.same(
    check('files = 7').config?.diskQuota,
    { bytes: 1024 ** 3, files: 7 },
    'an absent field keeps its default',
  );
  for (const [quota, field] of [
    ['bytes = "lots"', 'disk_quota.bytes'],
    ['bytes = "Infinity"', 'disk_quota.bytes'],
    ['files = -1', 'disk_quota.files'],
    ['files = "many"', 'disk_quota.files'],
    ['inodes = 3', 'disk_quota.inodes'],
  ] as const)
    t.match(check(quota).findings, [{ field, severity: 'error' }], quota);
});

t.test('Files a stopped guest held open are closed by the host', async (t) => {
  const dir = t.testdir({});
  const svc = await loadService(config(dir, '/bin/true'), { callTimeoutMs: 2000 });
  t.teardown(() => svc.close());
  // The preview1 adapter's table holds about 128 descriptors, so each instance can hold 100.
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(await svc.call('ping'), 'pong');
  const before = openFds();
  await t.rejects(svc.call('attack', ['hold-files', '100:spin']), CallTimeoutError);
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving after the timeout');
  await settle();
  t.ok(
    openFds() - before < 50,
    `a terminated worker's files were closed (${before} → ${openFds()} fds)`,
  );
  await t.rejects(svc.call('attack', ['hold-files', '100:trap']));
  t.equal(await svc.call('ping'), 'pong', 'the host keeps serving after the trap');
  await settle();
  t.ok(
    openFds() - before < 50,
    `a trapped instance's files were closed (${before} → ${openFds()} fds)`,
  );
});
