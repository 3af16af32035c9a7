// `reformer train`: the training loop, its checkpoints, resumption and interruption.
//
// Everything random in step s is a function of (seed, s): the batch (the task's counter-based data), the LSH
// rotations and the dropout masks (the model call's seed, deriveSeed(seed, STREAM.step, s)). Nothing depends on
// how many calls came before, so a run resumed from its checkpoint at step s computes exactly what the
// uninterrupted run computed from s on (on the same backend): same batches, same updates, same weights.

import {existsSync, statSync} from 'node:fs';
import {
  Adafactor,
  disposeParameters,
  loadCheckpoint,
  ReformerConfig,
  ReformerModelWithLMHead,
  ScheduledAdam,
  warmupRsqrtDecay,
  type AttentionOverride,
  type ReformerParameters,
} from '@reformerjs/reformer-model';
import * as tf from '@tensorflow/tfjs';
import {checkBackendName, chooseBackend} from '../backends.js';
import {UsageError} from '../errors.js';
import type {CliIO} from '../main.js';
import {
  hasAnyCheckpointFile,
  hasTrainingCheckpoint,
  parseOptimizerState,
  readTrainingCheckpoint,
  saveTrainingCheckpoint,
  serializeOptimizerState,
  type MetricsEntry,
  type SaveHooks,
  type TrainerState,
} from './checkpoint.js';
import type {TaskName, TrainingSettings} from './presets.js';
import {BarProgress, formatDuration, formatMetric, LineProgress, type ProgressReporter} from './progress.js';
import {seedFor as deriveSeed} from './seeds.js';
import {checkOptimizer, checkPreset, checkTask, resolveNewRun, type SettingFlags} from './settings.js';
import type {Evaluation, Task} from './task.js';
import {createTask, STREAM} from './tasks.js';

/** The flags of `reformer train`. */
export interface TrainFlags extends SettingFlags {
  task?: string;
  preset?: string;
  config?: string;
  backend?: string;
  out?: string;
  resume?: boolean;
  overwrite?: boolean;
  seed?: number;
}

/** What the command runs in: its output, and hooks for tests. */
export interface TrainEnvironment {
  io: CliIO;
  /** Draw a progress bar on this terminal stream; without one, plain lines go to io.stdout. */
  barStream?: NodeJS.WritableStream;
  /** Stop (save, exit 130) when aborted, like Ctrl-C. */
  signal?: AbortSignal;
  /** Handle SIGINT (Ctrl-C): save and exit 130. Default true. */
  handleSigint?: boolean;
  /** Called with each step's loss, in order, as it is read back (tests). */
  onStep?(step: number, loss: number): void;
  /** Save hooks (tests simulate crashes with them). */
  saveHooks?: SaveHooks;
}

export interface TrainResult {
  /** 0 done, 130 interrupted (after saving). */
  exitCode: number;
  /** Steps done. */
  step: number;
  out: string;
  final?: Evaluation;
}

/** The exit code of a run stopped by Ctrl-C (128 + SIGINT), after its checkpoint was saved. */
export const INTERRUPTED_EXIT_CODE = 130;

/** Seed of the evaluations' LSH rotations: fixed, so evaluations at different steps hash alike. */
const EVAL_ROTATION_SEED = 0x7e57;

/** The learning rate of the 1-based step t (the schedule both optimizers follow). */
export function learningRateAt(settings: TrainingSettings, t: number): number {
  return warmupRsqrtDecay({constant: settings.learningRate * Math.sqrt(settings.warmupSteps), warmupSteps: settings.warmupSteps})(t);
}

/**
 * Adam (β₁ 0.9, β₂ 0.98, ε 1e-9, the Transformer's) or Adafactor (factored second moments, update clipping 1,
 * no first moment, step not scaled by the parameters' RMS), both on the warm-up / reciprocal-square-root
 * schedule with peak `learningRate` at `warmupSteps`.
 */
