// Instructions and values printed the way AquaVM prints them in error objects' `instruction`.
import type { Instruction, Value } from '../ast/types.js';
import { floatDisplay } from '../../protocol/index.js';
import { lensText } from '../lambda/apply.js';

/** A value as AquaVM prints it. */
export function valueText(v: Value): string {
  switch (v.kind) {
    case 'string':
      return `"${v.value}"`;
    // AquaVM prints the parsed number, not its source text: `-0.0` reads `-0`, `7.0` reads `7`.
    case 'int':
      return v.value.toString();
    case 'float':
      return floatDisplay(v.value);
    case 'bool':
      return String(v.value);
    case 'empty_array':
      return '[]';
    case 'init_peer_id':
      return '%init_peer_id%';
    case 'timestamp':
      return '%timestamp%';
    case 'ttl':
      return '%ttl%';
    case 'last_error':
      return '%last_error%' + (v.lens ? lensText(v.lens) : '');
    case 'error':
      return ':error:' + (v.lens ? lensText(v.lens) : '');
    case 'scalar':
    case 'canon_stream':
    case 'canon_map':
      return v.name + (v.lens ? lensText(v.lens) : '');
    case 'stream':
    case 'stream_map':
      return v.name;
  }
}

/** An instruction as AquaVM prints it (the head only; sub-instructions are not printed). */
export function instructionText(i: Instruction): string {
  let text = instructionTexts.get(i);
  if (text === undefined) {
    text = writeInstructionText(i);
    instructionTexts.set(i, text);
  }
  return text;
}

// ASTs are never changed and are shared between runs (see vm.ts), and a call's text is wanted on
// every execution of the call (for its error, should it fail): written once per instruction.
const instructionTexts = new WeakMap<Instruction, string>();

function writeInstructionText(i: Instruction): string {
  switch (i.kind) {
    case 'call':
      return `call ${valueText(i.peer)} (${valueText(i.service)} ${valueText(i.function)}) [${i.args.map(valueText).join(' ')}] ${i.output ? valueText(i.output) : ''}`;
    case 'seq':
    case 'par':
    case 'xor':
    case 'never':
    case 'null':
      return i.kind;
    case 'match':
    case 'mismatch':
      return `${i.kind} ${valueText(i.left)} ${valueText(i.right)}`;
    case 'fold':
      return `fold ${valueText(i.iterable)} ${valueText(i.iterator)}`;
    case 'next':
      return `next ${valueText(i.iterator)}`;
    case 'new':
      return `new ${valueText(i.variable)}`;
    case 'ap':
      return `ap ${valueText(i.argument)} ${valueText(i.result)}`;
    case 'ap_map':
      return `ap (${valueText(i.key)} ${valueText(i.value)}) ${valueText(i.map)}`;
    case 'canon':
      return `canon ${valueText(i.peer)} ${valueText(i.source)} ${valueText(i.target)}`;
    case 'fail':
      switch (i.form) {
        case 'literal':
          return `fail ${i.code.value.toString()} "${i.message.value}"`;
        case 'value':
          return `fail ${valueText(i.value)}`;
        case 'last_error':
          return 'fail %last_error%';
        case 'error':
          return 'fail :error:';
      }
  }
}
