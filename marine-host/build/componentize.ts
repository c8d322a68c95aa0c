// The jco half of the pipeline: embed the WIT into the rewritten core module, adapt it into a
// component with the WASI preview1 reactor adapter, and transpile it to JS bindings.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ComponentizeError } from './errors.js';
import { WASI_PREVIEW1 } from './rewrite.js';

// jco is loaded on first use: it compiles large Wasm modules at import time, which a build
// where every module is up to date should not pay for.
const wasmTools = (): Promise<typeof import('@bytecodealliance/jco-transpile/wasm-tools')> =>
  import('@bytecodealliance/jco-transpile/wasm-tools');

let adapterBytes: Promise<Uint8Array> | undefined;

/** Path of the WASI preview1 reactor adapter shipped with @bytecodealliance/jco. */
export function reactorAdapterPath(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its API entry (dist/api.js); the adapter sits in lib/ beside dist/.
  const entry = require.resolve('@bytecodealliance/jco');
  return join(dirname(entry), '..', 'lib', 'wasi_snapshot_preview1.reactor.wasm');
}

function adapter(): Promise<Uint8Array> {
  adapterBytes ??= readFile(reactorAdapterPath()).then((b) => new Uint8Array(b));
  return adapterBytes;
}

function message(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'payload' in error)
    return String((error as { payload: unknown }).payload);
  return String(error);
}

/** Embeds `wit` (world `world`) into a core module and makes a component of it. */
export async function componentize(
  core: Uint8Array,
  wit: string,
  world: string,
  moduleName: string,
): Promise<Uint8Array> {
  const { componentEmbed, componentNew } = await wasmTools();
  let embedded: Uint8Array;
  try {
    embedded = await componentEmbed({ binary: core, witSource: wit, world });
  } catch (error) {
    throw new ComponentizeError(
      `module ${moduleName}: wasm-tools embed rejected the generated WIT: ${message(error)}\n--- WIT ---\n${wit}`,
    );
  }
  try {
    return await componentNew(embedded, [[WASI_PREVIEW1, await adapter()]]);
  } catch (error) {
    throw new ComponentizeError(
      `module ${moduleName}: wasm-tools component new rejected the module: ${message(error)}`,
    );
  }
}

/** The WIT of a component, as `jco wit` prints it. */
export async function printComponentWit(component: Uint8Array): Promise<string> {
  const { componentWit } = await wasmTools();
  return componentWit(component);
}

/** Files of jco's JS bindings for a component, in instantiation mode (the host supplies every import). */
export async function transpileComponent(
  component: Uint8Array,
  name: string,
  instantiation: 'async' | 'sync',
): Promise<Record<string, Uint8Array>> {
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  try {
    const result = await transpileBytes(component, {
      name,
      instantiation: { tag: instantiation },
      // Core wasm files stay separate so a host can compile them once and cache them.
      base64Cutoff: 0,
      noComponentErrorWrapping: false,
    });
    return result.files;
  } catch (error) {
    throw new ComponentizeError(`module ${name}: jco transpile failed: ${message(error)}`);
  }
}
