// Reading a service's or a module's interface without running any guest code (for `marine it`,
// `marine aqua` and typed test loaders), and validating a config end to end (`marine validate`).
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  checkBlueprint,
  checkConfigToml,
  loadServiceConfig,
  ModuleStore,
} from '../config/index.js';
import type { Finding, ModuleConfig } from '../config/types.js';
import { ConfigError } from '../errors.js';
import { inspectModule } from '../module/module-info.js';
import { buildInterface, type ServiceInterface } from './interface.js';
import { checkService, planService } from './plan.js';

/** The interface of a module file (`.wasm`), or of a service's facade or named module (Config.toml / blueprint). */
export async function interfaceOf(
  path: string,
  modulesDir?: string,
  module?: string,
): Promise<{ name: string; interface: ServiceInterface }> {
  if (module !== undefined && !/\.wasm$/i.test(path)) {
    const all = await interfacesOf(path, modulesDir);
    const found = all.find((m) => m.name === module);
    if (!found) {
      throw new ConfigError(
        path,
        '--module',
        `no module ${JSON.stringify(module)} (modules: ${all.map((m) => m.name).join(', ')})`,
      );
    }
    return found;
  }
  if (/\.wasm$/i.test(path)) {
    const name = basename(path).replace(/\.wasm$/i, '');
    const config: ModuleConfig = {
      name,
      path: resolve(path),
      loggerEnabled: true,
      loggingMask: 2147483647,
      envs: {},
      mappedDirs: {},
      mountedBinaries: {},
    };
    const info = await inspectModule(config);
    return { name, interface: buildInterface(info.exports.values()) };
  }
  const plan = await planService(loadServiceConfig(path, modulesDir));
  return {
    name: plan.facade.info.config.name,
    interface: buildInterface(plan.facade.info.exports.values()),
  };
}

/** The interface of every module of a service (Config.toml / blueprint), in load order (the facade last). */
export async function interfacesOf(
  path: string,
  modulesDir?: string,
): Promise<{ name: string; interface: ServiceInterface }[]> {
  const plan = await planService(loadServiceConfig(path, modulesDir));
  return plan.modules.map((m) => ({
    name: m.info.config.name,
    interface: buildInterface(m.info.exports.values()),
  }));
}

/** Every load check of a Config.toml or blueprint, without running guest code; findings in file order. */
export async function validateService(path: string, modulesDir?: string): Promise<Finding[]> {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return [
      {
        file,
        field: '(file)',
        message: `cannot read: ${(error as Error).message}`,
        severity: 'error',
      },
    ];
  }
  let check;
  if (file.endsWith('.json')) {
    let store: ModuleStore;
    try {
      store = ModuleStore.open(modulesDir ?? dirname(file));
    } catch (error) {
      const e = error as ConfigError;
      return [
        {
          file: e.file ?? file,
          field: e.field ?? '(module store)',
          message: e.message,
          severity: 'error',
        },
      ];
    }
    check = checkBlueprint(text, file, store);
  } else check = checkConfigToml(text, file, modulesDir !== undefined ? { modulesDir } : {});
  if (!check.config) return [...check.findings];
  const { findings } = await checkService(check.config);
  return [...check.findings, ...findings];
}
