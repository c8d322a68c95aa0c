import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const root = '../../';
const { avmWasmPath } = await import(root + 'harness/testing/reference-aquavm.ts');
const { parseModule } = await import(root + 'marine-host/build/wasm/module.ts');
const { readItModel } = await import(root + 'marine-host/module/it/model.ts');
const { createHostAquaVM } = await import(root + 'harness/testing/host-aquavm.ts');
const bytes = readFileSync(avmWasmPath());
let s = performance.now();
parseModule(bytes, 'avm'); console.log('parseModule', (performance.now() - s).toFixed(0));
s = performance.now();
readItModel(bytes, 'avm'); console.log('readItModel', (performance.now() - s).toFixed(0));
s = performance.now();
await (globalThis as any).WebAssembly.compile(bytes); console.log('WebAssembly.compile (async)', (performance.now() - s).toFixed(0));
s = performance.now();
new (globalThis as any).WebAssembly.Module(bytes); console.log('new WebAssembly.Module (sync)', (performance.now() - s).toFixed(0));
for (let i = 0; i < 2; i++) {
s = performance.now();
const h = await createHostAquaVM(); console.log('createHostAquaVM', (performance.now() - s).toFixed(0));
s = performance.now();
await h.ast('(null)'); console.log('first call', (performance.now() - s).toFixed(0));
await h.close();
}
