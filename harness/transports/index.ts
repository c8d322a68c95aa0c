// Transports (`harness/transports`): how peers exchange particles. `memory` delivers in-process
// (tests, `marine air run`); libp2p with Fluence's particle protocol comes with `marine node`.
export { MemoryNetwork, type MemoryNetworkOptions } from './memory/memory-network.js';
