// A reader for the WIT of one module's world: enough of the WIT grammar for what `marine build`
// writes (package, interfaces with records and type aliases, a world with `use`, inline
// interface imports, package interface imports and function exports) and what wasm-tools prints
// for a component. Named types are resolved, so consumers see plain structural types.
import { WitParseError } from '../errors.js';

/** A WIT primitive type name. */
export type WitPrimitive =
  | 'bool'
  | 'u8'
  | 'u16'
  | 'u32'
  | 'u64'
  | 's8'
  | 's16'
  | 's32'
  | 's64'
  | 'f32'
  | 'f64'
  | 'char'
  | 'string';

/** A resolved WIT type. */
export type WitType =
  | { readonly kind: WitPrimitive }
  | { readonly kind: 'list'; readonly element: WitType }
  | { readonly kind: 'option'; readonly inner: WitType }
  | { readonly kind: 'result'; readonly ok?: WitType; readonly err?: WitType }
  | { readonly kind: 'tuple'; readonly items: readonly WitType[] }
  | {
      readonly kind: 'record';
      readonly name: string;
      readonly fields: readonly WitField[];
      /** The record's name in the module's source (`Result`), when the component records it. */
      readonly userName?: string;
    }
  | { readonly kind: 'enum'; readonly name: string; readonly cases: readonly string[] }
  | {
      readonly kind: 'variant';
      readonly name: string;
      readonly cases: readonly { readonly name: string; readonly type?: WitType }[];
    }
  | { readonly kind: 'flags'; readonly name: string; readonly flags: readonly string[] }
  | { readonly kind: 'resource'; readonly name: string };

/** A record field or function parameter. */
export interface WitField {
  /** kebab-case WIT name. */
  readonly name: string;
  /** Its type. */
  readonly type: WitType;
  /** The name in the module's source (`field_0`), when the component records it. */
  readonly userName?: string;
}

/** A WIT function. */
export interface WitFunction {
  /** kebab-case WIT name. */
  readonly name: string;
  /** Parameters in order. */
  readonly params: readonly WitField[];
  /** Result type; absent when the function returns nothing. */
  readonly result?: WitType;
  /** The name in the module's source, when the component records it. */
  readonly userName?: string;
}

/** One import or export of a world. */
export interface WitWorldItem {
  /** `name` of an inline interface or function, or `ns:pkg/iface@ver` of a package interface. */
  readonly name: string;
  /** Inline interface, package interface, or a bare function. */
  readonly kind: 'interface' | 'package-interface' | 'function';
  /** Functions of the interface (package interfaces defined elsewhere have none). */
  readonly functions: readonly WitFunction[];
}

/** A parsed world with resolved types. */
export interface WitWorld {
  /** `ns:name` from the package declaration, when given. */
  readonly package?: string;
  /** The world's name. */
  readonly name: string;
  /** Imports in declaration order. */
  readonly imports: readonly WitWorldItem[];
  /** Exports in declaration order. */
  readonly exports: readonly WitWorldItem[];
  /** Every record defined in the document, by WIT name. */
  readonly records: ReadonlyMap<string, WitType & { kind: 'record' }>;
}

interface Token {
  readonly text: string;
  readonly line: number;
}

const PRIMITIVES = new Set([
  'bool',
  'u8',
  'u16',
  'u32',
  'u64',
  's8',
  's16',
  's32',
  's64',
  'f32',
  'f64',
  'char',
  'string',
  'float32',
  'float64',
]);

