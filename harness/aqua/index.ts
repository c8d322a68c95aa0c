// Aqua (`harness/aqua`): compile Aqua with the Aqua compiler (aqua-api) into AIR and the argument
// names of its functions.
export {
  aquaImportDirs,
  loadScript,
  type LoadedScript,
  type LoadScriptOptions,
} from './compile.js';
