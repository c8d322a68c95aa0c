// The CLI program builds: every command is registered with a description and a help text that
// renders, and the `marine` binary starts and lists them.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { buildProgram } from '../program.js';

const expected = ['air', 'aqua', 'build', 'call', 'it', 'repl', 'test', 'validate'];

t.test('the CLI program builds with every command and its help', async (t) => {
  const program = buildProgram();
  t.equal(program.name(), 'marine');
  const names = program.commands.map((c) => c.name());
  for (const name of expected) t.ok(names.includes(name), `command ${name} is registered`);
  for (const command of program.commands) {
    t.not(command.description(), '', `${command.name()} has a description`);
    t.match(command.helpInformation(), new RegExp(`^Usage: marine ${command.name()}\\b`));
  }
});

t.test('call and validate --help say what the sandbox grants and never grants', async (t) => {
  for (const name of ['call', 'validate']) {
    const out: string[] = [];
    const command = buildProgram().commands.find((c) => c.name() === name);
    if (!command) throw new Error(`no command ${name}`);
    command.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
    command.outputHelp();
    const help = out.join('').replace(/\s+/g, ' ');
    t.match(help, /no environment variables but those its config lists/, `${name}: env`);
    t.match(help, /no files or directories but its config's mapped dirs \(no other preopens\)/);
    t.match(help, /no network at all/);
    t.match(help, /starts no process except the mounted binaries its config declares/);
    t.match(help, /stdout and stderr into the service log/);
    t.match(help, /Nothing else is granted/);
  }
});

t.test('bin/marine.js starts and lists the commands', async (t) => {
  const r = await execa('node', ['bin/marine.js', '--help'], {
    cwd: resolve(import.meta.dirname, '../../..'),
    reject: false,
  });
  t.equal(r.exitCode, 0);
  for (const name of expected) t.match(r.stdout, new RegExp(`^  ${name}\\b`, 'm'));
});

t.test('marine --version prints the package version', async (t) => {
  const root = resolve(import.meta.dirname, '../../..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await execa('node', ['bin/marine.js', flag], { cwd: root, reject: false });
    t.equal(r.exitCode, 0, flag);
    t.equal(r.stdout.trim(), pkg.version, flag);
  }
});

t.test(
  'marine node stops gracefully on a SIGINT that comes while it is still loading',
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'marine-node-early-'));
    const child = execa('node', ['bin/marine.js', 'node', '--data-dir', dataDir, '--json'], {
      cwd: resolve(import.meta.dirname, '../../..'),
      reject: false,
    });
    t.teardown(() => {
      try {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      } catch {
        // It has exited.
      }
      rmSync(dataDir, { recursive: true, force: true });
    });
    // 400 ms: bin/marine.js runs within a few tens of ms, the CLI and the node's implementation
    // (loaded when the command runs) take a second or more to load, and the node more to start;
    // a signal then met Node's default (exit 130).
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((r) => setTimeout(r, 400));
    t.equal(output, '', 'the signal comes before the node is ready');
    child.kill('SIGINT');
    const r = await child;
    t.equal(r.exitCode, 0, `exit code 0 (stderr: ${r.stderr.slice(0, 300)})`);
    const events = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { event: string }).event);
    t.equal(events[0], 'ready', 'it starts');
    t.equal(events.at(-1), 'stopped', 'then stops');
  },
);

t.test(
  'marine call --inline runs the service in its own thread, the time limit still holds',
  async (t) => {
    const { buildHostFixtures } = await import('../../../fixtures/configs/host/build-fixtures.js');
    const config = resolve(await buildHostFixtures(), '../Config.toml');
    const root = resolve(import.meta.dirname, '../../..');
    const ok = await execa(
      'node',
      ['bin/marine.js', 'call', config, 'add', '[1, 2]', '--json', '--inline'],
      {
        cwd: root,
        reject: false,
      },
    );
    t.equal(ok.exitCode, 0, ok.stderr);
    t.equal(ok.stdout.trim(), '3');
    const spin = await execa(
      'node',
      ['bin/marine.js', 'call', config, 'spin', '[]', '--inline', '--timeout', '300'],
      { cwd: root, reject: false },
    );
    t.not(spin.exitCode, 0, 'a runaway call fails');
    t.match(spin.stderr, /call spin did not finish within 300 ms; the guest was stopped/);
  },
);
