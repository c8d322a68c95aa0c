// How every marine command reports an error. Kept free of the protocol and the rest of the
// toolkit: bin/marine.js loads it with the program on every start (`marine --help` included).

/** Prints an error the way every marine command does: one readable message on stderr; returns the exit code. */
export function reportCliError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.MARINE_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return 1;
}
