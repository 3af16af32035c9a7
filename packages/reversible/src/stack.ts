/**
 * A stack of reversible layers whose backward recomputes activations instead of storing them, and
 * the same stack as ordinary residual layers (plain autodiff) for comparison.
 */
import * as tf from '@tensorflow/tfjs-core';
import {LayerContext, type ReversibleContext, type StashMode} from './context.js';
import {
  layerBackward,
  layerForward,
  layerInverse,
  type ContextFactory,
  type ReversibleLayer,
} from './layer.js';
import {layerSeed, randomSeed} from './seed.js';
import {checkLayers, checkMode, checkOptions, checkSeed, checkStreams, type StackMode} from './validate.js';

/** Options of {@link reversibleStack}. */
export interface ReversibleStackOptions {
  /**
   * `'reversible'` (default): the forward keeps only the stack's output and the backward
   * reconstructs each layer's inputs from its outputs, so training memory does not grow with depth.
   * `'residual'`: the same layers as ordinary residual blocks under plain autodiff, which keeps every
   * layer's activations; the same numbers, more memory. A baseline, and a check on `f` and `g`.
   */
  mode?: StackMode;
  /**
   * The step seed that every layer's `ctx.seed` is derived from. The same seed gives the same dropout
   * masks in both modes and on every backend. Default: a fresh random seed per call.
   */
  seed?: number;
  /**
   * Called by the reversible backward with each layer's reconstructed inputs, from the last layer
   * down to layer 0. The tensors are disposed after the call returns: read or clone them there. For
   * tests and debugging; ignored in residual mode.
   */
  onReconstruct?: (layer: number, x1: tf.Tensor, x2: tf.Tensor) => void;
}

/** Options of {@link reconstructInputs}. */
export interface ReconstructOptions {
  /** The step seed the forward ran with, so that dropout draws the same masks. */
  seed: number;
}

type LayerWeights = {f: tf.Tensor[]; g: tf.Tensor[]};

const STACK_OPTION_KEYS = ['mode', 'seed', 'onReconstruct'] as const;

function weightsOf(layers: readonly ReversibleLayer[]): LayerWeights[] {
  return layers.map((layer) => ({f: [...(layer.fWeights ?? [])], g: [...(layer.gWeights ?? [])]}));
}

/** A context factory whose stash for (layer, f|g) lives in `stashes[2 * layer + (f ? 0 : 1)]`. */
function contexts(
  seed: number,
  mode: StashMode,
  isRecompute: boolean,
  stashes: Map<string, tf.Tensor>[] = [],
): ContextFactory {
  return (layer: number, which: 'f' | 'g'): ReversibleContext => {
    const slot = 2 * layer + (which === 'f' ? 0 : 1);
    stashes[slot] ??= new Map();
    return new LayerContext(
      layer,
      layerSeed(seed, layer, which === 'f' ? 0 : 1),
      isRecompute,
      `layers[${layer}].${which}`,
      mode,
      stashes[slot],
    );
  };
}

/** Disposes the tensors of `old` that are not in `kept` (by identity). */
function disposeExcept(old: readonly tf.Tensor[], kept: readonly tf.Tensor[]): void {
  const keep = new Set(kept.map((t) => t.id));
  for (const t of old) {
    if (!keep.has(t.id)) {
      t.dispose();
    }
  }
}

/**
 * Runs `layers` as a stack of reversible residual blocks,
 *
 *     y1 = x1 + f(x2),   y2 = x2 + g(y1)
 *
 * layer after layer, and returns the last layer's `[y1, y2]`. x1 and x2 are float32 tensors of one
 * shape (in the Reformer, two copies of the embeddings `[batch, length, dModel]`); every `f` and `g`
 * maps that shape to itself.
 *
 * In the default reversible mode the stack is one differentiable op: its forward keeps only the
 * output (and whatever `f` and `g` stash with `ctx.reuse`), and its backward walks the layers in
 * reverse, reconstructing each layer's inputs (x2 = y2 - g(y1), x1 = y1 - f(x2)) and recomputing f
 * and g on them to get the gradients for x1, x2 and every weight. It works under `tf.grads`,
 * `tf.variableGrads` and `optimizer.minimize`. Gradients need them registered: import
 * `@tensorflow/tfjs` (or `@tensorflow/tfjs-core/dist/register_all_gradients`).
 *
 * The backward is not itself differentiable (no gradients of gradients).
 */
