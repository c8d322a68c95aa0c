// Errors raised while an AIR script runs. The interpreter tells catchable from uncatchable ones by
// class, and joinable ones (waiting on a value another branch or peer has not produced yet) by code.
import { CatchableErrorCode } from './codes.js';

/** A preparation failure (bad data, bad signature, limits): the previous data is returned unchanged. */
export class PreparationError extends Error {
  override readonly name = 'PreparationError';
  /** AquaVM's preparation error code (1..10). */
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** An error `xor` can catch; uncaught at top level it still returns the new data. */
export class CatchableError extends Error {
  /** AquaVM's catchable error code (10000..10012). */
  readonly code: number;
  constructor(code: number, message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.code = code;
  }
  /** True when the error means "wait for a value not set yet" rather than a failure. */
  get joinable(): boolean {
    return this.code === CatchableErrorCode.VariableNotFound;
  }
}

/** An error that aborts execution; the previous data is returned. */
export class UncatchableError extends Error {
  /** AquaVM's uncatchable error code (20000..20020). */
  readonly code: number;
  constructor(code: number, message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.code = code;
  }
}

// Set on the prototypes rather than as fields, so the constructors may run code before `super`:
// catchable and uncatchable errors steer execution (a variable not set yet, an xor's left branch)
// and become ret codes, never shown with a stack, and capturing one costs more than the rest of a
// small instruction.
CatchableError.prototype.name = 'CatchableError';
UncatchableError.prototype.name = 'UncatchableError';

/** Any error the interpreter raises on purpose. */
export type InterpreterError = PreparationError | CatchableError | UncatchableError;
