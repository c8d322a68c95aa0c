// Named errors of the Marine host. Each message says what was expected, what was found and where,
// so a user can fix the config, the module or the call without reading host code.

/** Base class of every error the Marine host throws on purpose. */
export class MarineHostError extends Error {
  override name = 'MarineHostError';
}

/** A Config.toml or blueprint field is missing, has the wrong type or an invalid value. */
export class ConfigError extends MarineHostError {
  override name = 'ConfigError';
  /** The file the bad value came from. */
  readonly file: string;
  /** Dotted path of the field, e.g. `module[1].wasi.envs`. */
  readonly field: string;
  constructor(file: string, field: string, message: string) {
    super(`${file}: ${field}: ${message}`);
    this.file = file;
    this.field = field;
  }
}

/** A module file, its WIT or its bindings cannot be found or read. */
export class ModuleLoadError extends MarineHostError {
  override name = 'ModuleLoadError';
}

/** A module's WIT could not be parsed. */
export class WitParseError extends MarineHostError {
  override name = 'WitParseError';
}

/** Modules of a service do not fit together: a missing module or function, a type mismatch, a cycle. */
export class LinkError extends MarineHostError {
  override name = 'LinkError';
}

/** A module needs an effect (mounted binary, mapped dir) its config does not grant. */
export class EffectNotGrantedError extends MarineHostError {
  override name = 'EffectNotGrantedError';
}

/** The facade has no function of the called name. */
export class NoSuchFunctionError extends MarineHostError {
  override name = 'NoSuchFunctionError';
}

/** Call arguments do not match the function's parameters (count, names or types). */
export class ArgumentError extends MarineHostError {
  override name = 'ArgumentError';
}

/** A call's tetraplets violate the service's tetraplet policy; raised before guest code runs. */
export class TetrapletCheckError extends MarineHostError {
  override name = 'TetrapletCheckError';
}

/** Guest code trapped (unreachable, out-of-bounds access, Rust panic...). */
export class GuestTrapError extends MarineHostError {
  override name = 'GuestTrapError';
}

/** A call ran longer than its time limit; the service was restarted. */
export class CallTimeoutError extends MarineHostError {
  override name = 'CallTimeoutError';
}

/** A service went over its `total_memory_limit`. */
export class MemoryLimitError extends MarineHostError {
  override name = 'MemoryLimitError';
}

/** The service was closed; no more calls are accepted. */
export class ServiceClosedError extends MarineHostError {
  override name = 'ServiceClosedError';
}

/** Call parameters are malformed, or claim an identity (service, owner, host) the service does not have. */
export class CallParametersError extends MarineHostError {
  override name = 'CallParametersError';
}

/** A tetraplet policy is malformed or names functions or arguments the service does not have. */
export class PolicyError extends MarineHostError {
  override name = 'PolicyError';
}

/** A call's arguments or result are larger than the service's value size limit. */
export class ValueSizeLimitError extends MarineHostError {
  override name = 'ValueSizeLimitError';
}

/** The guest ended its own call by calling exit (WASI `proc_exit`); the service was restarted. */
export class ModuleExitError extends MarineHostError {
  override name = 'ModuleExitError';
}