export function reversibleStack(
  x1: tf.Tensor,
  x2: tf.Tensor,
  layers: readonly ReversibleLayer[],
  options: ReversibleStackOptions = {},
): [tf.Tensor, tf.Tensor] {
  checkStreams(x1, x2, ['x1', 'x2']);
  checkLayers(layers);
  checkOptions(options, STACK_OPTION_KEYS);
  const mode = options.mode ?? 'reversible';
  checkMode(mode);
  if (options.seed !== undefined) {
    checkSeed(options.seed);
  }
  const seed = options.seed ?? randomSeed();
  const {onReconstruct} = options;
  if (onReconstruct !== undefined && typeof onReconstruct !== 'function') {
    throw new Error(`options.onReconstruct: expected a function (layer, x1, x2) => void, got ${String(onReconstruct)}`);
  }
  const weights = weightsOf(layers);
  return mode === 'residual'
    ? residualForward(x1, x2, layers, weights, seed)
    : reversibleForward(x1, x2, layers, weights, seed, onReconstruct);
}

function residualForward(
  x1: tf.Tensor,
  x2: tf.Tensor,
  layers: readonly ReversibleLayer[],
  weights: LayerWeights[],
  seed: number,
): [tf.Tensor, tf.Tensor] {
  const makeContext = contexts(seed, 'compute', false);
  return tf.tidy(() => {
    let y: [tf.Tensor, tf.Tensor] = [x1, x2];
    layers.forEach((_, i) => {
      const [y1, y2] = y;
      y = tf.tidy(() => layerForward(layers, i, y1, y2, weights[i], makeContext));
    });
    return y;
  });
}

function reversibleForward(
  x1: tf.Tensor,
  x2: tf.Tensor,
  layers: readonly ReversibleLayer[],
  weights: LayerWeights[],
  seed: number,
  onReconstruct: ReversibleStackOptions['onReconstruct'],
): [tf.Tensor, tf.Tensor] {
  const numLayers = layers.length;
  // customGrad differentiates with respect to its arguments only: every weight goes in explicitly.
  const inputs = [x1, x2, ...weights.flatMap((w) => [...w.f, ...w.g])];

  const stackOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const recorded: Map<string, tf.Tensor>[] = [];
    const record = contexts(seed, 'record', false, recorded);

    // Stashed tensors may be anything f or g chose, even a layer's input: never dispose those here.
    const stashTensors: tf.Tensor[] = [];
    const stashIndex: Array<{slot: number; key: string}> = [];
    let y1 = x1;
    let y2 = x2;
    for (let i = 0; i < numLayers; i++) {
      const [a, b] = tf.tidy(() => {
        const out = layerForward(layers, i, y1, y2, weights[i], record);
        for (const slot of [2 * i, 2 * i + 1]) {
          recorded[slot]?.forEach((t, key) => {
            stashIndex.push({slot, key});
            stashTensors.push(t);
          });
        }
        // Returned, so the tidy keeps them: the stash must outlive this layer.
        return [...out, ...stashTensors];
      });
      if (i > 0) {
        disposeExcept([y1, y2], [a, b, ...stashTensors]);
      }
      y1 = a;
      y2 = b;
    }
    // customGrad has one output: stack the two streams.
    const value = tf.stack([y1, y2]); // [2, ...shape]
    disposeExcept([y1, y2], stashTensors);

    // Only the output and the stash survive until the backward (save is a no-op without a tape).
    save([value, ...stashTensors]);

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [output, ...kept] = saved;
      const replayed: Map<string, tf.Tensor>[] = [];
      stashIndex.forEach(({slot, key}, j) => {
        (replayed[slot] ??= new Map()).set(key, kept[j]);
      });
      return reversibleBackward(output, dy, layers, weights, contexts(seed, 'replay', true, replayed), onReconstruct);
    };
    return {value, gradFunc};
  });

  return tf.tidy(() => {
    const stacked = stackOp(...inputs); // [2, ...shape]
    const [y1, y2] = tf.unstack(stacked);
    return [y1, y2] as [tf.Tensor, tf.Tensor];
  });
}

