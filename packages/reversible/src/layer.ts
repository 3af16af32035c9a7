/**
 * One reversible layer: y1 = x1 + f(x2), y2 = x2 + g(y1), its inverse
 * x2 = y2 - g(y1), x1 = y1 - f(x2), and the backward step that runs the inverse and pulls the
 * output gradients back through f and g at the same time.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {ReversibleContext} from './context.js';
import {vjp} from './vjp.js';

/**
 * A residual branch: maps a tensor to one of the same shape, using `weights` (the layer's `fWeights`
 * or `gWeights`, in order) and `ctx` for seeds and stashed state. It must be deterministic given its
 * arguments: the reversible backward calls it again and relies on getting the same output.
 */
export type ReversibleFunction = (
  x: tf.Tensor,
  weights: readonly tf.Tensor[],
  ctx: ReversibleContext,
) => tf.Tensor;

/**
 * A branch's output and its vector-Jacobian product in one call: `value` = branch(x, weights, ctx) and `grads` =
 * the gradients of sum(value · dy) for x, then for each weight in order, each a tensor of its own. The backward
 * recomputes each branch and pulls the gradient through it; by default that is `vjp` over the branch (its forward,
 * then tfjs's backward, which for a branch with a custom gradient that recomputes, such as a chunked feed-forward,
 * runs its forward twice). A branch that can produce both in one pass supplies this.
 */
export type ReversibleBranchVjp = (
  x: tf.Tensor,
  weights: readonly tf.Tensor[],
  ctx: ReversibleContext,
  dy: tf.Tensor,
) => {value: tf.Tensor; grads: tf.Tensor[]};

/**
 * The two branches of a reversible layer and their weights. Every tensor that `f` (`g`) should get a
 * gradient for must be in `fWeights` (`gWeights`) and be read through the `weights` argument; a
 * tensor `f` captures from outside is treated as a constant. A weight may appear in several layers
 * (weight sharing): its gradients add up.
 */
export interface ReversibleLayer {
  f: ReversibleFunction;
  g: ReversibleFunction;
  /** `f`'s weights; omitted means none. */
  fWeights?: readonly tf.Tensor[];
  /** `g`'s weights; omitted means none. */
  gWeights?: readonly tf.Tensor[];
  /** `f`'s output and gradients in one pass, for the backward; omitted means `vjp` over `f`. */
  fVjp?: ReversibleBranchVjp;
  /** `g`'s output and gradients in one pass, for the backward; omitted means `vjp` over `g`. */
  gVjp?: ReversibleBranchVjp;
}

/** Makes the context for layer `layer`'s `f` or `g`. */
export type ContextFactory = (layer: number, which: 'f' | 'g') => ReversibleContext;

/** Calls a branch and checks that it returned a float32 tensor of the input's shape. */
export function callBranch(
  layers: readonly ReversibleLayer[],
  index: number,
  which: 'f' | 'g',
  x: tf.Tensor,
  weights: readonly tf.Tensor[],
  makeContext: ContextFactory,
): tf.Tensor {
  return checkedOutput(`layers[${index}].${which}`, layers[index][which](x, weights, makeContext(index, which)), x);
}

/** `out`, after checking that it is a float32 tensor of x's shape (what a branch must return). */
function checkedOutput(label: string, out: unknown, x: tf.Tensor): tf.Tensor {
  if (!(out instanceof tf.Tensor)) {
    throw new Error(`${label}: expected a tf.Tensor of shape [${x.shape}], got ${String(out)}`);
  }
  if (!tf.util.arraysEqual(out.shape, x.shape)) {
    throw new Error(
      `${label}: expected an output of its input's shape [${x.shape}], got [${out.shape}]`,
    );
  }
  if (out.dtype !== 'float32') {
    throw new Error(`${label}: expected a float32 output, got ${out.dtype}`);
  }
  return out;
}

/** `[y1, y2]` = `[x1 + f(x2), x2 + g(y1)]`. Intermediates are left to the caller's scope. */
export function layerForward(
  layers: readonly ReversibleLayer[],
  index: number,
  x1: tf.Tensor,
  x2: tf.Tensor,
  weights: {f: readonly tf.Tensor[]; g: readonly tf.Tensor[]},
  makeContext: ContextFactory,
): [tf.Tensor, tf.Tensor] {
  const y1 = tf.add(x1, callBranch(layers, index, 'f', x2, weights.f, makeContext));
  const y2 = tf.add(x2, callBranch(layers, index, 'g', y1, weights.g, makeContext));
  return [y1, y2];
}

