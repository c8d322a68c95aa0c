// The reference AquaVM (npm @fluencelabs/avm 0.62, `avm.wasm`) run in Node through
// @fluencelabs/marine-js 0.13, for differential tests and benchmarks. Test-only: nothing under
// harness/air imports this outside tests and benches.
//
// marine-js runs the AquaVM module as a Marine service; its exports are called with JSON
// arguments: `ast(script) -> string` (the AST as JSON, or a printed parse error starting with
// "error:"), and `invoke(air, prev_data, data, run_params, call_results) -> InterpreterOutcome`.
// A Rust panic inside the module (AquaVM has a few on odd input) traps the instance; the
// helpers then report `panicked` and transparently start a fresh instance for the next call.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CallResultsArray, InterpreterResult, RunParameters } from '@fluencelabs/avm';
import { KeyPairFormat } from '@fluencelabs/avm';
import { EMPTY_CALL_PARAMETERS } from '../../../testing/reference-aquavm.js';

const require = createRequire(import.meta.url);

// The project's lib settings carry no WebAssembly typings; this is the little used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate: (...args: unknown[]) => Promise<unknown>;
  Memory: abstract new (...args: never[]) => WasmMemory;
}
type WasmModule = object;
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What the reference `ast` export answered for one script. */
export type ReferenceAst =
  | { readonly ok: true; readonly ast: unknown; readonly json: string }
  | { readonly ok: false; readonly error: string; readonly panicked: boolean };

/** Inputs of one reference `invoke` (byte arrays as AquaVM takes them). */
export interface ReferenceInvokeInput {
  readonly air: string;
  readonly prevData?: Uint8Array;
  readonly data?: Uint8Array;
  readonly params: Partial<RunParameters> & Pick<RunParameters, 'initPeerId' | 'currentPeerId'>;
  readonly callResults?: CallResultsArray;
}

/** The loaded reference VM. */
export interface ReferenceAvm {
  /** Parses `script` with the reference parser (AquaVM's `ast` export). */
  ast(script: string): Promise<ReferenceAst>;
  /** Runs the reference `invoke`; throws only if the Wasm instance itself failed. */
  invoke(input: ReferenceInvokeInput): Promise<InterpreterResult>;
  /** The raw parse error text that `invoke` returns for an unparsable script (ret_code 1), or undefined if it parsed. */
  invokeParseError(script: string): Promise<string | undefined>;
  /** Bytes of linear memory the module currently uses (to report the reference's peak memory). */
  memoryBytes(): number;
}

interface MarineServiceLike {
  init(): Promise<void>;
  call(functionName: string, args: unknown[], callParams: unknown): unknown;
}

type MarineServiceCtor = new (
  controlModule: WasmModule,
  serviceId: string,
  logFunction: (message: unknown) => void,
  serviceConfig: unknown,
  modules: Record<string, Uint8Array>,
  env?: Record<string, string>,
) => MarineServiceLike;

let controlModule: Promise<WasmModule> | undefined;

/** The `dist` directory of an installed package (both keep their Wasm next to their entry). */
function distDir(name: string): string {
  return dirname(require.resolve(name));
}

async function newInstance(): Promise<{ svc: MarineServiceLike; memory: () => number }> {
  const marineDist = distDir('@fluencelabs/marine-js');
  controlModule ??= Wasm.compile(readFileSync(join(marineDist, 'marine-js.wasm')));
  const { MarineService } = (await import('@fluencelabs/marine-js/MarineService')) as unknown as {
    MarineService: MarineServiceCtor;
  };
  const avmWasm = new Uint8Array(readFileSync(join(distDir('@fluencelabs/avm'), 'avm.wasm')));
  const config = {
    modules_config: [
      {
        import_name: 'avm',
        config: {
          logger_enabled: true,
          logging_mask: 0,
          wasi: {
            envs: { WASM_LOG: 'off' },
            preopened_files: new Set<string>(),
            mapped_dirs: new Map<string, string>(),
          },
        },
      },
    ],
  };
  // Memory of the avm module is not exposed by marine-js; track the largest Wasm memory created.
  const memories: WasmMemory[] = [];
  const originalInstantiate = Wasm.instantiate;
  const svc = new MarineService(await controlModule, 'avm', () => undefined, config, {
    avm: avmWasm,
  });
  Wasm.instantiate = async (...args: unknown[]) => {
    const result = (await originalInstantiate.apply(Wasm, args)) as
      WasmInstance | { instance: WasmInstance };
    const instance = 'instance' in result ? result.instance : result;
    for (const value of Object.values(instance.exports))
      if (value instanceof Wasm.Memory) memories.push(value);
    return result;
  };
  try {
    await svc.init();
  } finally {
    Wasm.instantiate = originalInstantiate;
  }
  return { svc, memory: () => memories.reduce((sum, m) => sum + m.buffer.byteLength, 0) };
}

/** Loads the reference AquaVM (a fresh Wasm instance; about a second). */
export async function loadReferenceAvm(): Promise<ReferenceAvm> {
  const avmLib = require('@fluencelabs/avm') as typeof import('@fluencelabs/avm');
  let current = await newInstance();
  let poisoned = false;

  const call = async (
    fn: string,
    args: unknown[],
  ): Promise<{ value?: unknown; panic?: string }> => {
    if (poisoned) {
      current = await newInstance();
      poisoned = false;
    }
    try {
      return { value: current.svc.call(fn, args, EMPTY_CALL_PARAMETERS) };
    } catch (error) {
      poisoned = true;
      return { panic: error instanceof Error ? error.message : String(error) };
    }
  };

  const invoke = async (input: ReferenceInvokeInput): Promise<InterpreterResult> => {
    const params: RunParameters = {
      keyFormat: KeyPairFormat.Ed25519,
      secretKeyBytes: new Uint8Array(32).fill(7),
      timestamp: Date.now(),
      ttl: 7000,
      particleId: 'particle-id',
      ...input.params,
    };
    const args = avmLib.serializeAvmArgs(
      params,
      input.air,
      input.prevData ?? new Uint8Array(),
      input.data ?? new Uint8Array(),
      input.callResults ?? [],
    );
    // avm 0.62's helper passes a number for the boolean `hard_limit_enabled`, which the Wasm
    // module refuses; run without hard limits like js-client does.
    const runParams = args[3] as Record<string, unknown>;
    runParams.hard_limit_enabled = false;
    const out = await call('invoke', args);
    if (out.panic !== undefined) throw new Error(`reference AquaVM trapped: ${out.panic}`);
    return avmLib.deserializeAvmResult(out.value);
  };

  return {
    async ast(script) {
      const out = await call('ast', [script]);
      if (out.panic !== undefined) return { ok: false, error: out.panic, panicked: true };
      const text = String(out.value);
      if (text.startsWith('error:')) return { ok: false, error: text, panicked: false };
      return { ok: true, ast: JSON.parse(text) as unknown, json: text };
    },
    invoke,
    async invokeParseError(script) {
      const result = await invoke({
        air: script,
        params: { initPeerId: 'init', currentPeerId: 'init' },
      });
      return result.retCode === 1 ? result.errorMessage : undefined;
    },
    memoryBytes: () => current.memory(),
  };
}
