import type { CallResult, SecurityTetraplet } from './vm-types.js';

/** What a service handler learns about the particle that called it. */
export interface ParticleContext {
  readonly particleId: string;
  readonly initPeerId: string;
  readonly timestamp: number;
  readonly ttl: number;
  readonly signature: Uint8Array;
}

/** One call request as a handler sees it. */
export interface ServiceCall {
  readonly serviceId: string;
  readonly functionName: string;
  readonly args: readonly unknown[];
  readonly tetraplets: readonly (readonly SecurityTetraplet[])[];
  /** The peer executing the call. */
  readonly peerId: string;
  readonly particle: ParticleContext;
}

/**
 * A link in a peer's handler chain: answers the call, or returns undefined to let the next
 * handler try. A thrown error becomes a service error (ret code 1) with its message.
 */
export type CallHandler = (
  call: ServiceCall,
) => CallResult | undefined | Promise<CallResult | undefined>;

/** A function-style service: returns the JSON result, throws for a service error. */
export type ServiceFunction = (args: readonly unknown[], call: ServiceCall) => unknown;

/** The ret code of a service error, as Nox and js-client use it. */
export const SERVICE_ERROR_CODE = 1;

/** A successful call result. */
export function ok(result: unknown): CallResult {
  return { retCode: 0, result: result === undefined ? '' : result };
}

/** A service error result. */
export function serviceError(message: string): CallResult {
  return { retCode: SERVICE_ERROR_CODE, result: message };
}

/** A handler serving one service id with a table of functions. */
export function serviceHandler(
  serviceId: string,
  functions: Readonly<Record<string, ServiceFunction>>,
): CallHandler {
  return async (call) => {
    if (call.serviceId !== serviceId) return undefined;
    const fn = Object.hasOwn(functions, call.functionName)
      ? functions[call.functionName]
      : undefined;
    if (fn === undefined) {
      return serviceError(
        `function '${call.functionName}' not found on service '${serviceId}' (it has: ${Object.keys(functions).join(', ')})`,
      );
    }
    return ok(await fn(call.args, call));
  };
}

/** Runs a handler chain: the first handler that answers wins; unknown services are errors as in Nox. */
export async function runHandlerChain(
  handlers: readonly CallHandler[],
  call: ServiceCall,
): Promise<CallResult> {
  for (const handler of handlers) {
    try {
      const result = await handler(call);
      if (result !== undefined) return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return serviceError(
        `Service call failed. fnName="${call.functionName}" serviceId="${call.serviceId}" error: ${message}`,
      );
    }
  }
  return serviceError(
    `Service with id '${call.serviceId}' not found (function ${call.functionName})`,
  );
}
