// Aqua declarations of a module's service API, in the shape the original `marine aqua` prints.
import { recordsUsedBy } from './interface.js';
import { pascalCase } from './names.js';
import type { ModuleInterface, NamedTy, Ty } from './types.js';

/** Aqua spelling of a type: `[]T` for lists, `?T` for options, records by their Rust name. */
export function aquaType(ty: Ty): string {
  if (typeof ty === 'string') return ty;
  if ('list' in ty) return `[]${aquaType(ty.list)}`;
  if ('option' in ty) return `?${aquaType(ty.option)}`;
  return ty.record;
}

function params(ps: readonly NamedTy[]): string {
  return ps.map((p) => `${p.name}: ${aquaType(p.type)}`).join(', ');
}

/** Options of Aqua generation. */
export interface AquaOptions {
  /** Service name; defaults to the module name in UpperCamelCase. */
  readonly serviceName?: string;
  /** Default service id; defaults to the module name. */
  readonly serviceId?: string;
}

/** Generates `data` declarations for the records the exports use and a `service` for the exports. */
export function generateAqua(
  moduleName: string,
  iface: ModuleInterface,
  options: AquaOptions = {},
): string {
  const types = iface.functions.flatMap((f) => [
    ...f.params.map((p) => p.type),
    ...(f.result === null ? [] : [f.result]),
  ]);
  const name = options.serviceName ?? pascalCase(moduleName);
  const id = options.serviceId ?? moduleName;
  // Aqua 0.14 requires a module header; `declares *` lets other files import the declarations.
  const lines: string[] = [`aqua ${name} declares *`, ''];
  for (const record of recordsUsedBy(types, iface.records)) {
    lines.push(`data ${record.name}:`);
    for (const field of record.fields) lines.push(`  ${field.name}: ${aquaType(field.type)}`);
    lines.push('');
  }
  lines.push(`service ${name}(${JSON.stringify(id)}):`);
  for (const f of iface.functions) {
    lines.push(
      `  ${f.name}(${params(f.params)})${f.result === null ? '' : ` -> ${aquaType(f.result)}`}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
