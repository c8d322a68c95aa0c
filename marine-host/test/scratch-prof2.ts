import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { avmWasmPath } from '../../harness/testing/reference-aquavm.js';
import { loadServiceConfig } from '../config/index.js';
import { checkService } from '../service/plan.js';
import { loadService } from '../index.js';
const dir = mkdtempSync(join(tmpdir(), 'p-'));
const config = join(dir, 'Config.toml');
writeFileSync(config, `modules_dir = ${JSON.stringify(dirname(avmWasmPath()))}\n\n[[module]]\nname = "avm"\nlogging_mask = 0\n\n[module.wasi]\nenvs = { WASM_LOG = "off" }\n`);
for (let i = 0; i < 2; i++) {
  let s = performance.now();
  const c = loadServiceConfig(config);
  console.log('config', (performance.now() - s).toFixed(0));
  s = performance.now();
  await checkService(c);
  console.log('checkService', (performance.now() - s).toFixed(0));
  s = performance.now();
  const svc = await loadService(config);
  console.log('loadService total', (performance.now() - s).toFixed(0));
  s = performance.now();
  await svc.call('ast', ['(null)']);
  console.log('first call', (performance.now() - s).toFixed(0));
  await svc.close();
}
