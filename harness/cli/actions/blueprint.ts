// What `marine blueprint` does (registered in ../commands/blueprint.ts).
import { dirname, join, relative } from 'node:path';
import { packService, writeBlueprint } from '../../node/index.js';
import { printJson } from '../json-output.js';
import { reportCliError } from '../output.js';

/** `marine blueprint`: writes the blueprint and the modules by CID, and says where. */
export function blueprintAction(
  config: string,
  options: { out?: string; name?: string; json?: boolean },
): void {
  try {
    const service = packService(config, options.name);
    const written = writeBlueprint(
      service,
      options.out ?? join(dirname(config), '.marine', 'blueprint'),
    );
    if (options.json) printJson(written);
    else {
      const rel = relative(process.cwd(), written.out);
      const where = rel === '' ? '.' : rel.startsWith('..') ? written.out : rel;
      process.stdout.write(`blueprint ${written.name} ${written.id}\n`);
      for (const [i, m] of written.modules.entries())
        process.stdout.write(
          `  ${i === written.modules.length - 1 ? 'facade' : 'module'} ${m.name.padEnd(20)} ${m.cid}\n`,
        );
      process.stdout.write(`written to ${where}/ (blueprint.json and the modules by CID)\n`);
    }
  } catch (error) {
    process.exitCode = reportCliError(error);
  }
}
