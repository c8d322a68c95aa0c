// What the host knows about a Marine IT module before running it: its interface types turned
// into the same WIT model components have (so links, interfaces, argument conversion and errors
// are shared), its exported functions with their adapters, and its core imports split by
// provider: other modules, the host API (`host`, `__marine_host_api_v1..v3`), mounted binaries,
// WASI preview 1.
import { ModuleLoadError } from '../../errors.js';
import {
  parseModule,
  customSections,
  ExternKind,
  type CoreModule,
} from '../../build/wasm/module.js';
import { witName } from '../module-info.js';
import type { WitField, WitFunction, WitType } from '../wit.js';
import {
  IT_SECTION,
  MIN_IT_VERSION,
  MIN_SDK_VERSION,
  SDK_VERSION_SECTION,
  compareVersions,
  parseInterfaces,
  type INamed,
  type IRecord,
  type IType,
  type Instruction,
  type Interfaces,
} from './section.js';

/** Namespaces of the host API, oldest first (index = version). */
export const HOST_API_NAMESPACES = [
  'host',
  '__marine_host_api_v1',
  '__marine_host_api_v2',
  '__marine_host_api_v3',
] as const;
/** The WASI namespace core modules built for wasm32-wasi import. */
export const WASI_P1 = 'wasi_snapshot_preview1';

/** An exported function of an IT module: its signature and the adapter that runs it. */
export interface ItExport {
  /** Name as exported (snake_case in the module's source). */
  readonly name: string;
  /** Arguments (IT types). */
  readonly args: readonly INamed[];
  /** Zero or one output type. */
  readonly outputs: readonly IType[];
  /** Adapter instructions. */
  readonly instructions: readonly Instruction[];
}

/** An import of another module's function, through an adapter. */
export interface ItModuleImport {
  /** Namespace (the other module's config name). */
  readonly namespace: string;
  /** Function name in that module. */
  readonly name: string;
  /** Its signature in IT types. */
  readonly args: readonly INamed[];
  /** Its output types. */
  readonly outputs: readonly IType[];
  /** The adapter run when the core module calls the import. */
  readonly instructions: readonly Instruction[];
  /** Position among the call-core targets (after the core exports). */
  readonly callIndex: number;
}

/** Everything the runtime needs about an IT module (plain data, crosses the worker boundary). */
export interface ItModel {
  /** IT version. */
  readonly itVersion: string;
  /** marine-rs-sdk version, when the module records it. */
  readonly sdkVersion?: string;
  /** Record types by type index. */
  readonly records: Readonly<Record<number, IRecord>>;
  /** Core exports the adapters call (`call-core` index → name). */
  readonly coreExports: readonly string[];
  /** Exported functions. */
  readonly exports: readonly ItExport[];
  /** Imports of other modules' functions. */
  readonly moduleImports: readonly ItModuleImport[];
  /** Host API version the module was built for (namespace index), when it uses the host API. */
  readonly hostApiVersion?: number;
  /** Host API functions it imports (`get_call_parameters`, `log_utf8_string`). */
  readonly hostApi: readonly string[];
  /** Mounted binaries it imports (from `host` or a `__marine_host_api_v*` namespace). */
  readonly mountedBinaries: readonly string[];
  /** The namespace each mounted binary is imported from (parallel to `mountedBinaries`). */
  readonly mountedFrom: readonly string[];
  /** WASI preview 1 functions it imports. */
  readonly wasi: readonly string[];
  /** Imports no one provides (`namespace.name`). */
  readonly other: readonly string[];
  /** Names of the core exports that are functions. */
  readonly functionExports: readonly string[];
}

/** Whether a core module carries a Marine `interface-types` section. */
export function hasInterfaceTypes(module: CoreModule): boolean {
  return customSections(module, IT_SECTION).length > 0;
}

/**
 * Reads the IT model of a core module; `where` names it in errors. A caller that parsed the module
 * already passes it as `parsed` (a parse of avm.wasm is a third of its inspection).
 */
export function readItModel(bytes: Uint8Array, where: string, parsed?: CoreModule): ItModel {
  const core = parsed ?? parseModule(bytes, where);
  const sections = customSections(core, IT_SECTION);
  if (sections.length === 0)
    throw new ModuleLoadError(`${where}: expected an ${IT_SECTION} custom section, found none`);
  const sdkSection = customSections(core, SDK_VERSION_SECTION)[0];
  const sdkVersion = sdkSection ? new TextDecoder().decode(sdkSection).trim() : undefined;
  if (sdkVersion !== undefined && compareVersions(sdkVersion, MIN_SDK_VERSION) < 0)
    throw new ModuleLoadError(
      `${where}: built with marine-rs-sdk ${sdkVersion}, older than ${MIN_SDK_VERSION}, the oldest Marine loads (IncompatibleSDKVersions): rebuild it`,
    );
  const it = parseInterfaces(sections[0] as Uint8Array, where);
  if (compareVersions(it.version, MIN_IT_VERSION) < 0)
    throw new ModuleLoadError(
      `${where}: interface-types version ${it.version} is older than ${MIN_IT_VERSION}, the oldest Marine loads (IncompatibleITVersions)`,
    );
  return buildModel(it, core, sdkVersion, where);
}

function fnType(
  it: Interfaces,
  index: number,
  where: string,
): { args: readonly INamed[]; outputs: readonly IType[] } {
  const t = it.types[index];
  if (t?.kind !== 'function')
    throw new ModuleLoadError(
      `${where}: interface-types section: expected a function type at index ${index}, found ${t ? 'a record' : 'nothing'}`,
    );
  return t;
}