/** `[x1, x2]` from `[y1, y2]`: x2 = y2 - g(y1), then x1 = y1 - f(x2). */
export function layerInverse(
  layers: readonly ReversibleLayer[],
  index: number,
  y1: tf.Tensor,
  y2: tf.Tensor,
  weights: {f: readonly tf.Tensor[]; g: readonly tf.Tensor[]},
  makeContext: ContextFactory,
): [tf.Tensor, tf.Tensor] {
  const x2 = tf.sub(y2, callBranch(layers, index, 'g', y1, weights.g, makeContext));
  const x1 = tf.sub(y1, callBranch(layers, index, 'f', x2, weights.f, makeContext));
  return [x1, x2];
}

/** What one backward step through a layer produces. */
export interface LayerBackward {
  /** The layer's reconstructed inputs. */
  x1: tf.Tensor;
  x2: tf.Tensor;
  /** Gradients of the loss with respect to x1 and x2. */
  dx1: tf.Tensor;
  dx2: tf.Tensor;
  /** Gradients for `fWeights` and `gWeights`, in their order. */
  fWeightGrads: tf.Tensor[];
  gWeightGrads: tf.Tensor[];
}

/**
 * Reconstructs a layer's inputs from its outputs and pulls `dy1`, `dy2` back through it.
 *
 * With y1 = x1 + f(x2) and y2 = x2 + g(y1):
 *   dL/dy1 (total) = dy1 + g'(y1)^T dy2        -> dx1
 *   dL/dx2         = dy2 + f'(x2)^T dx1
 * g is recomputed at y1 (an output, exact), which also gives x2 = y2 - g(y1); f is then recomputed at
 * the reconstructed x2, which gives x1 = y1 - f(x2). Each recompute and its vector-Jacobian product
 * are one pass of `vjp`, so no activation outlives this step. Run it inside `tf.tidy`.
 */
export function layerBackward(
  layers: readonly ReversibleLayer[],
  index: number,
  y1: tf.Tensor,
  y2: tf.Tensor,
  dy1: tf.Tensor,
  dy2: tf.Tensor,
  weights: {f: readonly tf.Tensor[]; g: readonly tf.Tensor[]},
  makeContext: ContextFactory,
): LayerBackward {
  const gPass = branchVjp(layers, index, 'g', y1, weights.g, makeContext, dy2);
  const [dy1FromG, ...gWeightGrads] = gPass.grads;
  const x2 = tf.sub(y2, gPass.value);
  const dx1 = tf.add(dy1, dy1FromG);

  const fPass = branchVjp(layers, index, 'f', x2, weights.f, makeContext, dx1);
  const [dx2FromF, ...fWeightGrads] = fPass.grads;
  const x1 = tf.sub(y1, fPass.value);
  const dx2 = tf.add(dy2, dx2FromF);
  return {x1, x2, dx1, dx2, fWeightGrads, gWeightGrads};
}

/** A branch's output and gradients (x's, then its weights'): its `fVjp` / `gVjp` where given, checked, else `vjp`. */
function branchVjp(
  layers: readonly ReversibleLayer[],
  index: number,
  which: 'f' | 'g',
  x: tf.Tensor,
  weights: readonly tf.Tensor[],
  makeContext: ContextFactory,
  dy: tf.Tensor,
): {value: tf.Tensor; grads: tf.Tensor[]} {
  const hook = which === 'f' ? layers[index].fVjp : layers[index].gVjp;
  if (hook === undefined) {
    return vjp(() => callBranch(layers, index, which, x, weights, makeContext), [x, ...weights], dy);
  }
  const label = `layers[${index}].${which}Vjp`;
  const result = hook(x, weights, makeContext(index, which), dy);
  const value = checkedOutput(`${label}(...).value`, result?.value, x);
  const inputs = [x, ...weights];
  if (!Array.isArray(result.grads) || result.grads.length !== inputs.length) {
    throw new Error(`${label}(...).grads: expected ${inputs.length} gradients (x's, then one per weight), got ${String(result.grads?.length ?? result.grads)}`);
  }
  result.grads.forEach((grad, i) => {
    if (!(grad instanceof tf.Tensor) || !tf.util.arraysEqual(grad.shape, inputs[i]!.shape)) {
      const got = grad instanceof tf.Tensor ? `shape [${grad.shape}]` : String(grad);
      throw new Error(`${label}(...).grads[${i}]: expected a tensor of shape [${inputs[i]!.shape}] (${i === 0 ? 'x' : `weights[${i - 1}]`}), got ${got}`);
    }
  });
  return {value, grads: result.grads};
}
