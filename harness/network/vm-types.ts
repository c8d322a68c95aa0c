// The contract between the particle loop and an AIR VM (ours or the reference AquaVM): the loop
// needs only `invoke`, which may be synchronous (our VM) or asynchronous (the reference in Wasm).

/** Where an argument value came from: AquaVM's security tetraplet. */
export interface SecurityTetraplet {
  readonly peer_pk: string;
  readonly service_id: string;
  readonly function_name: string;
  readonly lens: string;
}

/** The run parameters of one VM invocation. */
export interface RunParameters {
  readonly initPeerId: string;
  readonly currentPeerId: string;
  readonly timestamp: number;
  readonly ttl: number;
  readonly particleId: string;
  /** The 32-byte Ed25519 seed of the current peer (the VM signs what this peer produced). */
  readonly secretKey: Uint8Array;
}

/** The answer to a call request: ret code 0 and a JSON value, or an error code and message. */
export interface CallResult {
  readonly retCode: number;
  readonly result: unknown;
}

/** A service call the VM asks the host to make. */
export interface CallRequest {
  readonly serviceId: string;
  readonly functionName: string;
  readonly arguments: readonly unknown[];
  readonly tetraplets: readonly (readonly SecurityTetraplet[])[];
}

/** What one VM invocation returns. */
export interface InvokeOutcome {
  readonly retCode: number;
  readonly errorMessage: string;
  readonly data: Uint8Array;
  readonly nextPeerPks: readonly string[];
  readonly callRequests: ReadonlyMap<number, CallRequest>;
}

/** Anything that runs AIR like AquaVM's invoke. */
export interface AirRunner {
  invoke(
    air: string,
    prevData: Uint8Array,
    currentData: Uint8Array,
    params: RunParameters,
    callResults: ReadonlyMap<number, CallResult>,
  ): InvokeOutcome | Promise<InvokeOutcome>;
}
