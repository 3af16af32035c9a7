import type {Command} from 'commander';
import {useBackend} from '../backends.js';
import {formatParityTable, runParity} from '../parity.js';
import type {CliIO} from '../main.js';

/**
 * `reformer parity <case-dir>`: compares the model with a Hugging Face reference case and exits 1 when
 * any output is outside its tolerance.
 */
export function registerParityCommand(program: Command, io: CliIO): void {
  program
    .command('parity')
    .description(
      'compare logits, hidden states, loss and gradients with a Hugging Face reference case ' +
        '(a folder with config.json, model.safetensors and io.safetensors); exits 1 if any is outside its tolerance',
    )
    .argument('<case-dir>', 'the reference case folder')
    .option('--backend <name>', 'tfjs backend: cpu, wasm, webgpu or tensorflow (default: the fastest available)')
    .action(async (caseDir: string, opts: {backend?: string}) => {
      await useBackend(opts.backend);
      const result = await runParity(caseDir);
      io.stdout(formatParityTable(result));
      if (!result.ok) io.setExitCode(1);
    });
}
