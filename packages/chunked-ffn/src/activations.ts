import * as tf from '@tensorflow/tfjs-core';
import {describe} from './validate.js';

/**
 * The feed-forward activations, by the names Hugging Face's `ACT2FN` (and so `config.hidden_act`)
 * uses, each with PyTorch's definition:
 * - `relu`: max(x, 0); derivative 0 at x = 0, as in PyTorch.
 * - `relu6`: min(max(x, 0), 6) (`nn.ReLU6`, a hardtanh); derivative 1 on (0, 6) and 0 elsewhere,
 *   also at 0 and 6, as torch's hardtanh backward.
 * - `gelu`: the exact form x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (`torch.nn.functional.gelu`).
 * - `gelu_new`: the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); `gelu_pytorch_tanh`
 *   (`gelu(x, approximate='tanh')`) and `gelu_fast` (HF's `FastGELUActivation`) are the same function
 *   written differently, and are aliases of it here.
 * - `quick_gelu`: x·σ(1.702·x).
 * - `silu` and its alias `swish`: x·σ(x).
 * - `mish`: x·tanh(softplus(x)).
 * - `tanh`, `sigmoid`.
 */
export const SUPPORTED_ACTIVATIONS = [
  'relu',
  'relu6',
  'gelu',
  'gelu_new',
  'gelu_pytorch_tanh',
  'gelu_fast',
  'quick_gelu',
  'silu',
  'swish',
  'mish',
  'tanh',
  'sigmoid',
] as const;

export type ActivationName = (typeof SUPPORTED_ACTIVATIONS)[number];

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_NEW_CUBIC = 0.044715;
const QUICK_GELU_SCALE = 1.702;
const RELU6_CAP = 6;

export function checkActivation(name: unknown, argName = 'activation'): ActivationName {
  if (typeof name !== 'string' || !(SUPPORTED_ACTIVATIONS as readonly string[]).includes(name)) {
    throw new Error(`${argName}: expected one of ${SUPPORTED_ACTIVATIONS.join(', ')}, got ${describe(name)}`);
  }
  return name as ActivationName;
}

/** Applies the activation elementwise. Differentiable by tfjs's autodiff (used by the references). */
export function activate(name: ActivationName, x: tf.Tensor): tf.Tensor {
  checkActivation(name);
  return tf.tidy(() => {
    switch (name) {
      case 'relu':
        return tf.relu(x);
      case 'relu6':
        // Not tf.relu6: its gradient is 1 at x = 6, torch's is 0. Here autodiff sees only the masks
        // (tf.step's gradient is 0), so it gives torch's derivative, and the values are exact.
        return tf.add(tf.mul(x, relu6Inside(x)), tf.mul(RELU6_CAP, tf.sub(1, tf.step(tf.sub(RELU6_CAP, x)))));
      case 'gelu':
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT_HALF))));
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
      case 'gelu_fast':
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(geluNewInner(x))));
      case 'quick_gelu':
        return tf.mul(x, tf.sigmoid(tf.mul(QUICK_GELU_SCALE, x)));
      case 'silu':
      case 'swish':
        return tf.mul(x, tf.sigmoid(x));
      case 'mish':
        return tf.mul(x, tf.tanh(tf.softplus(x)));
      case 'tanh':
        return tf.tanh(x);
      case 'sigmoid':
        return tf.sigmoid(x);
    }
  });
}

/**
 * d activate(x) / dx, elementwise, for the hand-written backward. It agrees with what tfjs's
 * autodiff of `activate` computes (for `gelu`, both go through tfjs's `erf`).
 */
export function activationDerivative(name: ActivationName, x: tf.Tensor): tf.Tensor {
  checkActivation(name);
  return tf.tidy(() => {
    switch (name) {
      case 'relu':
        // 1 where x > 0, else 0 (also at 0, as torch's relu backward).
        return tf.step(x, 0);
      case 'relu6':
        // 1 on (0, 6), else 0 (also at 0 and 6, as torch's hardtanh backward).
        return relu6Inside(x);
      case 'gelu': {
        // Φ(x) + x·φ(x)
        const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, SQRT_HALF))));
        const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(x))));
        return tf.add(cdf, tf.mul(x, pdf));
      }
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
      case 'gelu_fast': {
        // 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²), t = tanh(inner)
        const t = tf.tanh(geluNewInner(x));
        const dInner = tf.mul(SQRT_2_OVER_PI, tf.add(1, tf.mul(3 * GELU_NEW_CUBIC, tf.square(x))));
        const left = tf.mul(0.5, tf.add(1, t));
        const right = tf.mul(tf.mul(tf.mul(0.5, x), tf.sub(1, tf.square(t))), dInner);
        return tf.add(left, right);
      }
      case 'quick_gelu': {
        // s·(1 + 1.702·x·(1 − s)), s = σ(1.702·x)
        const scaled = tf.mul(QUICK_GELU_SCALE, x);
        const s = tf.sigmoid(scaled);
        return tf.mul(s, tf.add(1, tf.mul(scaled, tf.sub(1, s))));
      }
      case 'silu':
      case 'swish': {
        // σ(x)·(1 + x·(1 − σ(x)))
        const s = tf.sigmoid(x);
        return tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s))));
      }
      case 'mish': {
        // t + x·σ(x)·(1 − t²), t = tanh(softplus(x)); softplus' = σ
        const t = tf.tanh(tf.softplus(x));
        return tf.add(t, tf.mul(tf.mul(x, tf.sigmoid(x)), tf.sub(1, tf.square(t))));
      }
      case 'tanh': {
        const t = tf.tanh(x);
        return tf.sub(1, tf.square(t));
      }
      case 'sigmoid': {
        const s = tf.sigmoid(x);
        return tf.mul(s, tf.sub(1, s));
      }
    }
  });
}

function geluNewInner(x: tf.Tensor): tf.Tensor {
  // √(2/π)·(x + 0.044715·x³)
  return tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(GELU_NEW_CUBIC, tf.mul(x, tf.square(x)))));
}

/** 1 where 0 < x < 6, else 0 (tf.step(v) is 1 for v > 0 and 0 for v <= 0). */
function relu6Inside(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.step(x), tf.step(tf.sub(RELU6_CAP, x)));
}
