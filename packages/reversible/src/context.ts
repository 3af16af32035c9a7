/**
 * The context handed to a reversible layer's `f` and `g`: which layer, which seed, whether this is
 * the backward's recompute, and a stash for state that the recompute must see unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

/** What `f` and `g` receive besides their input and weights. */
export interface ReversibleContext {
  /** Index of the layer in the stack, from 0. */
  readonly layer: number;
  /**
   * The seed for this call's randomness, derived from the step seed, the layer and the function (`f`
   * and `g` get different ones). Pass it to ops that draw in JavaScript, e.g.
   * `tf.dropout(x, rate, undefined, ctx.seed)`; split it with `deriveSeed(ctx.seed, k)` for more
   * than one draw. The recompute gets the same seed, so it draws the same numbers.
   */
  readonly seed: number;
  /** True while the backward recomputes this function from reconstructed inputs. */
  readonly isRecompute: boolean;
  /**
   * State the recompute must reuse rather than recompute, such as LSH buckets: a tiny rounding
   * difference in the reconstructed input could otherwise move a vector to another bucket.
   *
   * In the forward, runs `compute` and keeps its result for the recompute; in the recompute, returns
   * that kept tensor without calling `compute`. Keys are per function and call; each key once per
   * call. Gradients do not flow through a reused tensor, so stash only what is not differentiated
   * (buckets, indices, masks). The stash is disposed after the backward, or at the end of the forward
   * when no gradient is being recorded. Do not dispose the returned tensor.
   */
  reuse<T extends tf.Tensor>(key: string, compute: () => T): T;
}

/**
 * How `reuse` behaves: `record` (reversible forward: compute and keep), `replay` (backward recompute:
 * hand back what was kept) or `compute` (residual mode and `reconstructInputs`: just compute).
 */
export type StashMode = 'record' | 'replay' | 'compute';

/** The context implementation; `label` names the function in errors, e.g. `layers[2].f`. */
export class LayerContext implements ReversibleContext {
  private readonly usedKeys = new Set<string>();

  constructor(
    readonly layer: number,
    readonly seed: number,
    readonly isRecompute: boolean,
    private readonly label: string,
    private readonly mode: StashMode,
    /** Filled in `record` mode, read in `replay` mode. */
    private readonly stash: Map<string, tf.Tensor>,
  ) {}

  reuse<T extends tf.Tensor>(key: string, compute: () => T): T {
    if (typeof key !== 'string' || key.length === 0) {
      throw new Error(`${this.label}: ctx.reuse key: expected a non-empty string, got ${String(key)}`);
    }
    if (this.usedKeys.has(key)) {
      throw new Error(
        `${this.label}: ctx.reuse key: expected each key once per call, got '${key}' a second time`,
      );
    }
    this.usedKeys.add(key);
    if (this.mode === 'replay') {
      const kept = this.stash.get(key);
      if (kept == null) {
        const known = [...this.stash.keys()].map((k) => `'${k}'`).join(', ') || 'none';
        throw new Error(
          `${this.label}: ctx.reuse key: expected one of the keys stashed in the forward (${known}), ` +
            `got '${key}'; f and g must take the same path in the recompute`,
        );
      }
      return kept as T;
    }
    const value = compute();
    if (!(value instanceof tf.Tensor)) {
      throw new Error(`${this.label}: ctx.reuse('${key}'): expected compute to return a tf.Tensor, got ${String(value)}`);
    }
    if (this.mode === 'record') {
      this.stash.set(key, value);
    }
    return value;
  }
}
