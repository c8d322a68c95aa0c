import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  LocalNetwork,
  installServices,
  readServicesSpec,
  type AirRunner,
  type PeerEvent,
  type RunOutcome,
  type SizeLimitName,
} from '../../network/index.js';
import {
  JsonFloat,
  callResultText,
  dumpInterpreterData,
  formatDataDump,
  parseJson,
  type AquaVMOptions,
  type DataDump,
} from '../../air/index.js';
import { jsonPretty, printJson } from '../output.js';

interface AirRunOptions {
  func?: string;
  args: string;
  peers: string;
  services?: string;
  vm: string;
  ttl: string;
  json?: boolean;
  saveData?: string;
  airLimit?: string;
  particleLimit?: string;
  callResultLimit?: string;
}

const EXAMPLES = `
Peers are named client (the init peer), relay, and p1..pN. In arguments, and in the string
literals of an .air script, "$p1", "$relay" or "$client" stand for that peer's id.

Examples:
  $ marine air run fixtures/demo/hello.aqua --func hello --peers 2 --args '{"name": "Marine", "peers": ["$p1", "$p2"]}' --services fixtures/demo/services.json
  $ marine air run fixtures/demo/hello.aqua --peers 2 --args '["Marine", ["$p1", "$p2"]]' --services fixtures/demo/services.json --json
  $ marine air run fixtures/demo/ask.air
  $ marine air run fixtures/demo/ask.air --vm reference      # the same run on the reference AquaVM
  $ marine air run fixtures/demo/ask.air --save-data /tmp/marine-run && marine air data /tmp/marine-run/client.data

A services spec (--services) puts services on peers: scripted JS services, or Marine services
from a Config.toml or blueprint (paths relative to the spec file):
  [{ "peers": ["p1"], "serviceId": "echo",
     "functions": { "echo": { "echo": true }, "version": { "value": "1.0" },
                    "broken": { "error": "always fails" } } },
   { "peers": ["p2"], "serviceId": "greeting", "config": "greeting/Config.toml" }]
`;

