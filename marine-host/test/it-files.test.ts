// Mapped directories of Marine IT modules: a module built for wasm32-wasi (here the hand-written
// files fixture) writes and reads files in its mapped directory through WASI preview 1, confined
// like components are: no way out by `..`, an absolute path or a symlink, the service's disk quota
// applies, and a module without mapped dirs has no files at all.
import t from 'tap';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadService } from '../index.js';
import { buildFilesFixture } from './it/files-fixture.js';

const ERRNO = { BADF: 8, NOENT: 44, NOSPC: 51, PERM: 63 };

const wasm = await buildFilesFixture();

/** Names in preview 1 dirents (24-byte header, name length at 16, the name after it), sorted. */
function dirents(raw: Uint8Array): string[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const names: string[] = [];
  for (let at = 0; at + 24 <= raw.length;) {
    const len = view.getUint32(at + 16, true);
    names.push(new TextDecoder().decode(raw.subarray(at + 24, at + 24 + len)));
    at += 24 + len;
  }
  return names.sort();
}

/** A service dir with the fixture and a Config.toml (`extra` appended); removed at the end. */
function service(t: { teardown(fn: () => void): void }, extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'marine-ts-it-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'files.wasm'), wasm);
  writeFileSync(
    join(dir, 'Config.toml'),
    `modules_dir = "."\n${extra.startsWith('[disk') ? extra : ''}\n[[module]]\nname = "files"\n${extra.startsWith('[disk') ? '[module.wasi]\nmapped_dirs = { "/data" = "./data" }\n' : extra}`,
  );
  return dir;
}

t.test('an IT module writes and reads a file in its mapped directory', async (t) => {
  const dir = service(t, '[module.wasi]\nmapped_dirs = { "/data" = "./data" }\n');
  const svc = await loadService(join(dir, 'Config.toml'));
  t.teardown(() => svc.close());
  t.equal(await svc.call('dir', []), '/data', 'the preopen is named by its guest alias');
  t.equal(await svc.call('put', ['note.txt', 'hello from IT']), 0, 'written');
  t.equal(readFileSync(join(dir, 'data', 'note.txt'), 'utf8'), 'hello from IT', 'on the host');
  t.equal(await svc.call('get', ['note.txt']), 'hello from IT', 'read back');
  t.equal(await svc.call('put', ['note.txt', 'short']), 0, 'truncated and rewritten');
  t.equal(await svc.call('get', ['./note.txt']), 'short');
  t.equal(await svc.call('put', ['missing/x.txt', 'x']), ERRNO.NOENT, 'no such directory');
  t.equal(await svc.call('mkdir', ['sub']), 0, 'a directory made');
  t.equal(await svc.call('put', ['sub/inner.txt', 'deep']), 0, 'a file in it');
  t.equal(readFileSync(join(dir, 'data', 'sub', 'inner.txt'), 'utf8'), 'deep');
  t.same(
    dirents(Uint8Array.from((await svc.call('list', [])) as number[])),
    ['note.txt', 'sub'],
    'fd_readdir',
  );
  t.equal(await svc.call('remove', ['note.txt']), 0);
  t.notOk(existsSync(join(dir, 'data', 'note.txt')), 'removed on the host');
  t.equal(await svc.call('get', ['note.txt']), '');
  t.equal(await svc.call('err', []), ERRNO.NOENT, 'reading a removed file: ENOENT');
});

t.test('no escape from the mapped directory by .., an absolute path or a symlink', async (t) => {
  const dir = service(t, '[module.wasi]\nmapped_dirs = { "/data" = "./data" }\n');
  mkdirSync(join(dir, 'data', 'a'), { recursive: true });
  writeFileSync(join(dir, 'secret.txt'), 'host secret');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'data', 'abs-link'));
  symlinkSync('../secret.txt', join(dir, 'data', 'rel-link'));
  symlinkSync(dir, join(dir, 'data', 'dir-link'));
  const svc = await loadService(join(dir, 'Config.toml'));
  t.teardown(() => svc.close());
  for (const path of [
    '../secret.txt',
    'a/../../secret.txt',
    join(dir, 'secret.txt'),
    'abs-link',
    'rel-link',
    'dir-link/secret.txt',
  ]) {
    t.equal(await svc.call('get', [path]), '', `${path}: nothing read`);
    t.equal(await svc.call('err', []), ERRNO.PERM, `${path}: refused with EPERM`);
  }
  t.equal(await svc.call('put', ['../planted.txt', 'x']), ERRNO.PERM);
  t.equal(await svc.call('mkdir', ['../made-above']), ERRNO.PERM, 'no directory made above');
  t.notOk(existsSync(join(dir, 'made-above')));
  t.equal(await svc.call('put', ['rel-link', 'overwritten']), ERRNO.PERM);
  t.notOk(existsSync(join(dir, 'planted.txt')), 'nothing written above the mapped dir');
  t.equal(readFileSync(join(dir, 'secret.txt'), 'utf8'), 'host secret', 'the target is intact');
});

t.test('the service disk quota applies to IT modules', async (t) => {
  const dir = service(t, '[disk_quota]\nbytes = "16 B"\n');
  const svc = await loadService(join(dir, 'Config.toml'));
  t.teardown(() => svc.close());
  t.equal(await svc.call('put', ['small', '0123456789']), 0, '10 bytes fit');
  t.equal(await svc.call('put', ['big', '0123456789'.repeat(3)]), ERRNO.NOSPC, '30 more do not');
});

t.test('without mapped dirs an IT module has no files', async (t) => {
  const dir = service(t, '');
  const svc = await loadService(join(dir, 'Config.toml'));
  t.teardown(() => svc.close());
  t.equal(await svc.call('dir', []), '');
  t.equal(await svc.call('err', []), ERRNO.BADF, 'no preopen at fd 3');
  t.equal(await svc.call('put', ['x.txt', 'x']), ERRNO.BADF);
});
