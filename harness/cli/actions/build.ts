// What `marine build` does (registered in ../commands/build.ts).
import { resolve } from 'node:path';
import { buildServices } from '../../../marine-host/index.js';
import { printJson } from '../json-output.js';

/** The options of `marine build`. */
export interface BuildCommandOptions {
  release?: boolean;
  out?: string;
  json?: boolean;
  force?: boolean;
  instantiation: string;
}

/** `marine build`: the crate's or workspace's modules, one line (or the JSON result) for all. */
export async function buildAction(
  pathArg: string,
  cargoArgs: string[],
  options: BuildCommandOptions,
): Promise<void> {
  // `marine build -- --features x` leaves no PATH: the first cargo argument lands in it.
  const path = pathArg.startsWith('-') ? '.' : pathArg;
  const extra = pathArg.startsWith('-') ? [pathArg, ...cargoArgs] : cargoArgs;
  if (options.instantiation !== 'async' && options.instantiation !== 'sync') {
    throw new Error(
      `--instantiation: expected "async" or "sync", found ${JSON.stringify(options.instantiation)}`,
    );
  }
  const result = await buildServices({
    path: resolve(path),
    release: options.release === true,
    force: options.force === true,
    instantiation: options.instantiation,
    ...(extra.length > 0 ? { cargoArgs: extra } : {}),
    ...(options.out !== undefined ? { outDir: resolve(options.out) } : {}),
  });
  if (options.json) {
    printJson(result);
    return;
  }
  for (const m of result.modules) {
    process.stdout.write(`${m.name}: ${m.component}${m.cached ? ' (up to date)' : ''}\n`);
  }
}
