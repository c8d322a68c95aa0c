// js-client's conventions for running compiled Aqua from the init peer: arguments come from
// `getDataSrv.<name>`, the relay from `getDataSrv.-relay-`, the result goes to
// `callbackSrv.response`, errors to `errorHandlingSrv.error`, and callbacks are
// `callbackSrv.<name>`. Served by per-particle handlers on the client's peer.
import { DEFAULT_TTL_MS, callResultText } from '../protocol/index.js';
import {
  ok,
  serviceError,
  type CallHandler,
  type Peer,
  type ServiceCall,
  type ServiceFunction,
} from '../peer/index.js';

/** Thrown when a particle started by `callAquaFunction` fails; the message names the particle. */
export class ParticleError extends Error {
  constructor(
    message: string,
    readonly particleId: string,
    readonly detail?: unknown,
  ) {
    super(`${message} (particle id: ${particleId})`);
    this.name = 'ParticleError';
  }
}

/** How one compiled Aqua function runs. */
export interface CallOptions {
  readonly ttl?: number;
  /** The particle's timestamp (default now); fixed timestamps make runs comparable. */
  readonly timestamp?: number;
  /** Callback arguments (`callbackSrv.<name>`), by argument name. */
  readonly callbacks?: Readonly<Record<string, (...args: unknown[]) => unknown>>;
  /** Callback arguments that also see the call (tetraplets, particle); awaited. */
  readonly callbackServices?: Readonly<Record<string, ServiceFunction>>;
  /**
   * For functions that return nothing (no `callbackSrv.response` in the AIR): resolve with null
   * once the init peer's own work is done (a VM run with no call requests left), as js-client does.
   */
  readonly fireAndForget?: boolean;
  /** Receives a function that ends the run at once with an error (e.g. a relay's diagnostic). */
  readonly interrupt?: (
    fail: (message: string, detail?: unknown) => void,
    particleId: string,
  ) => void;
}

/** Options of `runScript`: those of a call, the arguments, and an idle cut-off. */
export interface RunScriptOptions extends CallOptions {
  readonly args?: Readonly<Record<string, unknown>>;
  /**
   * Settle as 'idle' once this resolves without a response (for AIR that sends none): e.g. an
   * in-process network's `whenIdle`.
   */
  readonly idle?: () => Promise<void>;
  /** Gives up (as 'aborted') when this signal aborts. */
  readonly signal?: AbortSignal;
}

/** How a script ended. */
export type RunOutcome =
  | { readonly status: 'result'; readonly particleId: string; readonly value: unknown }
  | {
      readonly status: 'error';
      readonly particleId: string;
      readonly message: string;
      readonly detail?: unknown;
    }
  | {
      readonly status: 'expired' | 'idle' | 'aborted';
      readonly particleId: string;
      readonly message: string;
    };

/**
 * Starts `script` from `peer` and reports how it ended: a result through `callbackSrv.response`,
 * an error (through `errorHandlingSrv.error`, or the init peer's VM failing), expiry, being
 * aborted, or (with `idle`) running out of work with neither.
 */
export function runScript(
  peer: Peer,
  relayPeerId: string,
  script: string,
  options: RunScriptOptions = {},
): Promise<RunOutcome> {
  const ttl = options.ttl ?? DEFAULT_TTL_MS;
  const args = options.args ?? {};
  const particle = peer.createParticle(script, {
    ttl,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  const particleId = particle.id;
  return new Promise((resolve) => {
    let settled = false;
    const expiryTimer = setTimeout(
      () =>
        settle({
          status: 'expired',
          particleId,
          message: `Particle expired after ttl of ${ttl} ms`,
        }),
      ttl,
    );
    const onAbort = (): void =>
      settle({ status: 'aborted', particleId, message: 'the run was aborted by its caller' });
    const settle = (outcome: RunOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(expiryTimer);
      unsubscribe();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const handler: CallHandler = async (call: ServiceCall) => {
      if (call.serviceId === 'getDataSrv') {
        if (call.functionName === '-relay-') return ok(relayPeerId);
        if (Object.hasOwn(args, call.functionName)) return ok(args[call.functionName]);
        return serviceError(`no argument named '${call.functionName}' was given`);
      }
      if (call.serviceId === 'callbackSrv') {
        if (call.functionName === 'response') {
          const value =
            call.args.length === 0 ? null : call.args.length === 1 ? call.args[0] : [...call.args];
          settle({ status: 'result', particleId, value });
          return ok('');
        }
        const service = options.callbackServices?.[call.functionName];
        if (service) return ok(await service(call.args, call));
        const callback = options.callbacks?.[call.functionName];
        if (callback) return ok(await callback(...call.args));
        return undefined;
      }
      if (call.serviceId === 'errorHandlingSrv' && call.functionName === 'error') {
        const detail = call.args[0];
        const message =
          detail !== null && typeof detail === 'object' && 'message' in detail
            ? String((detail as { message: unknown }).message)
            : callResultText(detail);
        settle({
          status: 'error',
          particleId,
          message: `Aqua function failed: ${message}`,
          detail,
        });
        return ok('');
      }
      return undefined;
    };
    const unsubscribe = peer.events.on('invoked', (event) => {
      if (event.peerId === peer.peerId && event.particleId === particleId && event.retCode !== 0) {
        settle({
          status: 'error',
          particleId,
          message: `Script interpretation failed: ${event.errorMessage}`,
        });
      } else if (
        options.fireAndForget === true &&
        event.peerId === peer.peerId &&
        event.particleId === particleId &&
        event.callRequests === 0
      ) {
        settle({ status: 'result', particleId, value: null });
      }
    });
    options.interrupt?.(
      (message, detail) => settle({ status: 'error', particleId, message, detail }),
      particleId,
    );
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    peer.setParticleHandlers(particleId, [handler]);
    peer.initiate(particle);
    if (options.idle) {
      void options.idle().then(() =>
        settle({
          status: 'idle',
          particleId,
          message: 'the network ran out of work without a response',
        }),
      );
    }
  });
}

/**
 * Runs a compiled Aqua function with js-client's conventions and resolves with its result (null,
 * the single value, or an array for several); rejects with a ParticleError.
 */
export async function callAquaFunction(
  peer: Peer,
  relayPeerId: string,
  script: string,
  args: Readonly<Record<string, unknown>>,
  options: CallOptions = {},
): Promise<unknown> {
  const outcome = await runScript(peer, relayPeerId, script, { ...options, args });
  if (outcome.status === 'result') return outcome.value;
  throw new ParticleError(
    outcome.message,
    outcome.particleId,
    outcome.status === 'error' ? outcome.detail : undefined,
  );
}