/** Adds `data` to the `marine air` command group: a readable dump of interpreter data. */
export function addAirDataCommand(air: Command): void {
  air
    .command('data')
    .description(
      "print interpreter data (a particle's data as our VM writes it) in a readable form",
    )
    .argument('<file>', 'a data file, e.g. one written by marine air run --save-data')
    .option('--json', 'print the dump as JSON')
    .addHelpText(
      'after',
      `
Shows the envelope's versions, every trace state (par, call, fold, ap, canon) with the values its
content ids point to, and which CIDs each peer signed.

Examples:
  $ marine air run fixtures/demo/ask.air --save-data /tmp/marine-run && marine air data /tmp/marine-run/client.data
  $ marine air data /tmp/marine-run/client.data --json`,
    )
    .action(async (file: string, options: { json?: boolean }) => {
      const bytes = await readFile(file).catch((error: unknown) => {
        throw new Error(
          `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      let dump: DataDump;
      try {
        dump = dumpInterpreterData(new Uint8Array(bytes));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // Data of a version this VM refuses (AquaVM's error 4) is interpreter data all the same.
        const refusedVersion =
          error instanceof Error &&
          error.name === 'PreparationError' &&
          (error as Error & { code?: unknown }).code === 4;
        throw new Error(
          refusedVersion ? `${file}: ${message}` : `${file} is not interpreter data: ${message}`,
        );
      }
      if (options.json) printJson(dump);
      else process.stdout.write(`${formatDataDump(dump)}\n`);
    });
}

/** Adds `run` to the `marine air` command group. */
export function addAirRunCommand(air: Command): void {
  air
    .command('run')
    .description('run an AIR script or an Aqua function on an in-process network of peers')
    .argument('<file>', 'an .air script, or an .aqua file compiled with the Aqua compiler')
    .option('--func <name>', 'the Aqua function to run (default: the only exported one)')
    .option('--args <json>', 'arguments: a JSON object by name or a JSON array in order', '{}')
    .option('--peers <n>', 'peers besides the relay and the client', '3')
    .option('--services <spec.json>', 'scripted JS services to install on peers')
    .option('--vm <vm>', 'which AIR VM the peers run: ours or reference', 'ours')
    .option('--ttl <ms>', 'particle time-to-live in milliseconds', '7000')
    .option('--json', 'print the outcome, calls and hops as JSON')
    .option('--air-limit <bytes>', "the VMs' AIR size limit (default 16 MiB)")
    .option('--particle-limit <bytes>', "the VMs' particle data size limit (default 64 MiB)")
    .option('--call-result-limit <bytes>', "the VMs' call result size limit (default 32 MiB)")
    .option(
      '--save-data <dir>',
      "write each peer's interpreter data for the particle to <dir>/<peer>.data (read it with marine air data)",
    )
    .addHelpText('after', EXAMPLES)
    .action(async (file: string, options: AirRunOptions) => {
      const report = await runAirFile(file, options);
      if (options.json) process.stdout.write(`${reportJson(report)}\n`);
      else printReport(report);
      if (report.outcome.status !== 'result') process.exitCode = 1;
    });
}

/** What `marine air run` shows: the outcome, the hops between peers and every service call. */
export interface AirRunReport {
  readonly peers: Readonly<Record<string, string>>;
  readonly outcome: RunOutcome;
  readonly hops: readonly { readonly from: string; readonly to: string }[];
  readonly calls: readonly {
    readonly peer: string;
    readonly service: string;
    readonly function: string;
    readonly args: readonly unknown[];
    readonly retCode: number;
    readonly result: unknown;
  }[];
  readonly dropped: readonly { readonly peer: string; readonly reason: string }[];
  /** Runs that went over the VMs' size limits (soft limits: the particle went on). */
  readonly sizeLimitsExceeded: readonly {
    readonly peer: string;
    readonly limits: readonly SizeLimitName[];
  }[];
}

async function makeVmFactory(kind: string, vmOptions: AquaVMOptions): Promise<() => AirRunner> {
  if (kind === 'reference') {
    const { createReferenceAquaVM } = await import('../../air/reference-aquavm.js').catch(
      (error: unknown) => {
        throw new Error(
          `--vm reference needs the optional packages @fluencelabs/avm and @fluencelabs/marine-js (npm install them): ${String(error)}`,
        );
      },
    );
    // AquaVM keeps no state between invocations, so the peers can share one instance.
    const vm = await createReferenceAquaVM(vmOptions);
    return () => vm;
  }
  if (kind === 'ours') {
    const specifier = '../../air/vm.js';
    const module = (await import(specifier).catch(() => ({}))) as {
      AquaVM?: new (options: AquaVMOptions) => AirRunner;
    };
    const AquaVM = module.AquaVM;
    if (!AquaVM) throw new Error('our AIR VM is not part of this build yet; use --vm reference');
    return () => new AquaVM(vmOptions);
  }
  throw new Error(`--vm: expected "ours" or "reference", found "${kind}"`);
}

function parseCount(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${flag}: expected an integer ≥ ${min}, found "${value}"`);
  return n;
}

/** The size limits given on the command line (the VMs' defaults for the others). */
function vmLimits(options: AirRunOptions): AquaVMOptions {
  const limits: { airSize?: number; particleSize?: number; callResultSize?: number } = {};
  if (options.airLimit !== undefined)
    limits.airSize = parseCount(options.airLimit, '--air-limit', 0);
  if (options.particleLimit !== undefined)
    limits.particleSize = parseCount(options.particleLimit, '--particle-limit', 0);
  if (options.callResultLimit !== undefined)
    limits.callResultSize = parseCount(options.callResultLimit, '--call-result-limit', 0);
  return { limits };
}

async function loadScript(
  file: string,
  func: string | undefined,
): Promise<{ script: string; argNames: string[] | undefined }> {
  const source = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new Error(
      `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  if (extname(file) !== '.aqua') return { script: source, argNames: undefined };
  const { compileFromPath } = await import('@fluencelabs/aqua-api');
  const compiled = await compileFromPath({ filePath: resolve(file) });
  if (compiled.errors.length > 0) {
    throw new Error(`${file} does not compile:\n${compiled.errors.join('\n')}`);
  }
  const names = Object.keys(compiled.functions);
  const name = func ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw new Error(
      `${file} exports ${names.length === 0 ? 'no functions' : `several functions (${names.join(', ')})`}: choose one with --func`,
    );
  }
  const fn = compiled.functions[name];
  if (!fn)
    throw new Error(
      `--func: ${file} has no exported function '${name}' (it has: ${names.join(', ')})`,
    );
  const domain = fn.funcDef.arrow.domain;
  return {
    script: fn.script,
    argNames: domain.tag === 'labeledProduct' ? Object.keys(domain.fields) : [],
  };
}

/** Runs a file on a fresh local network and collects what happened. */
export async function runAirFile(file: string, options: AirRunOptions): Promise<AirRunReport> {
  const peerCount = parseCount(options.peers, '--peers', 0);
  const ttl = parseCount(options.ttl, '--ttl', 1);
  const vmOptions = vmLimits(options);
  let rawArgs: unknown;
  try {
    // Exact: an argument like 18446744073709551615 reaches the script with every digit.
    rawArgs = parseJson(options.args);
  } catch (error) {
    throw new Error(
      `--args: expected JSON, found ${options.args} (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const { script, argNames } = await loadScript(file, options.func);
  const services = options.services === undefined ? [] : await readServicesSpec(options.services);
  const network = new LocalNetwork({
    peers: peerCount,
    vm: await makeVmFactory(options.vm, vmOptions),
    // Compiled Aqua routes through the relay itself; hand-written AIR may name any peer.
    clientViaRelay: argNames !== undefined,
  });
  const installed = await installServices(services, network.all, (peer) =>
    network.nameOf(peer.peerId),
  );
  let args: Record<string, unknown> = {};
  if (argNames !== undefined) {
    if (Array.isArray(rawArgs)) {
      if (rawArgs.length !== argNames.length) {
        throw new Error(
          `--args: the function takes ${argNames.length} argument(s) (${argNames.join(', ')}), found ${rawArgs.length}`,
        );
      }
      args = Object.fromEntries(argNames.map((n, i) => [n, network.withPeerIds(rawArgs[i])]));
    } else if (rawArgs !== null && typeof rawArgs === 'object' && !(rawArgs instanceof JsonFloat)) {
      const given = rawArgs as Record<string, unknown>;
      const missing = argNames.filter((n) => !Object.hasOwn(given, n));
      const extra = Object.keys(given).filter((n) => !argNames.includes(n));
      if (missing.length > 0 || extra.length > 0) {
        throw new Error(
          `--args: the function takes (${argNames.join(', ')})${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; unknown: ${extra.join(', ')}` : ''}`,
        );
      }
      args = Object.fromEntries(argNames.map((n) => [n, network.withPeerIds(given[n])]));
    } else {
      throw new Error('--args: expected a JSON object by name or a JSON array');
    }
  }
  const air = argNames === undefined ? network.withPeerIdsInAir(script) : script;
  const outcome = await network.runScript(air, {
    args,
    ttl,
    ...(argNames === undefined ? { settleWhenIdle: true } : {}),
  });
  // Let copies of the particle still in flight finish before reporting (and before stopping).
  await network.whenIdle();
  if (options.saveData !== undefined) {
    await mkdir(options.saveData, { recursive: true });
    for (const peer of network.all) {
      const data = await peer.particleData(outcome.particleId);
      if (data !== undefined)
        await writeFile(join(options.saveData, `${network.nameOf(peer.peerId)}.data`), data);
    }
  }
  network.stop();
  await installed.close();
  const events = network.events as PeerEvent[];
  const name = (id: string): string => network.nameOf(id);
  return {
    peers: Object.fromEntries(network.all.map((p) => [network.nameOf(p.peerId), p.peerId])),
    outcome,
    hops: events.flatMap((e) =>
      e.type === 'sent' ? [{ from: name(e.from), to: name(e.to) }] : [],
    ),
    calls: events.flatMap((e) =>
      e.type === 'call'
        ? [
            {
              peer: name(e.peerId),
              service: e.request.serviceId,
              function: e.request.functionName,
              args: e.request.arguments,
              retCode: e.result.retCode,
              result: e.result.result,
            },
          ]
        : [],
    ),
    dropped: events.flatMap((e) =>
      e.type === 'dropped' ? [{ peer: name(e.peerId), reason: e.reason }] : [],
    ),
    sizeLimitsExceeded: events.flatMap((e) =>
      e.type === 'size-limit-exceeded' ? [{ peer: name(e.peerId), limits: e.limits }] : [],
    ),
  };
}

/**
 * The report as pretty JSON with AIR values exact: integers past 2^53 print with every digit, an
 * integral f64 as `7.0`.
 */
export function reportJson(report: AirRunReport): string {
  return jsonPretty(report);
}

/** An AIR value as exact JSON text (JSON.stringify throws on a bigint). */
function valueText(value: unknown): string {
  return callResultText(value);
}

function printReport(report: AirRunReport): void {
  const { outcome } = report;
  const out: string[] = [];
  if (outcome.status === 'result') out.push(`result: ${valueText(outcome.value)}`);
  else out.push(`${outcome.status}: ${outcome.message}`);
  out.push(`particle: ${outcome.particleId}`, '', 'hops:');
  for (const hop of report.hops) out.push(`  ${hop.from} → ${hop.to}`);
  out.push('', 'calls:');
  for (const c of report.calls) {
    const args = c.args.map(valueText).join(', ');
    const result =
      c.retCode === 0 ? valueText(c.result) : `error ${c.retCode}: ${String(c.result)}`;
    out.push(`  ${c.peer.padEnd(6)} ${c.service}.${c.function}(${args}) → ${result}`);
  }
  for (const d of report.dropped) out.push(`dropped on ${d.peer}: ${d.reason}`);
  for (const l of report.sizeLimitsExceeded)
    out.push(`size limit exceeded on ${l.peer}: ${l.limits.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
