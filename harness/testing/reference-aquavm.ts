// The reference AquaVM (@fluencelabs/avm, run by @fluencelabs/marine-js) behind our VM's invoke
// contract, so the same tests and network loop can run either VM: the differential and
// conformance tests, the VM benchmark and `marine air run --vm reference` use it. Needs the
// @fluencelabs packages and Node, so it lives in testing, not in the `marine-ts/air` entry.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { MarineService } from '@fluencelabs/marine-js/MarineService';
import { serializeAvmArgs } from '@fluencelabs/avm';
import { Unpackr } from 'msgpackr';
import { callResultText, jsonInteger } from '../protocol/index.js';
import {
  DEFAULT_LIMITS,
  type AquaCallRequest,
  type AquaCallResult,
  type AquaVM,
  type AquaVMOptions,
} from '../air/index.js';

/**
 * The call parameters marine-js hands a service called from the host itself (AquaVM reads
 * none of them); the parser oracle calls the same module with them.
 */
export const EMPTY_CALL_PARAMETERS = {
  particle: {
    id: '',
    init_peer_id: '',
    timestamp: 0,
    ttl: 0,
    script: '',
    signature: [],
    token: '',
  },
  service_id: '',
  service_creator_peer_id: '',
  host_id: '',
  worker_id: '',
  tetraplets: [],
};

/**
 * The reference VM, with our VM's invoke signature, and AquaVM's own dump of interpreter data
 * (its `to_human_readable_data` export: pretty JSON of the envelope's versions and the data, or
 * the error text for data it cannot read).
 */
export type ReferenceAquaVM = Pick<AquaVM, 'invoke'> & {
  toHumanReadableData(data: Uint8Array): string;
};

const require = createRequire(import.meta.url);

type ControlModule = ConstructorParameters<typeof MarineService>[0];

let compiled: Promise<ControlModule> | undefined;
let avmBytes: Promise<Uint8Array> | undefined;

/** Path of avm.wasm in node_modules (@fluencelabs/avm). */
export function avmWasmPath(): string {
  return require.resolve('@fluencelabs/avm/dist/avm.wasm');
}

/** avm.wasm as marine-js runs it: one `call` of an export with JSON arguments. */
export interface MarineJsAvm {
  /** Calls an export of avm.wasm with empty call parameters (what the host passes itself). */
  call(fn: string, args: unknown[]): unknown;
}

/**
 * avm.wasm loaded by marine-js in this thread, with the configuration every oracle here uses
 * (logger on, mask 0, `WASM_LOG=off`, no files): the reference VM, the IT conformance test, the
 * mixed-service test and the it-avm bench all compare against this one instance kind. The
 * control module and the bytes are read once per process.
 */
export async function createMarineJsAvm(): Promise<MarineJsAvm> {
  compiled ??= (async () =>
    (
      globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<ControlModule> } }
    ).WebAssembly.compile(
      await readFile(require.resolve('@fluencelabs/marine-js/marine-js.wasm')),
    ))();
  avmBytes ??= readFile(avmWasmPath()).then((b) => new Uint8Array(b));
  const service = new MarineService(
    await compiled,
    'avm',
    () => {},
    {
      modules_config: [
        {
          import_name: 'avm',
          config: {
            logger_enabled: true,
            logging_mask: 0,
            wasi: { envs: { WASM_LOG: 'off' }, preopened_files: new Set(), mapped_dirs: new Map() },
          },
        },
      ],
    },
    { avm: await avmBytes },
  );
  await service.init();
  return {
    call: (fn, args) => service.call(fn, args as never, EMPTY_CALL_PARAMETERS as never),
  };
}

/** The arguments of avm.wasm's `invoke` for one of our VM's invokes, with the same limits. */
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
      // The same text our VM measures and reads, with big integers in full.
      { retCode: r.retCode, result: callResultText(r.result) },
    ]),
  );
  // The helper shipped with avm 0.62 passes a number where its Wasm expects a boolean, and
  // 4 GiB for every limit.
  Object.assign(args[3] as object, {
    hard_limit_enabled: options.hardLimits ?? false,
    air_size_limit: limits.airSize,
    particle_size_limit: limits.particleSize,
    call_result_size_limit: limits.callResultSize,
  });
  return args;
}

