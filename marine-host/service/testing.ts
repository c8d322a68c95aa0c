// What `marine test` gives user tests, in the spirit of `#[marine_test]`: load a service from its
// Config.toml and call its facade functions as plain async methods, typed by the TS types
// `marine build` writes beside each module (`<module>.d.ts`).
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallParametersInput } from '../tetraplets.js';
import { JsonFloat } from '../../harness/protocol/index.js';
import type { JsonValue } from './json.js';
import { Service, type ServiceOptions } from './service.js';

/** A facade function as a method: positional arguments, the result as JSON. */
export type ServiceMethod = (...args: unknown[]) => Promise<JsonValue>;

/** Methods by snake_case name, plus `<name>_cp(callParameters, ...args)` variants and the service itself. */
export type TestService<Api = Record<string, ServiceMethod>> = Api & {
  /** The underlying service (interface, logs, raw `call`). */
  readonly $service: Service;
  /** Stops the service. */
  readonly $close: () => Promise<void>;
};

/**
 * Loads a service for a test. `configPath` may be relative to `base` (a directory or an
 * `import.meta.url`), so tests can name their Config.toml relative to themselves.
 */
export async function loadTestService<Api = Record<string, ServiceMethod>>(
  configPath: string,
  options: ServiceOptions & { base?: string } = {},
): Promise<TestService<Api>> {
  const base = options.base?.startsWith('file:')
    ? dirname(fileURLToPath(options.base))
    : options.base;
  const path =
    isAbsolute(configPath) || base === undefined ? resolve(configPath) : resolve(base, configPath);
  const service = await Service.load(path, options);
  const target: Record<string, unknown> = { $service: service, $close: () => service.close() };
  for (const f of service.getInterface().function_signatures) {
    target[f.name] = async (...args: unknown[]) => plainFloats(await service.call(f.name, args));
    target[`${f.name}_cp`] = async (cp: CallParametersInput, ...args: unknown[]) =>
      plainFloats(await service.call(f.name, args, cp));
  }
  return target as TestService<Api>;
}

// Tests see an f64 as the plain number its TypeScript type promises (7.0 is 7 in JS); the
// float-ness matters only to AIR, where the peer hands the service's result on unchanged.
function plainFloats(value: JsonValue): JsonValue {
  if (value instanceof JsonFloat) return value.value;
  if (Array.isArray(value)) return value.map(plainFloats);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: plainFloats(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
