// What a VM run and a service call exchange: AquaVM's invoke contract, shared by the VM, peers,
// nodes and clients.
import type { SecurityTetraplet } from './tetraplet.js';

/** Run parameters of one invoke. */
export interface RunParameters {
  readonly initPeerId: string;
  readonly currentPeerId: string;
  /** Particle creation time, ms since the epoch (`%timestamp%`). */
  readonly timestamp: number;
  /** Particle time to live, ms (`%ttl%`). */
  readonly ttl: number;
  /** Particle id, the salt of every signature. */
  readonly particleId: string;
  /** 32-byte Ed25519 seed of the current peer. */
  readonly secretKey: Uint8Array;
}

/** A service call the host must make and answer through `callResults` on a later invoke. */
export interface CallRequest {
  readonly serviceId: string;
  readonly functionName: string;
  /**
   * JSON values, exact: an i64/u64 beyond ±(2^53 − 1) is a `bigint`, a safe one a `number`;
   * floats are numbers (AquaVM's 7.0 arrives as 7). Object keys are sorted, as AquaVM's are.
   */
  readonly arguments: unknown[];
  readonly tetraplets: SecurityTetraplet[][];
}

/** The answer to a call request: retCode 0 with a JSON value, or an error code with a message. */
export interface CallResult {
  readonly retCode: number;
  /**
   * Read as JSON.stringify would (toJSON, dropped undefined members), but exact: a `bigint` or
   * an integral `number` within the i64/u64 range is that integer (a `bigint` past that range,
   * like digits serde_json cannot hold, becomes an f64); a JsonFloat is an integral f64 (7.0).
   * A host that has JSON text should read it with parseJson, not JSON.parse, to keep big
   * integers; callResultText gives the text AquaVM would receive (what the size limit measures).
   */
  readonly result: unknown;
}
