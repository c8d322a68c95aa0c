import type { Service as MarineService } from '../../marine-host/index.js';
import {
  ok,
  serviceError,
  type CallHandler,
  type Service,
  type ServiceCall,
} from '../peer/index.js';

/**
 * A peer service backed by a loaded Marine service: each call passes the particle and the
 * tetraplets of every argument as call parameters (the service supplies its own id, host and
 * owner). A failing call (a guest error, a trap, a
 * timeout, a tetraplet policy violation) becomes a service error for the AIR, as on Nox; the peer
 * and its other services go on.
 */
export function marineService(serviceId: string, service: MarineService): Service {
  return async (call: ServiceCall) => {
    try {
      const result = await service.call(call.functionName, [...call.args], {
        particle: {
          id: call.particle.particleId,
          init_peer_id: call.particle.initPeerId,
          timestamp: call.particle.timestamp,
          ttl: call.particle.ttl,
          signature: [...call.particle.signature],
        },
        // service_id, host_id and worker_id are the service's own identity, given when it was
        // loaded (installServices passes the peer id); a call may not set them.
        tetraplets: call.tetraplets.map((list) => list.map((t) => ({ ...t }))),
      });
      return ok(result);
    } catch (error) {
      return serviceError(error instanceof Error ? error.message : String(error));
    }
  };
}

/** The same as a catch-all handler of the chain: answers calls to `serviceId` only. */
export function marineServiceHandler(serviceId: string, service: MarineService): CallHandler {
  const serve = marineService(serviceId, service);
  return (call) => (call.serviceId === serviceId ? serve(call) : undefined);
}
