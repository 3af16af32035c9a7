import {join} from 'node:path';
import {
  disposeParameters,
  generate,
  lmHeadBiasDefault,
  loadCheckpoint,
  ReformerModelWithLMHead,
  type ReformerConfig,
} from '@reformerjs/reformer-model';
import type {Command} from 'commander';
import {useBackend} from '../backends.js';
import {UsageError} from '../errors.js';
import {readCheckpointDir} from '../files.js';
import type {CliIO} from '../main.js';
import {decodeIds, encodeText, readVocabulary, VOCAB_FILE} from '../vocab.js';

interface GenerateFlags {
  checkpoint: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK?: number;
  seed: number;
  cache: boolean;
  backend?: string;
}

function integer(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) {
      throw new UsageError(`${flag}: expected ${min === 0 ? 'a non-negative' : 'a positive'} integer, got '${value}'`);
    }
    return n;
  };
}

function nonNegativeNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag}: expected a number >= 0, got '${value}'`);
    return n;
  };
}

/** The longest sequence the model takes: max_position_embeddings, or the axial grid when smaller. */
function positionLimit(config: ReformerConfig): {limit: number; what: string} {
  const grid = config.axialPosEmbds ? config.axialPosShape.reduce((p, n) => p * n, 1) : Infinity;
  return grid < config.maxPositionEmbeddings
    ? {limit: grid, what: `the axial grid's ${grid} positions`}
    : {limit: config.maxPositionEmbeddings, what: `max_position_embeddings ${config.maxPositionEmbeddings}`};
}

/**
 * `reformer generate --checkpoint DIR --prompt TEXT`: continues the prompt with a causal LM checkpoint
 * (config.json, model.safetensors and the character vocabulary vocab.json), printing the prompt and the
 * generated text as it comes.
 */
export function registerGenerateCommand(program: Command, io: CliIO): void {
  program
    .command('generate')
    .description(
      'continue a text prompt with a causal LM checkpoint (config.json, model.safetensors and vocab.json, the character ' +
        'vocabulary: {"kind": "characters", "tokens": [...]}, token id i = tokens[i]); prints the prompt and the continuation',
    )
    .requiredOption('--checkpoint <dir>', 'the checkpoint folder')
    .requiredOption('--prompt <text>', 'the text to continue')
    .option('--max-tokens <n>', 'characters to generate', integer('--max-tokens', 0), 200)
    .option('--temperature <t>', 'softmax temperature; 0 is greedy', nonNegativeNumber('--temperature'), 1)
    .option('--top-k <k>', 'sample among the k most likely characters only', integer('--top-k', 1))
    .option('--seed <n>', 'seed of the sampling and of the LSH rotations', integer('--seed', 0), 0)
    .option('--no-cache', 'rerun the model on the whole text for every character instead of using the decoding cache')
    .option('--backend <name>', 'tfjs backend: cpu, wasm, webgpu or tensorflow (default: the fastest available)')
    .action(async (flags: GenerateFlags) => {
      await useBackend(flags.backend);
      const files = await readCheckpointDir(flags.checkpoint);
      const {config, parameters, head} = await loadCheckpoint({config: files.configJson, weights: files.weights});
      try {
        if (head !== 'lm' || !config.isDecoder) {
          throw new UsageError(
            `--checkpoint: expected a causal LM checkpoint (ReformerModelWithLMHead, is_decoder true), got ${
              head === 'lm' ? 'is_decoder false' : head === 'masked-lm' ? 'a ReformerForMaskedLM' : 'a bare ReformerModel'
            } in ${flags.checkpoint}`,
          );
        }
        const vocab = await readVocabulary(flags.checkpoint, config.vocabSize);
        if (flags.prompt.length === 0) throw new UsageError('--prompt: expected at least one character, got an empty prompt');
        const promptIds = encodeText(vocab, flags.prompt, '--prompt', join(flags.checkpoint, VOCAB_FILE));
        const {limit, what} = positionLimit(config);
        if (promptIds.length + flags.maxTokens > limit) {
          throw new UsageError(
            `--max-tokens: expected at most ${Math.max(0, limit - promptIds.length)} (${what} minus the prompt's ${promptIds.length} characters), got ${flags.maxTokens}`,
          );
        }
        const model = new ReformerModelWithLMHead(config, {parameters, lmHeadBias: lmHeadBiasDefault(config)});
        try {
          io.stdout(flags.prompt);
          const start = performance.now();
          const ids = await generate(model, promptIds, {
            maxNewTokens: flags.maxTokens,
            temperature: flags.temperature,
            topK: flags.topK,
            seed: flags.seed,
            useCache: flags.cache,
            onToken: (_step, tokens) => io.stdout(decodeIds(vocab, tokens)),
          });
          const seconds = (performance.now() - start) / 1000;
          io.stdout('\n');
          io.stderr(
            `(${ids.length} tokens in ${seconds.toFixed(2)} s, ${(ids.length / seconds).toFixed(1)} tokens/s, ${flags.cache ? 'cached' : 'uncached'})\n`,
          );
        } finally {
          model.dispose();
        }
      } finally {
        disposeParameters(parameters);
      }
    });
}
