// A service project outside this repository, with nothing but the toolkit installed
// (`npm install <this repository>`): no tap, no "type": "module", the toolkit not built.
// `marine test` builds its module and runs its TypeScript tests; a test file that cannot load is
// reported with the reason.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';

const root = resolve(import.meta.dirname, '../..');

type Tree = { [name: string]: string | Tree };

function writeTree(dir: string, tree: Tree): void {
  for (const [name, content] of Object.entries(tree)) {
    const path = join(dir, name);
    if (typeof content === 'string') {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    } else {
      mkdirSync(path, { recursive: true });
      writeTree(path, content);
    }
  }
}

t.test(
  'marine test in a user project with only the toolkit installed',
  { timeout: 900_000 },
  async (t) => {
    // Outside the repository: nothing of its node_modules is reachable from here.
    const dir = mkdtempSync(join(tmpdir(), 'marine-user-project-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeTree(dir, {
      'package.json': JSON.stringify({ name: 'hello-svc', version: '1.0.0', private: true }),
      'Cargo.toml': `[package]
name = "hello-svc"
version = "0.1.0"
edition = "2021"

[[bin]]
name = "hello_svc"
path = "src/main.rs"

[dependencies]
marine-rs-sdk = { version = "0.14.0", path = ${JSON.stringify(join(root, 'services-rs/sdk'))}, features = ["logger"] }
log = "0.4"
`,
      src: {
        'main.rs': `use marine_rs_sdk::{marine, WasmLoggerBuilder};

pub fn main() {
    WasmLoggerBuilder::new().build().unwrap();
}

#[marine]
pub fn hello(name: String) -> String {
    log::info!("hello {}", name);
    format!("Hello, {}", name)
}
`,
      },
      'Config.toml':
        'modules_dir = "artifacts"\n[[module]]\nname = "hello_svc"\nlogger_enabled = true\n',
      test: {
        'hello.test.ts': `import t from 'tap';
import { loadTestService } from 'marine-ts/testing';
import type { HelloSvcService } from '../artifacts/hello_svc.js';

t.test('hello', async (t) => {
  const svc = await loadTestService<HelloSvcService>('../Config.toml', { base: import.meta.url });
  t.teardown(() => svc.$close());
  t.equal(await svc.hello('you'), 'Hello, you');
  t.equal(await svc.hello_cp({ particle: { init_peer_id: 'p' } }, 'cp'), 'Hello, cp');
  t.ok(svc.$service.logs().some((r) => r.text === 'hello you'));
});
`,
        'broken.test.ts': `import t from 'tap';
import { helper } from './no-such-helper.js';
t.ok(helper);
`,
      },
    });
    const install = await execa(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', root],
      { cwd: dir, reject: false },
    );
    t.equal(install.exitCode, 0, `npm install: ${install.stderr}`);
    const marine = join(dir, 'node_modules', '.bin', 'marine');

    const first = await execa(marine, ['test'], { cwd: dir, reject: false, all: true });
    t.equal(first.exitCode, 1, 'a failing file fails the run');
    t.match(first.stdout, /^PASS test\/hello\.test\.ts \(\d+ ok\)$/m);
    t.match(
      first.stdout,
      /^FAIL test\/broken\.test\.ts: the file failed to load, before any test ran:$/m,
    );
    t.match(first.stdout, /Cannot find module '.*no-such-helper\.js'/);
    t.match(first.stdout, /^1 of 2 test files failed$/m);

    rmSync(join(dir, 'test', 'broken.test.ts'));
    mkdirSync(join(dir, 'test', 'more'));
    writeFileSync(
      join(dir, 'test', 'more', 'fails.test.ts'),
      "import t from 'tap';\nt.equal(1 + 1, 3, 'arithmetic');\n",
    );
    const second = await execa(marine, ['test', '--no-build'], { cwd: dir, reject: false });
    t.equal(second.exitCode, 1);
    t.match(second.stdout, /^FAIL test\/more\/fails\.test\.ts \(0 ok, 1 not ok\):$/m);
    t.match(second.stdout, /not ok 1 - arithmetic/);

    rmSync(join(dir, 'test', 'more'), { recursive: true });
    const third = await execa(marine, ['test', '--no-build'], { cwd: dir, reject: false });
    t.equal(third.exitCode, 0, third.stdout);
    t.match(third.stdout, /^all 1 test file passed$/m);
  },
);
