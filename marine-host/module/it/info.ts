// A Marine IT module as the rest of the host sees every module: a ModuleInfo whose WIT world is
// made from its interface types, so links, interfaces and argument conversion are shared.
import type { ModuleConfig } from '../../config/types.js';
import { ModuleLoadError } from '../../errors.js';
import { parseModule, customSections } from '../../build/wasm/module.js';
import { HOST_API, MOUNTED_BINARIES, witName, type ModuleInfo } from '../module-info.js';
import type { WitFunction, WitType, WitWorld, WitWorldItem } from '../wit.js';
import { itFunctionToWit, readItModel } from './model.js';
import { IT_SECTION } from './section.js';

const s = (kind: 'string'): WitType => ({ kind });
const field = (name: string, type: WitType): { name: string; type: WitType } => ({ name, type });

/** The host's call-parameters record (for the link check; IT modules get their own layout). */
const CALL_PARAMETERS: WitType = {
  kind: 'record',
  name: 'call-parameters',
  fields: [field('service-id', s('string')), field('host-id', s('string'))],
};

/** What `host.<binary>` returns. */
const MOUNTED_BINARY_RESULT: WitType = {
  kind: 'record',
  name: 'mounted-binary-result',
  fields: [
    field('ret-code', { kind: 's32' }),
    field('error', s('string')),
    field('stdout', { kind: 'list', element: { kind: 'u8' } }),
    field('stderr', { kind: 'list', element: { kind: 'u8' } }),
  ],
};

/** Reads an IT module into a ModuleInfo; a core module without IT is a clear error. */
export function itModuleInfo(config: ModuleConfig, bytes: Uint8Array): ModuleInfo {
  const where = `module ${JSON.stringify(config.name)} (${config.path})`;
  const core = parseModule(bytes, where);
  if (customSections(core, IT_SECTION).length === 0)
    throw new ModuleLoadError(
      `${where}: a core Wasm module with neither an ${IT_SECTION} section nor a component wrapper: built for wasm32-wasi but not by \`marine build\`: rebuild it with \`marine build\``,
    );
  const model = readItModel(bytes, where, core);
  const exports = new Map<string, WitFunction>();
  for (const e of model.exports) {
    const fn = itFunctionToWit(e.name, e.args, e.outputs, model.records);
    exports.set(fn.name, fn);
  }
  const modules = new Map<string, WitFunction[]>();
  for (const imp of model.moduleImports) {
    const key = witName(imp.namespace);
    const list = modules.get(key) ?? [];
    list.push(itFunctionToWit(imp.name, imp.args, imp.outputs, model.records));
    modules.set(key, list);
  }
  const hostApi: WitFunction[] = model.hostApi.map((name) =>
    name === 'get_call_parameters'
      ? { name: 'get-call-parameters', params: [], result: CALL_PARAMETERS }
      : {
          name: 'log-utf8-string',
          params: [
            field('level', { kind: 's32' }),
            field('target', { kind: 's32' }),
            field('msg', s('string')),
          ],
        },
  );
  const mountedBinaries: WitFunction[] = model.mountedBinaries.map((name) => ({
    name,
    params: [field('cmd', { kind: 'list', element: s('string') })],
    result: MOUNTED_BINARY_RESULT,
  }));
  const imports: WitWorldItem[] = [
    ...[...modules].map(([name, functions]) => ({ name, kind: 'interface' as const, functions })),
    ...(hostApi.length ? [{ name: HOST_API, kind: 'interface' as const, functions: hostApi }] : []),
    ...(mountedBinaries.length
      ? [{ name: MOUNTED_BINARIES, kind: 'interface' as const, functions: mountedBinaries }]
      : []),
  ];
  const world: WitWorld = {
    name: witName(config.name),
    imports,
    exports: [{ name: 'exports', kind: 'interface', functions: [...exports.values()] }],
    records: new Map(),
  };
  return {
    config,
    witName: witName(config.name),
    world,
    witSource: `${config.path} (interface-types ${model.itVersion}${model.sdkVersion ? `, marine-rs-sdk ${model.sdkVersion}` : ''})`,
    exports,
    imports: {
      modules,
      hostApi,
      mountedBinaries,
      wasi: [],
      other: model.other,
    },
    it: model,
  };
}
