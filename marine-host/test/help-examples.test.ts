// Every example in every `marine … --help` runs as printed, from the repository root, with
// `marine` on PATH: `$ <command>` lines are shell commands (pipes and `&&` included), and the
// `> <line>` lines after a `$ marine repl …` are what is typed into the repl.
import t from 'tap';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '../..');
const bin = mkdtempSync(join(tmpdir(), 'marine-help-bin-'));
t.teardown(() => rmSync(bin, { recursive: true, force: true }));
const shim = join(bin, 'marine');
writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(join(root, 'bin/marine.js'))} "$@"\n`);
chmodSync(shim, 0o755);
const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}` };

async function help(command: string[]): Promise<string> {
  const r = await execa('node', ['bin/marine.js', ...command, '--help'], { cwd: root, env });
  return r.stdout;
}

/** Subcommand names listed under `Commands:` in a help text (without `help`). */
function subcommands(text: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(text)?.[1] ?? '';
  return section
    .split('\n')
    .map((l) => /^ {2}([a-z][\w-]*)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n !== 'help');
}

interface Example {
  readonly command: string;
  readonly input: string[];
  readonly from: string;
}

function examples(text: string, from: string): Example[] {
  const out: Example[] = [];
  let current: { command: string; input: string[]; from: string } | undefined;
  for (const line of text.split('\n')) {
    const cmd = /^\s*\$ (.+)$/.exec(line)?.[1];
    const typed = /^\s*> (.+)$/.exec(line)?.[1];
    if (cmd !== undefined) {
      current = { command: cmd, input: [], from };
      out.push(current);
    } else if (typed !== undefined && current !== undefined) current.input.push(typed);
    else if (line.trim() === '' || !/^\s/.test(line)) current = undefined;
  }
  return out;
}

t.test('every --help example runs as printed', { timeout: 1_200_000 }, async (t) => {
  const all: Example[] = [];
  // Each level of subcommands at once: every help text is a CLI start-up of its own.
  let level: string[][] = [[]];
  while (level.length > 0) {
    const texts = await Promise.all(level.map((command) => help(command)));
    const next: string[][] = [];
    level.forEach((command, i) => {
      const text = texts[i] as string;
      all.push(...examples(text, `marine ${command.join(' ')} --help`.replace('  ', ' ')));
      for (const sub of subcommands(text)) next.push([...command, sub]);
    });
    level = next;
  }
  const seen = new Set<string>();
  const unique = all.filter((e) => !seen.has(e.command) && seen.add(e.command));
  t.ok(unique.length >= 25, `found ${unique.length} examples`);
  // A few examples at a time (each starts the CLI), checked in the order the help prints them.
  const took = new Map<string, number>();
  const run = async (e: Example) => {
    const started = performance.now();
    const r = await execa('bash', ['-c', e.command], {
      cwd: root,
      env,
      input: e.input.length > 0 ? `${e.input.join('\n')}\nquit\n` : '',
      reject: false,
      all: true,
    });
    took.set(e.command, performance.now() - started);
    return r;
  };
  const results: Promise<Awaited<ReturnType<typeof run>>>[] = [];
  const running = new Set<Promise<unknown>>();
  for (const e of unique) {
    while (running.size >= 3) await Promise.race(running);
    const result = run(e);
    const done = result.finally(() => running.delete(done));
    running.add(done);
    results.push(result);
  }
  for (const [i, e] of unique.entries()) {
    t.notMatch(e.command, /\bmy-service\b|\bscript\.air\b|\bmain\.air\b/, 'names a real file');
    const r = await results[i]!;
    t.equal(r.exitCode, 0, `${e.from}: $ ${e.command}\n${String(r.all).slice(-2000)}`);
    if (e.input.length > 0)
      t.notMatch(r.stdout, /^> error:/m, `${e.from}: repl input of $ ${e.command}`);
  }
  // The slowest examples, to keep an eye on what this file costs CI.
  const slowest = [...took].sort((a, b) => b[1] - a[1]).slice(0, 12);
  t.comment(slowest.map(([c, ms]) => `${(ms / 1000).toFixed(1)} s  $ ${c}`).join('\n'));
});
