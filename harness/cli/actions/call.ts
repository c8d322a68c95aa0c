// What `marine call` does (registered in ../commands/call.ts), and the service options, errors
// and JSON arguments it shares with `marine repl` and `marine serve`.
import { readFileSync } from 'node:fs';
import { readJsonInput } from '../input.js';
import {
  loadService,
  parseJson,
  parseTetrapletPolicy,
  type JsonValue,
  stringifyJson,
  type CallArgs,
  type CallParametersInput,
  type ServiceOptions,
} from '../../../marine-host/index.js';
import type { ServiceCliOptions } from '../commands/call.js';

/**
 * Parses a whole-number option, refusing anything but digits in [min, max], so that values like
 * `1e400` or 2^31 are reported instead of quietly becoming another number.
 */
export function integerOption(text: string, flag: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new Error(
      `${flag}: expected a whole number in ${min}..${max}, found ${JSON.stringify(text)}`,
    );
  return n;
}

/** Largest timer delay Node honours (2^31-1 ms); longer ones fire at once. */
const MAX_TIMEOUT_MS = 2147483647;

/** Service options from the CLI flags shared by call and repl. */
export function serviceOptions(options: ServiceCliOptions): ServiceOptions {
  const timeout =
    options.timeout === undefined
      ? undefined
      : integerOption(options.timeout, '--timeout (milliseconds)', 1, MAX_TIMEOUT_MS);
  const valueSizeLimit =
    options.valueSizeLimit === undefined
      ? undefined
      : integerOption(
          options.valueSizeLimit,
          '--value-size-limit (bytes)',
          1,
          Number.MAX_SAFE_INTEGER,
        );
  let policy;
  if (options.policy !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(options.policy, 'utf8'));
    } catch (error) {
      throw new Error(`--policy ${options.policy}: ${(error as Error).message}`);
    }
    policy = parseTetrapletPolicy(raw, options.policy);
  }
  return {
    ...(options.modulesDir !== undefined ? { modulesDir: options.modulesDir } : {}),
    ...(timeout !== undefined ? { callTimeoutMs: timeout } : {}),
    ...(policy !== undefined ? { policy } : {}),
    ...(options.owner !== undefined ? { owner: options.owner } : {}),
    ...(options.serviceId !== undefined ? { serviceId: options.serviceId } : {}),
    ...(options.hostId !== undefined ? { hostId: options.hostId } : {}),
    ...(valueSizeLimit !== undefined ? { valueSizeLimit } : {}),
    ...(options.inline === true ? { execution: 'inline' as const } : {}),
    onLog: (r) => process.stderr.write(`[${r.module} ${r.stream}] ${r.text}\n`),
  };
}

/**
 * An error's message without the guest stderr the host appends to trap errors: the CLI has
 * already printed those lines as they came (onLog above), so they are not printed twice.
 */
export function withoutGuestStderr(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const cut = error.message.indexOf('\nguest stderr:\n');
  if (cut < 0) return error;
  const shorter = new Error(error.message.slice(0, cut));
  shorter.name = error.name;
  return shorter;
}

/** Parses JSON typed in the repl, naming what it was on error. */
export function jsonArgument(text: string, what: string): JsonValue {
  try {
    return parseJson(text);
  } catch (error) {
    throw new Error(
      `${what}: ${(error as Error).message} in ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`,
    );
  }
}

/** `marine call`: loads the service, calls one function and prints the result as JSON. */
export async function callAction(
  config: string,
  fn: string,
  args: string | undefined,
  options: ServiceCliOptions & { callParams?: string; json?: boolean; module?: string },
): Promise<void> {
  const callArgs = (args === undefined ? null : await readJsonInput(args, 'args')) as CallArgs;
  const cp =
    options.callParams === undefined
      ? undefined
      : ((await readJsonInput(options.callParams, '--call-params')) as CallParametersInput);
  const service = await loadService(config, serviceOptions(options));
  try {
    const result = await service
      .call(fn, callArgs, cp, options.module !== undefined ? { module: options.module } : {})
      .catch((error: unknown) => {
        throw withoutGuestStderr(error);
      });
    process.stdout.write(`${stringifyJson(result, options.json ? undefined : 2)}\n`);
  } finally {
    await service.close();
  }
}
