// Code aqua-api 0.14.6 generates for js-client (its ts and js targets), written by `marine aqua
// compile` with the import pointed at marine-ts/client, runs unchanged against this client: call
// functions (with a client or the default one, with a callback, with a ttl config) and register a
// service; and the services it registers are typed from the Aqua.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import ts from 'typescript';
import t from 'tap';
import { writeClientCode } from '../../aqua/index.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');

const AQUA = `aqua Demo declares *

export hello, greetVia, withCallback, fireAndForget, Greeter

import "@fluencelabs/aqua-lib/builtin.aqua"

data Greeting:
  text: string
  count: u32

service Greeter("greeter"):
  greet(name: string, times: ?u32) -> Greeting

func hello(name: string) -> string:
  on HOST_PEER_ID:
    res <- Op.concat_strings("Hello, ", name)
  <- res

func greetVia(name: string, times: ?u32) -> Greeting, string:
  g <- Greeter.greet(name, times)
  on HOST_PEER_ID:
    echoed <- Op.concat_strings(g.text, "")
  <- g, echoed

func withCallback(x: string, cb: string -> string) -> string:
  on HOST_PEER_ID:
    y <- Op.concat_strings(x, "!")
  r <- cb(y)
  <- r

func fireAndForget(x: string, cb: string -> ()):
  cb(x)
`;

// The user's program: imports the generated module and the client by their package names.
const ENTRY = `
import { createClient, Fluence, InProcessRelay } from 'marine-ts/client';
import { AquaVM } from 'marine-ts/air';
import { hello, greetVia, withCallback, fireAndForget, registerGreeter } from './gen/demo.js';

const relay = new InProcessRelay({ vm: () => new AquaVM() });
const options = { dialer: relay.dialer, connectionOptions: { keepAliveMs: false } };
const client = await createClient(relay.multiaddr, options);
const seen = [];
registerGreeter(client, {
  greet: (name, times, callParams) => {
    seen.push({ initPeerIsClient: callParams.initPeerId === client.getPeerId(), times });
    return { text: 'hi ' + name, count: times ?? 0 };
  },
});
const out = {};
out.hello = await hello(client, 'Marine');
out.helloTtl = await hello(client, 'TTL', { ttl: 3000 });
out.greet = await greetVia(client, 'Bob', 3);
out.greetNone = await greetVia(client, 'Ann', null);
out.callback = await withCallback(client, 'x', (y, callParams) => y + '?' + typeof callParams.particleId);
const fired = [];
out.fireAndForget = await fireAndForget(client, 'ping', (v) => { fired.push(v); });
await new Promise((r) => setTimeout(r, 50));
out.fired = fired;
out.seen = seen;
try { await hello(client, 42); } catch (e) { out.badArgument = e.name + ': ' + e.message.split('\\n')[0]; }
await Fluence.connect(relay.multiaddr, options);
registerGreeter({ greet: (name) => ({ text: 'default ' + name, count: 1 }) });
out.defaultClient = await hello('World');
out.defaultGreet = await greetVia('Eve', null);
await Fluence.disconnect();
await client.stop();
await relay.stop();
console.log(JSON.stringify(out));
`;

