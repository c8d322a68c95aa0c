// JSON given on the command line: inline text, `@path` for a file, or `-` for standard input, so
// arguments of any size can be passed (the OS caps one command-line argument at 128 KiB).
import { readFileSync } from 'node:fs';
import { parseJson, type JsonValue } from '../protocol/index.js';

/** The text an argument stands for: itself, the file after `@`, or stdin for `-`. */
export async function readTextInput(value: string, what: string): Promise<string> {
  if (value === '-') {
    try {
      // Streamed: stdin may be a non-blocking pipe, which a synchronous read cannot wait on.
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      throw new Error(`${what}: cannot read standard input: ${(error as Error).message}`);
    }
  }
  if (value.startsWith('@')) {
    const path = value.slice(1);
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`${what}: cannot read the file ${path}: ${(error as Error).message}`);
    }
  }
  return value;
}

/** Deepest nesting of arrays and objects a JSON argument may have. */
export const MAX_JSON_DEPTH = 1000;

/** Parses a JSON argument (inline, `@path` or `-`) exactly, naming the flag on error. */
export async function readJsonInput(value: string, what: string): Promise<JsonValue> {
  const text = await readTextInput(value, what);
  try {
    // Untrusted input: deep nesting is refused with its position, not a stack overflow later.
    return parseJson(text, { maxDepth: MAX_JSON_DEPTH });
  } catch (error) {
    const source =
      value === '-' ? ' (from stdin)' : value.startsWith('@') ? ` (from ${value.slice(1)})` : '';
    throw new Error(
      `${what}: ${(error as Error).message}${source} in ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`,
    );
  }
}
