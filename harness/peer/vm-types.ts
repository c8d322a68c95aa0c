// The contract between the particle loop and an AIR VM: AquaVM's invoke, which the loop lets be
// asynchronous (the reference AquaVM runs in Wasm behind a promise).
import type { AquaInvokeOutcome } from '../air/index.js';
import type { CallRequest, CallResult, RunParameters } from '../protocol/index.js';

export type { CallRequest, CallResult, RunParameters };
/** What one VM invocation returns. */
export type InvokeOutcome = AquaInvokeOutcome;

/** Anything that runs AIR like AquaVM's invoke: our VM, or the reference. */
export interface AirRunner {
  invoke(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: RunParameters,
    callResults: ReadonlyMap<number, CallResult>,
  ): InvokeOutcome | Promise<InvokeOutcome>;
}
