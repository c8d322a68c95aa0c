// Aqua (`harness/aqua`): compile Aqua with the Aqua compiler (aqua-api) into AIR and the argument
// names of its functions, and into client code for marine-ts/client.
export {
  aquaImportDirs,
  loadScript,
  type LoadedScript,
  type LoadScriptOptions,
} from './compile.js';
export {
  generateClientCode,
  writeClientCode,
  retargetClientImport,
  AquaCompileError,
  DEFAULT_CLIENT_IMPORT,
  type GenerateOptions,
  type GeneratedFile,
} from './generate.js';
