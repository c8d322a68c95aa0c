// What `marine air run` and `marine air data` do (registered in ../commands/air-run.ts).
import { readFile } from 'node:fs/promises';
import { dumpInterpreterData, formatDataDump, type DataDump } from '../../air/index.js';
import { callResultText, parseJson } from '../../protocol/index.js';
import { runAirFile, type AirRunReport, type VmKind } from '../../testing/index.js';
import { jsonPretty, printJson } from '../json-output.js';
import { MAX_JSON_DEPTH, readTextInput } from '../input.js';
import { parseCount } from '../numbers.js';
import { readAnomaly, replayAnomaly } from '../../node/index.js';
import { runThroughRelay, secretKeyOption } from './run.js';

/** The options of `marine air run`. */
export interface AirRunCliOptions {
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
  import?: string[];
  anomaly?: string;
  secretKey?: string;
  relay?: string;
}

// --anomaly: a node's record run again on our VM, recorded and replayed outcomes side by side.
async function replayAnomalyCommand(options: AirRunCliOptions): Promise<void> {
  const record = await readAnomaly(options.anomaly!);
  const key =
    options.secretKey === undefined ? undefined : await secretKeyOption(options.secretKey);
  const replay = replayAnomaly(record, key === undefined ? {} : { secretKey: key.secretKey });
  if (options.json)
    printJson({ particleId: record.particle.id, reasons: record.reasons, ...replay });
  else {
    const r = replay.replayed;
    process.stdout.write(
      [
        `particle ${record.particle.id} on ${record.particle.current_peer_id} (${record.reasons.join(', ')})`,
        `recorded: ret code ${replay.recorded.retCode} in ${replay.recorded.timeMs} ms${replay.recorded.errorMessage ? `: ${replay.recorded.errorMessage}` : ''}`,
        `replayed: ret code ${r.retCode} in ${r.timeMs} ms${r.errorMessage ? `: ${r.errorMessage}` : ''}`,
        `          next peers [${r.nextPeerPks.join(', ')}], ${r.callRequests} call request(s), ${r.dataBytes} bytes of data`,
      ].join('\n') + '\n',
    );
  }
  if (replay.replayed.retCode !== replay.recorded.retCode) {
    process.exitCode = 1;
    if (key === undefined) {
      process.stderr.write(
        "the replay ran with a random key: give the node's own with --secret-key @<data-dir>/key.json\n",
      );
    }
  }
}

// --relay: the script through a real node, as marine run does.
async function runOnRelayCommand(file: string, options: AirRunCliOptions): Promise<void> {
  const { particleId, value } = await runThroughRelay(file, {
    relay: options.relay!,
    ...(options.func === undefined ? {} : { func: options.func }),
    args: await airRunArgs(options.args),
    ttl: parseCount(options.ttl, '--ttl', 1, U32_MAX),
    ...(options.import === undefined ? {} : { imports: options.import }),
    ...(options.secretKey === undefined
      ? {}
      : { keyPair: await secretKeyOption(options.secretKey) }),
  });
  if (options.json) printJson({ outcome: { status: 'result', particleId, value } });
  else process.stdout.write(`result: ${valueText(value)}\nparticle: ${particleId}\n`);
  process.exit(0);
}

/** `marine air data`: interpreter data in a readable form (or as JSON). */
export async function airDataAction(file: string, options: { json?: boolean }): Promise<void> {
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
}

/** `marine air run`: a script on in-process peers, through a relay, or an anomaly's replay. */
export async function airRunAction(
  file: string | undefined,
  options: AirRunCliOptions,
): Promise<void> {
  if (options.anomaly !== undefined) return replayAnomalyCommand(options);
  if (file === undefined) throw new Error('expected a script file (or --anomaly <record.json>)');
  if (options.relay !== undefined) return runOnRelayCommand(file, options);
  const report = await runAirFile(file, {
    ...(options.func === undefined ? {} : { func: options.func }),
    // Exact: an argument like 18446744073709551615 reaches the script with every digit.
    args: await airRunArgs(options.args),
    peers: parseCount(options.peers, '--peers', 0, MAX_PEERS),
    ...(options.services === undefined ? {} : { services: options.services }),
    vm: vmKind(options.vm),
    ttl: parseCount(options.ttl, '--ttl', 1, U32_MAX),
    vmOptions: { limits: vmLimits(options) },
    ...(options.saveData === undefined ? {} : { saveData: options.saveData }),
    ...(options.import === undefined ? {} : { imports: options.import }),
  });
  if (options.json) process.stdout.write(`${reportJson(report)}\n`);
  else printReport(report);
  if (report.outcome.status !== 'result') process.exitCode = 1;
}

/** Largest u32: a particle's TTL is a u32 in ms. */
const U32_MAX = 4294967295;
/** More local peers than this is a mistake (each runs a VM), not a network. */
const MAX_PEERS = 1000;

/** The --args JSON (inline, @file or -), read exactly: 18446744073709551615 keeps every digit. */
async function airRunArgs(value: string): Promise<unknown> {
  const text = await readTextInput(value, '--args');
  try {
    return parseJson(text, { maxDepth: MAX_JSON_DEPTH });
  } catch (error) {
    const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
    throw new Error(
      `--args: expected JSON, found ${shown} (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

function vmKind(value: string): VmKind {
  if (value === 'ours' || value === 'reference') return value;
  throw new Error(`--vm: expected "ours" or "reference", found "${value}"`);
}

/** The size limits given on the command line (the VMs' defaults for the others). */
function vmLimits(options: AirRunCliOptions): {
  airSize?: number;
  particleSize?: number;
  callResultSize?: number;
} {
  const limits: { airSize?: number; particleSize?: number; callResultSize?: number } = {};
  if (options.airLimit !== undefined)
    limits.airSize = parseCount(options.airLimit, '--air-limit', 0, Number.MAX_SAFE_INTEGER);
  if (options.particleLimit !== undefined)
    limits.particleSize = parseCount(
      options.particleLimit,
      '--particle-limit',
      0,
      Number.MAX_SAFE_INTEGER,
    );
  if (options.callResultLimit !== undefined)
    limits.callResultSize = parseCount(
      options.callResultLimit,
      '--call-result-limit',
      0,
      Number.MAX_SAFE_INTEGER,
    );
  return limits;
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
  if (report.sentPastRelay.length > 0)
    out.push(
      `note: ${report.sentPastRelay.join(', ')} also sent straight to the client, which is connected to its relay only; those copies went nowhere (as on a real network) and the relay delivered the rest`,
    );
  for (const l of report.sizeLimitsExceeded)
    out.push(`size limit exceeded on ${l.peer}: ${l.limits.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
