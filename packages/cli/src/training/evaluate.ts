// `reformer eval`: one checkpoint evaluated with several numbers of hash rounds and with full attention, printed
// as the paper's Table 2 (rows: the attention a model was trained with; columns: the attention it is evaluated
// with).

import {disposeParameters, loadCheckpoint, ReformerConfig, ReformerModelWithLMHead, type AttentionOverride} from '@reformerjs/reformer-model';
import {checkBackendName, chooseBackend} from '../backends.js';
import {UsageError} from '../errors.js';
import type {CliIO} from '../main.js';
import {readTrainingCheckpoint} from './checkpoint.js';
import type {TaskName} from './presets.js';
import {checkTask} from './settings.js';
import type {Evaluation} from './task.js';
import {createTask} from './tasks.js';

export interface EvalFlags {
  checkpoint: string;
  hashes?: number[];
  fullAttention?: boolean;
  samples?: number;
  batch?: number;
  backend?: string;
}

export interface EvalColumn {
  /** 'full' or 'LSH-<n>'. */
  label: string;
  override: AttentionOverride;
}

/**
 * The columns to evaluate, in the paper's order (full attention first, then hash rounds from most to fewest):
 * --full-attention adds full attention, --hashes the listed rounds; with neither, full attention and 1, 2, 4, 8.
 */
export function evalColumns(hashes: readonly number[] | undefined, fullAttention: boolean | undefined): EvalColumn[] {
  const rounds = hashes ?? (fullAttention ? [] : [1, 2, 4, 8]);
  const full = fullAttention || hashes === undefined;
  const unique = [...new Set(rounds)].sort((a, b) => b - a);
  return [
    ...(full ? [{label: 'full', override: {full: true}}] : []),
    ...unique.map((n) => ({label: `LSH-${n}`, override: {numHashes: n}})),
  ];
}

export interface Table2 {
  task: TaskName;
  /** The attention the checkpoint was trained with (the row). */
  trainedWith: string;
  columns: string[];
  values: Evaluation[];
  heading: string;
}

/** The table as text: a heading, a header row and the checkpoint's row. */
export function formatTable2(table: Table2): string {
  const metric = table.task === 'duplication' ? 'accuracy on the copied half' : 'bits per character on the held-out speeches (lower is better)';
  const cell = (e: Evaluation) => (table.task === 'duplication' ? `${(e.accuracy! * 100).toFixed(1)}%` : e.bitsPerCharacter!.toFixed(3));
  const firstWidth = Math.max('trained \\ eval'.length, table.trainedWith.length);
  const widths = table.columns.map((c, i) => Math.max(c.length, cell(table.values[i]!).length, 6));
  const row = (first: string, cells: string[]) => [first.padEnd(firstWidth), ...cells.map((c, i) => c.padStart(widths[i]!))].join('   ');
  return [
    table.heading,
    `${metric}; rows: attention in training, columns: attention in evaluation (the paper's Table 2)`,
    '',
    row('trained \\ eval', table.columns),
    row(table.trainedWith, table.values.map(cell)),
    '',
  ].join('\n');
}

/** Runs `reformer eval`. */
export async function runEval(flags: EvalFlags, io: CliIO): Promise<Table2> {
  const dir = flags.checkpoint;
  checkBackendName(flags.backend);
  const saved = await readTrainingCheckpoint(dir);
  const {state} = saved;
  const taskName = checkTask(state.task);
  const columns = evalColumns(flags.hashes, flags.fullAttention);
  const task = await createTask(taskName, state.settings, state.seed);
  let config: ReformerConfig;
  try {
    config = ReformerConfig.fromJSONString(saved.configJson);
  } catch (e) {
    throw new UsageError(`checkpoint ${dir}: config.json: ${(e as Error).message}; the checkpoint is corrupt`);
  }
  task.checkConfig(config, `checkpoint ${dir}`);
  // The backend first: tensors made before it would initialise (and live on) the default cpu backend.
  const backend = await chooseBackend(flags.backend);
  let loaded;
  try {
    loaded = await loadCheckpoint({config: saved.configJson, weights: saved.weights}, {head: 'lm'});
  } catch (e) {
    throw new UsageError(`checkpoint ${dir}: ${(e as Error).message}; the checkpoint is corrupt, point --checkpoint at another one`);
  }
  const {parameters} = loaded;
  try {
    const model = new ReformerModelWithLMHead(loaded.config, {parameters});
    try {
      const samples = flags.samples ?? state.settings.evalSamples;
      const batch = flags.batch ?? state.settings.batch;
      const values: Evaluation[] = [];
      for (const column of columns) {
        values.push(await task.evaluate(model, {samples, batch, seed: 0x7e57, attentionOverride: column.override}));
      }
      const what = taskName === 'duplication' ? `${samples} sequences` : `${samples} held-out windows`;
      const trainedWith = state.settings.fullAttention ? 'full' : `LSH-${config.numHashes}`;
      const table: Table2 = {
        task: taskName,
        trainedWith,
        columns: columns.map((c) => c.label),
        values,
        heading: `reformer eval ${dir}: ${task.describe()}; step ${state.step}; ${what}; backend ${backend.name}`,
      };
      io.stdout(formatTable2(table));
      return table;
    } finally {
      model.dispose();
    }
  } finally {
    disposeParameters(parameters);
  }
}