async function bundleAndRun(dir: string): Promise<Record<string, unknown>> {
  await writeFile(join(dir, 'entry.ts'), ENTRY);
  await build({
    entryPoints: [join(dir, 'entry.ts')],
    outfile: join(dir, 'out.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    // An ESM bundle for Node: CommonJS dependencies inside it (ws, …) need a require.
    banner: {
      js: "import { createRequire as __marineRequire } from 'node:module'; const require = __marineRequire(import.meta.url);",
    },
    logLevel: 'error',
    alias: {
      'marine-ts/client': join(root, 'harness/client/index.ts'),
      'marine-ts/air': join(root, 'harness/air/index.ts'),
    },
  });
  const { stdout } = await run(process.execPath, [join(dir, 'out.mjs')], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

const expected = {
  hello: 'Hello, Marine',
  helloTtl: 'Hello, TTL',
  greet: [{ text: 'hi Bob', count: 3 }, 'hi Bob'],
  greetNone: [{ text: 'hi Ann', count: 0 }, 'hi Ann'],
  callback: 'x!?string',
  fireAndForget: null,
  fired: ['ping'],
  seen: [
    { initPeerIsClient: true, times: 3 },
    { initPeerIsClient: true, times: null },
  ],
  defaultClient: 'Hello, World',
  defaultGreet: [{ text: 'default Eve', count: 1 }, 'default Eve'],
};

for (const target of ['ts', 'js'] as const) {
  t.test(`aqua-api's ${target} target runs against marine-ts/client`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), `marine-client-gen-${target}-`));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'demo.aqua'), AQUA);
    const written = await writeClientCode(join(dir, 'demo.aqua'), join(dir, 'gen'), {
      target,
      imports: [join(root, 'node_modules')],
    });
    t.same(
      written.map((p) => p.slice(dir.length + 1)),
      target === 'ts' ? ['gen/demo.ts'] : ['gen/demo.js', 'gen/demo.d.ts'],
    );
    const results = await bundleAndRun(dir);
    t.match(results, expected);
    t.match(
      results.badArgument,
      /SchemaValidationError: Aqua type mismatch at name: expected string, found number/,
    );
  });
}

t.test(
  'marine aqua compile --js writes the files and points the import at marine-ts/client',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'marine-client-cli-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'demo.aqua'), AQUA);
    const { stdout } = await run(
      process.execPath,
      [
        join(root, 'bin/marine.js'),
        'aqua',
        'compile',
        join(dir, 'demo.aqua'),
        '--js',
        '--out',
        join(dir, 'gen'),
        '--import',
        join(root, 'node_modules'),
      ],
      { timeout: 120_000 },
    );
    t.same(stdout.trim().split('\n'), [join(dir, 'gen/demo.js'), join(dir, 'gen/demo.d.ts')]);
    const { readFile } = await import('node:fs/promises');
    const js = await readFile(join(dir, 'gen/demo.js'), 'utf8');
    t.match(js, /from 'marine-ts\/client'/);
    t.notMatch(js, /@fluencelabs\/js-client/);
  },
);

// The generated TypeScript, checked with the client's own types: a service implementation that
// does not fit the Aqua service is a compile error.
t.test('services registered from generated code are typed from the Aqua', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'marine-client-types-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'demo.aqua'), AQUA);
  await writeClientCode(join(dir, 'demo.aqua'), join(dir, 'gen'), {
    target: 'ts',
    imports: [join(root, 'node_modules')],
  });
  await writeFile(
    join(dir, 'good.ts'),
    `import { createClient } from 'marine-ts/client';
import { registerGreeter, hello, greetVia } from './gen/demo.js';
export async function main(): Promise<void> {
  const client = await createClient('/memory/relay/p2p/12D3KooWEXAMPLE');
  registerGreeter(client, { greet: (name: string, times: number | null) => ({ text: name, count: times ?? 0 }) });
  const s: string = await hello(client, 'x');
  const [g, e] = await greetVia(client, 'y', null);
  console.log(s, g.count + 1, e.length);
}
`,
  );
  await writeFile(
    join(dir, 'bad.ts'),
    `import { registerGreeter, hello } from './gen/demo.js';
registerGreeter({ greet: (name: string) => ({ text: name, count: 'many' }) });
export const n: number = await hello('x');
`,
  );
  const diagnostics = (file: string): string[] => {
    const program = ts.createProgram([join(dir, file)], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
      paths: { 'marine-ts/client': [join(root, 'harness/client/index.ts')] },
    });
    return ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(dir))
      .map(
        (d) =>
          `${d.file?.fileName.slice(dir.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
  };
  t.same(diagnostics('good.ts'), [], 'a fitting implementation type-checks');
  const bad = diagnostics('bad.ts');
  t.match(bad.join('\n'), /bad\.ts: .*'string' is not assignable to type 'number'/);
  t.equal(bad.length, 2, bad.join('\n'));
});
