import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {chunkedFeedForward, FEED_FORWARD_WEIGHT_NAMES, type FeedForwardOptions, type FeedForwardWeights} from './feed-forward.js';
import {chunkedLmLoss, type LmHeadWeights, type LmLossOptions} from './lm-head.js';
import {feedForwardReference, lmLossReference} from './reference.js';
import {disposeAll, makeFeedForwardWeights, randn} from './testing/fixtures.js';

// Memory shown, not claimed: tf.profile's peakBytes (logical bytes, sampled after each kernel) of one
// training step (value and gradients for the input and every weight), minus what existed before.
async function peakBytesAbove(step: () => tf.Tensor[]): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(() => {
    step().forEach((t) => t.dispose());
  });
  return info.peakBytes - before;
}

const F32 = 4;

describe('memory of a training step (tf.profile peak bytes)', () => {
  it('chunked feed-forward: bounded by one chunk, far below unchunked autodiff (dFF 4096, length 512, chunk 64)', async () => {
    const [L, H, FF, C] = [512, 16, 4096, 64];
    const x = randn([1, L, H], 1);
    const w = makeFeedForwardWeights(H, FF, 10);
    const inputs = [x, ...FEED_FORWARD_WEIGHT_NAMES.map((n) => w[n])];
    const step = (ffn: typeof chunkedFeedForward, opts: FeedForwardOptions) => () =>
      tf.grads((...i: tf.Tensor[]) => {
        const ws = Object.fromEntries(FEED_FORWARD_WEIGHT_NAMES.map((n, k) => [n, i[k + 1]])) as unknown as FeedForwardWeights;
        return tf.sum(ffn(i[0], ws, opts));
      })(inputs);
    const unchunked = await peakBytesAbove(step(feedForwardReference, {activation: 'relu'}));
    const chunked = await peakBytesAbove(step(chunkedFeedForward, {activation: 'relu', chunkSize: C}));

    // Expectation, in float32 bytes. Whole-sequence activation A = L·dFF·4 = 8 MiB, one chunk's
    // a = C·dFF·4 = 1 MiB, one kernel K = H·dFF·4 = 0.25 MiB.
    // - Unchunked autodiff: the tape keeps at least the first matmul's output, the bias-added h and
    //   relu(h), 3A = 24 MiB, and the backward adds [L, dFF] gradients on top: ≈ 7A (measured
    //   57.3 MiB on cpu and on wasm).
    // - Chunked: the forward keeps only [L, H] outputs; the backward holds one chunk's recompute and
    //   its gradients (about 7 tensors of [C, dFF]) plus the two kernel-gradient accumulators and
    //   their sums (4K): ≈ 7a + 4K ≈ 8 MiB, independent of L (measured 7.8 MiB).
    // So chunked / unchunked ≈ 7.8 / 57.3 ≈ 0.14 (≈ C/L plus the weights' share); asserted with
    // margin: < 0.25 × unchunked, and < 10a + 4K outright.
    const A = L * FF * F32;
    const a = C * FF * F32;
    const K = H * FF * F32;
    expect(unchunked).toBeGreaterThanOrEqual(3 * A);
    expect(chunked).toBeLessThan(10 * a + 4 * K);
    expect(chunked).toBeLessThan(0.25 * unchunked);

    x.dispose();
    disposeAll(w);
  });

  it('chunked LM loss: never holds [length, vocab] logits (vocab 4096, length 512, chunk 64)', async () => {
    const [L, D, V, C] = [512, 16, 4096, 64];
    const hidden = randn([1, L, D], 2);
    const head: LmHeadWeights = {kernel: randn([D, V], 3, 0.1), bias: randn([V], 4, 0.1)};
    const labels = tf.tensor2d(Array.from({length: L}, (_, i) => (i * 31) % V), [1, L], 'int32');
    const step = (loss: typeof chunkedLmLoss, opts: LmLossOptions) => () =>
      tf.grads((h: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => loss(h, {kernel: k, bias: b}, labels, opts))([hidden, head.kernel, head.bias]);
    const unchunked = await peakBytesAbove(step(lmLossReference, {}));
    const chunked = await peakBytesAbove(step(chunkedLmLoss, {chunkSize: C}));

    // Full logits Λ = L·V·4 = 8 MiB; one chunk's λ = C·V·4 = 1 MiB; the kernel K = D·V·4 = 0.25 MiB.
    // - Unchunked autodiff keeps the logits, the log-softmax, the one-hot product, ... on the tape,
    //   and its backward adds [L, V] gradients: ≈ 12Λ (measured 96.7 MiB on cpu and on wasm).
    // - Chunked: one chunk's logits, softmax, one-hot, difference and dLogits (≈ 6λ) plus the kernel
    //   gradient and its running sum (2K): ≈ 6.5 MiB, independent of L (measured 6.9 MiB).
    // So chunked / unchunked ≈ 6.9 / 96.7 ≈ 0.07; asserted with margin: unchunked ≥ 2Λ,
    // chunked < 10λ + 4K, chunked < 0.25 × unchunked.
    const fullLogits = L * V * F32;
    const chunkLogits = C * V * F32;
    const K = D * V * F32;
    expect(unchunked).toBeGreaterThanOrEqual(2 * fullLogits);
    expect(chunked).toBeLessThan(10 * chunkLogits + 4 * K);
    expect(chunked).toBeLessThan(0.25 * unchunked);

    [hidden, head.kernel, head.bias, labels].forEach((t) => t.dispose());
  });
});
