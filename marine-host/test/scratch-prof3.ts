import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { avmWasmPath } from '../../harness/testing/reference-aquavm.js';
import { loadService } from '../index.js';
import { buildFixture } from './it/fixture.js';
const dir = mkdtempSync(join(tmpdir(), 'p-'));
writeFileSync(join(dir, 'fixture.wasm'), await buildFixture());
writeFileSync(join(dir, 'F.toml'), 'modules_dir = "."\n[[module]]\nname = "fixture"\n');
const config = join(dir, 'Config.toml');
writeFileSync(config, `modules_dir = ${JSON.stringify(dirname(avmWasmPath()))}\n\n[[module]]\nname = "avm"\nlogging_mask = 0\n\n[module.wasi]\nenvs = { WASM_LOG = "off" }\n`);
for (const c of [join(dir, 'F.toml'), join(dir, 'F.toml'), config, config]) {
  const s = performance.now();
  const svc = await loadService(c);
  console.log(c.endsWith('F.toml') ? 'fixture' : 'avm', 'loadService', (performance.now() - s).toFixed(0));
  await svc.close();
}
