// What the internal `marine serve` does (registered in ../commands/serve.ts): one service kept
// loaded, calls answered as JSON lines.
import { createInterface } from 'node:readline';
import {
  loadService,
  parseJson,
  stringifyJson,
  type CallArgs,
  type CallParametersInput,
  type JsonValue,
  type Service,
  type ServiceOptions,
} from '../../../marine-host/index.js';
import { withoutGuestStderr } from './call.js';

/** The options of `marine serve`. */
export interface ServeCliOptions {
  config: string;
  modulesDir?: string;
  serviceId?: string;
}

/** A request line: a call of one function of the facade (or of `module`). */
interface ServeRequest {
  readonly id: JsonValue;
  readonly module?: string;
  readonly function: string;
  readonly args: CallArgs;
  readonly call_parameters?: Record<string, JsonValue>;
}

/** A request line that is not a call the server can run. */
export class ServeRequestError extends Error {
  override name = 'ServeRequestError';
}

/** The identity fields of call parameters and the service options that set them. */
const IDENTITY_FIELDS = [
  ['service_id', 'serviceId'],
  ['service_creator_peer_id', 'owner'],
  ['host_id', 'hostId'],
  ['worker_id', 'workerId'],
] as const;

type Identity = { serviceId?: string; owner?: string; hostId?: string; workerId?: string };

function parseRequest(line: string): ServeRequest {
  const value = parseJson(line);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ServeRequestError(`expected a JSON object per line, found ${line.slice(0, 80)}`);
  const request = value as Record<string, JsonValue>;
  const fn = request['function'];
  if (typeof fn !== 'string')
    throw new ServeRequestError(`expected "function": a string, found ${stringifyJson(fn)}`);
  const module = request['module'];
  if (module !== undefined && module !== null && typeof module !== 'string')
    throw new ServeRequestError(`expected "module": a string, found ${stringifyJson(module)}`);
  const cp = request['call_parameters'];
  if (cp !== undefined && cp !== null && (typeof cp !== 'object' || Array.isArray(cp)))
    throw new ServeRequestError(
      `expected "call_parameters": an object, found ${stringifyJson(cp)}`,
    );
  return {
    id: request['id'] ?? null,
    function: fn,
    args: (request['args'] ?? []) as CallArgs,
    ...(typeof module === 'string' ? { module } : {}),
    ...(cp !== undefined && cp !== null
      ? { call_parameters: cp as Record<string, JsonValue> }
      : {}),
  };
}

/**
 * Splits call parameters into the identity they claim and the rest. Tests written for Marine
 * pass whole CallParameters, identity included (Marine's test runtime takes them as given),
 * while our host fixes the identity at load and refuses calls that claim another; so a claimed
 * identity becomes the service's identity (reloading it when it changes), and an empty field,
 * what Rust's `CallParameters::default()` holds, claims nothing.
 */
function splitIdentity(cp: Record<string, JsonValue>): {
  claimed: Identity;
  rest: Record<string, JsonValue>;
} {
  const claimed: Identity = {};
  const rest: Record<string, JsonValue> = { ...cp };
  // Marine takes no tetraplets as none known; our host checks one list per argument when given.
  const tetraplets = cp['tetraplets'];
  if (Array.isArray(tetraplets) && tetraplets.length === 0) delete rest['tetraplets'];
  for (const [field, option] of IDENTITY_FIELDS) {
    const value = cp[field];
    delete rest[field];
    if (typeof value === 'string' && value !== '') claimed[option] = value;
  }
  return { claimed, rest };
}

/** `marine serve`: a ready line, then one answer line per request line until stdin ends. */
export async function serveAction(options: ServeCliOptions): Promise<void> {
  const base: ServiceOptions = {
    ...(options.modulesDir !== undefined ? { modulesDir: options.modulesDir } : {}),
    onLog: (r) => process.stderr.write(`[${r.module} ${r.stream}] ${r.text}\n`),
    // #[marine_test]'s runtime: tetraplets reach the guest as the test wrote them, as in Marine.
    tetrapletsAsGiven: true,
  };
  let identity: Identity = options.serviceId ? { serviceId: options.serviceId } : {};
  const load = (id: Identity): Promise<Service> => loadService(options.config, { ...base, ...id });
  const answer = (value: Record<string, JsonValue>): void => {
    process.stdout.write(`${stringifyJson(value)}\n`);
  };
  const describe = (error: unknown): JsonValue => {
    const e = withoutGuestStderr(error);
    return { name: e.name, message: e.message };
  };
  let service: Service;
  try {
    service = await load(identity);
    identity = { ...identity, serviceId: service.serviceId };
  } catch (error) {
    answer({ ready: false, error: describe(error) });
    process.exitCode = 1;
    return;
  }
  answer({ ready: true, service_id: service.serviceId });
  // One call at a time, in order: answers come back in the order the lines came.
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let id: JsonValue = null;
      try {
        const request = parseRequest(line);
        id = request.id;
        let cp: CallParametersInput | undefined;
        if (request.call_parameters !== undefined) {
          const { claimed, rest } = splitIdentity(request.call_parameters);
          const changed = IDENTITY_FIELDS.some(
            ([, option]) => claimed[option] !== undefined && claimed[option] !== identity[option],
          );
          if (changed) {
            identity = { ...identity, ...claimed };
            await service.close();
            service = await load(identity);
          }
          cp = rest as CallParametersInput;
        }
        const result = await service.call(
          request.function,
          request.args,
          cp,
          request.module !== undefined ? { module: request.module } : {},
        );
        answer({ id, result });
      } catch (error) {
        answer({ id, error: describe(error) });
      }
    }
  } finally {
    await service.close();
  }
}
