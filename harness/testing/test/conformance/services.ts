// The services every peer runs in a conformance scenario (fixtures/aqua/conformance/README.md).
import { serviceError, type Peer } from '../../../peer/index.js';

/** Installs the conformance services on a peer. */
export function installConformanceServices(peer: Peer): void {
  let counter = 0;
  const first = (args: readonly unknown[]): unknown => args[0];
  peer.registerService('echo', { echo: first, echo_num: first, echo_all: first });
  peer.registerService('join', {
    concat: (args) => `${String(args[0])}${String(args[1])}`,
    all: (args) => (args[0] as unknown[]).map(String).join(','),
  });
  peer.registerService('records', {
    pair: (args) => ({ left: args[0], right: args[1] }),
    nested: (args) => ({
      name: args[0],
      pair: { left: `${String(args[0])}-l`, right: 7 },
      tags: [`${String(args[0])}-t0`, `${String(args[0])}-t1`],
    }),
    maybe: (args) => (args[0] === true ? ['here'] : []),
  });
  peer.addHandler((call) =>
    call.serviceId === 'failing' && call.functionName === 'fail'
      ? serviceError(String(call.args[0]))
      : undefined,
  );
  peer.registerService('counter', { next: () => ++counter });
  peer.registerService('peer_info', {
    whoami: () => peer.peerId,
    timestamp: (_args, call) => call.particle.timestamp,
  });
}
