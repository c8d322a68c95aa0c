// AIR → indented pseudo-code, in the spirit of AquaVM's `air beautify`. With patterns on (the
// default) the shapes the Aqua compiler emits are folded back into something close to the Aqua
// they came from: argument loading, `return`, error reporting, error-propagation wrappers, hops,
// `for … par` fan-outs and joins. Printing uses an explicit stack, so depth is not a problem.

import type { Instruction, Lens, Value } from '../ast/types.js';

/** Options for {@link beautify}. */
export interface BeautifyOptions {
  /** Spaces per level (default 4). */
  readonly indent?: number;
  /** Recognise Aqua's compiled patterns (default true). */
  readonly patterns?: boolean;
}

/** The source form of a lens. */
export function lensText(lens: Lens | undefined): string {
  return lens === undefined ? '' : lens.text;
}

/** The source form of a value. */
export function valueText(v: Value): string {
  switch (v.kind) {
    case 'string':
      return `"${v.value}"`;
    case 'int':
    case 'float':
      return v.text;
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'empty_array':
      return '[]';
    case 'init_peer_id':
      return '%init_peer_id%';
    case 'timestamp':
      return '%timestamp%';
    case 'ttl':
      return '%ttl%';
    case 'last_error':
      return `%last_error%${lensText(v.lens)}`;
    case 'error':
      return `:error:${lensText(v.lens)}`;
    case 'stream':
    case 'stream_map':
      return v.name;
    case 'scalar':
    case 'canon_stream':
    case 'canon_map':
      return `${v.name}${lensText(v.lens)}`;
  }
}

type Task = { line: string; depth: number } | { instr: Instruction; depth: number };

const isCall = (
  i: Instruction,
  service: string,
  fn?: string,
): i is Extract<Instruction, { kind: 'call' }> =>
  i.kind === 'call' &&
  i.service.kind === 'string' &&
  i.service.value === service &&
  (fn === undefined || (i.function.kind === 'string' && i.function.value === fn));

/** `(call P ("op" "noop") [])` or `(new $h (new #hc (canon P $h #hc)))`: a routing hop through P. */
function hopPeer(i: Instruction): string | undefined {
  if (isCall(i, 'op', 'noop') && i.args.length === 0 && i.output === undefined)
    return valueText(i.peer);
  if (
    i.kind === 'new' &&
    i.variable.kind === 'stream' &&
    i.body.kind === 'new' &&
    i.body.variable.kind === 'canon_stream'
  ) {
    const canon = i.body.body;
    if (
      canon.kind === 'canon' &&
      canon.form === 'stream' &&
      canon.source.name === i.variable.name &&
      canon.target.name === i.body.variable.name
    ) {
      return valueText(canon.peer);
    }
  }
  return undefined;
}

/** Hops only (a seq tree of them), e.g. the way back before re-raising an error. */
function onlyHops(i: Instruction): boolean {
  const stack = [i];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (n.kind === 'seq') stack.push(n.left, n.right);
    else if (hopPeer(n) === undefined && n.kind !== 'null') return false;
  }
  return true;
}

/** `(fail :error:)` possibly preceded by hops: an error-propagation handler. */
function isPropagation(i: Instruction): boolean {
  let n = i;
  while (n.kind === 'seq') {
    if (!onlyHops(n.left)) return false;
    n = n.right;
  }
  return n.kind === 'fail' && (n.form === 'error' || n.form === 'last_error');
}

/** Aqua's join: waits until stream S has N elements and binds a canon snapshot to GATE. */
function joinPattern(i: Instruction): string | undefined {
  // (new $T (seq (seq (fold $S v (seq (seq (ap v $T) (canon P $T #C)) (xor (match #C.length N (null)) (next v))) (never)) (canon P $T #R)) (ap #R GATE)))
  if (i.kind !== 'new' || i.variable.kind !== 'stream' || i.body.kind !== 'seq') return undefined;
  const outer = i.body;
  const gate = outer.right;
  if (outer.left.kind !== 'seq' || gate.kind !== 'ap') return undefined;
  const fold = outer.left.left;
  if (fold.kind !== 'fold' || fold.foldKind !== 'stream' || fold.body.kind !== 'seq')
    return undefined;
  const check = fold.body.right;
  if (check.kind !== 'xor' || check.left.kind !== 'match' || check.right.kind !== 'next')
    return undefined;
  const count = check.left.right;
  return `${valueText(gate.result)} <- join ${valueText(fold.iterable)} (until length ${valueText(count)})`;
}

/** `(fold S i (par BODY (next i)) LAST?)` or `(seq BODY (next i))`: a for loop with `next` last. */
function forPattern(i: Instruction): { header: string; body: Instruction } | undefined {
  if (i.kind !== 'fold') return undefined;
  const b = i.body;
  if (
    (b.kind === 'par' || b.kind === 'seq') &&
    b.right.kind === 'next' &&
    b.right.iterator.name === i.iterator.name
  ) {
    const mode = b.kind === 'par' ? ' par' : '';
    const last =
      i.last === undefined || i.last.kind === 'null' || i.last.kind === 'never'
        ? ''
        : ' (with last)';
    if (last !== '') return undefined;
    return { header: `for ${i.iterator.name} <- ${valueText(i.iterable)}${mode}:`, body: b.left };
  }
  return undefined;
}

