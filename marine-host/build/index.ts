// Public API of the build pipeline (Rust service crate → Wasm component, WIT, Aqua, TS types, bindings).
export { buildServices, componentizeModule, PIPELINE_VERSION } from './build.js';
export type {
  BuildOptions,
  BuildResult,
  BuiltModule,
  ModuleOutputs,
  SkippedArtifact,
} from './build.js';
export { loadToolchain, toolchainEnvPath, type Toolchain } from './toolchain.js';
export { readInterface, INTERFACE_SECTION } from './interface.js';
export { rewriteModule, unwrapCommandExport, type RewriteResult } from './rewrite.js';
export { generateWit, witType, witPackage, witWorld } from './wit.js';
export { generateAqua, aquaType, type AquaOptions } from './aqua.js';
export { generateTsTypes, tsType } from './ts-types.js';
export {
  Layouts,
  MAX_FLAT_PARAMS,
  MAX_FLAT_RESULTS,
  type Leaf,
  type RecordLayout,
  type SizeAlign,
} from './layout.js';
export { kebabName, witIdent } from './names.js';
export {
  componentize,
  printComponentWit,
  reactorAdapterPath,
  transpileComponent,
} from './componentize.js';
export {
  BuildError,
  CargoBuildError,
  ComponentizeError,
  InterfaceError,
  ToolchainError,
  WasmFormatError,
  WitNameError,
} from './errors.js';
export type * from './types.js';
