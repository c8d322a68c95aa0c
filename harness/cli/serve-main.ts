// Entry of `marine serve` alone: the #[marine_test] runtime starts one per service per test, so
// it loads only the host and this command, not every command's dependencies (AIR, peers, libp2p).
import { Command } from 'commander';
import { register } from './commands/serve.js';
import { reportCliError } from './output.js';

try {
  const program = new Command('marine');
  register(program);
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportCliError(error);
}
