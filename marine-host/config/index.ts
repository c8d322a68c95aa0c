// Public surface of service configuration: Config.toml, blueprints, module ids.
import { resolve } from 'node:path';
import { loadBlueprint } from './blueprint.js';
import { loadConfigToml } from './config-toml.js';
import type { ServiceConfig } from './types.js';

export type { ModuleConfig, DefaultModuleConfig, ServiceConfig, Finding } from './types.js';
export {
  checkConfigToml,
  loadConfigToml,
  FindingCollector,
  type ConfigCheck,
} from './config-toml.js';
export {
  checkBlueprint,
  loadBlueprint,
  makeBlueprint,
  ModuleStore,
  type StoredModule,
} from './blueprint.js';
export { moduleCid, blueprintId, blueprintDagJson, isCid, CHUNK_SIZE } from './cid.js';
export { parseByteSize, formatByteSize } from './byte-size.js';

/**
 * Loads a service config from a Config.toml or a blueprint `.json`, its modules resolved in
 * `modulesDir` when given (a Config.toml's own `modules_dir` then does not count).
 */
export function loadServiceConfig(file: string, modulesDir?: string): ServiceConfig {
  return resolve(file).endsWith('.json')
    ? loadBlueprint(file, modulesDir)
    : loadConfigToml(file, modulesDir !== undefined ? { modulesDir } : {});
}
