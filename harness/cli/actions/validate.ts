// What `marine validate` does (registered in ../commands/validate.ts).
import { validateService } from '../../../marine-host/index.js';
import { printJson } from '../json-output.js';

/** `marine validate`: one line per finding (or {ok, findings}); exit code 1 on any error. */
export async function validateAction(
  config: string,
  options: { modulesDir?: string; json?: boolean },
): Promise<void> {
  let findings;
  try {
    findings = await validateService(config, options.modulesDir);
  } catch (error) {
    // Whatever went wrong, --json callers (CI) still get JSON, naming the file.
    findings = [
      {
        file: config,
        field: '(validate)',
        message: `the check failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        severity: 'error' as const,
      },
    ];
  }
  const ok = !findings.some((f) => f.severity === 'error');
  if (options.json) printJson({ ok, findings });
  else {
    for (const f of findings)
      process.stdout.write(`${f.severity}: ${f.file}: ${f.field}: ${f.message}\n`);
    const errors = findings.filter((f) => f.severity === 'error').length;
    process.stdout.write(
      ok
        ? `ok: ${config} (${findings.length} warning${findings.length === 1 ? '' : 's'})\n`
        : `${errors} error${errors === 1 ? '' : 's'} in ${config}\n`,
    );
  }
  if (!ok) process.exitCode = 1;
}
