// Public surface of the AIR AST: node types, positions, traversal, JSON form.
export type * from './types.js';
export { LineIndex, sourcePosition, type SourcePosition } from './positions.js';
export { childInstructions, walkInstructions, treeStats } from './walk.js';
export { astToJson, astToJsonText, stringifyJson, type AstJson } from './json.js';
