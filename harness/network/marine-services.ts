import type { Service } from '../../marine-host/index.js';
import { ok, serviceError, type CallHandler, type ServiceCall } from './handlers.js';

/**
 * A handler that serves calls to `serviceId` with a loaded Marine service, passing the particle
 * and the tetraplets of every argument as call parameters (the service supplies its own id, host
 * and owner). A failing call (a guest
 * error, a trap, a timeout, a tetraplet policy violation) becomes a service error for the AIR,
 * as on Nox; the peer and its other services go on.
 */
export function marineServiceHandler(serviceId: string, service: Service): CallHandler {
  return async (call: ServiceCall) => {
    if (call.serviceId !== serviceId) return undefined;
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
