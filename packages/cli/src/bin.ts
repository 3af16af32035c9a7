import {Command, CommanderError} from 'commander';
import {demoCommand} from './commands/demo.js';
import {UsageError} from './errors.js';

const program = new Command('reformer')
  .description('Train, evaluate, sample from and check Reformer models (Reformer.js).')
  .option('--verbose', 'print stack traces of errors')
  .showHelpAfterError()
  .exitOverride();

program.addCommand(demoCommand());

/** One line for a user's mistake (exit 2), the stack only with --verbose; anything else exits 1. */
function report(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // commander printed it already
  const verbose = program.opts<{verbose?: boolean}>().verbose === true;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    console.error(`reformer: ${message}`);
    if (verbose) console.error(error.stack);
    return 2;
  }
  console.error(verbose && error instanceof Error ? error.stack : `reformer: ${message} (run with --verbose for the stack)`);
  return 1;
}

try {
  await program.parseAsync(process.argv);
  process.exitCode = 0;
} catch (error) {
  process.exitCode = report(error);
}
