// What Adafactor and ScheduledAdam share: reading the gradients handed to applyGradients, finding the
// variables they belong to, and keeping per-variable slots (optimizer state) keyed by variable name, with
// export and import in tfjs's NamedTensor format for checkpoints.
import * as tf from '@tensorflow/tfjs-core';

import {checkTensor, describe, fail, formatShape} from './validate.js';

/** tfjs's `NamedTensor` (tfjs-core does not export the type): one entry of getWeights()/setWeights(). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** The name of the iteration-count entry, first in every getWeights() list (as in tfjs's optimizers). */
export const ITERATIONS_NAME = 'iter';

export interface GradientEntry {
  name: string;
  variable: tf.Variable;
  gradient: tf.Tensor;
}

/**
 * The gradients of `applyGradients` (a name → tensor map or a NamedTensor list), each with its variable,
 * in the order given. Null or undefined gradients are skipped (tfjs's optimizers do the same). Everything is
 * checked before anything is updated, so a bad entry leaves the optimizer and the variables untouched.
 */
export function gradientEntries(who: string, variableGradients: unknown): GradientEntry[] {
  let pairs: Array<[string, unknown]>;
  if (Array.isArray(variableGradients)) {
    pairs = variableGradients.map((entry: unknown, i) => {
      if (entry === null || typeof entry !== 'object' || typeof (entry as {name?: unknown}).name !== 'string') {
        fail(`${who}: variableGradients[${i}]`, 'a {name, tensor} entry', entry);
      }
      const {name, tensor} = entry as {name: string; tensor: unknown};
      return [name, tensor];
    });
  } else if (variableGradients !== null && typeof variableGradients === 'object' && !(variableGradients instanceof tf.Tensor)) {
    pairs = Object.entries(variableGradients as Record<string, unknown>);
  } else {
    fail(`${who}: variableGradients`, 'a map from variable name to gradient or a list of {name, tensor}', variableGradients);
  }
  const seen = new Set<string>();
  const entries: GradientEntry[] = [];
  for (const [name, gradient] of pairs) {
    if (gradient === null || gradient === undefined) continue;
    const label = `${who}: gradient of "${name}"`;
    if (seen.has(name)) throw new Error(`${label}: expected each variable once, got "${name}" twice`);
    seen.add(name);
    const variable = tf.engine().registeredVariables[name];
    if (variable === undefined) fail(`${who}: variable "${name}"`, 'the name of a registered tf.Variable', name);
    if (variable.dtype !== 'float32') fail(`${who}: variable "${name}"`, 'a float32 variable', variable);
    const g = checkTensor(label, gradient, `a float32 tensor of shape ${formatShape(variable.shape)}`);
    if (g.dtype !== 'float32' || !tf.util.arraysEqual(g.shape, variable.shape)) {
      fail(label, `a float32 tensor of shape ${formatShape(variable.shape)} (the variable's shape)`, g);
    }
    entries.push({name, variable, gradient: g});
  }
  return entries;
}

/** One saved slot, as it appears in getWeights(): `${variableName}/${slotName}`. */
export function slotEntryName(variableName: string, slotName: string): string {
  return `${variableName}/${slotName}`;
}

/**
 * Per-variable optimizer state: for each variable name, named float32 slot variables (not trainable).
 * Variables are remembered in the order they were first seen, which fixes the order of getWeights().
 */
export class SlotStore {
  private readonly slots = new Map<string, Map<string, tf.Variable>>();

  constructor(
    private readonly who: string,
    private readonly slotNames: readonly string[],
  ) {}

  /** The slot, created as zeros of `shape` on first use; throws if a restored slot has another shape. */
  get(variableName: string, slotName: string, shape: readonly number[], variableShape: readonly number[]): tf.Variable {
    let forVariable = this.slots.get(variableName);
    if (forVariable === undefined) {
      forVariable = new Map();
      this.slots.set(variableName, forVariable);
    }
    const existing = forVariable.get(slotName);
    if (existing !== undefined) {
      if (!tf.util.arraysEqual(existing.shape, shape as number[])) {
        throw new Error(
          `${this.who}: slot "${slotEntryName(variableName, slotName)}": expected shape ${formatShape(shape)} for variable ` +
            `"${variableName}" of shape ${formatShape(variableShape)}, got ${formatShape(existing.shape)} (from setWeights?)`,
        );
      }
      return existing;
    }
    const created = tf.tidy(() => tf.variable(tf.zeros(shape as number[], 'float32'), false));
    forVariable.set(slotName, created);
    return created;
  }

