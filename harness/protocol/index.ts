// The protocol layer (`marine-ts/protocol`): what every part of the toolkit shares and nothing
// else. JSON values with exact numbers (big integers stay bigints, an integral f64 stays a
// JsonFloat), peer ids and key pairs, security tetraplets, call requests and results, particles
// (fields, signed bytes, expiry), and the crypto provider. It imports nothing of ours and no
// `node:` module, so it runs in browsers as it runs in Node.
export {
  JsonFloat,
  JsonSyntaxError,
  asU32,
  callResultText,
  canonicalJson,
  floatDisplay,
  isJsonI64,
  isJsonInteger,
  isJsonNumber,
  isJsonObject,
  jsonEqual,
  jsonFloat,
  jsonInteger,
  jsonText,
  numberText,
  parseJson,
  serdeFloat,
  serviceResultValue,
  sortedKeys,
  toJsonValue,
  type JsonValue,
  type ParseJsonOptions,
} from './json.js';
export { literalTetraplet, withLens, type SecurityTetraplet } from './tetraplet.js';
export type { CallRequest, CallResult, RunParameters } from './call.js';
export {
  keyPairFromSeed,
  peerIdFromPublicKey,
  publicKeyFromPeerId,
  KeyFormatError,
  type Ed25519KeyPair,
} from './peer-id.js';
export { KeyPair, verifySignature } from './key-pair.js';
export {
  createParticle,
  hasValidSignature,
  particleSignedBytes,
  timeLeft,
  DEFAULT_TTL_MS,
  type Particle,
} from './particle.js';
export {
  getCrypto,
  setCrypto,
  portableCrypto,
  nodeCryptoProvider,
  type CryptoProvider,
  type Ed25519Signer,
} from './crypto.js';
export { byteKey, toBase64, toHex, utf8Bytes, utf8Length, utf8Text, writeUtf8 } from './bytes.js';
