// Instantiating a Marine IT module inside a service's worker: core imports wired to the host API
// of the module's SDK version, its mounted binaries, WASI preview 1 and the other modules of the
// service; then `_initialize` and `_start`, as Marine runs them.
import { HOST_API_NAMESPACES, WASI_P1, type ItModel } from './model.js';
import { ItInstance, type IValue } from './instance.js';
import { createWasiP1 } from './wasi-p1.js';
import type { Descriptor } from '../../wasi/sandbox.js';

/** What the worker passes for one IT module. */
export interface ItModuleSpec {
  /** Config name. */
  readonly name: string;
  /** Granted env vars (service_id included). */
  readonly envs: Readonly<Record<string, string>>;
  /** Mapped directories, preopened in order: (confined directory, guest alias). */
  readonly preopens?: readonly (readonly [Descriptor, string])[];
  /** `logger_enabled`. */
  readonly loggerEnabled: boolean;
  /** `logging_mask`. */
  readonly loggingMask: number;
  /** Mounted binary name → granted executable. */
  readonly binaries: Readonly<Record<string, string>>;
  /** The module's IT model. */
  readonly model: ItModel;
}

/** The host side the worker provides. */
export interface ItRuntimeHooks {
  /** Calls another module's export (WIT names) with jco values. */
  callModule(target: string, fn: string, args: unknown[]): unknown;
  /** The current call's parameters (host shape, JSON). */
  callParameters(): unknown;
  /** A log line (`stream` is a level name, stdout or stderr). */
  log(stream: string, text: string): void;
  /** Runs a granted binary. */
  runBinary(
    path: string,
    args: string[],
  ): { ret_code: number; error: string; stdout: ArrayLike<number>; stderr: ArrayLike<number> };
  /** Instantiates the compiled core module with imports (the worker records its memories). */
  instantiate(imports: Record<string, Record<string, unknown>>): {
    exports: Record<string, unknown>;
  };
}

const LEVELS = ['off', 'error', 'warn', 'info', 'debug', 'trace'];

const str = (v: unknown): IValue => ({ t: 'string', v: typeof v === 'string' ? v : '' });
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/** The call parameters record as the module's host API version lays it out in memory. */
export function callParametersRecord(version: number, cp: unknown): IValue[] {
  const o = (typeof cp === 'object' && cp !== null ? cp : {}) as Record<string, unknown>;
  const p = (
    typeof o['particle'] === 'object' && o['particle'] !== null ? o['particle'] : {}
  ) as Record<string, unknown>;
  const tetraplets: IValue = {
    t: 'array',
    v: (Array.isArray(o['tetraplets']) ? (o['tetraplets'] as unknown[]) : []).map((list) => ({
      t: 'array',
      v: (Array.isArray(list) ? list : []).map((t: unknown) => {
        const x = (t ?? {}) as Record<string, unknown>;
        return {
          t: 'record',
          v: [
            str(x['peer_pk']),
            str(x['service_id']),
            str(x['function_name']),
            str(x['lens'] ?? x['json_path']),
          ],
        } satisfies IValue;
      }),
    })),
  };
  const ids = [str(o['service_id']), str(o['service_creator_peer_id']), str(o['host_id'])];
  if (version <= 1) {
    const flat = [str(p['init_peer_id']), ...ids];
    if (version === 1) flat.push(str(o['worker_id']));
    return [...flat, str(p['id']), tetraplets];
  }
  const signature = p['signature'];
  return [
    {
      t: 'record',
      v: [
        str(p['id']),
        str(p['init_peer_id']),
        {
          t: 'u64',
          v: typeof p['timestamp'] === 'bigint' ? p['timestamp'] : BigInt(num(p['timestamp'])),
        },
        { t: 'u32', v: num(p['ttl']) },
        str(p['script']),
        {
          t: 'byte_array',
          v: Uint8Array.from(
            Array.isArray(signature) || ArrayBuffer.isView(signature)
              ? (signature as ArrayLike<number>)
              : [],
          ),
        },
        str(p['token']),
      ],
    },
    ...ids,
    str(o['worker_id']),
    tetraplets,
  ];
}

/** Instantiates an IT module; returns its jco-style exports and a drain for partial output lines. */
export function instantiateItModule(
  spec: ItModuleSpec,
  hooks: ItRuntimeHooks,
): { exports: Record<string, (...args: unknown[]) => unknown>; drain: () => void } {
  const { model } = spec;
  const inst = new ItInstance(spec.name, model, {
    callModule: (t, f, a) => hooks.callModule(t, f, a),
    callParameters: () => hooks.callParameters(),
    log: (level, text) => hooks.log(LEVELS[level] ?? `level ${level}`, text),
  });
  const wasi = createWasiP1(
    spec.envs,
    (stream, text) => hooks.log(stream, text),
    model.wasi,
    spec.preopens,
  );
  const imports: Record<string, Record<string, unknown>> = { [WASI_P1]: wasi.imports };
  const ns = (name: string): Record<string, unknown> => (imports[name] ??= {});
  const version = model.hostApiVersion ?? 3;
  const api = ns(HOST_API_NAMESPACES[version] as string);
  if (model.hostApi.includes('get_call_parameters'))
    api['get_call_parameters'] = () => {
      inst.returnRecord(callParametersRecord(version, hooks.callParameters()));
    };
  if (model.hostApi.includes('log_utf8_string'))
    api['log_utf8_string'] = (level: number, target: number, ptr: number, len: number) => {
      if (!spec.loggerEnabled) return;
      if (target !== 0 && (target & spec.loggingMask) === 0) return;
      hooks.log(LEVELS[level] ?? `level ${level}`, inst.string(ptr, len));
    };
  model.mountedBinaries.forEach((name, index) => {
    const path = spec.binaries[name];
    ns(model.mountedFrom[index] ?? 'host')[name] = (ptr: number, count: number) => {
      const args = inst.strings(ptr, count);
      const r =
        path === undefined
          ? {
              ret_code: 100001,
              error: `mounted binary ${name} is not granted`,
              stdout: [],
              stderr: [],
            }
          : hooks.runBinary(path, args);
      inst.returnRecord([
        { t: 's32', v: r.ret_code },
        { t: 'string', v: r.error },
        { t: 'byte_array', v: Uint8Array.from(r.stdout) },
        { t: 'byte_array', v: Uint8Array.from(r.stderr) },
      ]);
    };
  });
  model.moduleImports.forEach((imp, index) => {
    ns(imp.namespace)[imp.name] = (...raw: unknown[]) => inst.runImport(index, raw);
  });
  const instance = hooks.instantiate(imports);
  inst.bind(instance.exports);
  const memory = instance.exports['memory'];
  if (memory && typeof memory === 'object' && 'buffer' in memory)
    wasi.setMemory(memory as { buffer: ArrayBuffer });
  // As Marine: _initialize sets up the WASI state, then _start runs main.
  for (const entry of ['_initialize', '_start']) {
    const f = instance.exports[entry];
    if (typeof f === 'function') (f as () => unknown)();
  }
  wasi.drain();
  return { exports: inst.exports(), drain: wasi.drain };
}
