// TypeScript declarations of a module's interface, twice: as its jco bindings see it (camelCase
// names, 64-bit integers as bigint, numeric lists as typed arrays, options as `T | undefined`),
// and as the Marine host's services take and return JSON values (`Service.call`,
// `loadTestService`): snake_case names, 64-bit integers as number | bigint, options as `[] | [x]`.
// The second must follow marine-host/service/values.ts (fromJson / toJson) exactly.
import { recordsUsedBy } from './interface.js';
import { camelCase, kebabName, pascalCase } from './names.js';
import type { ImportEntry, ModuleInterface, NamedTy, Ty } from './types.js';

const TYPED_ARRAYS: Partial<Record<string, string>> = {
  u8: 'Uint8Array',
  i8: 'Int8Array',
  u16: 'Uint16Array',
  i16: 'Int16Array',
  u32: 'Uint32Array',
  i32: 'Int32Array',
  u64: 'BigUint64Array',
  i64: 'BigInt64Array',
  f32: 'Float32Array',
  f64: 'Float64Array',
};

/** TypeScript spelling of a type as jco's bindings take and return it. */
export function tsType(ty: Ty): string {
  if (typeof ty === 'string') {
    switch (ty) {
      case 'bool':
        return 'boolean';
      case 'string':
        return 'string';
      case 'u64':
      case 'i64':
        return 'bigint';
      default:
        return 'number';
    }
  }
  if ('list' in ty) {
    if (typeof ty.list === 'string') {
      const typed = TYPED_ARRAYS[ty.list];
      if (typed !== undefined) return typed;
    }
    const inner = tsType(ty.list);
    return /[ |]/.test(inner) ? `Array<${inner}>` : `${inner}[]`;
  }
  if ('option' in ty) return `${tsType(ty.option)} | undefined`;
  return pascalCase(ty.record);
}

// Words TypeScript does not accept as parameter names (Rust allows them as identifiers).
const TS_RESERVED: ReadonlySet<string> = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with implements interface let package private protected public static yield'.split(
    ' ',
  ),
);

const paramName = (name: string): string =>
  TS_RESERVED.has(camelCase(name)) ? `${camelCase(name)}_` : camelCase(name);

/**
 * The name the host gives a Rust name: the Rust name itself (`field_0`, `getUser`), read from the
 * component's `marine-ts:names` section; checked to have a WIT label.
 */
function hostName(name: string, what: string): string {
  kebabName(name, what);
  return name;
}

const hostParam = (name: string): string => {
  const snake = hostName(name, `parameter ${name}`);
  return TS_RESERVED.has(snake) ? `${snake}_` : snake;
};

const wrapArray = (inner: string): string =>
  /[ |]/.test(inner) ? `Array<${inner}>` : `${inner}[]`;

/**
 * TypeScript spelling of a type as the host's JSON values carry it. `in`: what `Service.call`
 * accepts (fromJson); `out`: what it returns (toJson). `ns` is the namespace prefix of records.
 */
export function jsonType(ty: Ty, dir: 'in' | 'out', ns: string): string {
  if (typeof ty === 'string') {
    switch (ty) {
      case 'bool':
        return 'boolean';
      case 'string':
        return 'string';
      case 'u64':
      case 'i64':
        // Exact: numbers within 2^53, bigint beyond (both directions).
        return 'number | bigint';
      default:
        return 'number';
    }
  }
  if ('list' in ty) {
    // The host takes bytes as a Uint8Array or an array of numbers and always returns numbers.
    if (ty.list === 'u8') return dir === 'in' ? 'Uint8Array | number[]' : 'number[]';
    return wrapArray(jsonType(ty.list, dir, ns));
  }
  if ('option' in ty) {
    const inner = jsonType(ty.option, dir, ns);
    if (dir === 'out') return `[] | [${inner}]`;
    // An array is the value itself when the inner type is a list or an option, else `[]`/`[x]`.
    const listLike =
      typeof ty.option === 'object' && ('list' in ty.option || 'option' in ty.option);
    return listLike ? `${inner} | null` : `${inner} | [] | [${inner}] | null`;
  }
  return `${ns}${dir === 'in' ? 'JsonInput' : 'Json'}.${pascalCase(ty.record)}`;
}

function signature(name: string, params: readonly NamedTy[], result: Ty | null): string {
  const ps = params.map((p) => `${paramName(p.name)}: ${tsType(p.type)}`).join(', ');
  return `${camelCase(name)}(${ps}): ${result === null ? 'void' : tsType(result)};`;
}

