// The client side (`marine-ts/client`): a peer that starts particles with js-client's conventions
// (compiled Aqua's getDataSrv, callbackSrv, errorHandlingSrv) and gets their results. Runs in
// Node and browsers: it imports the protocol layer and the peer, never a `node:` module.
export {
  runScript,
  callAquaFunction,
  ParticleError,
  type CallOptions,
  type RunScriptOptions,
  type RunOutcome,
} from './run-script.js';
