// WIT for a module (ABI.md §5): records in a `types` interface, imports as inline interfaces per
// imported module, exports as world-level functions.
import { recordsUsedBy } from './interface.js';
import { checkUnique, kebabName, witIdent } from './names.js';
import type { ImportEntry, ModuleInterface, NamedTy, RecordEntry, Ty } from './types.js';

/** WIT spelling of a type. */
export function witType(ty: Ty): string {
  if (typeof ty === 'string') {
    switch (ty) {
      case 'i8':
        return 's8';
      case 'i16':
        return 's16';
      case 'i32':
        return 's32';
      case 'i64':
        return 's64';
      default:
        return ty;
    }
  }
  if ('list' in ty) return `list<${witType(ty.list)}>`;
  if ('option' in ty) return `option<${witType(ty.option)}>`;
  return witIdent(ty.record, `record ${ty.record}`);
}

function funcSig(params: readonly NamedTy[], result: Ty | null, what: string): string {
  checkUnique(
    params.map((p) => p.name),
    `${what} parameters`,
    (n) => `${what}, parameter ${n}`,
  );
  const ps = params
    .map((p) => `${witIdent(p.name, `${what}, parameter ${p.name}`)}: ${witType(p.type)}`)
    .join(', ');
  return `func(${ps})${result === null ? '' : ` -> ${witType(result)}`}`;
}

function typesOf(items: readonly { params: readonly NamedTy[]; result: Ty | null }[]): Ty[] {
  return items.flatMap((i) => [
    ...i.params.map((p) => p.type),
    ...(i.result === null ? [] : [i.result]),
  ]);
}

function useLine(records: readonly RecordEntry[], indent: string): string[] {
  if (records.length === 0) return [];
  return [
    `${indent}use types.{${records.map((r) => witIdent(r.name, `record ${r.name}`)).join(', ')}};`,
  ];
}

/** The WIT package name of a module, e.g. `marine:url-downloader`. */
export function witPackage(moduleName: string): string {
  return `marine:${kebabName(moduleName, `module ${moduleName}`)}`;
}

/** The WIT world name of a module. */
export function witWorld(moduleName: string): string {
  return kebabName(moduleName, `module ${moduleName}`);
}

/** Generates the WIT source of a module; `imports` are the imports the module really uses. */
export function generateWit(
  moduleName: string,
  iface: ModuleInterface,
  imports: readonly ImportEntry[],
): string {
  const where = `module ${moduleName}`;
  const world = witWorld(moduleName);
  const exportTypes = typesOf(iface.functions);
  const allRecords = recordsUsedBy([...exportTypes, ...typesOf(imports)], iface.records);
  checkUnique(
    allRecords.map((r) => r.name),
    `${where}: records`,
    (n) => `${where}: record ${n}`,
  );
  checkUnique(
    iface.functions.map((f) => f.name),
    `${where}: exported functions`,
    (n) => `${where}: fn ${n}`,
  );
  const lines: string[] = [`package ${witPackage(moduleName)};`, ''];
  if (allRecords.length > 0) {
    lines.push('interface types {');
    allRecords.forEach((r, index) => {
      checkUnique(
        r.fields.map((f) => f.name),
        `${where}: record ${r.name} fields`,
        (n) => `${where}: record ${r.name}, field ${n}`,
      );
      if (index > 0) lines.push('');
      lines.push(`  record ${witIdent(r.name, `${where}: record ${r.name}`)} {`);
      for (const f of r.fields) {
        lines.push(
          `    ${witIdent(f.name, `${where}: record ${r.name}, field ${f.name}`)}: ${witType(f.type)},`,
        );
      }
      lines.push('  }');
    });
    lines.push('}', '');
  }
  lines.push(`world ${world} {`);
  lines.push(...useLine(recordsUsedBy(exportTypes, iface.records), '  '));
  const byModule = new Map<string, ImportEntry[]>();
  for (const i of imports) byModule.set(i.module, [...(byModule.get(i.module) ?? []), i]);
  checkUnique(
    [...byModule.keys()],
    `${where}: imported modules`,
    (n) => `${where}: imported module ${n}`,
  );
  for (const [module, entries] of byModule) {
    checkUnique(
      entries.map((e) => e.link_name),
      `${where}: functions imported from ${module}`,
      (n) => `${where}: import ${module}.${n}`,
    );
    lines.push(`  import ${witIdent(module, `${where}: imported module ${module}`)}: interface {`);
    lines.push(...useLine(recordsUsedBy(typesOf(entries), iface.records), '    '));
    for (const e of entries) {
      const what = `${where}: import ${module}.${e.link_name}`;
      lines.push(`    ${witIdent(e.link_name, what)}: ${funcSig(e.params, e.result, what)};`);
    }
    lines.push('  }');
  }
  for (const f of iface.functions) {
    const what = `${where}: fn ${f.name}`;
    lines.push(`  export ${witIdent(f.name, what)}: ${funcSig(f.params, f.result, what)};`);
  }
  lines.push('}', '');
  return lines.join('\n');
}
