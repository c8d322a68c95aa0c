import type { Instruction } from './types.js';

/** Direct sub-instructions of `instr`, in source order. */
export function childInstructions(instr: Instruction): readonly Instruction[] {
  switch (instr.kind) {
    case 'seq':
    case 'par':
    case 'xor':
      return [instr.left, instr.right];
    case 'match':
    case 'mismatch':
    case 'new':
      return [instr.body];
    case 'fold':
      return instr.last === undefined ? [instr.body] : [instr.body, instr.last];
    default:
      return [];
  }
}

/**
 * Visits every instruction in pre-order (parents before children, left before right) without
 * recursion, so a 100k-deep tree cannot overflow the stack. `depth` is 0 at the root.
 */
export function walkInstructions(
  root: Instruction,
  visit: (instr: Instruction, depth: number) => void,
): void {
  const stack: Array<[Instruction, number]> = [[root, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [instr, depth] = top;
    visit(instr, depth);
    const children = childInstructions(instr);
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child !== undefined) stack.push([child, depth + 1]);
    }
  }
}

/** Number of instructions in the tree and its maximum nesting depth (root = 1). */
export function treeStats(root: Instruction): { instructions: number; depth: number } {
  let instructions = 0;
  let depth = 0;
  walkInstructions(root, (_, d) => {
    instructions++;
    if (d + 1 > depth) depth = d + 1;
  });
  return { instructions, depth };
}
