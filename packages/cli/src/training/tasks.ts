// The two tasks of `reformer train`: the paper's duplication task and character-level language modelling of the
// State of the Union addresses.

import {duplicationTokens, type ReformerConfig, type ReformerModelWithLMHead} from '@reformerjs/reformer-model';
import * as tf from '@tensorflow/tfjs';
import {UsageError} from '../errors.js';
import {VOCAB_FILE, formatVocabulary} from '../vocab.js';
import type {TaskName, TrainingSettings} from './presets.js';
import {addScores, bitsPerCharacter, emptyScore, IGNORE_LABEL, scoreLogits, type Score} from './scoring.js';
import {loadTextCorpus, type TextCorpus} from './sotu.js';
import {seedFor as deriveSeed} from './seeds.js';
import {positionLimit, type Batch, type EvaluateOptions, type Evaluation, type Task} from './task.js';

/** Seed streams split from a run's seed. */
export const STREAM = {init: 1, data: 2, step: 3} as const;

/**
 * The seed of the evaluation data: fixed, not the run's, so that every checkpoint of a task is evaluated on
 * the same sequences (and a Table 2 of two runs compares like with like).
 */
export const EVAL_DATA_SEED = 0x45564c;

const TWO_POW_32 = 2 ** 32;

function checkLength(config: ReformerConfig, length: number, where: string, fix: string): void {
  const {limit, what} = positionLimit(config);
  if (length > limit) {
    throw new UsageError(`${where}: sequences of ${length} tokens do not fit ${what}; ${fix}`);
  }
}

/** Runs the model over the evaluation batches, scoring each. */
async function evaluateBatches(
  model: ReformerModelWithLMHead,
  options: EvaluateOptions,
  makeBatch: (index: number, size: number) => Batch,
): Promise<Score> {
  let total = emptyScore();
  for (let index = 0, done = 0; done < options.samples; index++) {
    const size = Math.min(options.batch, options.samples - done);
    const batch = makeBatch(index, size);
    try {
      const {logits} = model.forward(batch.inputIds, {
        seed: deriveSeed(options.seed, index),
        validateInputs: false,
        ...(options.attentionOverride ? {attentionOverride: options.attentionOverride} : {}),
      });
      try {
        total = addScores(total, await scoreLogits(logits, batch.labels));
      } finally {
        logits.dispose();
      }
    } finally {
      tf.dispose([batch.inputIds, batch.labels]);
    }
    done += size;
  }
  return total;
}

/**
 * The duplication task (paper, section 2.1): sequences `0 w 0 w` with w drawn from symbols 1..N; loss and
 * accuracy on the second w only. Batch `step` is reformer-model's `duplicationBatch` index `step` of the run's
 * data seed, so a resumed run sees exactly the batches an uninterrupted one would.
 */
export class DuplicationTask implements Task {
  readonly name = 'duplication';
  readonly metric = 'accuracy';
  readonly sequenceLength: number;

  constructor(
    readonly wordLength: number,
    readonly symbols: number,
    private readonly dataSeed: number,
  ) {
    this.sequenceLength = 2 * wordLength + 2;
  }

  describe(): string {
    return `duplication: 0 w 0 w with |w| = ${this.wordLength} (length ${this.sequenceLength}), symbols 1..${this.symbols}; scored on the copied w`;
  }

  checkConfig(config: ReformerConfig, where: string): void {
    if (config.vocabSize < this.symbols + 1) {
      throw new UsageError(
        `${where}: vocab_size ${config.vocabSize} is too small for the duplication task with ${this.symbols} symbols ` +
          `(ids 0..${this.symbols}: the separator and the symbols); set vocab_size >= ${this.symbols + 1} or symbols <= ${config.vocabSize - 1}`,
      );
    }
    checkLength(config, this.sequenceLength, where, `raise it or lower wordLength (|w| = ${this.wordLength} gives 2·|w| + 2)`);
  }

  private batch(seed: number, index: number, size: number): Batch {
    const ids = duplicationTokens({batch: size, wordLength: this.wordLength, vocabSize: this.symbols, seed, index});
    const labels = new Int32Array(ids.length);
    const length = this.sequenceLength;
    // Score the second w only: labels at positions W+2 .. 2W+1 (the causal shift scores the predictions made at
    // W+1 .. 2W), as duplicationBatch's lossWeights mark them.
    for (let i = 0; i < ids.length; i++) labels[i] = i % length >= this.wordLength + 2 ? ids[i]! : IGNORE_LABEL;
    return {inputIds: tf.tensor2d(ids, [size, length], 'int32'), labels: tf.tensor2d(labels, [size, length], 'int32')};
  }

  trainBatch(step: number, batch: number): Batch {
    return this.batch(this.dataSeed, step, batch);
  }

