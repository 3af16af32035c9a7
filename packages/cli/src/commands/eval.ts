import type {Command} from 'commander';
import {integerFlag, integerListFlag} from '../flags.js';
import type {CliIO} from '../main.js';
import {runEval, type EvalFlags} from '../training/evaluate.js';

/** `reformer eval`: a checkpoint of `reformer train` evaluated per attention setting (the paper's Table 2). */
export function registerEvalCommand(program: Command, io: CliIO): void {
  program
    .command('eval')
    .description(
      'evaluate a checkpoint of reformer train with several numbers of hash rounds and with full attention, printed as ' +
        "the paper's Table 2: accuracy on the copied half (duplication) or bits per character on held-out text; " +
        'with neither --hashes nor --full-attention: full attention and 1, 2, 4, 8 rounds',
    )
    .requiredOption('--checkpoint <dir>', 'the checkpoint folder (written by reformer train)')
    .option('--hashes <list>', 'hash rounds to evaluate with, comma-separated (e.g. 1,2,4,8)', integerListFlag('--hashes', 1))
    .option('--full-attention', 'evaluate with full (shared-QK) attention too')
    .option('--samples <n>', 'evaluation sequences or windows (default: the run\'s evalSamples)', integerFlag('--samples', 1))
    .option('--batch <n>', 'sequences per forward pass (default: the run\'s batch)', integerFlag('--batch', 1))
    .option('--backend <name>', 'tfjs backend: cpu, wasm, webgpu or tensorflow (default: the fastest available)')
    .action(async (flags: EvalFlags) => {
      await runEval(flags, io);
    });
}
