// Bundles the example page's program (main.ts: the client, our AIR VM and libp2p over
// WebSocket) for browsers with esbuild: `platform: 'browser'`, so a Node built-in anywhere in the
// graph fails the build. Used by the browser test and by `npm run bench`.
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/** What was bundled: the page's directory and the bundle's size. */
export interface BrowserBundle {
  readonly dir: string;
  readonly bundleBytes: number;
}

/** Writes index.html and bundle.js (minified) into `outDir`. */
export async function bundleBrowserExample(outDir: string): Promise<BrowserBundle> {
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, 'bundle.js');
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'error',
  });
  await copyFile(join(here, 'index.html'), join(outDir, 'index.html'));
  return { dir: outDir, bundleBytes: (await stat(outfile)).size };
}
