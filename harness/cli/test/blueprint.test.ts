// `marine blueprint`: a Config.toml becomes a blueprint and a module store by CID that
// `marine validate` accepts exactly when it accepts the Config.toml; a changed module changes
// its CID and the blueprint id.
import t from 'tap';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { blueprintId, moduleCid, validateService } from '../../../marine-host/index.js';
import { packService, writeBlueprint } from '../../node/index.js';

const root = resolve(import.meta.dirname, '../../..');
const artifacts = join(root, 'services-rs/artifacts');
const built = ['styles_store', 'styles_v0_10', 'styles_v0_14', 'greeting'].every((m) =>
  existsSync(join(artifacts, `${m}.wasm`)),
);
const skip = built ? false : 'example artifacts missing: run `marine build services-rs/examples`';

const ok = async (path: string): Promise<boolean> =>
  !(await validateService(path)).some((f) => f.severity === 'error');

t.test('blueprint and module store by CID, from the CLI', { skip }, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'marine-bp-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = await execa(
    'node',
    [
      'bin/marine.js',
      'blueprint',
      'fixtures/configs/examples/sdk-v0-10/Config.toml',
      '--out',
      out,
      '--json',
    ],
    { cwd: root },
  );
  const written = JSON.parse(r.stdout) as {
    id: string;
    name: string;
    dependencies: string[];
    modules: { name: string; cid: string; file: string }[];
  };
  const store = moduleCid(readFileSync(join(artifacts, 'styles_store.wasm')));
  const facade = moduleCid(readFileSync(join(artifacts, 'styles_v0_10.wasm')));
  t.same(written.dependencies, [store, facade], 'module CIDs, the facade last');
  t.equal(written.name, 'sdk-v0-10');
  t.equal(written.id, blueprintId('sdk-v0-10', [store, facade]), 'the id is the DAG-JSON CID');
  t.same(JSON.parse(readFileSync(join(out, 'blueprint.json'), 'utf8')), {
    id: written.id,
    name: 'sdk-v0-10',
    dependencies: [{ '/': store }, { '/': facade }],
  });
  t.equal(moduleCid(readFileSync(join(out, `${facade}.wasm`))), facade, 'modules named by CID');
  t.match(JSON.parse(readFileSync(join(out, `${store}.wasm.config.json`), 'utf8')), {
    name: 'styles_store',
    logger_enabled: true,
  });
  t.equal(await ok(join(out, 'blueprint.json')), true, 'marine validate accepts the blueprint');
  const v = await execa('node', ['bin/marine.js', 'validate', join(out, 'blueprint.json')], {
    cwd: root,
    reject: false,
  });
  t.equal(v.exitCode, 0, 'and so does the CLI');
});

t.test(
  'validate passes on the blueprint exactly when it passes on the Config.toml',
  { skip },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'marine-bp-cases-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const cases: [string, string][] = [
      [
        'two modules with an import',
        `[[module]]\nname = "styles_store"\n[[module]]\nname = "styles_v0_10"\n`,
      ],
      ['facade without the module it imports', `[[module]]\nname = "styles_v0_10"\n`],
      [
        'an effector with its binary',
        `[[module]]\nname = "styles_store"\n[[module]]\nname = "styles_v0_14"\n[module.mounted_binaries]\necho = "/bin/echo"\n`,
      ],
      [
        'an effector without its binary',
        `[[module]]\nname = "styles_store"\n[[module]]\nname = "styles_v0_14"\n`,
      ],
      [
        'the store last, so it is the facade (any module with exports can be)',
        `[[module]]\nname = "styles_v0_10"\n[[module]]\nname = "styles_store"\n`,
      ],
    ];
    const outcomes: boolean[] = [];
    for (const [i, [name, modules]] of cases.entries()) {
      const config = join(dir, `case${i}`, 'Config.toml');
      mkdirSync(join(dir, `case${i}`), { recursive: true });
      writeFileSync(config, `modules_dir = ${JSON.stringify(artifacts)}\n${modules}`);
      const written = writeBlueprint(packService(config), join(dir, `case${i}`, 'out'));
      const expected = await ok(config);
      t.equal(await ok(written.blueprint), expected, `${name}: both ${expected ? 'pass' : 'fail'}`);
      outcomes.push(expected);
    }
    t.same(outcomes, [true, false, true, false, true], 'the cases cover both outcomes');
  },
);

t.test('a changed module changes its CID and the blueprint id', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'marine-bp-change-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(artifacts, 'greeting.wasm'), join(dir, 'greeting.wasm'));
  writeFileSync(join(dir, 'Config.toml'), `modules_dir = "."\n[[module]]\nname = "greeting"\n`);
  const before = packService(join(dir, 'Config.toml'));
  // A custom section appended: still a valid component, other bytes.
  const bytes = readFileSync(join(dir, 'greeting.wasm'));
  writeFileSync(
    join(dir, 'greeting.wasm'),
    Buffer.concat([bytes, Buffer.from([0, 4, 3, 0x61, 0x62, 0x63])]),
  );
  const after = packService(join(dir, 'Config.toml'));
  t.not(after.modules[0]?.cid, before.modules[0]?.cid, 'the module CID changes');
  t.not(after.id, before.id, 'the blueprint id changes');
  const written = writeBlueprint(after, join(dir, 'out'));
  t.equal(await ok(written.blueprint), true, 'the changed module still validates');
});