export function createOptimizer(settings: TrainingSettings): ScheduledAdam | Adafactor {
  const schedule = warmupRsqrtDecay({constant: settings.learningRate * Math.sqrt(settings.warmupSteps), warmupSteps: settings.warmupSteps});
  if (settings.optimizer === 'adafactor') return new Adafactor({learningRate: schedule, multiplyByParameterScale: false});
  return new ScheduledAdam({learningRate: schedule, beta1: 0.9, beta2: 0.98, epsilon: 1e-9});
}

function trainingAttention(settings: TrainingSettings, config: ReformerConfig): string {
  if (settings.fullAttention) return 'full attention';
  return config.attnLayers.includes('lsh') ? `LSH-${config.numHashes}` : 'local attention';
}

/** Rejects flags that would change a resumed run (its settings are the checkpoint's). */
function checkResumeFlags(flags: TrainFlags, state: TrainerState, config: ReformerConfig, out: string): void {
  const clash = (flag: string, given: unknown, saved: unknown) => {
    throw new UsageError(
      `${flag} ${String(given)}: the checkpoint in ${out} was trained with ${String(saved)}; a resumed run keeps its settings (omit ${flag}, or start a new run with another --out)`,
    );
  };
  if (flags.task !== undefined && checkTask(flags.task) !== state.task) clash('--task', flags.task, state.task);
  if (flags.preset !== undefined && flags.preset !== state.preset) clash('--preset', flags.preset, state.preset);
  if (flags.config !== undefined) throw new UsageError(`--config: a resumed run keeps the settings of its checkpoint in ${out}; omit --config`);
  if (flags.seed !== undefined && flags.seed !== state.seed) clash('--seed', flags.seed, state.seed);
  if (flags.batch !== undefined && flags.batch !== state.settings.batch) clash('--batch', flags.batch, state.settings.batch);
  if (flags.optimizer !== undefined && checkOptimizer(flags.optimizer, '--optimizer') !== state.optimizer) clash('--optimizer', flags.optimizer, state.optimizer);
  if (flags.hashes !== undefined && flags.hashes !== config.numHashes) clash('--hashes', flags.hashes, config.numHashes);
  if (flags.fullAttention && !state.settings.fullAttention) clash('--full-attention', 'given', 'LSH attention');
}

interface Session {
  task: Task;
  taskName: TaskName;
  preset: string;
  seed: number;
  config: ReformerConfig;
  settings: TrainingSettings;
  /** The checkpoint's model files (resume) or undefined (a fresh initialisation from the seed). */
  saved?: {configJson: string; weights: Uint8Array};
  /** The parameters loaded from `saved`, once a backend is chosen. */
  parameters?: ReformerParameters;
  optimizerState?: Uint8Array;
  startStep: number;
  metrics: MetricsEntry[];
  out: string;
}