function tokenize(text: string, source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(ch)) i += 1;
    else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new WitParseError(`${source}:${line}: unterminated comment`);
      line += text.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (text.startsWith('->', i)) {
      tokens.push({ text: '->', line });
      i += 2;
    } else if (ch === '@') {
      // A version (`@0.2.12`) is one token, since it contains dots.
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z.+-]/.test(text[j] ?? '')) j += 1;
      tokens.push({ text: text.slice(i, j), line });
      i = j;
    } else if (/[{}()<>,:;=./*_]/.test(ch) && !/[A-Za-z0-9%]/.test(ch)) {
      tokens.push({ text: ch, line });
      i += 1;
    } else if (/[A-Za-z0-9%_-]/.test(ch)) {
      let j = i;
      while (j < text.length && /[A-Za-z0-9%_-]/.test(text[j] ?? '')) j += 1;
      tokens.push({ text: text.slice(i, j), line });
      i = j;
    } else throw new WitParseError(`${source}:${line}: unexpected character ${JSON.stringify(ch)}`);
  }
  return tokens;
}

/** A type as written, before names are resolved. */
type RawType =
  | { kind: 'named'; name: string; line: number }
  | { kind: 'list' | 'option'; inner: RawType }
  | { kind: 'result'; ok?: RawType; err?: RawType }
  | { kind: 'tuple'; items: RawType[] }
  | { kind: 'prim'; name: string };

type RawTypeDef =
  | { kind: 'record'; fields: { name: string; type: RawType }[] }
  | { kind: 'alias'; type: RawType }
  | { kind: 'enum'; cases: string[] }
  | { kind: 'variant'; cases: { name: string; type?: RawType }[] }
  | { kind: 'flags'; flags: string[] }
  | { kind: 'resource' };

interface RawFunction {
  name: string;
  params: { name: string; type: RawType }[];
  result?: RawType;
}

/** A scope: an interface or a world; types visible by local name. */
interface Scope {
  name: string;
  types: Map<
    string,
    { def: RawTypeDef; scope: Scope } | { use: string; from: string; line: number }
  >;
  functions: RawFunction[];
}

function stripPercent(name: string): string {
  return name.startsWith('%') ? name.slice(1) : name;
}

class Parser {
  private at = 0;
  readonly interfaces = new Map<string, Scope>();
  packageName: string | undefined;
  world:
    | {
        name: string;
        scope: Scope;
        imports: { name: string; kind: WitWorldItem['kind']; scope?: Scope; fn?: RawFunction }[];
        exports: { name: string; kind: WitWorldItem['kind']; scope?: Scope; fn?: RawFunction }[];
      }
    | undefined;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(offset = 0): string | undefined {
    return this.tokens[this.at + offset]?.text;
  }
  private line(): number {
    return this.tokens[Math.min(this.at, this.tokens.length - 1)]?.line ?? 0;
  }
  private fail(expected: string): never {
    const found = this.peek();
    throw new WitParseError(
      `${this.source}:${this.line()}: expected ${expected}, found ${found === undefined ? 'end of file' : JSON.stringify(found)}`,
    );
  }
  private next(): string {
    const t = this.tokens[this.at];
    if (!t) this.fail('more input');
    this.at += 1;
    return t.text;
  }
  private expect(text: string): void {
    if (this.peek() !== text) this.fail(JSON.stringify(text));
    this.at += 1;
  }
  private eat(text: string): boolean {
    if (this.peek() === text) {
      this.at += 1;
      return true;
    }
    return false;
  }
  private ident(): string {
    const t = this.peek();
    if (t === undefined || !/^%?[A-Za-z][A-Za-z0-9-]*$/.test(t)) this.fail('an identifier');
    this.at += 1;
    return stripPercent(t);
  }

  parse(): void {
    while (this.peek() !== undefined) {
      const t = this.peek();
      if (t === 'package') {
        this.next();
        this.packageName = this.packagePath();
        if (!this.eat(';')) {
          // A nested package block: `package a:b { ... }`; read its items as top-level ones.
          this.expect('{');
          continue;
        }
      } else if (t === 'interface') {
        this.next();
        const name = this.ident();
        const scope: Scope = { name, types: new Map(), functions: [] };
        this.interfaces.set(name, scope);
        this.body(scope, false);
      } else if (t === 'world') {
        this.next();
        const name = this.ident();
        const scope: Scope = { name, types: new Map(), functions: [] };
        if (this.world) {
          // Several worlds: keep the first, parse the rest for syntax only.
          const saved = this.world;
          this.world = { name, scope, imports: [], exports: [] };
          this.body(scope, true);
          this.world = saved;
        } else {
          this.world = { name, scope, imports: [], exports: [] };
          this.body(scope, true);
        }
      } else if (t === 'use') {
        this.next();
        this.usePath();
        if (this.eat('as')) this.ident();
        this.expect(';');
      } else if (t === '}') this.next();
      else this.fail('package, interface or world');
    }
  }

  /** `ns:pkg/iface@1.0` or `ns:pkg` or a bare interface name. */
  private packagePath(): string {
    let text = this.ident();
    if (this.eat(':')) text += `:${this.ident()}`;
    while (this.eat('/')) text += `/${this.ident()}`;
    const v = this.peek();
    if (v?.startsWith('@')) {
      this.next();
      text += v;
    }
    return text;
  }

  private usePath(): string {
    return this.packagePath();
  }

  /** Body of an interface (world = false) or a world (world = true). */
  private body(scope: Scope, world: boolean): void {
    this.expect('{');
    while (!this.eat('}')) {
      const t = this.peek();
      if (t === undefined) this.fail('"}"');
      if (t === 'use') {
        this.next();
        const from = this.usePath();
        this.expect('.');
        this.expect('{');
        do {
          if (this.peek() === '}') break;
          const line = this.line();
          const name = this.ident();
          const local = this.eat('as') ? this.ident() : name;
          scope.types.set(local, { use: name, from, line });
        } while (this.eat(','));
        this.expect('}');
        this.expect(';');
      } else if (
        t === 'record' ||
        t === 'variant' ||
        t === 'enum' ||
        t === 'flags' ||
        t === 'type' ||
        t === 'resource'
      ) {
        this.typeDef(scope);
      } else if (world && (t === 'import' || t === 'export')) {
        this.next();
        this.worldItem(t, scope);
      } else if (world && t === 'include') {
        this.next();
        this.packagePath();
        if (this.peek() === 'with') this.fail('an include without `with`');
        this.expect(';');
      } else {
        const name = this.ident();
        this.expect(':');
        scope.functions.push(this.func(name));
      }
    }
  }

  private worldItem(which: 'import' | 'export', worldScope: Scope): void {
    const list = which === 'import' ? this.world?.imports : this.world?.exports;
    if (!list) this.fail('a world');
    // `name: interface {…}` / `name: func(…)` vs `pkg:ns/iface@v;` / `iface;`
    if (this.peek(1) === ':' && (this.peek(2) === 'interface' || this.peek(2) === 'func')) {
      const name = this.ident();
      this.expect(':');
      if (this.eat('interface')) {
        const scope: Scope = { name, types: new Map(), functions: [] };
        this.body(scope, false);
        list.push({ name, kind: 'interface', scope });
      } else {
        const fn = this.func(name);
        list.push({ name, kind: 'function', fn });
        worldScope.functions.push(fn);
      }
      return;
    }
    const path = this.packagePath();
    this.expect(';');
    const local = this.interfaces.get(path);
    list.push(
      local
        ? { name: path, kind: 'interface', scope: local }
        : { name: path, kind: 'package-interface' },
    );
  }

  private func(name: string): RawFunction {
    this.expect('func');
    this.expect('(');
    const params: { name: string; type: RawType }[] = [];
    while (!this.eat(')')) {
      const p = this.ident();
      this.expect(':');
      params.push({ name: p, type: this.type() });
      if (!this.eat(',')) {
        this.expect(')');
        break;
      }
    }
    let result: RawType | undefined;
    if (this.eat('->')) {
      if (this.peek() === '(') {
        // Named results (old WIT): only zero or one is expressible here.
        this.next();
        const named: RawType[] = [];
        while (!this.eat(')')) {
          this.ident();
          this.expect(':');
          named.push(this.type());
          this.eat(',');
        }
        if (named.length > 1) this.fail('at most one result');
        result = named[0];
      } else result = this.type();
    }
    this.expect(';');
    return { name, params, ...(result !== undefined ? { result } : {}) };
  }

  private type(): RawType {
    const line = this.line();
    // `%result` names a type called "result"; only the bare keyword is the built-in type.
    if (this.peek()?.startsWith('%')) return { kind: 'named', name: this.ident(), line };
    const name = this.ident();
    if (name === 'list' || name === 'option') {
      this.expect('<');
      const inner = this.type();
      this.expect('>');
      return { kind: name, inner };
    }
    if (name === 'result') {
      if (!this.eat('<')) return { kind: 'result' };
      let ok: RawType | undefined;
      let err: RawType | undefined;
      if (this.peek() === '_') this.next();
      else ok = this.type();
      if (this.eat(',')) err = this.type();
      this.expect('>');
      return { kind: 'result', ...(ok ? { ok } : {}), ...(err ? { err } : {}) };
    }
    if (name === 'tuple') {
      this.expect('<');
      const items: RawType[] = [];
      do items.push(this.type());
      while (this.eat(','));
      this.expect('>');
      return { kind: 'tuple', items };
    }
    if (name === 'borrow' || name === 'own') {
      this.expect('<');
      const inner = this.type();
      this.expect('>');
      return inner;
    }
    if (PRIMITIVES.has(name))
      return { kind: 'prim', name: name === 'float32' ? 'f32' : name === 'float64' ? 'f64' : name };
    return { kind: 'named', name, line };
  }

  private typeDef(scope: Scope): void {
    const keyword = this.next();
    const name = this.ident();
    let def: RawTypeDef;
    if (keyword === 'type') {
      this.expect('=');
      def = { kind: 'alias', type: this.type() };
      this.expect(';');
    } else if (keyword === 'resource') {
      def = { kind: 'resource' };
      if (this.eat('{')) {
        let depth = 1;
        while (depth > 0) {
          const t = this.next();
          if (t === '{') depth += 1;
          if (t === '}') depth -= 1;
        }
      } else this.expect(';');
    } else {
      this.expect('{');
      const items: { name: string; type?: RawType }[] = [];
      while (!this.eat('}')) {
        const item = this.ident();
        if (keyword === 'record') {
          this.expect(':');
          items.push({ name: item, type: this.type() });
        } else if (keyword === 'variant' && this.eat('(')) {
          items.push({ name: item, type: this.type() });
          this.expect(')');
        } else items.push({ name: item });
        if (!this.eat(',')) {
          this.expect('}');
          break;
        }
      }
      if (keyword === 'record')
        def = {
          kind: 'record',
          fields: items.map((f) => ({ name: f.name, type: f.type as RawType })),
        };
      else if (keyword === 'variant')
        def = {
          kind: 'variant',
          cases: items.map((c) => (c.type ? { name: c.name, type: c.type } : { name: c.name })),
        };
      else if (keyword === 'enum') def = { kind: 'enum', cases: items.map((c) => c.name) };
      else def = { kind: 'flags', flags: items.map((c) => c.name) };
    }
    scope.types.set(name, { def, scope });
  }
}

/** Parses the WIT of a module and returns its (first) world with every type resolved. */
export function parseWit(text: string, source = '<wit>'): WitWorld {
  const parser = new Parser(tokenize(text, source), source);
  parser.parse();
  const world = parser.world;
  if (!world) throw new WitParseError(`${source}: expected a world, found none`);
  const records = new Map<string, WitType & { kind: 'record' }>();
  const resolving = new Set<string>();

  const lookup = (
    scope: Scope,
    name: string,
    line: number,
  ): { def: RawTypeDef; scope: Scope; name: string } => {
    const entry = scope.types.get(name);
    if (!entry)
      throw new WitParseError(
        `${source}:${line}: type ${JSON.stringify(name)} is not defined in ${scope.name}`,
      );
    if ('def' in entry) return { def: entry.def, scope: entry.scope, name };
    const iface = parser.interfaces.get(entry.from);
    if (!iface)
      throw new WitParseError(
        `${source}:${entry.line}: interface ${JSON.stringify(entry.from)} is not defined in this document`,
      );
    return lookup(iface, entry.use, entry.line);
  };

  const resolve = (raw: RawType, scope: Scope): WitType => {
    switch (raw.kind) {
      case 'prim':
        return { kind: raw.name as WitPrimitive };
      case 'list':
        return { kind: 'list', element: resolve(raw.inner, scope) };
      case 'option':
        return { kind: 'option', inner: resolve(raw.inner, scope) };
      case 'result':
        return {
          kind: 'result',
          ...(raw.ok ? { ok: resolve(raw.ok, scope) } : {}),
          ...(raw.err ? { err: resolve(raw.err, scope) } : {}),
        };
      case 'tuple':
        return { kind: 'tuple', items: raw.items.map((i) => resolve(i, scope)) };
      case 'named': {
        const found = lookup(scope, raw.name, raw.line);
        const key = `${found.scope.name}/${found.name}`;
        if (resolving.has(key))
          throw new WitParseError(
            `${source}:${raw.line}: type ${JSON.stringify(raw.name)} refers to itself`,
          );
        resolving.add(key);
        try {
          const def = found.def;
          switch (def.kind) {
            case 'alias':
              return resolve(def.type, found.scope);
            case 'record': {
              const rec = {
                kind: 'record' as const,
                name: found.name,
                fields: def.fields.map((f) => ({
                  name: f.name,
                  type: resolve(f.type, found.scope),
                })),
              };
              records.set(found.name, rec);
              return rec;
            }
            case 'enum':
              return { kind: 'enum', name: found.name, cases: def.cases };
            case 'flags':
              return { kind: 'flags', name: found.name, flags: def.flags };
            case 'variant':
              return {
                kind: 'variant',
                name: found.name,
                cases: def.cases.map((c) =>
                  c.type ? { name: c.name, type: resolve(c.type, found.scope) } : { name: c.name },
                ),
              };
            case 'resource':
              return { kind: 'resource', name: found.name };
          }
        } finally {
          resolving.delete(key);
        }
      }
    }
  };

  const fn = (raw: RawFunction, scope: Scope): WitFunction => ({
    name: raw.name,
    params: raw.params.map((p) => ({ name: p.name, type: resolve(p.type, scope) })),
    ...(raw.result ? { result: resolve(raw.result, scope) } : {}),
  });
  const item = (it: {
    name: string;
    kind: WitWorldItem['kind'];
    scope?: Scope;
    fn?: RawFunction;
  }): WitWorldItem => ({
    name: it.name,
    kind: it.kind,
    functions: it.fn
      ? [fn(it.fn, world.scope)]
      : it.scope
        ? it.scope.functions.map((f) => fn(f, it.scope as Scope))
        : [],
  });
  const imports = world.imports.map(item);
  const exports = world.exports.map(item);
  // Records defined but not reachable from the world are still part of the module's types.
  for (const iface of parser.interfaces.values()) {
    for (const [name, entry] of iface.types)
      if ('def' in entry && entry.def.kind === 'record')
        resolve({ kind: 'named', name, line: 0 }, iface);
  }
  return {
    ...(parser.packageName !== undefined ? { package: parser.packageName } : {}),
    name: world.name,
    imports,
    exports,
    records,
  };
}

/** Renders a type in WIT syntax (for messages and comparisons). */
export function witTypeText(type: WitType): string {
  switch (type.kind) {
    case 'list':
      return `list<${witTypeText(type.element)}>`;
    case 'option':
      return `option<${witTypeText(type.inner)}>`;
    case 'result':
      return type.ok || type.err
        ? `result<${type.ok ? witTypeText(type.ok) : '_'}${type.err ? `, ${witTypeText(type.err)}` : ''}>`
        : 'result';
    case 'tuple':
      return `tuple<${type.items.map(witTypeText).join(', ')}>`;
    case 'record':
    case 'enum':
    case 'variant':
    case 'flags':
    case 'resource':
      return type.name;
    default:
      return type.kind;
  }
}

/** Structural type equality, with records compared by name and fields (what linking requires). */
export function witTypesEqual(a: WitType, b: WitType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'list':
      return witTypesEqual(a.element, (b as typeof a).element);
    case 'option':
      return witTypesEqual(a.inner, (b as typeof a).inner);
    case 'result': {
      const o = b as typeof a;
      return optEqual(a.ok, o.ok) && optEqual(a.err, o.err);
    }
    case 'tuple': {
      const o = b as typeof a;
      return (
        a.items.length === o.items.length &&
        a.items.every((t, i) => witTypesEqual(t, o.items[i] as WitType))
      );
    }
    case 'record': {
      const o = b as typeof a;
      return (
        a.name === o.name &&
        a.fields.length === o.fields.length &&
        a.fields.every(
          (f, i) =>
            f.name === o.fields[i]?.name && witTypesEqual(f.type, (o.fields[i] as WitField).type),
        )
      );
    }
    case 'enum':
      return a.name === (b as typeof a).name && a.cases.join() === (b as typeof a).cases.join();
    case 'flags':
      return a.name === (b as typeof a).name && a.flags.join() === (b as typeof a).flags.join();
    case 'variant': {
      const o = b as typeof a;
      return (
        a.name === o.name &&
        a.cases.length === o.cases.length &&
        a.cases.every((c, i) => c.name === o.cases[i]?.name && optEqual(c.type, o.cases[i]?.type))
      );
    }
    default:
      return true;
  }
}

function optEqual(a: WitType | undefined, b: WitType | undefined): boolean {
  return a === undefined || b === undefined ? a === b : witTypesEqual(a, b);
}

/** Renders a function signature in WIT syntax. */
export function witSignatureText(fn: WitFunction): string {
  return `func(${fn.params.map((p) => `${p.name}: ${witTypeText(p.type)}`).join(', ')})${fn.result ? ` -> ${witTypeText(fn.result)}` : ''}`;
}
