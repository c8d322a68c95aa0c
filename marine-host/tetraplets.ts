// Call parameters and tetraplets: what every call carries, and the declarative per-service
// policy the host checks at ingress, before any guest code runs.
import { CallParametersError, PolicyError, TetrapletCheckError } from './errors.js';

import type { SecurityTetraplet } from '../harness/protocol/index.js';

export type { SecurityTetraplet };

/** The particle behind a call. */
export interface ParticleParameters {
  /** Particle id. */
  readonly id: string;
  /** Peer that started the particle. */
  readonly init_peer_id: string;
  /** Creation time, ms since the epoch. */
  readonly timestamp: number | bigint;
  /** Time to live, ms. */
  readonly ttl: number;
  /** The AIR script. */
  readonly script: string;
  /** The init peer's signature. */
  readonly signature: readonly number[] | Uint8Array;
  /** Opaque per-particle token. */
  readonly token: string;
}

/** Everything a call carries (what `get_call_parameters()` returns in the facade). */
export interface CallParameters {
  /** The particle. */
  readonly particle: ParticleParameters;
  /** Id of the service being called. */
  readonly service_id: string;
  /** Peer id of the service's creator (its owner). */
  readonly service_creator_peer_id: string;
  /** Peer id of the host. */
  readonly host_id: string;
  /** Worker id (the host id outside workers). */
  readonly worker_id: string;
  /** One list of tetraplets per argument. */
  readonly tetraplets: readonly (readonly SecurityTetraplet[])[];
}

/** Call parameters as callers may give them: any subset, particle fields included. */
export type CallParametersInput = Partial<Omit<CallParameters, 'particle' | 'tetraplets'>> & {
  /** Particle fields to set. */
  readonly particle?: Partial<ParticleParameters>;
  /** Tetraplets per argument; defaults to an empty list per argument. */
  readonly tetraplets?: readonly (readonly Partial<SecurityTetraplet>[])[];
};

/**
 * Who a service is, fixed when it is loaded or created and never taken from a call: the policy's
 * `owner_only`, `%host%` and the facade's call parameters all read these values.
 */
export interface ServiceIdentity {
  /** The service's id. */
  readonly serviceId: string;
  /** Peer that created the service (its owner); empty when it has none, and then `owner_only` denies. */
  readonly ownerPeerId: string;
  /** Peer that hosts the service. */
  readonly hostPeerId: string;
  /** Worker the service runs in (the host peer outside workers). */
  readonly workerId?: string;
}

const CALL_FIELDS = [
  'particle',
  'service_id',
  'service_creator_peer_id',
  'host_id',
  'worker_id',
  'tetraplets',
] as const;
const PARTICLE_FIELDS = [
  'id',
  'init_peer_id',
  'timestamp',
  'ttl',
  'script',
  'signature',
  'token',
] as const;
const TETRAPLET_FIELDS = ['peer_pk', 'service_id', 'function_name', 'lens'] as const;
const U64_MAX = 18446744073709551615n;

