import { base58btc } from 'multiformats/bases/base58';
import { getCrypto, utf8Bytes, utf8Text } from '../protocol/index.js';
import type { ServiceFunction } from '../peer/index.js';
import { arrayArg, bytesArg, expectArgs, stringArg } from './args.js';

/** Nox's `op`: identity, arrays, strings, base58 and SHA-256. */
export const op: Record<string, ServiceFunction> = {
  noop: () => '',
  array: (args) => [...args],
  array_length: (args) => {
    expectArgs(args, 1, 'op.array_length');
    return arrayArg(args[0], 'op.array_length').length;
  },
  concat: (args) => args.flatMap((a, i) => arrayArg(a, `op.concat argument ${i}`)),
  identity: (args) => {
    if (args.length > 1)
      throw new Error(`op.identity expects 0 or 1 arguments, found ${args.length}`);
    return args.length === 0 ? '' : args[0];
  },
  concat_strings: (args) =>
    args.map((a, i) => stringArg(a, `op.concat_strings argument ${i}`)).join(''),
  string_to_b58: (args) => base58btc.baseEncode(utf8Bytes(stringArg(args[0], 'op.string_to_b58'))),
  string_from_b58: (args) =>
    utf8Text(base58btc.baseDecode(stringArg(args[0], 'op.string_from_b58'))),
  bytes_to_b58: (args) => base58btc.baseEncode(bytesArg(args[0], 'op.bytes_to_b58')),
  bytes_from_b58: (args) => [...base58btc.baseDecode(stringArg(args[0], 'op.bytes_from_b58'))],
  sha256_string: (args) => {
    const digest = getCrypto().sha256(utf8Bytes(stringArg(args[0], 'op.sha256_string')));
    // A sha2-256 multihash: code 0x12, length 32, then the digest.
    const multihash = new Uint8Array(2 + digest.length);
    multihash.set([0x12, 0x20]);
    multihash.set(digest, 2);
    return base58btc.baseEncode(multihash);
  },
};
