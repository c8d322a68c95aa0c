/** Prints an error the way every marine command does: one readable message on stderr; returns the exit code. */
export function reportCliError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.MARINE_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return 1;
}

/** Writes a value as pretty JSON on stdout (what `--json` modes print, and nothing else). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
