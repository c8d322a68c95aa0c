// The package root re-exports the public surface of each area.
export * as protocol from './harness/protocol/index.js';
export * as marineHost from './marine-host/index.js';
export * as air from './harness/air/index.js';
export * as client from './harness/client/index.js';
export * as testing from './harness/testing/index.js';
