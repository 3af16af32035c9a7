// A faster BatchMatMul for the wasm backend of tfjs 4.22, registered by the CLI when it selects wasm.
//
// The wasm backend multiplies two single matrices (no batch) with XNNPACK when neither is transposed, but
// falls back to a plain loop when `transposeA` or `transposeB` is set: measured on this project's 2-core CI
// machine, [1016, 128] · [128, 128]ᵀ took 14 ms against 1.1 ms untransposed. Every weight gradient of a dense
// layer (dW = xᵀ · dy, dx = dy · Wᵀ) is such a product, so training spent most of its matmul time there.
// Transposing the operand explicitly (a cheap copy) and multiplying untransposed gives the same product through
// the fast path. Batched products (batch > 1) take another path in the backend whichever the flags, and are
// passed through unchanged.

import * as tf from '@tensorflow/tfjs';

const PATCHED = Symbol.for('reformerjs.wasmTransposedMatMul');

interface KernelArgs {
  inputs: {a: tf.TensorInfo; b: tf.TensorInfo};
  attrs: {transposeA?: boolean; transposeB?: boolean} & Record<string, unknown>;
  backend: {disposeData(dataId: object): void};
}

const batchOf = (t: tf.TensorInfo): number => t.shape.slice(0, -2).reduce((p, n) => p * n, 1);

/**
 * Replaces the wasm backend's BatchMatMul kernel with one that transposes an operand explicitly instead of
 * passing a transpose flag, for products without a batch. Idempotent; a no-op where the kernels are missing.
 * The products are those of the original kernel, up to float32 rounding order.
 */
export function installWasmTransposedMatMul(): void {
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (original === undefined || transpose === undefined || (original as unknown as Record<symbol, boolean>)[PATCHED]) return;
  const kernelFunc = (args: KernelArgs): tf.TensorInfo => {
    const {a, b} = args.inputs;
    const {transposeA = false, transposeB = false} = args.attrs;
    const call = original.kernelFunc as unknown as (args: KernelArgs) => tf.TensorInfo;
    if ((!transposeA && !transposeB) || batchOf(a) !== 1 || batchOf(b) !== 1) return call(args);
    const swapLastTwo = (t: tf.TensorInfo): tf.TensorInfo => {
      const perm = t.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      const run = transpose.kernelFunc as unknown as (args: unknown) => tf.TensorInfo;
      return run({inputs: {x: t}, attrs: {perm}, backend: args.backend}); // t with its last two axes swapped
    };
    const ta = transposeA ? swapLastTwo(a) : a;
    const tb = transposeB ? swapLastTwo(b) : b;
    try {
      return call({...args, inputs: {a: ta, b: tb}, attrs: {...args.attrs, transposeA: false, transposeB: false}});
    } finally {
      if (ta !== a) args.backend.disposeData(ta.dataId);
      if (tb !== b) args.backend.disposeData(tb.dataId);
    }
  };
  const replacement = {...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc, [PATCHED]: true};
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(replacement);
}
