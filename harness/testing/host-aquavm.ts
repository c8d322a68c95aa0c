// AquaVM's own Wasm (@fluencelabs/avm's avm.wasm, a Marine IT module) run as a Marine service by
// our host, behind the same invoke contract as the reference (which runs it with marine-js): the
// differential check of our IT support, and a benchmark of our host against marine-js.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { serializeAvmArgs } from '@fluencelabs/avm';
import { callResultText } from '../protocol/index.js';
import { loadService, type Service } from '../../marine-host/index.js';
import {
  DEFAULT_LIMITS,
  type AquaCallResult,
  type AquaVM,
  type AquaVMOptions,
} from '../air/index.js';
import { decodeCallRequests } from './reference-aquavm.js';

const require = createRequire(import.meta.url);

/** Path of avm.wasm in node_modules. */
export function avmWasmPath(): string {
  return require.resolve('@fluencelabs/avm/dist/avm.wasm');
}

/** The arguments of avm.wasm's `invoke`, exactly as the reference passes them to marine-js. */
export function avmInvokeArgs(
  options: AquaVMOptions,
  ...[air, prevData, currentData, params, callResults]: Parameters<AquaVM['invoke']>
): unknown[] {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const args = serializeAvmArgs(
    {
      initPeerId: params.initPeerId,
      currentPeerId: params.currentPeerId,
      keyFormat: 0,
      secretKeyBytes: params.secretKey,
      timestamp: params.timestamp,
      ttl: params.ttl,
      particleId: params.particleId,
    },
    air,
    prevData,
    currentData,
    [...callResults].map(([id, r]: [number, AquaCallResult]) => [
      id,
      { retCode: r.retCode, result: callResultText(r.result) },
    ]),
  );
  Object.assign(args[3] as object, {
    hard_limit_enabled: options.hardLimits ?? false,
    air_size_limit: limits.airSize,
    particle_size_limit: limits.particleSize,
    call_result_size_limit: limits.callResultSize,
  });
  return args;
}

/** The raw outcome record of avm.wasm's invoke, as JSON. */
export interface RawAvmOutcome {
  readonly ret_code: number;
  readonly error_message: string;
  readonly data: readonly number[];
  readonly next_peer_pks: readonly string[];
  readonly call_requests: readonly number[];
  readonly air_size_limit_exceeded: boolean;
  readonly particle_size_limit_exceeded: boolean;
  readonly call_result_size_limit_exceeded: boolean;
}

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

/** Loads avm.wasm as a one-module Marine service on our host. */
export async function createHostAquaVM(options: AquaVMOptions = {}): Promise<HostAquaVM> {
  const dir = mkdtempSync(join(tmpdir(), 'marine-ts-avm-'));
  const config = join(dir, 'Config.toml');
  writeFileSync(
    config,
    `modules_dir = ${JSON.stringify(dirname(avmWasmPath()))}\n\n[[module]]\nname = "avm"\nlogging_mask = 0\n\n[module.wasi]\nenvs = { WASM_LOG = "off" }\n`,
  );
  let service: Service;
  try {
    service = await loadService(config, { serviceId: 'avm', callTimeoutMs: 60000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const invokeRaw = async (args: unknown[]): Promise<RawAvmOutcome> =>
    (await service.call('invoke', args)) as unknown as RawAvmOutcome;
  return {
    service,
    invokeRaw,
    async invoke(...a) {
      const r = await invokeRaw(avmInvokeArgs(options, ...a));
      return {
        retCode: r.ret_code,
        errorMessage: r.error_message,
        data: Uint8Array.from(r.data),
        nextPeerPks: [...r.next_peer_pks],
        callRequests: decodeCallRequests(r.call_requests),
        airSizeLimitExceeded: r.air_size_limit_exceeded,
        particleSizeLimitExceeded: r.particle_size_limit_exceeded,
        callResultSizeLimitExceeded: r.call_result_size_limit_exceeded,
      };
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