/** A value for an error message: short, and safe on values too deep or cyclic to print. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
  } catch {
    text = undefined;
  }
  if (text === undefined) return Array.isArray(value) ? 'an array' : typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value)
  );
}

function badField(field: string, expected: string, value: unknown): never {
  throw new CallParametersError(
    `call parameters: ${field}: expected ${expected}, found ${shown(value)}`,
  );
}

function onlyFields(obj: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(obj))
    if (!known.includes(key))
      throw new CallParametersError(
        `call parameters: ${where}${key}: unknown field (expected one of ${known.join(', ')})`,
      );
}

function stringField(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (v === undefined) return '';
  if (typeof v !== 'string') badField(`${where}${key}`, 'a string', v);
  return v;
}

function particleOf(raw: unknown): ParticleParameters {
  if (raw === undefined) raw = {};
  if (!isPlainObject(raw))
    return badField('particle', 'an object {id?, init_peer_id?, timestamp?, ...}', raw);
  onlyFields(raw, PARTICLE_FIELDS, 'particle.');
  let timestamp: number | bigint = 0;
  const ts = raw.timestamp;
  if (ts !== undefined) {
    const big =
      typeof ts === 'bigint'
        ? ts
        : typeof ts === 'number' && Number.isSafeInteger(ts)
          ? BigInt(ts)
          : undefined;
    if (big === undefined || big < 0n || big > U64_MAX)
      badField('particle.timestamp', 'milliseconds since the epoch (an integer in 0..2^64-1)', ts);
    timestamp = ts as number | bigint;
  }
  const ttl = raw.ttl ?? 0;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 4294967295)
    badField('particle.ttl', 'milliseconds (an integer in 0..2^32-1)', ttl);
  let signature: readonly number[] | Uint8Array = [];
  const sig = raw.signature;
  if (sig instanceof Uint8Array) signature = sig;
  else if (sig !== undefined) {
    if (!Array.isArray(sig)) badField('particle.signature', 'an array of bytes', sig);
    sig.forEach((b: unknown, i) => {
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255)
        badField(`particle.signature[${i}]`, 'a byte (0..255)', b);
    });
    signature = sig as number[];
  }
  return {
    id: stringField(raw, 'id', 'particle.'),
    init_peer_id: stringField(raw, 'init_peer_id', 'particle.'),
    timestamp,
    ttl: ttl as number,
    script: stringField(raw, 'script', 'particle.'),
    signature,
    token: stringField(raw, 'token', 'particle.'),
  };
}

function tetrapletsOf(raw: unknown, argCount: number): SecurityTetraplet[][] {
  if (raw === undefined) {
    // A plain loop: Array.from over an array-like was 2 µs of every call.
    const lists: SecurityTetraplet[][] = [];
    for (let i = 0; i < argCount; i += 1) lists.push([]);
    return lists;
  }
  if (!Array.isArray(raw))
    return badField('tetraplets', 'an array with one list of tetraplets per argument', raw);
  return raw.map((list: unknown, i) => {
    if (!Array.isArray(list))
      return badField(`tetraplets[${i}]`, `an array of tetraplets (for argument ${i})`, list);
    return list.map((t: unknown, j) => {
      const where = `tetraplets[${i}][${j}]`;
      if (!isPlainObject(t))
        return badField(where, 'an object {peer_pk, service_id, function_name, lens}', t);
      onlyFields(t, TETRAPLET_FIELDS, `${where}.`);
      return {
        peer_pk: stringField(t, 'peer_pk', `${where}.`),
        service_id: stringField(t, 'service_id', `${where}.`),
        function_name: stringField(t, 'function_name', `${where}.`),
        lens: stringField(t, 'lens', `${where}.`),
      };
    });
  });
}

/**
 * Validates call parameters as a caller gave them and completes them from the service's
 * identity: every field is checked for its type (errors name the field), and `service_id`,
 * `service_creator_peer_id`, `host_id` and `worker_id` always come from `identity`. A call that
 * claims other values for them is refused rather than trusted, so it cannot pose as the owner or
 * the host to the policy or to the guest.
 */
export function completeCallParameters(
  input: unknown,
  argCount: number,
  identity: ServiceIdentity,
): CallParameters {
  const raw = input ?? {};
  if (!isPlainObject(raw))
    return badField('(root)', 'an object {particle?, tetraplets?, ...}', raw);
  onlyFields(raw, CALL_FIELDS, '');
  const own = {
    service_id: identity.serviceId,
    service_creator_peer_id: identity.ownerPeerId,
    host_id: identity.hostPeerId,
    worker_id: identity.workerId ?? identity.hostPeerId,
  };
  for (const [field, value] of Object.entries(own)) {
    const claimed = raw[field];
    if (claimed === undefined) continue;
    if (typeof claimed !== 'string') badField(field, 'a string', claimed);
    if (claimed !== value)
      throw new CallParametersError(
        `call parameters: ${field}: the call claims ${shown(claimed)}, but this service's is ${shown(value)}; service_id, service_creator_peer_id, host_id and worker_id come from the service's identity, set when it was loaded, never from a call`,
      );
  }
  return {
    particle: particleOf(raw.particle),
    ...own,
    tetraplets: tetrapletsOf(raw.tetraplets, argCount),
  };
}

/** What an argument's tetraplets must show. `%host%` and `%init_peer_id%` stand for those peers. */
export interface ArgumentRequirement {
  /** Required producing peer. */
  readonly peer_pk?: string;
  /** Required producing service. */
  readonly service_id?: string;
  /** Required producing function. */
  readonly function_name?: string;
  /** Required lens (often `""`: the whole result, not a part picked by the caller). */
  readonly lens?: string;
}

