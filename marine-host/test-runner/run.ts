// Runs a service project's tap test files for `marine test`: each file in its own Node process
// with the toolkit's module hooks (register.mjs), so the project needs nothing but the toolkit
// installed, and every file's output is kept: a file that fails, or fails to load at all, is
// reported with what it printed (the error, the failed assertions).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIP = new Set(['node_modules', 'target', 'artifacts', '.git', '.tap', 'dist']);

/** Test files (`*.test.ts`, `*.test.mts`, `*.test.js`, `*.test.mjs`) under a directory, sorted. */
export function findTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findTestFiles(path));
    else if (/\.test\.(ts|mts|js|mjs)$/.test(entry)) out.push(path);
  }
  return out.sort();
}

/** What one test file did. */
export interface TestFileResult {
  /** The file. */
  readonly file: string;
  /** Whether its process exited with status 0 and reported no failed assertion. */
  readonly ok: boolean;
  /** Assertions that passed and failed (from its TAP output). */
  readonly pass: number;
  readonly fail: number;
  /** False when the file printed no TAP at all: it failed before any test ran. */
  readonly loaded: boolean;
  /** Everything it wrote, stdout and stderr interleaved. */
  readonly output: string;
}

const REGISTER = join(dirname(fileURLToPath(import.meta.url)), 'register.mjs');

/** Runs one test file in its own process. */
export function runTestFile(project: string, file: string): Promise<TestFileResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', REGISTER, file], {
      cwd: project,
      env: { ...process.env, MARINE_TEST_PROJECT: project, TAP: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      // Top-level assertion lines only count once; subtests' summaries repeat their parents'.
      const pass = (output.match(/^\s*ok \d+/gm) ?? []).length;
      const fail = (output.match(/^\s*not ok \d+/gm) ?? []).length;
      const loaded = /^\s*(TAP version|1\.\.\d+|ok \d+|not ok \d+)/m.test(output);
      done({ file, ok: code === 0 && fail === 0, pass, fail, loaded, output });
    });
  });
}

/** Runs every file, one after another, writing a line per file and the output of failures. */
export async function runTestFiles(
  project: string,
  files: readonly string[],
  write: (text: string) => void,
): Promise<TestFileResult[]> {
  const results: TestFileResult[] = [];
  for (const file of files) {
    const r = await runTestFile(project, file);
    results.push(r);
    const name = relative(project, file);
    if (r.ok) write(`PASS ${name} (${r.pass} ok)\n`);
    else if (!r.loaded) {
      write(`FAIL ${name}: the file failed to load, before any test ran:\n`);
      write(`${indent(r.output.trim() || '(it printed nothing)')}\n`);
    } else {
      write(`FAIL ${name} (${r.pass} ok, ${r.fail} not ok):\n`);
      write(`${indent(r.output.trim())}\n`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  write(
    `${failed === 0 ? 'all' : `${failed} of`} ${results.length} test file${results.length === 1 ? '' : 's'} ${failed === 0 ? 'passed' : 'failed'}\n`,
  );
  return results;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
