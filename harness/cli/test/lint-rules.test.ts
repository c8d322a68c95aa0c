// The dependency directions of DESIGN.md are lint rules (eslint.config.js). Each rule is proven
// here: a deliberately bad import in a file of that area must be reported, and the allowed
// imports beside it must not.
import t from 'tap';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });
const RULE = '@typescript-eslint/no-restricted-imports';

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message);
}

// [file, bad import, why it must fail]
const bad: [string, string, RegExp][] = [
  [
    'harness/protocol/x.ts',
    "import { AquaVM } from '../air/index.js';",
    /protocol imports nothing/,
  ],
  ['harness/protocol/x.ts', "import { readFile } from 'node:fs/promises';", /no Node built-in/],
  ['harness/protocol/x.ts', "import { createHash } from 'crypto';", /no Node built-in/],
  [
    'harness/air/data/x.ts',
    "import { Peer } from '../../peer/index.js';",
    /air imports only protocol/,
  ],
  [
    'harness/air/x.ts',
    "import { Service } from '../../marine-host/index.js';",
    /air imports only protocol/,
  ],
  ['harness/air/x.ts', "import { parseJson } from '../protocol/json.js';", /through its entry/],
  ['harness/air/vm2.ts', "import { sign } from 'node:crypto';", /no Node built-in/],
  [
    'harness/peer/x.ts',
    "import { Service } from '../../marine-host/index.js';",
    /peer imports only/,
  ],
  ['harness/peer/x.ts', "import { op } from '../builtins/index.js';", /peer imports only/],
  ['harness/peer/x.ts', "import { AquaVM } from '../air/vm.js';", /through its entry/],
  ['harness/peer/x.ts', "import { setTimeout } from 'node:timers/promises';", /no Node built-in/],
  [
    'harness/builtins/x.ts',
    "import { LocalNetwork } from '../testing/index.js';",
    /builtins import only/,
  ],
  ['harness/builtins/x.ts', "import { createHash } from 'node:crypto';", /no Node built-in/],
  [
    'harness/client/x.ts',
    "import { loadService } from '../../marine-host/index.js';",
    /never imports marine-host/,
  ],
  [
    'harness/client/x.ts',
    "import { FileDataStore } from '../node/index.js';",
    /never imports marine-host/,
  ],
  ['harness/client/x.ts', "import { readFileSync } from 'fs';", /no Node built-in/],
  [
    'harness/testing/x.ts',
    "import { printJson } from '../cli/output.js';",
    /nothing imports the CLI/,
  ],
  [
    'harness/node/x.ts',
    "import { buildProgram } from '../cli/program.js';",
    /nothing imports the CLI/,
  ],
  [
    'harness/cli/commands/x.ts',
    "import { startNode } from '../../node/node.js';",
    /through its entry/,
  ],
  [
    'marine-host/service/x.ts',
    "import { AquaVM } from '../../harness/air/index.js';",
    /marine-host imports at most/,
  ],
  [
    'marine-host/x.ts',
    "import { parseJson } from '../harness/protocol/json.js';",
    /marine-host imports at most/,
  ],
];

for (const [file, source, why] of bad) {
  t.test(`${file}: ${source}`, async (t) => {
    const messages = await restricted(file, source);
    t.ok(
      messages.some((m) => why.test(m)),
      `reported for the right reason (${messages.join('; ') || 'not reported'})`,
    );
  });
}

// What the same areas may import.
const good: [string, string][] = [
  ['harness/air/x.ts', "import { parseJson } from '../protocol/index.js';"],
  ['harness/air/execution/x.ts', "import { CID } from 'multiformats/cid';"],
  ['harness/peer/x.ts', "import { AquaVM } from '../air/index.js';"],
  ['harness/client/x.ts', "import { Peer } from '../peer/index.js';"],
  ['harness/testing/x.ts', "import { readFile } from 'node:fs/promises';"],
  ['harness/cli/commands/x.ts', "import { runAirFile } from '../../testing/index.js';"],
  // The CLI's two small modules of harness/node (help text defaults, key files).
  ['harness/cli/commands/x.ts', "import { DEFAULT_LISTEN } from '../../node/defaults.js';"],
  ['harness/cli/actions/x.ts', "import { keyJson } from '../../node/data-dir.js';"],
  ['marine-host/x.ts', "import { JsonFloat } from '../harness/protocol/index.js';"],
  ['harness/air/test/x.test.ts', "import { readFileSync } from 'node:fs';"],
];

for (const [file, source] of good) {
  t.test(`allowed in ${file}: ${source}`, async (t) => {
    t.same(await restricted(file, source), []);
  });
}

t.test(
  'the AIR, protocol, peer, builtins and client areas import no Node module today',
  async (t) => {
    const results = await eslint.lintFiles([
      'harness/protocol',
      'harness/air',
      'harness/peer',
      'harness/builtins',
      'harness/client',
      'marine-host',
    ]);
    const violations = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === RULE).map((m) => `${r.filePath}: ${m.message}`),
    );
    t.same(violations, []);
  },
);
