// Everything that can be checked about a service without running guest code: module files,
// WIT worlds, links between modules (existence, types, cycles), host API use, effects against
// grants, WASI interfaces, and whether the facade's types can be expressed in Aqua. Loading and
// `marine validate` share it, so a config that validates is a config that links.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import type { Finding, ServiceConfig } from '../config/types.js';
import { moduleCid } from '../config/cid.js';
import { LinkError } from '../errors.js';
import {
  HOST_API,
  HOST_API_FUNCTIONS,
  MOUNTED_BINARIES,
  inspectModule,
  moduleKind,
  snakeName,
  type ModuleInfo,
  type ModuleKind,
} from '../module/module-info.js';
import { witSignatureText, witTypesEqual, type WitFunction, type WitType } from '../module/wit.js';
import { PROVIDED_WASI_INTERFACES } from '../wasi/sandbox.js';
import { aquaInexpressible } from './values.js';

/** A module after planning: what it is and where it sits in instantiation order. */
export interface PlannedModule {
  /** What the host read about it. */
  readonly info: ModuleInfo;
  /** Its kind. */
  readonly kind: ModuleKind;
}

/** A service that passed every load check, modules in instantiation order (dependencies first). */
export interface ServicePlan {
  /** The validated config. */
  readonly config: ServiceConfig;
  /** Modules in instantiation order. */
  readonly modules: readonly PlannedModule[];
  /** The facade (last module of the config). */
  readonly facade: PlannedModule;
  /** Warnings found while planning. */
  readonly findings: readonly Finding[];
}

function signaturesMatch(a: WitFunction, b: WitFunction): boolean {
  if (a.params.length !== b.params.length) return false;
  if (!a.params.every((p, i) => witTypesEqual(p.type, (b.params[i] as { type: WitType }).type)))
    return false;
  if (a.result === undefined || b.result === undefined) return a.result === b.result;
  return witTypesEqual(a.result, b.result);
}

