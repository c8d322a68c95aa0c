// Lint only what we write: generated bindings, build output and Rust trees are ignored.
// The dependency directions of DESIGN.md are rules here (see harness/cli/test/lint-rules.test.ts,
// which proves each one fires on a bad import).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Areas of the harness, each with one entry (index.ts) that other areas import.
const AREAS = [
  'protocol',
  'air',
  'peer',
  'builtins',
  'transports',
  'client',
  'aqua',
  'node',
  'testing',
  'cli',
];

// `node:fs`, `fs`, `fs/promises`…: any Node built-in, with or without the prefix.
const NODE_BUILTIN = `^(node:.*|(${builtinModules.map((m) => m.replace('/', '\\/')).join('|')})(\\/.*)?)$`;

/** An import of another area (or of marine-host) that the area in `files` must not make. */
function forbid(names, message) {
  return { regex: `(^|/)(${names.join('|')})(/|$)`, message };
}

// A relative import that reaches into another area past its entry, e.g. '../air/vm.js'.
const PAST_ENTRY = {
  regex: `^(\\.\\./)+(harness/)?(${AREAS.join('|')})/(?!index\\.js$).+`,
  message: 'import another area through its entry (index.js) only',
};
const NO_NODE = {
  regex: NODE_BUILTIN,
  message:
    'this area runs in browsers too: no Node built-in modules (use harness/protocol helpers)',
};
const NOT_CLI = forbid(['cli'], 'nothing imports the CLI: it sits on top of everything');
// The CLI registers every command on each start and loads a command's implementation only when
// it runs; what registration and the lightest commands need of harness/node comes from two small
// modules past its entry, which would load libp2p, the VMs and the Marine host: defaults.js (the
// defaults `marine node --help` shows) and data-dir.js (key files, for `marine key`).
const CLI_PAST_ENTRY = {
  regex: `^(\\.\\./)+(harness/)?(?!node/(defaults|data-dir)\\.js$)(${AREAS.join('|')})/(?!index\\.js$).+`,
  message: PAST_ENTRY.message,
};

/** The `no-restricted-imports` rule for an area's source (its tests are exempt). */
function area(dir, patterns) {
  return {
    files: [`${dir}/**/*.ts`],
    ignores: [`${dir}/**/test/**`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  };
}

const others = (...allowed) => AREAS.filter((a) => !allowed.includes(a));

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '**/target/',
      '**/artifacts/',
      '**/generated/',
      'services-rs/',
      'fixtures/',
      '.tap/',
      // Bundles the air-vm bench builds for its child processes.
      'bench/air-vm/.bundle/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JS entry points run on Node.
    files: ['bin/**/*.js', '**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  // Dependency directions (DESIGN.md): protocol imports nothing of ours; air only protocol;
  // marine-host at most protocol; peer and builtins join air and services through interfaces;
  // client never imports marine-host; nothing imports cli. Browser areas import no Node module.
  area('harness/protocol', [
    forbid([...others('protocol'), 'marine-host'], 'protocol imports nothing of ours'),
    NO_NODE,
  ]),
  area('harness/air', [
    forbid([...others('air', 'protocol'), 'marine-host'], 'air imports only protocol'),
    PAST_ENTRY,
    NO_NODE,
  ]),
  area('harness/peer', [
    forbid(
      [...others('peer', 'protocol', 'air'), 'marine-host'],
      'peer imports only protocol and the air entry',
    ),
    PAST_ENTRY,
    NO_NODE,
  ]),
  area('harness/builtins', [
    forbid(
      [...others('builtins', 'protocol', 'peer'), 'marine-host'],
      'builtins import only protocol and peer',
    ),
    PAST_ENTRY,
    NO_NODE,
  ]),
  area('harness/transports', [
    forbid(
      [...others('transports', 'protocol', 'peer'), 'marine-host'],
      'transports import only protocol and peer',
    ),
    PAST_ENTRY,
  ]),
  area('harness/client', [
    forbid(
      [...others('client', 'protocol', 'air', 'peer', 'builtins', 'transports'), 'marine-host'],
      'client never imports marine-host, node or testing',
    ),
    PAST_ENTRY,
    NO_NODE,
  ]),
  area('harness/aqua', [
    forbid(others('aqua', 'protocol'), 'aqua imports only protocol'),
    PAST_ENTRY,
  ]),
  area('harness/node', [NOT_CLI, forbid(['testing'], 'node never imports testing'), PAST_ENTRY]),
  area('harness/testing', [NOT_CLI, PAST_ENTRY]),
  area('harness/cli', [CLI_PAST_ENTRY]),
  area('marine-host', [
    {
      regex: '(^|/)harness/(?!protocol/index\\.js$)',
      message: 'marine-host imports at most the protocol entry of the harness',
    },
  ]),
  area('bench', [NOT_CLI]),
);
