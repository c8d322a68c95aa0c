// `marine` registers every command on each start but loads a command's implementation only when
// it runs (harness/cli/actions/, imported by the action): `marine --version` and `--help` load
// commander and the registrations, not libp2p, the VMs or the Marine host, and `marine air
// check` loads the AIR parser but no network. A Node --import hook (record-loads.mjs) lists the
// modules each run loads, from the sources through tsx or from dist/ (MARINE_TS_FROM_DIST).
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '../../..');
const hook = pathToFileURL(join(import.meta.dirname, 'record-loads.mjs')).href;

/** Runs `marine args` with the hook; its exit code, output and the modules it loaded. */
async function loaded(
  args: string[],
): Promise<{ exitCode: number | undefined; stdout: string; stderr: string; files: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'marine-loads-'));
  try {
    const log = join(dir, 'loads.txt');
    const r = await execa('node', ['--import', hook, 'bin/marine.js', ...args], {
      cwd: root,
      reject: false,
      env: { MARINE_LOAD_LOG: log },
    });
    const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // Paths from the package root, the same from the sources and from dist/; packages by name.
    const files = [
      ...new Set(
        urls
          .filter((u) => u.startsWith('file:'))
          .map((u) => new URL(u).pathname)
          .map((p) => p.replace(/^.*\/node_modules\//, 'node_modules/'))
          .map((p) => (p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p))
          .map((p) => p.replace(/^dist\//, '')),
      ),
    ];
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// What starting the CLI must not load: the areas behind the commands, and libp2p.
const NETWORK: [RegExp, string][] = [
  [/^harness\/node\/(?!defaults\.[jt]s$)/, 'the node (its defaults module aside)'],
  [/^marine-host\//, 'the Marine host'],
  [/^harness\/(transports|peer|builtins|client)\//, 'transports, peers, builtins, the client'],
  [/^node_modules\/(@libp2p\/|libp2p\/|@chainsafe\/)/, 'libp2p'],
];
const HEAVY: [RegExp, string][] = [
  ...NETWORK,
  [/^harness\/air\//, 'the AIR VM and parser'],
  [/^harness\/testing\//, 'testing'],
  [/^harness\/protocol\//, 'the protocol (crypto, exact JSON)'],
  [/^harness\/cli\/actions\//, "the commands' implementations"],
];

function loadsOf(files: readonly string[], areas: [RegExp, string][]): string[] {
  return files.flatMap((f) =>
    areas.filter(([pattern]) => pattern.test(f)).map(([, what]) => `${f} (${what})`),
  );
}

for (const args of [['--version'], ['--help'], ['air', '--help'], ['node', '--help']]) {
  t.test(`marine ${args.join(' ')} loads no command's implementation`, async (t) => {
    const r = await loaded(args);
    t.equal(r.exitCode, 0, r.stderr);
    t.ok(
      r.files.some((f) => f.startsWith('harness/cli/commands/')),
      'the hook saw the registrations load',
    );
    t.same(loadsOf(r.files, HEAVY), [], 'nothing heavy loaded');
  });
}

t.test('marine air check loads the AIR parser, not libp2p, the node or the host', async (t) => {
  const r = await loaded(['air', 'check', 'fixtures/demo/hello.air']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /^fixtures\/demo\/hello\.air: ok \(/);
  t.ok(
    r.files.some((f) => f.startsWith('harness/air/')),
    'the AIR area loaded',
  );
  t.same(loadsOf(r.files, NETWORK), [], 'no libp2p, node, transports, peers or Marine host');
});

t.test('an error in a lazily loaded action is reported as before', async (t) => {
  const r = await loaded(['air', 'check', '/nonexistent/x.air']);
  t.equal(r.exitCode, 1);
  t.equal(r.stdout, '');
  t.match(
    r.stderr,
    /^error: expected a readable AIR file at '\/nonexistent\/x\.air', found: ENOENT[^\n]*$/,
  );
});