/** Checks a service and returns its plan plus every finding; `plan` is absent when any check failed. */
export async function checkService(
  config: ServiceConfig,
): Promise<{ plan?: ServicePlan; findings: Finding[] }> {
  const findings: Finding[] = [];
  const file = config.source;
  const err = (field: string, message: string): void =>
    void findings.push({ file, field, message, severity: 'error' });
  const warn = (field: string, message: string): void =>
    void findings.push({ file, field, message, severity: 'warning' });
  const fieldOf = (index: number): string =>
    config.format === 'blueprint' ? `dependencies[${index}]` : `module[${index}]`;

  const infos: (ModuleInfo | undefined)[] = [];
  for (const [index, m] of config.modules.entries()) {
    const field = fieldOf(index);
    if (!existsSync(m.path)) {
      err(
        field,
        `module ${JSON.stringify(m.name)}: file ${m.path} does not exist (run \`marine build\` first?)`,
      );
      infos.push(undefined);
      continue;
    }
    if (m.cid !== undefined) {
      const actual = moduleCid(readFileSync(m.path));
      if (actual !== m.cid)
        err(
          field,
          `module ${JSON.stringify(m.name)}: expected CID ${m.cid}, found ${actual} for ${m.path}`,
        );
    }
    try {
      infos.push(await inspectModule(m));
    } catch (error) {
      err(field, (error as Error).message);
      infos.push(undefined);
    }
  }

  const byWitName = new Map<string, { info: ModuleInfo; index: number }>();
  infos.forEach((info, index) => {
    if (info) byWitName.set(info.witName, { info, index });
  });

  const facadeIndex = config.modules.length - 1;
  infos.forEach((info, index) => {
    if (!info) return;
    const field = fieldOf(index);
    const name = JSON.stringify(info.config.name);
    // Links to other modules.
    for (const [target, fns] of info.imports.modules) {
      const provider = byWitName.get(target);
      if (!provider) {
        err(
          field,
          `module ${name} imports interface ${JSON.stringify(target)}, but the service has no module of that name (modules: ${config.modules.map((m) => m.name).join(', ')})`,
        );
        continue;
      }
      if (provider.index === index) err(field, `module ${name} imports from itself`);
      for (const fn of fns) {
        const exported = provider.info.exports.get(fn.name);
        if (!exported) {
          err(
            field,
            `module ${name} imports ${target}.${fn.name}, but module ${JSON.stringify(provider.info.config.name)} exports no such function (it exports: ${[...provider.info.exports.keys()].join(', ') || 'nothing'})`,
          );
        } else if (!signaturesMatch(fn, exported)) {
          err(
            field,
            `module ${name} imports ${target}.${fn.name} as ${witSignatureText(fn)}, but module ${JSON.stringify(provider.info.config.name)} exports it as ${witSignatureText(exported)}`,
          );
        }
      }
    }
    // Host API.
    for (const fn of info.imports.hostApi) {
      if (!HOST_API_FUNCTIONS.has(fn.name))
        err(
          field,
          `module ${name} imports ${HOST_API}.${fn.name}, which the host does not provide (it provides ${[...HOST_API_FUNCTIONS].join(', ')})`,
        );
      if (fn.name === 'get-call-parameters' && fn.result?.kind !== 'record')
        err(
          field,
          `module ${name}: ${HOST_API}.get-call-parameters must return a record, found ${witSignatureText(fn)}`,
        );
    }
    // Effects: mounted binaries must be granted, by their WIT or snake_case name.
    for (const fn of info.imports.mountedBinaries) {
      const granted =
        info.config.mountedBinaries[fn.name] ?? info.config.mountedBinaries[snakeName(fn.name)];
      if (granted === undefined) {
        err(
          `${field}.mounted_binaries`,
          `module ${name} imports the mounted binary ${JSON.stringify(fn.name)} (${MOUNTED_BINARIES}.${fn.name}), which its config does not grant: add ${snakeName(fn.name)} = "/path/to/binary" under [module.mounted_binaries]`,
        );
      } else {
        try {
          accessSync(granted, constants.X_OK);
        } catch {
          err(
            `${field}.mounted_binaries.${snakeName(fn.name)}`,
            `module ${name}: mounted binary ${JSON.stringify(granted)} is not an executable file`,
          );
        }
      }
      const p = fn.params[0];
      if (
        fn.params.length !== 1 ||
        p?.type.kind !== 'list' ||
        p.type.element.kind !== 'string' ||
        fn.result?.kind !== 'record'
      ) {
        err(
          field,
          `module ${name}: mounted binary ${fn.name} must be func(args: list<string>) -> mounted-binary-result, found ${witSignatureText(fn)}`,
        );
      }
    }
    for (const key of Object.keys(info.config.mountedBinaries)) {
      if (
        !info.imports.mountedBinaries.some((fn) => fn.name === key || snakeName(fn.name) === key)
      ) {
        warn(
          `${field}.mounted_binaries.${key}`,
          `module ${name} is granted the mounted binary ${JSON.stringify(key)} but does not import it`,
        );
      }
    }
    for (const iface of info.imports.wasi) {
      if (!PROVIDED_WASI_INTERFACES.has(iface))
        err(
          field,
          `module ${name} imports ${iface}, which the host does not grant (deny by default)`,
        );
    }
    for (const other of info.imports.other)
      err(
        field,
        `module ${name} imports ${JSON.stringify(other)}, which neither the host nor another module provides`,
      );
    if (index === facadeIndex) {
      if (info.exports.size === 0)
        err(
          field,
          `facade ${name} (the last module) exports no functions, so the service has no API`,
        );
      for (const fn of info.exports.values()) {
        for (const p of fn.params) {
          const why = aquaInexpressible(p.type);
          if (why)
            err(
              field,
              `facade ${name}: argument ${snakeName(p.name)} of ${snakeName(fn.name)}: ${why}`,
            );
        }
        const why = fn.result ? aquaInexpressible(fn.result) : undefined;
        if (why) err(field, `facade ${name}: result of ${snakeName(fn.name)}: ${why}`);
      }
    } else {
      const imported = infos.some((other) => other?.imports.modules.has(info.witName));
      if (!imported)
        warn(
          field,
          `module ${name} is not the facade and no module imports it, so nothing can call it (the facade must be the last module)`,
        );
    }
  });

  // Instantiation order: every module after the modules it imports; a cycle cannot be instantiated.
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (index: number, stack: string[]): void => {
    const info = infos[index];
    if (!info || state.get(index) === 'done') return;
    if (state.get(index) === 'visiting') {
      err(
        fieldOf(index),
        `modules import each other in a cycle: ${[...stack, info.config.name].join(' → ')}; shared-nothing modules must form a chain`,
      );
      return;
    }
    state.set(index, 'visiting');
    for (const target of info.imports.modules.keys()) {
      const provider = byWitName.get(target);
      if (provider && provider.index !== index) visit(provider.index, [...stack, info.config.name]);
    }
    state.set(index, 'done');
    order.push(index);
  };
  for (let i = 0; i < infos.length; i += 1) visit(i, []);

  if (findings.some((f) => f.severity === 'error')) return { findings };
  const planned = order.map((i) => ({
    info: infos[i] as ModuleInfo,
    kind: moduleKind(infos[i] as ModuleInfo, i === facadeIndex),
  }));
  const facade = planned.find((p) => p.kind === 'facade') as PlannedModule;
  return { plan: { config, modules: planned, facade, findings }, findings };
}

/** Plans a service or throws a LinkError listing every problem (one per line). */
export async function planService(config: ServiceConfig): Promise<ServicePlan> {
  const { plan, findings } = await checkService(config);
  if (!plan) {
    const errors = findings.filter((f) => f.severity === 'error');
    throw new LinkError(errors.map((f) => `${f.file}: ${f.field}: ${f.message}`).join('\n'));
  }
  return plan;
}