async function prepareSession(flags: TrainFlags): Promise<Session> {
  if (flags.resume) {
    if (flags.overwrite) throw new UsageError('--resume and --overwrite: choose one');
    const out = flags.out ?? (flags.task ? `runs/${checkTask(flags.task)}-${checkPreset(checkTask(flags.task), flags.preset)}` : undefined);
    if (out === undefined) throw new UsageError('--resume: name the run to continue with --out DIR');
    if (!(await hasTrainingCheckpoint(out))) {
      throw new UsageError(`--resume: no checkpoint in ${out} (no trainer.json); run without --resume to start one there`);
    }
    const saved = await readTrainingCheckpoint(out);
    const {state} = saved;
    const config = parseSavedConfig(saved.configJson, out);
    checkResumeFlags(flags, state, config, out);
    const settings: TrainingSettings = {...state.settings};
    if (flags.steps !== undefined) settings.steps = flags.steps;
    if (flags.logEvery !== undefined) settings.logEvery = flags.logEvery;
    if (flags.saveEvery !== undefined) settings.saveEvery = flags.saveEvery;
    const task = await createTask(state.task, settings, state.seed);
    task.checkConfig(config, `checkpoint ${out}`);
    return {
      task,
      taskName: state.task,
      preset: state.preset,
      seed: state.seed,
      config,
      settings,
      saved: {configJson: saved.configJson, weights: saved.weights},
      optimizerState: saved.optimizerState,
      startStep: state.step,
      metrics: [...state.metrics],
      out,
    };
  }
  if (flags.task === undefined) throw new UsageError('--task: required for a new run (duplication or text); or continue one with --resume --out DIR');
  const taskName = checkTask(flags.task);
  const resolved = await resolveNewRun(taskName, flags.preset, flags.config, flags);
  const out = flags.out ?? `runs/${taskName}-${resolved.preset}`;
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out: ${out} is a file; name a folder for the checkpoints`);
  if (!flags.overwrite && (await hasAnyCheckpointFile(out))) {
    throw new UsageError(`--out: ${out} already holds a checkpoint; continue it with --resume, or pass --overwrite to replace it (at the first save)`);
  }
  const seed = flags.seed ?? 0;
  const task = await createTask(taskName, resolved.settings, seed);
  task.checkConfig(resolved.config, `model config (preset ${resolved.preset}${flags.config ? ` with ${flags.config}` : ''})`);
  return {task, taskName, preset: resolved.preset, seed, config: resolved.config, settings: resolved.settings, startStep: 0, metrics: [], out};
}

function parseSavedConfig(configJson: string, out: string): ReformerConfig {
  try {
    return ReformerConfig.fromJSONString(configJson);
  } catch (e) {
    throw new UsageError(`checkpoint ${out}: config.json: ${(e as Error).message}; the checkpoint is corrupt`);
  }
}

function createModel(session: Session): ReformerModelWithLMHead {
  try {
    return session.parameters
      ? new ReformerModelWithLMHead(session.config, {parameters: session.parameters})
      : new ReformerModelWithLMHead(session.config, {seed: deriveSeed(session.seed, STREAM.init)});
  } catch (e) {
    throw new UsageError(`model config: ${(e as Error).message}`);
  }
}

/** Runs `reformer train`. */
export async function runTraining(flags: TrainFlags, env: TrainEnvironment): Promise<TrainResult> {
  const {io} = env;
  checkBackendName(flags.backend);
  const session = await prepareSession(flags);
  const {task, settings, config, out} = session;
  // The backend first: tensors made before it would initialise (and live on) the default cpu backend.
  const backend = await chooseBackend(flags.backend);
  if (session.saved) {
    try {
      session.parameters = (await loadCheckpoint({config: session.saved.configJson, weights: session.saved.weights}, {head: 'lm'})).parameters;
    } catch (e) {
      throw new UsageError(`checkpoint ${out}: ${(e as Error).message}; the checkpoint is corrupt, start a new run with --overwrite`);
    }
  }
  let model: ReformerModelWithLMHead;
  try {
    model = createModel(session);
  } catch (e) {
    if (session.parameters) disposeParameters(session.parameters);
    throw e;
  }
  const optimizer = createOptimizer(settings);
  const variables = Object.values(model.parameters) as tf.Variable[];
  const attentionOverride: AttentionOverride | undefined = settings.fullAttention ? {full: true} : undefined;
  const progress: ProgressReporter = env.barStream ? new BarProgress(env.barStream, io.stdout) : new LineProgress(io.stdout);

  let stopRequested = false;
  const requestStop = () => {
    if (!stopRequested) progress.note('interrupted: saving a checkpoint after this step (Ctrl-C again to quit without saving)');
    stopRequested = true;
  };
  const onSigint = () => {
    if (stopRequested) {
      progress.stop();
      io.stderr('reformer: interrupted twice: exiting without saving (the last checkpoint is intact)\n');
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    requestStop();
  };
  const handleSigint = env.handleSigint ?? true;
  if (handleSigint) process.on('SIGINT', onSigint);
  env.signal?.addEventListener('abort', requestStop);
  if (env.signal?.aborted) stopRequested = true;

  try {
    if (session.optimizerState) {
      const weights = parseOptimizerState(session.optimizerState, model.parameters, `checkpoint ${out}: optimizer.safetensors`);
      try {
        await optimizer.setWeights(weights);
      } finally {
        tf.dispose(weights.map((w) => w.tensor));
      }
      if (optimizer.iterations !== session.startStep) {
        throw new UsageError(`checkpoint ${out}: optimizer.safetensors holds ${optimizer.iterations} steps, trainer.json ${session.startStep}; the checkpoint is inconsistent`);
      }
    }
    const parameterCount = variables.reduce((n, v) => n + v.size, 0);
    io.stdout(
      `reformer train: ${session.taskName}, preset ${session.preset}, ${session.startStep > 0 ? `resuming at step ${session.startStep} of ${settings.steps}` : `${settings.steps} steps`}, ` +
        `backend ${backend.name}${backend.detail ? ` (${backend.detail})` : ''}\n`,
    );
    io.stdout(`  ${task.describe()}\n`);
    io.stdout(
      `  model: ${config.attnLayers.length} layer(s) [${config.attnLayers.join(', ')}], d_model ${config.hiddenSize}, ` +
        `${config.numAttentionHeads} heads, d_ff ${config.feedForwardSize}, ${parameterCount.toLocaleString('en-US')} parameters; trained with ${trainingAttention(settings, config)}\n`,
    );
    io.stdout(
      `  ${settings.optimizer}, peak lr ${settings.learningRate} after ${settings.warmupSteps} warm-up steps (then 1/sqrt decay), batch ${settings.batch}, seed ${session.seed}; checkpoints in ${out}\n`,
    );

    const tokensPerStep = settings.batch * task.sequenceLength;
    const evaluate = (samples: number) =>
      task.evaluate(model, {samples, batch: settings.batch, seed: EVAL_ROTATION_SEED, ...(attentionOverride ? {attentionOverride} : {})});
    const metrics = session.metrics;
    const lastElapsed = [...metrics].reverse().find((m) => m.elapsedSeconds !== undefined)?.elapsedSeconds ?? 0;
    const sessionStart = performance.now();
    const elapsed = () => lastElapsed + (performance.now() - sessionStart) / 1000;

    let step = session.startStep;
    let lastEval: Evaluation | undefined;
    let lastEvalStep = -1;
    let savedStep = -1;

    const save = async () => {
      const weights = await optimizer.getWeights();
      let optimizerState: Uint8Array;
      try {
        optimizerState = await serializeOptimizerState(weights, model.parameters);
      } finally {
        tf.dispose(weights.map((w) => w.tensor));
      }
      await saveTrainingCheckpoint(
        out,
        {
          config,
          parameters: model.parameters,
          optimizerState,
          extraFiles: task.extraFiles(),
          state: {
            step,
            seed: session.seed,
            task: session.taskName,
            preset: session.preset,
            optimizer: settings.optimizer,
            settings,
            dataPosition: {nextBatch: step},
            metrics,
            backend: backend.name,
          },
        },
        env.saveHooks,
      );
      savedStep = step;
    };

    const evaluateAndRecord = async () => {
      lastEval = await evaluate(settings.evalSamples);
      lastEvalStep = step;
      const entry: MetricsEntry = {step, kind: 'eval', loss: lastEval.loss, samples: lastEval.samples, elapsedSeconds: elapsed()};
      if (lastEval.accuracy !== undefined) entry.accuracy = lastEval.accuracy;
      if (lastEval.bitsPerCharacter !== undefined) entry.bitsPerCharacter = lastEval.bitsPerCharacter;
      metrics.push(entry);
      progress.note(`  eval at step ${step}: ${describeEvaluation(lastEval, session.taskName)}`);
    };

    progress.start(step, settings.steps);
    let pending: tf.Scalar[] = [];
    let intervalStart = performance.now();
    let intervalSteps = 0;
    let intervalLossSum = 0;

    while (step < settings.steps && !stopRequested) {
      const batch = task.trainBatch(step, settings.batch);
      const stepSeed = deriveSeed(session.seed, STREAM.step, step);
      try {
        const loss = optimizer.minimize(
          () =>
            model.loss(batch.inputIds, {
              labels: batch.labels,
              seed: stepSeed,
              training: true,
              validateInputs: false,
              ...(attentionOverride ? {attentionOverride} : {}),
            }),
          true,
          variables,
        )!;
        pending.push(loss);
      } finally {
        tf.dispose([batch.inputIds, batch.labels]);
      }
      step++;
      intervalSteps++;
      // Let the event loop run (a SIGINT is delivered there): on the cpu and wasm backends every await below
      // resolves at once, and a loop of resolved awaits never yields to it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      progress.tick(step);

      const logNow = step % settings.logEvery === 0 || step === settings.steps;
      const saveNow = step % settings.saveEvery === 0 || step === settings.steps;
      if (logNow || saveNow || stopRequested) {
        // Read the losses back together: one wait for the device per interval, not per step.
        const values = await Promise.all(pending.map(async (l) => (await l.data())[0]!));
        tf.dispose(pending);
        pending = [];
        values.forEach((v, i) => {
          env.onStep?.(step - values.length + i + 1, v);
          intervalLossSum += v;
        });
      }
      if (logNow && intervalSteps > 0) {
        const seconds = (performance.now() - intervalStart) / 1000;
        const loss = intervalLossSum / intervalSteps;
        let metric: number;
        if (task.metric === 'accuracy') {
          metric = (await evaluate(settings.batch)).accuracy!;
        } else {
          metric = loss / Math.LN2;
        }
        const tokensPerSecond = (intervalSteps * tokensPerStep) / seconds;
        const lr = learningRateAt(settings, step);
        const entry: MetricsEntry = {step, kind: 'train', loss, learningRate: lr, tokensPerSecond, elapsedSeconds: elapsed()};
        if (task.metric === 'accuracy') entry.accuracy = metric;
        else entry.bitsPerCharacter = metric;
        metrics.push(entry);
        progress.update({
          step,
          total: settings.steps,
          loss,
          metric,
          metricName: task.metric,
          learningRate: lr,
          tokensPerSecond,
          etaSeconds: ((settings.steps - step) * seconds) / intervalSteps,
          elapsedSeconds: elapsed(),
        });
        intervalStart = performance.now();
        intervalSteps = 0;
        intervalLossSum = 0;
      }
      if (saveNow || stopRequested) {
        await evaluateAndRecord();
        await save();
      }
    }
    tf.dispose(pending);
    progress.stop();

    if (stopRequested) {
      io.stdout(
        savedStep === step
          ? `interrupted at step ${step} of ${settings.steps}: checkpoint saved in ${out}; continue with: reformer train --resume --out ${out}\n`
          : `interrupted before the first step: nothing saved\n`,
      );
      return {exitCode: INTERRUPTED_EXIT_CODE, step, out, ...(lastEval ? {final: lastEval} : {})};
    }
    if (lastEvalStep !== step) await evaluateAndRecord(); // a run resumed at its last step
    io.stdout(
      `done: step ${step}, ${formatDuration(elapsed())} of training; ${describeEvaluation(lastEval!, session.taskName)} ` +
        `(${trainingAttention(settings, config)}); checkpoint in ${out}\n`,
    );
    return {exitCode: 0, step, out, final: lastEval!};
  } finally {
    progress.stop();
    if (handleSigint) process.off('SIGINT', onSigint);
    env.signal?.removeEventListener('abort', requestStop);
    optimizer.dispose();
    model.dispose();
    if (session.parameters) disposeParameters(session.parameters);
  }
}

export function describeEvaluation(e: Evaluation, task: TaskName): string {
  if (task === 'duplication') {
    return `${formatMetric('accuracy', e.accuracy!)} on the copied half of ${e.samples} evaluation sequences (loss ${e.loss.toFixed(4)})`;
  }
  return `${e.bitsPerCharacter!.toFixed(3)} bits per character on ${e.samples} held-out windows`;
}

