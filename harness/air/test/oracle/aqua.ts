// Compiles Aqua to AIR with the reference compiler (npm @fluencelabs/aqua-api, Scala.js).
// Test-only helper, shared by the parser, beautifier and VM tests.

import { dirname } from 'node:path';

/** One compilation: AIR per exported function, plus the compiler's messages. */
export interface AquaCompilation {
  /** Function name → compiled AIR script. */
  readonly functions: Readonly<Record<string, string>>;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/** Compiler switches that change the shape of the AIR (see aqua-api). */
export interface AquaOptions {
  /** Directories searched by `import "..."`. */
  readonly imports?: readonly string[];
  readonly noXor?: boolean;
  readonly noRelay?: boolean;
  readonly noEmptyResponse?: boolean;
  readonly tracing?: boolean;
  /** `NAME=value` constants. */
  readonly constants?: readonly string[];
}

interface AquaApi {
  compileFromString(args: Record<string, unknown>): Promise<{
    functions: Record<string, { script: string }>;
    errors: string[];
    warnings: string[];
  }>;
  compileFromPath(args: Record<string, unknown>): Promise<{
    functions: Record<string, { script: string }>;
    errors: string[];
    warnings: string[];
  }>;
}

let api: Promise<AquaApi> | undefined;

function load(): Promise<AquaApi> {
  api ??= import('@fluencelabs/aqua-api') as unknown as Promise<AquaApi>;
  return api;
}

function common(options: AquaOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { targetType: 'air' };
  if (options.imports !== undefined) out.imports = [...options.imports];
  if (options.noXor !== undefined) out.noXor = options.noXor;
  if (options.noRelay !== undefined) out.noRelay = options.noRelay;
  if (options.noEmptyResponse !== undefined) out.noEmptyResponse = options.noEmptyResponse;
  if (options.tracing !== undefined) out.tracing = options.tracing;
  if (options.constants !== undefined) out.constants = [...options.constants];
  return out;
}

function collect(result: Awaited<ReturnType<AquaApi['compileFromString']>>): AquaCompilation {
  const functions: Record<string, string> = {};
  for (const [name, fn] of Object.entries(result.functions)) functions[name] = fn.script;
  return { functions, errors: result.errors, warnings: result.warnings };
}

/** Compiles Aqua source text to AIR. */
export async function compileAqua(
  source: string,
  options: AquaOptions = {},
): Promise<AquaCompilation> {
  const aqua = await load();
  return collect(await aqua.compileFromString({ code: source, ...common(options) }));
}

/** Compiles an Aqua file; its own directory is added to the import path. */
export async function compileAquaFile(
  path: string,
  options: AquaOptions = {},
): Promise<AquaCompilation> {
  const aqua = await load();
  const imports = [dirname(path), ...(options.imports ?? [])];
  return collect(
    await aqua.compileFromPath({ filePath: path, ...common({ ...options, imports }) }),
  );
}