function callLine(i: Extract<Instruction, { kind: 'call' }>, patterns: boolean): string {
  const out = i.output === undefined ? '' : `${valueText(i.output)} <- `;
  const args = i.args.map(valueText);
  if (patterns && i.service.kind === 'string' && i.function.kind === 'string') {
    const srv = i.service.value;
    const fn = i.function.value;
    const onInit = i.peer.kind === 'init_peer_id';
    if (onInit && srv === 'getDataSrv' && i.args.length === 0 && i.output !== undefined)
      return `${out}argument "${fn}"`;
    if (onInit && srv === 'callbackSrv' && fn === 'response') return `return ${args.join(', ')}`;
    if (onInit && srv === 'errorHandlingSrv' && fn === 'error')
      return `report error ${args.join(', ')} to the client`;
    const peer = onInit ? '' : ` on ${valueText(i.peer)}`;
    return `${out}${srv}.${fn}(${args.join(', ')})${peer}`;
  }
  return `${out}call ${valueText(i.peer)} (${valueText(i.service)} ${valueText(i.function)}) [${args.join(' ')}]`;
}

/** Renders an AST as indented pseudo-code. */
export function beautify(ast: Instruction, options: BeautifyOptions = {}): string {
  const unit = ' '.repeat(options.indent ?? 4);
  const patterns = options.patterns ?? true;
  const lines: string[] = [];
  const stack: Task[] = [{ instr: ast, depth: 0 }];
  const block = (header: string, body: Instruction, depth: number, tail: Task[] = []): void => {
    // Pushed in reverse: the header prints first, then the body, then the tail tasks.
    for (let k = tail.length - 1; k >= 0; k--) stack.push(tail[k] as Task);
    stack.push({ instr: body, depth: depth + 1 });
    stack.push({ line: header, depth });
  };
  for (let task = stack.pop(); task !== undefined; task = stack.pop()) {
    if ('line' in task) {
      lines.push(unit.repeat(task.depth) + task.line);
      continue;
    }
    const { instr: i, depth } = task;
    if (patterns) {
      const hop = hopPeer(i);
      if (hop !== undefined) {
        lines.push(`${unit.repeat(depth)}hop ${hop}`);
        continue;
      }
      const join = joinPattern(i);
      if (join !== undefined) {
        lines.push(unit.repeat(depth) + join);
        continue;
      }
      if (i.kind === 'xor' && isPropagation(i.right)) {
        // The error handler only re-raises: the wrapped code reads as if unwrapped.
        stack.push({ instr: i.left, depth });
        continue;
      }
      const loop = forPattern(i);
      if (loop !== undefined) {
        block(loop.header, loop.body, depth);
        continue;
      }
    }
    switch (i.kind) {
      case 'seq':
        stack.push({ instr: i.right, depth }, { instr: i.left, depth });
        break;
      case 'par': {
        const branches: Instruction[] = [];
        let n: Instruction = i;
        while (n.kind === 'par') {
          branches.push(n.left);
          n = n.right;
        }
        branches.push(n);
        for (let k = branches.length - 1; k >= 0; k--) {
          stack.push({ instr: branches[k] as Instruction, depth: depth + 1 });
          stack.push({ line: k === 0 ? 'par:' : '|', depth });
        }
        break;
      }
      case 'xor':
        block('try:', i.left, depth, [
          { line: 'catch:', depth },
          { instr: i.right, depth: depth + 1 },
        ]);
        break;
      case 'match':
      case 'mismatch':
        block(`${i.kind} ${valueText(i.left)} ${valueText(i.right)}:`, i.body, depth);
        break;
      case 'fold':
        block(
          `fold ${valueText(i.iterable)} ${i.iterator.name}:`,
          i.body,
          depth,
          i.last === undefined
            ? []
            : [
                { line: 'last:', depth },
                { instr: i.last, depth: depth + 1 },
              ],
        );
        break;
      case 'new':
        block(`new ${i.variable.name}:`, i.body, depth);
        break;
      case 'call':
        lines.push(unit.repeat(depth) + callLine(i, patterns));
        break;
      case 'next':
        lines.push(`${unit.repeat(depth)}next ${i.iterator.name}`);
        break;
      case 'ap':
        lines.push(`${unit.repeat(depth)}${valueText(i.result)} <- ap ${valueText(i.argument)}`);
        break;
      case 'ap_map':
        lines.push(
          `${unit.repeat(depth)}${i.map.name}[${valueText(i.key)}] <- ap ${valueText(i.value)}`,
        );
        break;
      case 'canon':
        lines.push(
          `${unit.repeat(depth)}${i.target.name} <- canon ${valueText(i.peer)} ${i.source.name}`,
        );
        break;
      case 'fail':
        lines.push(
          unit.repeat(depth) +
            (i.form === 'literal'
              ? `fail ${i.code.text} "${i.message.value}"`
              : `fail ${valueText(i.value)}`),
        );
        break;
      case 'never':
      case 'null':
        lines.push(unit.repeat(depth) + i.kind);
        break;
    }
  }
  return lines.join('\n') + '\n';
}