/** The outcome record avm.wasm's `invoke` returns (through marine-js or our host), as JSON. */
export interface RawAvmOutcome {
  readonly ret_code: number;
  readonly error_message: string;
  readonly data: ArrayLike<number>;
  readonly next_peer_pks: readonly string[];
  readonly call_requests: ArrayLike<number>;
  readonly air_size_limit_exceeded: boolean;
  readonly particle_size_limit_exceeded: boolean;
  readonly call_result_size_limit_exceeded: boolean;
}

/** Thrown when avm.wasm hands back call requests this adapter cannot read. */
export class ReferenceOutcomeError extends Error {
  constructor(what: string) {
    super(`reference AquaVM outcome: ${what}`);
    this.name = 'ReferenceOutcomeError';
  }
}

// avm's own helper decodes with msgpack-lite, which reads a u64 as a lossy double; 64-bit
// integers are read as bigint here and then normalised like every other JSON value.
const unpackr = new Unpackr({ mapsAsObjects: true, int64AsType: 'bigint', useRecords: false });
// Multicodec prefix of msgpack (0x0201 as an unsigned varint).
const MSGPACK_PREFIX = [0x81, 0x04];

/**
 * An argument as our VM hands it out: 64-bit integers (msgpack int64/uint64) as bigint only past
 * the safe range; every msgpack float a plain number, even an integral one, since it is an f64.
 */
function normalizeArgument(value: unknown): unknown {
  if (typeof value === 'bigint') return jsonInteger(value);
  if (Array.isArray(value)) return value.map(normalizeArgument);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Assigning "__proto__" would set the prototype instead of adding the key.
      Object.defineProperty(out, k, {
        value: normalizeArgument(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/** Decodes the msgpack call requests of an AquaVM outcome (also used for avm.wasm run by our host). */
export function decodeCallRequests(raw: ArrayLike<number>): Map<number, AquaCallRequest> {
  const out = new Map<number, AquaCallRequest>();
  if (raw.length === 0) return out;
  const bytes = Uint8Array.from(raw);
  if (bytes[0] !== MSGPACK_PREFIX[0] || bytes[1] !== MSGPACK_PREFIX[1])
    throw new ReferenceOutcomeError(`expected msgpack call requests, found prefix ${bytes[0]}`);
  const requests = unpackr.unpack(bytes.subarray(2)) as Record<string, Record<string, unknown>>;
  for (const [key, req] of Object.entries(requests)) {
    const args = unpackr.unpack(Uint8Array.from(req['arguments'] as ArrayLike<number>)) as unknown;
    if (!Array.isArray(args))
      throw new ReferenceOutcomeError(`expected an argument array in call request ${key}`);
    out.set(Number(key), {
      serviceId: String(req['service_id']),
      functionName: String(req['function_name']),
      arguments: args.map(normalizeArgument),
      tetraplets: unpackr.unpack(
        Uint8Array.from(req['tetraplets'] as ArrayLike<number>),
      ) as AquaCallRequest['tetraplets'],
    });
  }
  return out;
}

/**
 * A reference AquaVM instance (one per peer, as on a real network), with the same limits and
 * limit mode as `new AquaVM(options)`.
 */
export async function createReferenceAquaVM(options: AquaVMOptions = {}): Promise<ReferenceAquaVM> {
  const avm = await createMarineJsAvm();
  return {
    toHumanReadableData(data) {
      return avm.call('to_human_readable_data', [Array.from(data)]) as string;
    },
    invoke(...a) {
      return aquaOutcome(avm.call('invoke', avmInvokeArgs(options, ...a)) as RawAvmOutcome);
    },
  };
}

/** Our VM's outcome shape for a raw avm.wasm outcome. */
export function aquaOutcome(raw: RawAvmOutcome): ReturnType<AquaVM['invoke']> {
  return {
    retCode: raw.ret_code,
    errorMessage: raw.error_message,
    data: Uint8Array.from(raw.data),
    nextPeerPks: [...raw.next_peer_pks],
    callRequests: decodeCallRequests(raw.call_requests),
    airSizeLimitExceeded: raw.air_size_limit_exceeded,
    particleSizeLimitExceeded: raw.particle_size_limit_exceeded,
    callResultSizeLimitExceeded: raw.call_result_size_limit_exceeded,
  };
}