/**
 * The backward of the reversible stack: from the saved output and its gradient, walks the layers
 * from last to first; each step reconstructs the layer's inputs and pulls the gradients through it
 * (`layerBackward`), then frees the step before. Returns the gradients in the order of the op's
 * inputs: x1, x2, then each layer's fWeights and gWeights.
 */
function reversibleBackward(
  output: tf.Tensor,
  dy: tf.Tensor,
  layers: readonly ReversibleLayer[],
  weights: LayerWeights[],
  replay: ContextFactory,
  onReconstruct: ReversibleStackOptions['onReconstruct'],
): tf.Tensor[] {
  let [y1, y2] = tf.unstack(output); // each [...shape]
  let [dy1, dy2] = tf.unstack(dy); // each [...shape]
  const weightGrads: tf.Tensor[][] = [];
  for (let i = layers.length - 1; i >= 0; i--) {
    const [x1, x2, dx1, dx2, ...layerGrads] = tf.tidy(() => {
      const step = layerBackward(layers, i, y1, y2, dy1, dy2, weights[i], replay);
      return [step.x1, step.x2, step.dx1, step.dx2, ...step.fWeightGrads, ...step.gWeightGrads];
    });
    disposeExcept([y1, y2, dy1, dy2], [x1, x2, dx1, dx2, ...layerGrads]);
    weightGrads[i] = layerGrads;
    onReconstruct?.(i, x1, x2);
    [y1, y2, dy1, dy2] = [x1, x2, dx1, dx2];
  }
  tf.dispose([y1, y2]);
  return [dy1, dy2, ...weightGrads.flat()];
}

/**
 * Inverts the stack: from the last layer's outputs `[y1, y2]`, returns the first layer's inputs
 * `[x1, x2]`, computing x2 = y2 - g(y1), x1 = y1 - f(x2) layer by layer from the last. Pass the seed
 * the forward used so that dropout draws the same masks. `ctx.isRecompute` is true, but no stash
 * exists here: `ctx.reuse` computes afresh, so state stashed in the forward is matched only as far as
 * recomputing it from the reconstructed input gives the same result. This is the arithmetic of the
 * reversible backward without the gradients: use it to check that `f` and `g` are deterministic.
 */
export function reconstructInputs(
  y1: tf.Tensor,
  y2: tf.Tensor,
  layers: readonly ReversibleLayer[],
  options: ReconstructOptions,
): [tf.Tensor, tf.Tensor] {
  checkStreams(y1, y2, ['y1', 'y2']);
  checkLayers(layers);
  if (options === null || typeof options !== 'object') {
    throw new Error(`options: expected an object {seed}, got ${String(options)}`);
  }
  checkOptions(options, ['seed']);
  checkSeed(options.seed);
  const weights = weightsOf(layers);
  const makeContext = contexts(options.seed, 'compute', true);
  return tf.tidy(() => {
    let x: [tf.Tensor, tf.Tensor] = [y1, y2];
    for (let i = layers.length - 1; i >= 0; i--) {
      const [a, b] = x;
      x = tf.tidy(() => layerInverse(layers, i, a, b, weights[i], makeContext));
      if (i < layers.length - 1) {
        tf.dispose([a, b]);
      }
    }
    return x;
  });
}
