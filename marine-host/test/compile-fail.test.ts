// Misusing #[marine] must fail the build with a message that says what is wrong, pointing at
// the offending line. Each fixtures/compile-fail/<case>.rs names its expected message and line
// in `// expect:` and `// expect-line:` headers; the cases are checked one after another in one
// temporary crate that depends on the SDK, reusing one target directory.
import t from 'tap';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { loadToolchain, toolchainEnvPath, type Toolchain } from '../build/index.js';

const root = resolve(import.meta.dirname, '../..');
const casesDir = join(root, 'fixtures/compile-fail');
const sdkDir = join(root, 'services-rs/sdk');

interface Case {
  readonly name: string;
  readonly source: string;
  readonly expect: string;
  readonly line: number;
}

function readCases(): Case[] {
  return readdirSync(casesDir)
    .filter((f) => f.endsWith('.rs'))
    .sort()
    .map((file) => {
      const source = readFileSync(join(casesDir, file), 'utf8');
      const expect = /^\/\/ expect: (.+)$/m.exec(source)?.[1];
      const line = /^\/\/ expect-line: (\d+)$/m.exec(source)?.[1];
      if (expect === undefined || line === undefined) {
        throw new Error(
          `${file}: expected \`// expect: <message>\` and \`// expect-line: <n>\` headers, found ${expect === undefined ? 'no expect' : 'no expect-line'}`,
        );
      }
      return { name: file.replace(/\.rs$/, ''), source, expect, line: Number(line) };
    });
}

/** The toolchain `marine build` uses, or why there is none (the test is skipped then). */
async function findToolchain(): Promise<Toolchain | string> {
  if (existsSync(toolchainEnvPath(root))) {
    try {
      return await loadToolchain();
    } catch (error) {
      return `the recorded toolchain is unusable: ${String(error)}`;
    }
  }
  // Not set up yet: Debian's rustc with its wasm32-wasi std and packaged crates still works.
  const debianStd = '/usr/lib/rustlib/wasm32-wasi/lib';
  const registry = '/usr/share/cargo/registry';
  if (
    existsSync('/usr/bin/cargo') &&
    existsSync('/usr/bin/rustc') &&
    existsSync(debianStd) &&
    existsSync(registry)
  ) {
    return {
      cargo: '/usr/bin/cargo',
      rustc: '/usr/bin/rustc',
      target: 'wasm32-wasi',
      crates: 'debian',
      cargoArgs: [
        '--config',
        'source.crates-io.replace-with="debian-registry"',
        '--config',
        `source.debian-registry.directory="${registry}"`,
        '--offline',
      ],
    };
  }
  return 'no Rust toolchain for wasm32-wasi: run `bash scripts/setup-toolchain.sh`';
}

const found = await findToolchain();
const toolchain = typeof found === 'string' ? undefined : found;
const skip = typeof found === 'string' ? found : false;

t.test('misuse of #[marine] is a compile error at the right line', { skip }, async (t) => {
  if (toolchain === undefined) return;
  const cases = readCases();
  t.ok(cases.length >= 20, `found ${cases.length} cases in fixtures/compile-fail`);
  const dir = mkdtempSync(join(tmpdir(), 'marine-compile-fail-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'Cargo.toml'),
    [
      '[package]',
      'name = "compile-fail-case"',
      'version = "0.0.0"',
      'edition = "2021"',
      '',
      '[lib]',
      'crate-type = ["cdylib"]',
      '',
      '[dependencies]',
      `marine-rs-sdk = { path = ${JSON.stringify(sdkDir)} }`,
      '',
      '[workspace]',
      '',
    ].join('\n'),
  );
  // `cargo check` runs the macro, type checking and constant evaluation: every error here.
  const check = async (source: string) => {
    writeFileSync(join(dir, 'src/lib.rs'), source);
    const result = await execa(
      toolchain.cargo,
      ['check', '--target', toolchain.target, '--color', 'never', ...toolchain.cargoArgs],
      {
        cwd: dir,
        env: { RUSTC: toolchain.rustc, CARGO_TARGET_DIR: join(dir, 'target') },
        reject: false,
      },
    );
    return { ok: result.exitCode === 0, stderr: String(result.stderr) };
  };

  // A correct module must build in this crate, or the failures below would prove nothing.
  const control = await check(
    [
      'use marine_rs_sdk::marine;',
      '#[marine]',
      'pub struct Point { pub x: i32, pub tags: Vec<Option<String>> }',
      '#[marine]',
      'pub fn shift(p: Point, by: i32, label: &str) -> Point { Point { x: p.x + by, tags: vec![Some(label.to_string())] } }',
      '#[marine]',
      '#[link(wasm_import_module = "other")]',
      'extern "C" { #[link_name = "get"] pub fn other_get(key: String) -> Option<Point>; }',
      '',
    ].join('\n'),
  );
  t.ok(control.ok, 'a correct module checks cleanly', { stderr: control.stderr });
  if (!control.ok) return;

  for (const c of cases) {
    const { ok, stderr } = await check(c.source);
    const errors = stderr.split('\n').filter((l) => l.startsWith('error'));
    t.notOk(ok, `${c.name}: the build fails`);
    t.ok(stderr.includes(c.expect), `${c.name}: says "${c.expect}"`, { found: errors });
    t.match(
      stderr,
      new RegExp(`--> src/lib\\.rs:${c.line}:\\d+`),
      `${c.name}: points at line ${c.line}`,
    );
  }
});
