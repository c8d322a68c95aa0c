// Loaded with `node --import` for each test file `marine test` runs: TypeScript support (tsx),
// then hooks.mjs on top (its hooks run first). MARINE_TEST_PROJECT names the project's root.
import { existsSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// The toolkit's root: two folders up from the sources, three from dist/marine-host/test-runner.
const toolkit =
  [join(here, '..', '..'), join(here, '..', '..', '..')].find((dir) =>
    existsSync(join(dir, 'package.json')),
  ) ?? join(here, '..', '..');
const tsxApi = createRequire(join(toolkit, 'package.json'))
  .resolve('tsx/esm/api')
  .replace(/\.cjs$/, '.mjs');
const { register: registerTsx } = await import(pathToFileURL(tsxApi).href);
registerTsx();
register(pathToFileURL(join(here, 'hooks.mjs')).href, {
  data: { toolkit, project: process.env.MARINE_TEST_PROJECT ?? process.cwd() },
});