  /** Drops the slots of a variable that are not in `keep` (e.g. restored ones a configuration does not use). */
  retainOnly(variableName: string, keep: readonly string[]): void {
    const forVariable = this.slots.get(variableName);
    if (forVariable === undefined) return;
    for (const [slotName, v] of forVariable) {
      if (!keep.includes(slotName)) {
        v.dispose();
        forVariable.delete(slotName);
      }
    }
  }

  /** Every slot in variable order, then slot-name order. */
  entries(): Array<{variableName: string; slotName: string; variable: tf.Variable}> {
    const out: Array<{variableName: string; slotName: string; variable: tf.Variable}> = [];
    for (const [variableName, forVariable] of this.slots) {
      for (const slotName of this.slotNames) {
        const variable = forVariable.get(slotName);
        if (variable !== undefined) out.push({variableName, slotName, variable});
      }
    }
    return out;
  }

  /**
   * Replaces every slot with the given entries (named `${variableName}/${slotName}`), copying nothing: each
   * slot variable shares its data with the given tensor (tfjs counts references), so the caller may dispose
   * its tensors afterwards.
   */
  load(entries: readonly NamedTensor[]): void {
    const parsed = entries.map((entry, i) => {
      const label = `${this.who}: weights[${i + 1}]`;
      if (entry === null || typeof entry !== 'object' || typeof entry.name !== 'string') {
        fail(label, 'a {name, tensor} entry', entry);
      }
      const cut = entry.name.lastIndexOf('/');
      const variableName = entry.name.slice(0, cut);
      const slotName = entry.name.slice(cut + 1);
      if (cut <= 0 || !this.slotNames.includes(slotName)) {
        fail(`${label}.name`, `"<variable name>/<slot>" with slot one of ${this.slotNames.join(', ')}`, entry.name);
      }
      const tensor = checkTensor(`${label}.tensor ("${entry.name}")`, entry.tensor, 'a float32 tensor');
      if (tensor.dtype !== 'float32') fail(`${label}.tensor ("${entry.name}")`, 'a float32 tensor', tensor);
      return {variableName, slotName, tensor};
    });
    const names = new Set<string>();
    for (const {variableName, slotName} of parsed) {
      const name = slotEntryName(variableName, slotName);
      if (names.has(name)) throw new Error(`${this.who}: weights: expected each slot once, got "${name}" twice`);
      names.add(name);
    }
    this.dispose();
    for (const {variableName, slotName, tensor} of parsed) {
      let forVariable = this.slots.get(variableName);
      if (forVariable === undefined) {
        forVariable = new Map();
        this.slots.set(variableName, forVariable);
      }
      forVariable.set(slotName, tf.variable(tensor, false));
    }
  }

  dispose(): void {
    for (const forVariable of this.slots.values()) for (const v of forVariable.values()) v.dispose();
    this.slots.clear();
  }
}

/**
 * Splits a getWeights() list into the iteration count (entry 0, named "iter", as tfjs's optimizers write
 * it) and the slot entries.
 */
export async function splitIterations(who: string, weightValues: unknown): Promise<{iterations: number; slots: NamedTensor[]}> {
  if (!Array.isArray(weightValues) || weightValues.length === 0) {
    fail(`${who}: weightValues`, `a non-empty list of {name, tensor} whose first entry is "${ITERATIONS_NAME}"`, weightValues);
  }
  const first = weightValues[0] as NamedTensor | null;
  if (first === null || typeof first !== 'object' || first.name !== ITERATIONS_NAME) {
    fail(`${who}: weightValues[0]`, `the iteration count named "${ITERATIONS_NAME}"`, first === null || typeof first !== 'object' ? first : first.name);
  }
  const tensor = checkTensor(`${who}: weightValues[0].tensor`, first.tensor, 'a scalar');
  if (tensor.size !== 1) fail(`${who}: weightValues[0].tensor`, 'a scalar', tensor);
  const iterations = (await tensor.data())[0];
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations) || iterations < 0) {
    throw new Error(`${who}: weightValues[0] (iterations): expected an integer >= 0, got ${describe(iterations)}`);
  }
  return {iterations, slots: weightValues.slice(1) as NamedTensor[]};
}

/** The iteration count as an int32 scalar named "iter", as tfjs's `saveIterations` writes it. */
export function iterationsEntry(iterations: number): NamedTensor {
  return {name: ITERATIONS_NAME, tensor: tf.scalar(iterations, 'int32')};
}
