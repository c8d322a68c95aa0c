import type { CallResult, SecurityTetraplet } from '../protocol/index.js';

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
  /** Aborted when the answer is no longer wanted: the particle expired or the peer stopped. */
  readonly signal: AbortSignal;
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

/** A service registered under an id: answers every call addressed to that id. */
export type Service = (call: ServiceCall) => CallResult | Promise<CallResult>;

/** A service made of a table of functions; an unknown function is a service error naming them. */
export function functionService(
  serviceId: string,
  functions: Readonly<Record<string, ServiceFunction>>,
): Service {
  return async (call) => {
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

/** A handler serving one service id with a table of functions. */
export function serviceHandler(
  serviceId: string,
  functions: Readonly<Record<string, ServiceFunction>>,
): CallHandler {
  const service = functionService(serviceId, functions);
  return (call) => (call.serviceId === serviceId ? service(call) : undefined);
}

/** Thrown when a service id is registered twice on one peer. */
export class ServiceExistsError extends Error {
  override readonly name = 'ServiceExistsError';
}

/** A peer's services by id (builtins and user services alike), with aliases as Nox has them. */
export class ServiceRegistry {
  readonly #services = new Map<string, Service>();
  readonly #aliases = new Map<string, string>();

  /** Registers `service` under `serviceId`; a taken id is an error (remove it first). */
  register(serviceId: string, service: Service): void {
    if (this.#services.has(serviceId) || this.#aliases.has(serviceId)) {
      throw new ServiceExistsError(`a service with id '${serviceId}' is already registered`);
    }
    this.#services.set(serviceId, service);
  }

  /** Removes a service and its aliases; whether it was there. */
  remove(serviceId: string): boolean {
    for (const [alias, id] of this.#aliases) if (id === serviceId) this.#aliases.delete(alias);
    return this.#services.delete(serviceId);
  }

  /** Makes `alias` name the service `serviceId` (a later alias of the same name replaces it). */
  alias(alias: string, serviceId: string): void {
    if (!this.#services.has(serviceId)) {
      throw new Error(`cannot alias '${alias}': no service with id '${serviceId}'`);
    }
    if (this.#services.has(alias)) {
      throw new ServiceExistsError(`'${alias}' is a service id and cannot be an alias`);
    }
    this.#aliases.set(alias, serviceId);
  }

  /** The service an id or alias names. */
  resolve(idOrAlias: string): Service | undefined {
    return this.#services.get(this.#aliases.get(idOrAlias) ?? idOrAlias);
  }

  /** Whether an id or alias names a service. */
  has(idOrAlias: string): boolean {
    return this.resolve(idOrAlias) !== undefined;
  }

  /** Every registered service id, in registration order. */
  ids(): string[] {
    return [...this.#services.keys()];
  }

  /** As a handler of the chain: answers calls to registered ids and aliases. */
  asHandler(): CallHandler {
    return (call) => this.resolve(call.serviceId)?.(call);
  }
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
