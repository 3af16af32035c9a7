// @reformerjs/reversible: a reversible stack recomputes activations in the backward pass, so the memory of a
// training step does not grow with depth; its inputs can be rebuilt from its outputs.
import * as tf from '@tensorflow/tfjs';
import {reconstructInputs, reversibleStack, type ReversibleFunction, type ReversibleLayer} from '@reformerjs/reversible';

const d = 16;
// tanh(x W) on [batch, length, d]; the weights arrive through `weights` so the stack can differentiate them.
const dense: ReversibleFunction = (x, [w]) => {
  const rows = tf.reshape(x, [-1, d]); // [batch · length, d]
  return tf.reshape(tf.tanh(tf.matMul(rows, w!)), x.shape); // [batch, length, d]
};
const weight = (seed: number) => tf.tidy(() => tf.variable(tf.randomNormal([d, d], 0, 0.3, 'float32', seed)));
const layers: ReversibleLayer[] = Array.from({length: 8}, (_, i) => ({f: dense, g: dense, fWeights: [weight(2 * i)], gWeights: [weight(2 * i + 1)]}));
const x = tf.randomNormal([2, 128, d], 0, 1, 'float32', 99); // [batch, length, d]

// y1 = x1 + f(x2), y2 = x2 + g(y1), layer after layer; and back: x2 = y2 - g(y1), x1 = y1 - f(x2).
const [y1, y2] = reversibleStack(x, x, layers, {seed: 0});
const [x1, x2] = reconstructInputs(y1, y2, layers, {seed: 0});
const rebuilt = tf.tidy(() => tf.max(tf.abs(tf.sub(x1, x))));
console.log('inputs rebuilt from outputs, max error below 1e-4:', (await rebuilt.data())[0]! < 1e-4);

// Peak memory of a training step (loss, gradients of every weight), reversible against plain residual blocks.
const weights = layers.flatMap((l) => [...l.fWeights!, ...l.gWeights!]) as tf.Variable[];
async function peakBytes(mode: 'reversible' | 'residual'): Promise<number> {
  const profile = await tf.profile(() => {
    const {value, grads} = tf.variableGrads(() => {
      const [a, b] = reversibleStack(x, x, layers, {seed: 0, mode});
      return tf.mean(tf.square(tf.add(a, b)));
    }, weights);
    tf.dispose([value, ...Object.values(grads)]);
  });
  return profile.peakBytes;
}
const reversiblePeak = await peakBytes('reversible');
const residualPeak = await peakBytes('residual');
console.log(`peak of a training step: reversible ${(reversiblePeak / 1024).toFixed(0)} KiB, residual ${(residualPeak / 1024).toFixed(0)} KiB`);
console.log('reversible uses less:', reversiblePeak < residualPeak);

tf.dispose([x, y1, y2, x1, x2, rebuilt, ...weights]);
