// AquaVM's own Wasm (@fluencelabs/avm's avm.wasm, a Marine IT module) run as a Marine service by
// our host, behind the same invoke contract as the reference (which runs it with marine-js): the
// differential check of our IT support, and a benchmark of our host against marine-js. Arguments
// and outcomes are made and read by the reference's own functions, so both run the same bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadService, type Service, type ServiceOptions } from '../../marine-host/index.js';
import type { AquaVM, AquaVMOptions } from '../air/index.js';
import {
  aquaOutcome,
  avmInvokeArgs,
  avmWasmPath,
  createMarineJsAvm,
  type MarineJsAvm,
  type RawAvmOutcome,
} from './reference-aquavm.js';

export { avmInvokeArgs, avmWasmPath, type RawAvmOutcome };

/** avm.wasm on our host: raw calls, and an AirRunner-shaped invoke. */
export interface HostAquaVM {
  /** The service running avm.wasm. */
  readonly service: Service;
  /** Calls `invoke` with arguments from `avmInvokeArgs`. */
  invokeRaw(args: unknown[]): Promise<RawAvmOutcome>;
  /** Our VM's invoke signature. */
  invoke(...a: Parameters<AquaVM['invoke']>): Promise<ReturnType<AquaVM['invoke']>>;
  /** `ast(script)`. */
  ast(air: string): Promise<string>;
  /** `to_human_readable_data(data)`. */
  toHumanReadableData(data: Uint8Array): Promise<string>;
  /** Stops the service's worker. */
  close(): Promise<void>;
}

/** Loads avm.wasm as a one-module Marine service on our host (in a worker unless `execution` says). */
export async function createHostAquaVM(
  options: AquaVMOptions = {},
  execution: ServiceOptions['execution'] = 'worker',
): Promise<HostAquaVM> {
  const dir = mkdtempSync(join(tmpdir(), 'marine-ts-avm-'));
  const config = join(dir, 'Config.toml');
  writeFileSync(
    config,
    `modules_dir = ${JSON.stringify(dirname(avmWasmPath()))}\n\n[[module]]\nname = "avm"\nlogging_mask = 0\n\n[module.wasi]\nenvs = { WASM_LOG = "off" }\n`,
  );
  let service: Service;
  try {
    service = await loadService(config, { serviceId: 'avm', callTimeoutMs: 60000, execution });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const invokeRaw = async (args: unknown[]): Promise<RawAvmOutcome> =>
    (await service.call('invoke', args)) as unknown as RawAvmOutcome;
  return {
    service,
    invokeRaw,
    async invoke(...a) {
      return aquaOutcome(await invokeRaw(avmInvokeArgs(options, ...a)));
    },
    async ast(air) {
      return (await service.call('ast', [air])) as string;
    },
    async toHumanReadableData(data) {
      return (await service.call('to_human_readable_data', [Array.from(data)])) as string;
    },
    close: () => service.close(),
  };
}

/** avm.wasm loaded on both hosts, with how long each load took. */
export interface AvmPair {
  /** Ours. */
  readonly host: HostAquaVM;
  /** marine-js, in this thread. */
  readonly reference: MarineJsAvm;
  /** Milliseconds our host took to load it (compile, IT section, instantiate, worker start). */
  readonly hostLoadMs: number;
  /** Milliseconds marine-js took (control module compile included on first use). */
  readonly referenceLoadMs: number;
  /** Calls one export on both with the same arguments: [ours, marine-js's]. */
  callBoth(fn: string, args: unknown[]): Promise<[unknown, unknown]>;
}

/**
 * Loads avm.wasm on marine-js and then on our host (the it-avm bench times these loads; the IT
 * conformance test compares every call): the one set-up both use.
 */
export async function loadAvmPair(
  options: AquaVMOptions = {},
  execution: ServiceOptions['execution'] = 'worker',
): Promise<AvmPair> {
  let start = performance.now();
  const reference = await createMarineJsAvm();
  const referenceLoadMs = performance.now() - start;
  start = performance.now();
  const host = await createHostAquaVM(options, execution);
  const hostLoadMs = performance.now() - start;
  return {
    host,
    reference,
    hostLoadMs,
    referenceLoadMs,
    async callBoth(fn, args) {
      const theirs = reference.call(fn, args);
      return [await host.service.call(fn, args), theirs];
    },
  };
}
