// jco bindings of a component, generated from its own bytes and cached by a hash of them: a
// module file overwritten with new code gets new bindings, and bindings that sit beside an
// older `.wasm` can never run in its place.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ModuleLoadError } from '../errors.js';

/** Bumped when the way bindings are generated changes, so older cached copies are not reused. */
const BINDINGS_VERSION = 'v1';
/** The name jco gives the generated files; the cache directory, not the file, tells modules apart. */
const ENTRY = 'module';

/** Directory of the bindings cache (`MARINE_TS_CACHE`, else the system's temporary directory). */
export function bindingsCacheDir(): string {
  return join(process.env['MARINE_TS_CACHE'] ?? tmpdir(), 'marine-ts-bindings');
}

/** The entry (`.mjs`) of the jco bindings of `component`, transpiled on first use and cached by its hash. */
export async function componentBindings(component: Uint8Array, where: string): Promise<string> {
  const hash = createHash('sha256').update(BINDINGS_VERSION).update(component).digest('hex');
  const dir = join(bindingsCacheDir(), hash.slice(0, 32));
  const entry = join(dir, `${ENTRY}.mjs`);
  if (existsSync(entry)) return entry;
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  let files: Record<string, Uint8Array>;
  try {
    ({ files } = await transpileBytes(component, {
      name: ENTRY,
      instantiation: { tag: 'async' },
      // Core modules stay separate files: the host compiles them once and reads their memory size.
      base64Cutoff: 0,
    }));
  } catch (error) {
    throw new ModuleLoadError(
      `${where}: jco cannot generate bindings for the component: ${(error as Error).message}`,
    );
  }
  // Written beside the final directory and renamed into place, so a concurrent loader sees
  // either nothing or complete bindings.
  const staging = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  for (const [file, content] of Object.entries(files)) {
    const path = join(staging, file === `${ENTRY}.js` ? `${ENTRY}.mjs` : file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  try {
    renameSync(staging, dir);
  } catch {
    // Another loader finished first; its copy is the same.
    rmSync(staging, { recursive: true, force: true });
  }
  if (!existsSync(entry)) {
    throw new ModuleLoadError(`${where}: bindings were generated but ${entry} is missing`);
  }
  return entry;
}