function buildModel(
  it: Interfaces,
  core: CoreModule,
  sdkVersion: string | undefined,
  where: string,
): ItModel {
  const records: Record<number, IRecord> = {};
  it.types.forEach((t, i) => {
    if (t.kind === 'record') records[i] = t.record;
  });
  const adapterOf = (type: number): readonly Instruction[] => {
    const a = it.adapters.find((x) => x.type === type);
    if (!a)
      throw new ModuleLoadError(
        `${where}: interface-types section: no adapter for function type ${type}`,
      );
    return a.instructions;
  };
  const exports: ItExport[] = [];
  const moduleImports: ItModuleImport[] = [];
  // Raw imports (those that have an implementation) are call-core targets after the exports.
  let importIndex = it.exports.length;
  const rawImports = it.imports.filter((imp) =>
    it.implementations.some((impl) => impl.core === imp.type),
  );
  for (const imp of rawImports) {
    const impl = it.implementations.find((x) => x.core === imp.type) as { adapter: number };
    // The generator writes the IT signature two types before the raw one.
    const sig = fnType(it, imp.type - 2, where);
    moduleImports.push({
      namespace: imp.namespace,
      name: imp.name,
      args: sig.args,
      outputs: sig.outputs,
      instructions: adapterOf(impl.adapter),
      callIndex: importIndex,
    });
    importIndex += 1;
  }
  for (const impl of it.implementations) {
    for (const exp of it.exports.filter((e) => e.type === impl.core)) {
      const sig = fnType(it, impl.adapter, where);
      exports.push({
        name: exp.name,
        args: sig.args,
        outputs: sig.outputs,
        instructions: adapterOf(impl.adapter),
      });
    }
  }
  const hostApi = new Set<string>();
  const mounted: string[] = [];
  const mountedFrom: string[] = [];
  const wasi: string[] = [];
  const other: string[] = [];
  let hostApiVersion: number | undefined;
  const linked = new Set(moduleImports.map((m) => `${m.namespace}\u0000${m.name}`));
  for (const imp of core.imports) {
    if (linked.has(`${imp.module}\u0000${imp.name}`)) continue;
    const version = (HOST_API_NAMESPACES as readonly string[]).indexOf(imp.module);
    if (imp.module === WASI_P1 && imp.kind === ExternKind.func) wasi.push(imp.name);
    else if (
      version >= 0 &&
      (imp.name === 'get_call_parameters' || imp.name === 'log_utf8_string')
    ) {
      hostApi.add(imp.name);
      hostApiVersion = Math.max(hostApiVersion ?? 0, version);
    } else if (version >= 0 && imp.kind === ExternKind.func) {
      // Marine offers each mounted binary in the host API namespace of every version.
      mounted.push(imp.name);
      mountedFrom.push(imp.module);
    } else other.push(`${imp.module}.${imp.name}`);
  }
  const functionExports = core.exports.filter((e) => e.kind === ExternKind.func).map((e) => e.name);
  for (const name of it.exports.map((e) => e.name)) {
    if (!functionExports.includes(name))
      throw new ModuleLoadError(
        `${where}: its interface-types section names the core export ${name}, which the module does not export`,
      );
  }
  return {
    itVersion: it.version,
    ...(sdkVersion !== undefined ? { sdkVersion } : {}),
    records,
    coreExports: it.exports.map((e) => e.name),
    exports,
    moduleImports,
    ...(hostApiVersion !== undefined ? { hostApiVersion } : {}),
    hostApi: [...hostApi],
    mountedBinaries: mounted,
    mountedFrom,
    wasi,
    other,
    functionExports,
  };
}

/** The WIT type of an interface type (records resolved by id, named in kebab-case). */
export function itTypeToWit(
  type: IType,
  records: Readonly<Record<number, IRecord>>,
  seen: Map<number, WitType> = new Map(),
): WitType {
  switch (type.kind) {
    case 'byte_array':
      return { kind: 'list', element: { kind: 'u8' } };
    case 'array':
      return { kind: 'list', element: itTypeToWit(type.element, records, seen) };
    case 'i32':
      return { kind: 's32' };
    case 'i64':
      return { kind: 's64' };
    case 'record': {
      const done = seen.get(type.id);
      if (done) return done;
      const r = records[type.id];
      if (!r) throw new ModuleLoadError(`interface-types: record type ${type.id} is not defined`);
      const fields: WitField[] = [];
      const out: WitType = { kind: 'record', name: witName(r.name), fields, userName: r.name };
      seen.set(type.id, out);
      for (const f of r.fields) fields.push(itFieldToWit(f, records, seen));
      return out;
    }
    case 'bool':
      return { kind: 'bool' };
    default:
      return { kind: type.kind };
  }
}

function itFieldToWit(
  f: INamed,
  records: Readonly<Record<number, IRecord>>,
  seen: Map<number, WitType>,
): WitField {
  return { name: witName(f.name), type: itTypeToWit(f.type, records, seen), userName: f.name };
}

/** The WIT function of an IT signature. */
export function itFunctionToWit(
  name: string,
  args: readonly INamed[],
  outputs: readonly IType[],
  records: Readonly<Record<number, IRecord>>,
): WitFunction {
  const seen = new Map<number, WitType>();
  const result = outputs[0];
  return {
    name: witName(name),
    params: args.map((a) => itFieldToWit(a, records, seen)),
    ...(result ? { result: itTypeToWit(result, records, seen) } : {}),
    userName: name,
  };
}
