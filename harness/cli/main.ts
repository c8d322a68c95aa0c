import { buildProgram } from './program.js';
import { reportCliError } from './output.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportCliError(error);
}
