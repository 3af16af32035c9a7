// Dropout on [batch, length, width] activations with masks drawn in JavaScript (chunked-ffn's counter-based
// masks), so a seed gives the same mask on every backend and in a reversible recompute.
import {dropoutMask} from '@reformerjs/chunked-ffn';
import * as tf from '@tensorflow/tfjs-core';

/**
 * x · mask with mask[b, t, f] = 0 with probability `rate`, else 1 / (1 − rate), a pure function of
 * (seed, stream, b · length + t, f). Identity when rate is 0.
 *
 * x [batch, length, width] -> [batch, length, width]
 */
export function seededDropout(x: tf.Tensor3D, rate: number, seed: number, stream: number): tf.Tensor3D {
  if (rate === 0) return x;
  const [batch, length, width] = x.shape;
  return tf.tidy(() => {
    const mask = dropoutMask({seed, stream, rate, batch, length, start: 0, end: length, width}); // [batch*length, width]
    return tf.mul(x, tf.reshape(mask, [batch, length, width])) as tf.Tensor3D; // [batch, length, width]
  });
}

/**
 * A [batch, groups, width] mask whose entries are 0 with probability `rate`, else 1 / (1 − rate): one draw per
 * (batch entry, group, feature). Callers broadcast it over whatever a group stands for.
 */
export function groupMask(batch: number, groups: number, width: number, rate: number, seed: number, stream: number): tf.Tensor3D {
  return tf.tidy(() => {
    const mask = dropoutMask({seed, stream, rate, batch, length: groups, start: 0, end: groups, width}); // [batch*groups, width]
    return tf.reshape(mask, [batch, groups, width]) as tf.Tensor3D; // [batch, groups, width]
  });
}
