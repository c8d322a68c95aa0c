// Named errors of a node's service builtins. Each message says what was expected, what was found
// and where, since it reaches the caller as the text of a service error in the AIR.

/** A protected builtin called by a peer that is neither the host nor a management peer. */
export class PermissionDeniedError extends Error {
  override readonly name = 'PermissionDeniedError';
}

/** A module imports mounted binaries the node's effector allowlist does not grant it (Nox's ForbiddenEffector). */
export class ForbiddenEffectorError extends Error {
  override readonly name = 'ForbiddenEffectorError';
}

/** A module, blueprint or service id (or alias) the node does not have. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** An argument of a builtin of the wrong shape (e.g. bytes that are not base64, a bad blueprint). */
export class BuiltinArgumentError extends Error {
  override readonly name = 'BuiltinArgumentError';
}

/** An alias that may not be used: reserved, or equal to a service id. */
export class AliasError extends Error {
  override readonly name = 'AliasError';
}

/** A service `srv.create` could not start (a memory limit below the modules' initial memory, a link error). */
export class ServiceCreateError extends Error {
  override readonly name = 'ServiceCreateError';
}
