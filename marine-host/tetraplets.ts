// Call parameters and tetraplets: what every call carries, and the declarative per-service
// policy the host checks at ingress, before any guest code runs.
import { TetrapletCheckError } from './errors.js';

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

/** Fills the gaps of partial call parameters (empty strings, zero times, an empty list per argument). */
export function completeCallParameters(
  input: CallParametersInput | undefined,
  argCount: number,
  defaults: { serviceId: string; hostId: string; owner: string },
): CallParameters {
  const p = input?.particle ?? {};
  const tetraplets = input?.tetraplets
    ? input.tetraplets.map((list) =>
        list.map((t) => ({
          peer_pk: t.peer_pk ?? '',
          service_id: t.service_id ?? '',
          function_name: t.function_name ?? '',
          lens: t.lens ?? '',
        })),
      )
    : Array.from({ length: argCount }, () => []);
  return {
    particle: {
      id: p.id ?? '',
      init_peer_id: p.init_peer_id ?? '',
      timestamp: p.timestamp ?? 0,
      ttl: p.ttl ?? 0,
      script: p.script ?? '',
      signature: p.signature ?? [],
      token: p.token ?? '',
    },
    service_id: input?.service_id ?? defaults.serviceId,
    service_creator_peer_id: input?.service_creator_peer_id ?? defaults.owner,
    host_id: input?.host_id ?? defaults.hostId,
    worker_id: input?.worker_id ?? input?.host_id ?? defaults.hostId,
    tetraplets,
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

const REQUIREMENT_FIELDS = ['peer_pk', 'service_id', 'function_name', 'lens'] as const;

/** Validates a policy given as JSON; throws naming the bad field. */
export function parseTetrapletPolicy(raw: unknown, where = 'policy'): TetrapletPolicy {
  const bad = (field: string, expected: string, value: unknown): never => {
    throw new TypeError(`${where}: ${field}: expected ${expected}, found ${JSON.stringify(value)}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return bad('(root)', 'an object {functions: {...}}', raw);
  const fns = (raw as Record<string, unknown>).functions;
  if (typeof fns !== 'object' || fns === null || Array.isArray(fns))
    return bad('functions', 'an object of function name → rules', fns);
  const functions: Record<string, FunctionPolicy> = {};
  for (const [name, rule] of Object.entries(fns)) {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
      return bad(`functions.${name}`, 'an object {owner_only?, arguments?}', rule);
    const r = rule as Record<string, unknown>;
    for (const key of Object.keys(r))
      if (key !== 'owner_only' && key !== 'arguments')
        bad(`functions.${name}.${key}`, 'owner_only or arguments', key);
    if (r.owner_only !== undefined && typeof r.owner_only !== 'boolean')
      bad(`functions.${name}.owner_only`, 'true or false', r.owner_only);
    const args: Record<string, ArgumentRequirement> = {};
    if (r.arguments !== undefined) {
      if (typeof r.arguments !== 'object' || r.arguments === null || Array.isArray(r.arguments))
        bad(`functions.${name}.arguments`, 'an object of argument name → requirement', r.arguments);
      for (const [arg, req] of Object.entries(r.arguments as Record<string, unknown>)) {
        if (typeof req !== 'object' || req === null || Array.isArray(req))
          return bad(
            `functions.${name}.arguments.${arg}`,
            'an object {peer_pk?, service_id?, function_name?, lens?}',
            req,
          );
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(req as Record<string, unknown>)) {
          if (!(REQUIREMENT_FIELDS as readonly string[]).includes(k))
            bad(`functions.${name}.arguments.${arg}.${k}`, REQUIREMENT_FIELDS.join(', '), k);
          if (typeof v !== 'string') bad(`functions.${name}.arguments.${arg}.${k}`, 'a string', v);
          out[k] = v as string;
        }
        args[arg] = out;
      }
    }
    functions[name] = {
      ...(r.owner_only !== undefined ? { owner_only: r.owner_only as boolean } : {}),
      arguments: args,
    };
  }
  return { functions };
}

/**
 * Checks a call's tetraplets before guest code runs: one list per argument, then the policy of
 * the function. Throws TetrapletCheckError naming the function, the argument and the requirement.
 */
export function checkTetraplets(
  fn: string,
  argNames: readonly string[],
  cp: CallParameters,
  policy: TetrapletPolicy | undefined,
): void {
  if (cp.tetraplets.length !== argNames.length) {
    throw new TetrapletCheckError(
      `function ${fn}: expected ${argNames.length} tetraplet list${argNames.length === 1 ? '' : 's'} (one per argument), found ${cp.tetraplets.length}`,
    );
  }
  if (!policy) return;
  for (const rule of [policy.functions['*'], policy.functions[fn]]) {
    if (!rule) continue;
    if (rule.owner_only && cp.particle.init_peer_id !== cp.service_creator_peer_id) {
      throw new TetrapletCheckError(
        `function ${fn} may be called only by the service owner ${JSON.stringify(cp.service_creator_peer_id)}, but the particle's init peer is ${JSON.stringify(cp.particle.init_peer_id)}`,
      );
    }
    for (const [arg, req] of Object.entries(rule.arguments ?? {})) {
      const index = argNames.indexOf(arg);
      if (index < 0)
        throw new TetrapletCheckError(
          `function ${fn}: the policy names argument ${JSON.stringify(arg)}, which the function does not have (arguments: ${argNames.join(', ')})`,
        );
      const list = cp.tetraplets[index] ?? [];
      const wanted = Object.fromEntries(
        REQUIREMENT_FIELDS.filter((k) => req[k] !== undefined).map((k) => {
          const v = req[k] as string;
          return [
            k,
            v === '%host%' ? cp.host_id : v === '%init_peer_id%' ? cp.particle.init_peer_id : v,
          ];
        }),
      );
      const describeReq = Object.entries(wanted)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join(', ');
      if (list.length === 0)
        throw new TetrapletCheckError(
          `function ${fn}: argument ${arg} must come from ${describeReq}, but it carries no tetraplet`,
        );
      for (const t of list) {
        for (const [k, v] of Object.entries(wanted)) {
          const found = t[k as keyof SecurityTetraplet];
          if (found !== v) {
            throw new TetrapletCheckError(
              `function ${fn}: argument ${arg} must come from ${describeReq}, but its tetraplet has ${k} = ${JSON.stringify(found)}`,
            );
          }
        }
      }
    }
  }
}