  async evaluate(model: ReformerModelWithLMHead, options: EvaluateOptions): Promise<Evaluation> {
    const score = await evaluateBatches(model, options, (index, size) => this.batch(EVAL_DATA_SEED, index, size));
    return {loss: score.nats / score.count, accuracy: score.hits / score.count, samples: options.samples, tokens: score.count};
  }

  extraFiles(): Record<string, string> {
    return {};
  }
}

/**
 * Character-level language modelling of the State of the Union addresses. Training windows start at offsets
 * drawn from (data seed, step, row), uniformly over the training text; evaluation reads `samples` windows spread
 * evenly over the held-out speeches. Every character of a window but the first is scored.
 */
export class TextTask implements Task {
  readonly name = 'text';
  readonly metric = 'bpc';

  constructor(
    readonly corpus: TextCorpus,
    readonly sequenceLength: number,
    private readonly dataSeed: number,
  ) {
    if (sequenceLength < 2) throw new UsageError(`length: expected at least 2 characters per window, got ${sequenceLength}`);
    if (corpus.heldOut.length < sequenceLength) {
      throw new UsageError(`length: the held-out text has ${corpus.heldOut.length} characters, fewer than one window of ${sequenceLength}; hold out more speeches`);
    }
  }

  describe(): string {
    const first = this.corpus.heldOutSpeeches[0]!;
    const last = this.corpus.heldOutSpeeches[this.corpus.heldOutSpeeches.length - 1]!;
    return (
      `text: State of the Union addresses, ${this.corpus.characters.toLocaleString('en-US')} characters, ` +
      `${this.corpus.tokens.length - 1} distinct; training ${this.corpus.trainSpeeches} speeches, ` +
      `held out ${this.corpus.heldOutSpeeches.length} (${first.year}–${last.year}); windows of ${this.sequenceLength}`
    );
  }

  checkConfig(config: ReformerConfig, where: string): void {
    if (config.vocabSize < this.corpus.tokens.length) {
      throw new UsageError(
        `${where}: vocab_size ${config.vocabSize} is too small for the text vocabulary of ${this.corpus.tokens.length} tokens ` +
          `(padding and ${this.corpus.tokens.length - 1} characters); set vocab_size >= ${this.corpus.tokens.length}`,
      );
    }
    checkLength(config, this.sequenceLength, where, 'raise it or lower the window length (training.length)');
  }

  private windows(source: Int32Array, starts: readonly number[]): Batch {
    const length = this.sequenceLength;
    const ids = new Int32Array(starts.length * length);
    starts.forEach((start, row) => ids.set(source.subarray(start, start + length), row * length));
    const shape: [number, number] = [starts.length, length];
    return {inputIds: tf.tensor2d(ids, shape, 'int32'), labels: tf.tensor2d(ids, shape, 'int32')};
  }

  /** Where the windows of training step `step` start. */
  trainOffsets(step: number, batch: number): number[] {
    const range = this.corpus.train.length - this.sequenceLength + 1;
    return Array.from({length: batch}, (_, row) => Math.floor((deriveSeed(this.dataSeed, step, row) / TWO_POW_32) * range));
  }

  trainBatch(step: number, batch: number): Batch {
    return this.windows(this.corpus.train, this.trainOffsets(step, batch));
  }

  /** Where the `samples` evaluation windows start: evenly spread over the held-out text, first and last included. */
  evalOffsets(samples: number): number[] {
    const last = this.corpus.heldOut.length - this.sequenceLength;
    return Array.from({length: samples}, (_, i) => (samples === 1 ? 0 : Math.round((i * last) / (samples - 1))));
  }

  async evaluate(model: ReformerModelWithLMHead, options: EvaluateOptions): Promise<Evaluation> {
    const offsets = this.evalOffsets(options.samples);
    const score = await evaluateBatches(model, options, (index, size) =>
      this.windows(this.corpus.heldOut, offsets.slice(index * options.batch, index * options.batch + size)),
    );
    const bpc = bitsPerCharacter(score.nats, score.count);
    return {loss: score.nats / score.count, bitsPerCharacter: bpc, samples: options.samples, tokens: score.count};
  }

  extraFiles(): Record<string, string> {
    return {[VOCAB_FILE]: formatVocabulary(this.corpus.tokens)};
  }
}

/** The task of a run, from its settings and seed. */
export async function createTask(task: TaskName, settings: TrainingSettings, seed: number): Promise<Task> {
  const dataSeed = deriveSeed(seed, STREAM.data);
  if (task === 'duplication') {
    return new DuplicationTask(settings.wordLength ?? 63, settings.symbols ?? 127, dataSeed);
  }
  const corpus = await loadTextCorpus(settings.heldOutSpeeches ?? 10);
  return new TextTask(corpus, settings.length ?? 256, dataSeed);
}
