// `marine air run` as a library: run an .air script or a compiled Aqua function on a fresh
// in-process network and collect what happened (outcome, hops, calls, drops, size limits).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AquaVM, type AquaVMOptions } from '../air/index.js';
import { JsonFloat } from '../protocol/index.js';
import type { AirRunner, PeerEvent, SizeLimitName } from '../peer/index.js';
import type { RunOutcome } from '../client/index.js';
import { loadScript } from '../aqua/index.js';
import { CLIENT_VIA_RELAY_ONLY, LocalNetwork } from './local-network.js';
import { createReferenceAquaVM } from './reference-aquavm.js';
import { installServices, readServicesSpec } from './services-spec.js';

/** Which AIR VM the peers of a run use. */
export type VmKind = 'ours' | 'reference';

/** What to run and how. */
export interface AirRunOptions {
  /** The Aqua function to run (default: the only exported one). */
  readonly func?: string;
  /** Arguments: an object by name or an array in order ("$p1" etc. name peers anywhere inside). */
  readonly args?: unknown;
  /** Peers besides the relay and the client (default 3). */
  readonly peers?: number;
  /** A services spec file to install. */
  readonly services?: string;
  readonly vm?: VmKind;
  /** Particle time-to-live in ms (default 7000). */
  readonly ttl?: number;
  /** VM options (size limits) for every peer. */
  readonly vmOptions?: AquaVMOptions;
  /** Write each peer's interpreter data for the particle to `<dir>/<peer>.data`. */
  readonly saveData?: string;
  /** Directories the Aqua compiler searches for imports. */
  readonly imports?: readonly string[];
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
  /**
   * Peers that also sent the particle straight to the client, which is connected to its relay
   * only: harmless copies that went nowhere (the relay delivered the result), listed apart from
   * `dropped` so a successful run does not read like a failure.
   */
  readonly sentPastRelay: readonly string[];
  /** Runs that went over the VMs' size limits (soft limits: the particle went on). */
  readonly sizeLimitsExceeded: readonly {
    readonly peer: string;
    readonly limits: readonly SizeLimitName[];
  }[];
}

/** A factory of VMs of one kind, one instance per peer. */
export async function vmFactory(
  kind: VmKind,
  vmOptions: AquaVMOptions = {},
): Promise<() => AirRunner> {
  if (kind === 'reference') {
    // AquaVM keeps no state between invocations, so the peers can share one instance.
    const vm = await createReferenceAquaVM(vmOptions);
    return () => vm;
  }
  if (kind === 'ours') return () => new AquaVM(vmOptions);
  throw new Error(`--vm: expected "ours" or "reference", found "${String(kind)}"`);
}

/** Matches the arguments given to the function's parameters, by name or in order. */
function namedArgs(
  rawArgs: unknown,
  argNames: readonly string[],
  withPeerIds: (value: unknown) => unknown,
): Record<string, unknown> {
  if (Array.isArray(rawArgs)) {
    if (rawArgs.length !== argNames.length) {
      throw new Error(
        `--args: the function takes ${argNames.length} argument(s) (${argNames.join(', ')}), found ${rawArgs.length}`,
      );
    }
    return Object.fromEntries(argNames.map((n, i) => [n, withPeerIds(rawArgs[i])]));
  }
  if (isPlainObject(rawArgs)) {
    const given = rawArgs;
    const missing = argNames.filter((n) => !Object.hasOwn(given, n));
    const extra = Object.keys(given).filter((n) => !argNames.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `--args: the function takes (${argNames.join(', ')})${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; unknown: ${extra.join(', ')}` : ''}`,
      );
    }
    return Object.fromEntries(argNames.map((n) => [n, withPeerIds(given[n])]));
  }
  throw new Error('--args: expected a JSON object by name or a JSON array');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof JsonFloat)
  );
}

/** Runs a file on a fresh local network and collects what happened. */
export async function runAirFile(file: string, options: AirRunOptions = {}): Promise<AirRunReport> {
  const { script, argNames } = await loadScript(file, {
    ...(options.func === undefined ? {} : { func: options.func }),
    ...(options.imports === undefined ? {} : { imports: options.imports }),
  });
  const services = options.services === undefined ? [] : await readServicesSpec(options.services);
  const network = new LocalNetwork({
    peers: options.peers ?? 3,
    vm: await vmFactory(options.vm ?? 'ours', options.vmOptions),
    // Compiled Aqua routes through the relay itself; hand-written AIR may name any peer.
    clientViaRelay: argNames !== undefined,
  });
  const installed = await installServices(services, network.all, (peer) =>
    network.nameOf(peer.peerId),
  );
  const rawArgs = options.args ?? {};
  const withPeerIds = (value: unknown): unknown => network.withPeerIds(value);
  if (argNames === undefined && !isPlainObject(rawArgs)) {
    throw new Error(
      '--args: an .air script takes a JSON object: getDataSrv.<name> answers with its member <name>',
    );
  }
  // A hand-written script reads its arguments through getDataSrv too, by the names given.
  const args =
    argNames !== undefined
      ? namedArgs(rawArgs, argNames, withPeerIds)
      : (withPeerIds(rawArgs) as Record<string, unknown>);
  const air = argNames === undefined ? network.withPeerIdsInAir(script) : script;
  const outcome = await network.runScript(air, {
    args,
    ttl: options.ttl ?? 7000,
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
  await network.stop();
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
      e.type === 'dropped' && !e.reason.startsWith(CLIENT_VIA_RELAY_ONLY)
        ? [{ peer: name(e.peerId), reason: e.reason }]
        : [],
    ),
    sentPastRelay: [
      ...new Set(
        events.flatMap((e) =>
          e.type === 'dropped' && e.reason.startsWith(CLIENT_VIA_RELAY_ONLY)
            ? [name(e.peerId)]
            : [],
        ),
      ),
    ],
    sizeLimitsExceeded: events.flatMap((e) =>
      e.type === 'size-limit-exceeded' ? [{ peer: name(e.peerId), limits: e.limits }] : [],
    ),
  };
}
