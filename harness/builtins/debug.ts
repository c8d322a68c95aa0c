import { callResultText } from '../protocol/index.js';
import type { ServiceFunction } from '../peer/index.js';

/** Nox's `debug`: a value (or the argument list) as JSON text. */
export const debug: Record<string, ServiceFunction> = {
  // Nox answers an empty argument list with a JSON string, so the result is still JSON.
  stringify: (args) =>
    args.length === 0
      ? '"<empty argument list>"'
      : callResultText(args.length === 1 ? args[0] : args),
};
