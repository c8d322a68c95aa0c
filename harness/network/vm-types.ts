// The contract between the particle loop and an AIR VM. The types are the VM's own (AquaVM's
// invoke contract); the loop adds only that `invoke` may be asynchronous, as the reference
// AquaVM in Wasm is.
import type {
  AquaCallRequest,
  AquaCallResult,
  AquaInvokeOutcome,
  AquaRunParameters,
  SecurityTetraplet,
} from '../air/index.js';

export type { SecurityTetraplet };
/** The run parameters of one VM invocation. */
export type RunParameters = AquaRunParameters;
/** The answer to a call request. */
export type CallResult = AquaCallResult;
/** A service call the VM asks the host to make. */
export type CallRequest = AquaCallRequest;
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
