// The service interface in the shape of Nox's `srv.get_interface`, and its Aqua rendering.
import { pascalName, userName, userRecordName } from '../module/module-info.js';
import type { WitFunction, WitType } from '../module/wit.js';
import { aquaTypeName } from './values.js';

/** One function, as Nox lists it. */
export interface FunctionSignature {
  /** snake_case name. */
  readonly name: string;
  /** `[name, type]` pairs, types written as in Aqua. */
  readonly arguments: readonly (readonly [string, string])[];
  /** Zero or one result type. */
  readonly output_types: readonly string[];
}

/** One record type, as Nox lists it. */
export interface RecordType {
  /** PascalCase name. */
  readonly name: string;
  /** Index in `record_types`. */
  readonly id: number;
  /** `[name, type]` pairs. */
  readonly fields: readonly (readonly [string, string])[];
}

/** What `srv.get_interface` returns: the facade's functions and the records they use. */
export interface ServiceInterface {
  /** Facade functions in declaration order. */
  readonly function_signatures: readonly FunctionSignature[];
  /** Records, each after the records it uses. */
  readonly record_types: readonly RecordType[];
}

function collectRecords(type: WitType, out: Map<string, WitType & { kind: 'record' }>): void {
  switch (type.kind) {
    case 'list':
      collectRecords(type.element, out);
      return;
    case 'option':
      collectRecords(type.inner, out);
      return;
    case 'record':
      if (out.has(type.name)) return;
      for (const f of type.fields) collectRecords(f.type, out);
      out.set(type.name, type);
      return;
    default:
      return;
  }
}

/** Builds the interface of a set of exported functions. */
export function buildInterface(functions: Iterable<WitFunction>): ServiceInterface {
  const records = new Map<string, WitType & { kind: 'record' }>();
  const signatures: FunctionSignature[] = [];
  for (const fn of functions) {
    for (const p of fn.params) collectRecords(p.type, records);
    if (fn.result) collectRecords(fn.result, records);
    signatures.push({
      name: userName(fn),
      arguments: fn.params.map((p) => [userName(p), aquaTypeName(p.type)] as const),
      output_types: fn.result ? [aquaTypeName(fn.result)] : [],
    });
  }
  const record_types = [...records.values()].map((r, id) => ({
    name: userRecordName(r),
    id,
    fields: r.fields.map((f) => [userName(f), aquaTypeName(f.type)] as const),
  }));
  return { function_signatures: signatures, record_types };
}

/** Aqua declarations for a service: `data` for records, then the `service` with its functions. */
export function renderAqua(
  iface: ServiceInterface,
  serviceName: string,
  serviceId?: string,
): string {
  const lines: string[] = [];
  for (const r of iface.record_types) {
    lines.push(`data ${r.name}:`);
    for (const [name, type] of r.fields) lines.push(`  ${name}: ${type}`);
    lines.push('');
  }
  lines.push(
    `service ${pascalName(serviceName.replace(/_/g, '-'))}${serviceId !== undefined ? `(${JSON.stringify(serviceId)})` : ''}:`,
  );
  for (const f of iface.function_signatures) {
    const args = f.arguments.map(([n, t]) => `${n}: ${t}`).join(', ');
    lines.push(
      `  ${f.name}(${args})${f.output_types[0] !== undefined ? ` -> ${f.output_types[0]}` : ''}`,
    );
  }
  if (iface.function_signatures.length === 0) lines.push('  -- no functions');
  return `${lines.join('\n')}\n`;
}

/** Human-readable interface text (what `marine it` prints). */
export function renderInterfaceText(iface: ServiceInterface): string {
  const lines: string[] = [];
  if (iface.record_types.length > 0) {
    lines.push('Records:');
    for (const r of iface.record_types)
      lines.push(`  ${r.name} { ${r.fields.map(([n, t]) => `${n}: ${t}`).join(', ')} }`);
    lines.push('');
  }
  lines.push('Functions:');
  for (const f of iface.function_signatures) {
    lines.push(
      `  ${f.name}(${f.arguments.map(([n, t]) => `${n}: ${t}`).join(', ')})${f.output_types[0] !== undefined ? ` -> ${f.output_types[0]}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
