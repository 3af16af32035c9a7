import {Command, CommanderError} from 'commander';
import {demoCommand} from './commands/demo.js';
import {registerGenerateCommand} from './commands/generate.js';
import {registerEvalCommand} from './commands/eval.js';
import {registerParityCommand} from './commands/parity.js';
import {registerTrainCommand} from './commands/train.js';
import {UsageError} from './errors.js';

/** Where the program writes and how it reports its exit code (process streams in bin.ts, buffers in tests). */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  setExitCode(code: number): void;
  /** The terminal to draw progress bars on, when there is one (none: progress prints plain lines to stdout). */
  progressStream?(): NodeJS.WritableStream | undefined;
}

export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  progressStream: () => (process.stderr.isTTY ? process.stderr : undefined),
};

/** The `reformer` program with every command registered. */
export function buildProgram(io: CliIO): Command {
  const program = new Command('reformer')
    .description('Train, evaluate, sample from and check Reformer models (Reformer.js).')
    .option('--verbose', 'print stack traces of errors')
    .configureOutput({writeOut: io.stdout, writeErr: io.stderr})
    .exitOverride()
    .showHelpAfterError('(run reformer --help for usage)');
  // addCommand, unlike command(), does not pass the program's settings (exit override, output) down.
  const demo = demoCommand();
  demo.copyInheritedSettings(program);
  program.addCommand(demo);
  registerParityCommand(program, io);
  registerGenerateCommand(program, io);
  registerTrainCommand(program, io);
  registerEvalCommand(program, io);
  return program;
}

/**
 * Runs the program on `argv` (as process.argv: node, script, arguments...) and returns the exit code:
 * 0 success, 1 a failed check or an unexpected error, 2 a usage error (bad flag or argument, missing file,
 * unavailable backend). A UsageError prints as one line; other errors print their message, and their
 * stack with --verbose.
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let code = 0;
  const captured: CliIO = {...io, setExitCode: (c) => void (code = c)};
  const program = buildProgram(captured);
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed its message (or the help) already.
      return error.exitCode === 0 ? 0 : 2;
    }
    const verbose = Boolean(program.opts<{verbose?: boolean}>().verbose) || argv.includes('--verbose');
    if (error instanceof UsageError) {
      io.stderr(`reformer: ${oneLine(error.message)}\n`);
      if (verbose && error.stack) io.stderr(`${error.stack}\n`);
      return 2;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    io.stderr(`reformer: ${verbose ? err.stack ?? err.message : oneLine(err.message)}\n`);
    if (!verbose) io.stderr('(run with --verbose for the stack trace)\n');
    return 1;
  }
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
