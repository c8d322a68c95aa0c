// Errors of `marine build`. Each says what was expected, what was found and where (the module,
// the item, the file), so a service author can fix the Rust code or the toolchain directly.
import { MarineHostError } from '../errors.js';

/** Base class of every error the build pipeline throws on purpose. */
export class BuildError extends MarineHostError {
  override name = 'BuildError';
}

/** No usable Rust toolchain for the wasm target, or its set-up script failed. */
export class ToolchainError extends BuildError {
  override name = 'ToolchainError';
}

/** cargo failed; its diagnostics have already gone to stderr. */
export class CargoBuildError extends BuildError {
  override name = 'CargoBuildError';
}

/** The `marine-ts:interface` section of a module is malformed or inconsistent. */
export class InterfaceError extends BuildError {
  override name = 'InterfaceError';
}

/** A Rust name cannot be turned into a WIT identifier, or two names collide once converted. */
export class WitNameError extends BuildError {
  override name = 'WitNameError';
}

/** A core Wasm module cannot be parsed or does not have what the rewrite needs. */
export class WasmFormatError extends BuildError {
  override name = 'WasmFormatError';
}

/** jco (wasm-tools embed/new or transpile) rejected the module. */
export class ComponentizeError extends BuildError {
  override name = 'ComponentizeError';
}