/** Rules for one function. */
export interface FunctionPolicy {
  /** Only the service's creator (init peer = service_creator_peer_id) may call it. */
  readonly owner_only?: boolean;
  /** Per argument name: where its value must come from. */
  readonly arguments?: Readonly<Record<string, ArgumentRequirement>>;
}

/** A service's tetraplet policy: rules per function (`*` applies to every function). */
export interface TetrapletPolicy {
  /** Function name (snake_case) → rules. */
  readonly functions: Readonly<Record<string, FunctionPolicy>>;
}

const REQUIREMENT_FIELDS = TETRAPLET_FIELDS;
/** Placeholders a requirement may use, resolved per call from the service identity or the particle. */
const PLACEHOLDERS = new Set(['%host%', '%init_peer_id%']);

/** Validates a policy given as JSON; throws PolicyError naming the bad field. */
export function parseTetrapletPolicy(raw: unknown, where = 'policy'): TetrapletPolicy {
  const bad = (field: string, expected: string, value: unknown): never => {
    throw new PolicyError(`${where}: ${field}: expected ${expected}, found ${shown(value)}`);
  };
  if (!isPlainObject(raw)) return bad('(root)', 'an object {functions: {...}}', raw);
  for (const key of Object.keys(raw))
    if (key !== 'functions') bad(key, 'only the field functions', key);
  const fns = raw.functions;
  if (!isPlainObject(fns)) return bad('functions', 'an object of function name → rules', fns);
  const functions: Record<string, FunctionPolicy> = {};
  for (const [name, rule] of Object.entries(fns)) {
    if (!isPlainObject(rule))
      return bad(`functions.${name}`, 'an object {owner_only?, arguments?}', rule);
    for (const key of Object.keys(rule))
      if (key !== 'owner_only' && key !== 'arguments')
        bad(`functions.${name}.${key}`, 'owner_only or arguments', key);
    if (rule.owner_only !== undefined && typeof rule.owner_only !== 'boolean')
      bad(`functions.${name}.owner_only`, 'true or false', rule.owner_only);
    const args: Record<string, ArgumentRequirement> = {};
    if (rule.arguments !== undefined) {
      if (!isPlainObject(rule.arguments))
        return bad(
          `functions.${name}.arguments`,
          'an object of argument name → requirement',
          rule.arguments,
        );
      for (const [arg, req] of Object.entries(rule.arguments)) {
        if (!isPlainObject(req))
          return bad(
            `functions.${name}.arguments.${arg}`,
            'an object {peer_pk?, service_id?, function_name?, lens?}',
            req,
          );
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(req)) {
          const field = `functions.${name}.arguments.${arg}.${k}`;
          if (!(REQUIREMENT_FIELDS as readonly string[]).includes(k))
            bad(field, REQUIREMENT_FIELDS.join(', '), k);
          if (typeof v !== 'string') return bad(field, 'a string', v);
          // A misspelt placeholder would be compared literally and silently never match.
          if (/^%.*%$/.test(v) && !PLACEHOLDERS.has(v))
            bad(field, `a literal or one of ${[...PLACEHOLDERS].join(', ')}`, v);
          out[k] = v;
        }
        args[arg] = out;
      }
    }
    functions[name] = {
      ...(rule.owner_only !== undefined ? { owner_only: rule.owner_only as boolean } : {}),
      arguments: args,
    };
  }
  return { functions };
}

/** Folds a name to compare spellings: `write-file`, `writeFile` and `write_file` are one name. */
function foldName(name: string): string {
  return name.replace(/[-_]/g, '').toLowerCase();
}

/**
 * Checks a policy against the service's facade functions (snake_case name → argument names)
 * when the service is loaded: a rule for a function or an argument the service does not have
 * would never apply, so it is an error listing what the service has (with the spelling the
 * policy must use when it named a real function in kebab-case or camelCase).
 */
