// @reformerjs/chunked-ffn: the feed-forward and the LM loss computed chunk by chunk give the same numbers as
// the whole sequence at once, while a training step holds one chunk's activations instead of all of them.
import * as tf from '@tensorflow/tfjs';
import {chunkedFeedForward, chunkedLmLoss, feedForwardReference, lmLossReference, type FeedForwardWeights} from '@reformerjs/chunked-ffn';

const [batch, length, hidden, dFF, vocab] = [1, 512, 16, 1024, 512];
const init = (shape: number[], seed: number) => tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.05, 'float32', seed)));
const ffn: FeedForwardWeights = {
  layerNormGamma: tf.tidy(() => tf.variable(tf.ones([hidden]))),
  layerNormBeta: tf.tidy(() => tf.variable(tf.zeros([hidden]))),
  denseKernel: init([hidden, dFF], 1), // [in, out]
  denseBias: tf.tidy(() => tf.variable(tf.zeros([dFF]))),
  outputKernel: init([dFF, hidden], 2),
  outputBias: tf.tidy(() => tf.variable(tf.zeros([hidden]))),
};
const head = {kernel: init([hidden, vocab], 3), bias: tf.tidy(() => tf.variable(tf.zeros([vocab])))};
const x = tf.randomNormal([batch, length, hidden], 0, 1, 'float32', 4);
const ids = tf.randomUniform([batch, length], 0, vocab, 'int32', 5);

// A residual feed-forward block and a causal LM loss: chunked (64 positions at a time) or whole.
const chunked = () => tf.tidy(() => chunkedLmLoss(tf.add(x, chunkedFeedForward(x, ffn, {chunkSize: 64})), head, ids, {shift: true, chunkSize: 64}));
const whole = () => tf.tidy(() => lmLossReference(tf.add(x, feedForwardReference(x, ffn)), head, ids, {shift: true}));

const [a, b] = [chunked(), whole()];
console.log('same loss:', Math.abs((await a.data())[0]! - (await b.data())[0]!) < 1e-5);

const variables = [...Object.values(ffn), head.kernel, head.bias] as tf.Variable[];
async function stepPeak(loss: () => tf.Scalar): Promise<number> {
  const profile = await tf.profile(() => {
    const {value, grads} = tf.variableGrads(loss, variables);
    tf.dispose([value, ...Object.values(grads)]);
  });
  return profile.peakBytes;
}
const chunkedPeak = await stepPeak(chunked);
const wholePeak = await stepPeak(whole);
console.log(`peak of a training step: chunked ${(chunkedPeak / 2 ** 20).toFixed(1)} MiB, whole ${(wholePeak / 2 ** 20).toFixed(1)} MiB`);
console.log('chunked uses less:', chunkedPeak < wholePeak);

tf.dispose([a, b, x, ids, ...variables]);