/** Generates `<module>.d.ts`: record interfaces, the exports interface and the imports the host supplies. */
export function generateTsTypes(
  moduleName: string,
  iface: ModuleInterface,
  imports: readonly ImportEntry[],
): string {
  const all = [...iface.functions, ...imports].flatMap((f) => [
    ...f.params.map((p) => p.type),
    ...(f.result === null ? [] : [f.result]),
  ]);
  const service = pascalCase(moduleName);
  const lines: string[] = [
    `// Types of module ${moduleName}. ${service}Exports and ${service}Imports: as its jco bindings`,
    `// (${moduleName}/${moduleName}.js) take and return values. ${service}Service: as a Marine service with this`,
    '// facade takes and returns JSON values (Service.call, loadTestService of marine-ts/testing).',
    '// Generated by `marine build`; do not edit.',
    '',
  ];
  const records = recordsUsedBy(all, iface.records);
  for (const record of records) {
    lines.push(`/** Record ${record.name}. */`, `export interface ${pascalCase(record.name)} {`);
    for (const field of record.fields) {
      // jco declares option fields as optional properties, not as `T | undefined`.
      const ty = field.type;
      const line =
        typeof ty === 'object' && 'option' in ty
          ? `  ${camelCase(field.name)}?: ${tsType(ty.option)};`
          : `  ${camelCase(field.name)}: ${tsType(ty)};`;
      lines.push(line);
    }
    lines.push('}', '');
  }
  lines.push(
    `/** Functions module ${moduleName} exports. */`,
    `export interface ${service}Exports {`,
  );
  for (const f of iface.functions) lines.push(`  ${signature(f.name, f.params, f.result)}`);
  lines.push('}', '');
  const byModule = new Map<string, ImportEntry[]>();
  for (const i of imports) byModule.set(i.module, [...(byModule.get(i.module) ?? []), i]);
  lines.push(
    `/** Non-WASI imports of module ${moduleName}, keyed as jco's instantiate() expects them. */`,
  );
  lines.push(`export interface ${service}Imports {`);
  for (const [module, entries] of byModule) {
    lines.push(`  '${kebabName(module, `import module ${module}`)}': {`);
    for (const e of entries) lines.push(`    ${signature(e.link_name, e.params, e.result)}`);
    lines.push('  };');
  }
  lines.push('}', '');
  lines.push(...serviceTypes(moduleName, iface));
  return lines.join('\n');
}

// Repeated here rather than imported from 'marine-ts/testing': artifacts live in a user's
// workspace or a temporary directory where that package may not resolve (in this repository it
// resolves to dist/, which exists only after `npm run build`), and an unresolved import in a
// .d.ts silently becomes `any` under skipLibCheck. marine-host/test/build-e2e.test.ts checks that
// this shape and marine-host's CallParametersInput accept each other.
const CALL_PARAMETERS_INPUT = [
  '/** Call parameters for a `<fn>_cp` call: any subset; the host fills in the rest (same shape as CallParametersInput of marine-ts/testing). */',
  'export interface CallParametersInput {',
  '  readonly particle?: {',
  '    readonly id?: string;',
  '    readonly init_peer_id?: string;',
  '    readonly timestamp?: number | bigint;',
  '    readonly ttl?: number;',
  '    readonly script?: string;',
  '    readonly signature?: readonly number[] | Uint8Array;',
  '    readonly token?: string;',
  '  };',
  '  readonly service_id?: string;',
  '  readonly service_creator_peer_id?: string;',
  '  readonly host_id?: string;',
  '  readonly worker_id?: string;',
  '  readonly tetraplets?: readonly (readonly {',
  '    readonly peer_pk?: string;',
  '    readonly service_id?: string;',
  '    readonly function_name?: string;',
  '    readonly lens?: string;',
  '  }[])[];',
  '}',
  '',
];

/** The service-facing declarations: JSON record namespaces, CallParametersInput and `<Module>Service`. */
function serviceTypes(moduleName: string, iface: ModuleInterface): string[] {
  const ns = pascalCase(moduleName);
  const lines: string[] = [];
  const used = recordsUsedBy(
    iface.functions.flatMap((f) => [
      ...f.params.map((p) => p.type),
      ...(f.result === null ? [] : [f.result]),
    ]),
    iface.records,
  );
  if (used.length > 0) {
    for (const dir of ['out', 'in'] as const) {
      lines.push(
        dir === 'out'
          ? `/** Records of module ${moduleName} as the host returns them: snake_case fields, options as [] or [x]. */`
          : `/** Records of module ${moduleName} as the host accepts them: option fields may be left out or null. */`,
        `export declare namespace ${ns}${dir === 'in' ? 'JsonInput' : 'Json'} {`,
      );
      for (const record of used) {
        lines.push(
          `  /** Record ${record.name}. */`,
          `  export interface ${pascalCase(record.name)} {`,
        );
        for (const field of record.fields) {
          const name = hostName(field.name, `record ${record.name}, field ${field.name}`);
          const optional = dir === 'in' && typeof field.type === 'object' && 'option' in field.type;
          lines.push(`    ${name}${optional ? '?' : ''}: ${jsonType(field.type, dir, ns)};`);
        }
        lines.push('  }');
      }
      lines.push('}', '');
    }
  }
  lines.push(...CALL_PARAMETERS_INPUT);
  lines.push(
    `/** A service whose facade is module ${moduleName}, as loadTestService<${ns}Service>() (marine-ts/testing) gives it: snake_case functions, JSON values, plus <fn>_cp variants taking call parameters first. */`,
    `export interface ${ns}Service {`,
  );
  for (const f of iface.functions) {
    const name = hostName(f.name, `fn ${f.name}`);
    const params = f.params.map((p) => `${hostParam(p.name)}: ${jsonType(p.type, 'in', ns)}`);
    const result = `Promise<${f.result === null ? 'null' : jsonType(f.result, 'out', ns)}>`;
    lines.push(
      `  ${name}(${params.join(', ')}): ${result};`,
      `  ${name}_cp(${['callParameters: CallParametersInput', ...params].join(', ')}): ${result};`,
    );
  }
  lines.push('}', '');
  return lines;
}