export function checkPolicyNames(
  policy: TetrapletPolicy,
  functions: ReadonlyMap<string, readonly string[]>,
  where = 'policy',
): void {
  const list = [...functions.keys()].join(', ');
  for (const [name, rule] of Object.entries(policy.functions)) {
    if (name !== '*' && !functions.has(name)) {
      const like = [...functions.keys()].find((f) => foldName(f) === foldName(name));
      throw new PolicyError(
        `${where}: functions.${name}: the service has no function ${JSON.stringify(name)}${like ? ` (did you mean ${like}? policies name functions in snake_case)` : ''}; its functions: ${list}`,
      );
    }
    for (const arg of Object.keys(rule.arguments ?? {})) {
      const owners = name === '*' ? [...functions.values()] : [functions.get(name) ?? []];
      if (!owners.some((args) => args.includes(arg))) {
        const known = name === '*' ? [...new Set(owners.flat())] : (owners[0] ?? []);
        throw new PolicyError(
          `${where}: functions.${name}.arguments.${arg}: ${name === '*' ? 'no function of the service has' : `function ${name} has no`} argument ${JSON.stringify(arg)} (arguments: ${known.join(', ') || 'none'})`,
        );
      }
    }
  }
}

/**
 * Checks a call's tetraplets before guest code runs: one list per argument, then the rules of
 * `*` and of the function. The owner and the host come from the service's identity, never from
 * the call; a rule that cannot be decided (no owner, no init peer, a placeholder that resolves to
 * nothing) denies. Every tetraplet of an argument must meet its requirement. Throws
 * TetrapletCheckError naming the function, the argument and the requirement.
 */
export function checkTetraplets(
  fn: string,
  argNames: readonly string[],
  cp: CallParameters,
  policy: TetrapletPolicy | undefined,
  identity: ServiceIdentity,
): void {
  if (cp.tetraplets.length !== argNames.length) {
    throw new TetrapletCheckError(
      `function ${fn}: expected ${argNames.length} tetraplet list${argNames.length === 1 ? '' : 's'} (one per argument), found ${cp.tetraplets.length}`,
    );
  }
  if (!policy) return;
  const init = cp.particle.init_peer_id;
  for (const [ruleName, rule] of [
    ['*', policy.functions['*']],
    [fn, policy.functions[fn]],
  ] as const) {
    if (!rule) continue;
    if (rule.owner_only) {
      const owner = identity.ownerPeerId;
      if (owner === '' || init === '')
        throw new TetrapletCheckError(
          `function ${fn} may be called only by the service owner, but ${owner === '' ? 'the service has no owner (it was loaded without one)' : 'the particle has no init peer id'}, so the call cannot be shown to come from the owner`,
        );
      if (init !== owner)
        throw new TetrapletCheckError(
          `function ${fn} may be called only by the service owner ${JSON.stringify(owner)}, but the particle's init peer is ${JSON.stringify(init)}`,
        );
    }
    for (const [arg, req] of Object.entries(rule.arguments ?? {})) {
      const index = argNames.indexOf(arg);
      if (index < 0) {
        // A `*` requirement applies to the functions that have that argument.
        if (ruleName === '*') continue;
        throw new TetrapletCheckError(
          `function ${fn}: the policy names argument ${JSON.stringify(arg)}, which the function does not have (arguments: ${argNames.join(', ')})`,
        );
      }
      const list = cp.tetraplets[index] ?? [];
      const wanted: [keyof SecurityTetraplet, string][] = [];
      for (const k of REQUIREMENT_FIELDS) {
        const v = req[k];
        if (v === undefined) continue;
        const resolved = v === '%host%' ? identity.hostPeerId : v === '%init_peer_id%' ? init : v;
        if (resolved === '' && v !== resolved)
          throw new TetrapletCheckError(
            `function ${fn}: argument ${arg} must have ${k} = ${v}, but ${v === '%host%' ? 'the service has no host peer id' : 'the particle has no init peer id'}, so the requirement cannot be decided`,
          );
        wanted.push([k, resolved]);
      }
      const describeReq = wanted.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ');
      if (list.length === 0)
        throw new TetrapletCheckError(
          `function ${fn}: argument ${arg} must come from ${describeReq}, but it carries no tetraplet`,
        );
      list.forEach((t, i) => {
        for (const [k, v] of wanted) {
          if (t[k] !== v)
            throw new TetrapletCheckError(
              `function ${fn}: argument ${arg} must come from ${describeReq}, but its tetraplet${list.length > 1 ? ` ${i}` : ''} has ${k} = ${JSON.stringify(t[k])}`,
            );
        }
      });
    }
  }
}
