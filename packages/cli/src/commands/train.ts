import {Command, Option} from 'commander';
import {integerFlag} from '../flags.js';
import type {CliIO} from '../main.js';
import {OPTIMIZER_NAMES, PRESETS, TASK_NAMES} from '../training/presets.js';
import {runTraining, type TrainFlags} from '../training/trainer.js';

const presetList = TASK_NAMES.map((t) => `${t}: ${Object.keys(PRESETS[t]).join(', ')}`).join('; ');

/** `reformer train`: trains a Reformer on the duplication task or on text, with checkpoints and --resume. */
export function registerTrainCommand(program: Command, io: CliIO): void {
  program
    .command('train')
    .description(
      'train a Reformer LM on the paper\'s duplication task or on character-level text (State of the Union addresses); ' +
        'saves checkpoints (config.json, model.safetensors, optimizer.safetensors, trainer.json) every --save-every steps ' +
        'and at the end; Ctrl-C saves and exits (code 130); --resume continues exactly where the last checkpoint stopped',
    )
    .addOption(new Option('--task <name>', 'duplication or text (required for a new run)').choices([...TASK_NAMES]))
    .option('--preset <name>', `model and training preset (${presetList}); default small`)
    .option('--config <file>', 'JSON with "model" (ReformerConfig fields) and/or "training" settings over the preset')
    .option('--backend <name>', 'tfjs backend: cpu, wasm, webgpu or tensorflow (default: the fastest available)')
    .option('--steps <n>', 'total optimizer steps of the run (with --resume: the new total)', integerFlag('--steps', 1))
    .option('--batch <n>', 'sequences per step', integerFlag('--batch', 1))
    .option('--out <dir>', 'checkpoint folder (default runs/<task>-<preset>)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--overwrite', 'replace the checkpoint already in --out (at the first save)')
    .option('--seed <n>', 'seed of the initialisation, data order, rotations and dropout (default 0)', integerFlag('--seed', 0))
    .addOption(new Option('--optimizer <name>', 'optimizer (default: the preset\'s)').choices([...OPTIMIZER_NAMES]))
    .option('--log-every <n>', 'steps between progress lines', integerFlag('--log-every', 1))
    .option('--save-every <n>', 'steps between checkpoints', integerFlag('--save-every', 1))
    .addOption(new Option('--hashes <n>', 'LSH hash rounds in training (config num_hashes)').argParser(integerFlag('--hashes', 1)).conflicts('fullAttention'))
    .option('--full-attention', 'train with full (shared-QK) attention in place of LSH')
    .action(async (flags: TrainFlags) => {
      const result = await runTraining(flags, {io, barStream: io.progressStream?.()});
      if (result.exitCode !== 0) io.setExitCode(result.exitCode);
    });
}
