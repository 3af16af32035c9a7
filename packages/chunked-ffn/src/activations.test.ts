import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {activate, activationDerivative, SUPPORTED_ACTIVATIONS, type ActivationName} from './activations.js';
import {expectNoLeaks, expectRelativeClose} from '@reformerjs/test-utils';

const xs = [-3, -1, -0.5, 0, 0.5, 1, 2.5];
// Computed in float64 with Python's math module from PyTorch's definitions (math.erf for gelu).
const expected: Record<ActivationName, number[]> = {
  relu: [0, 0, 0, 0, 0.5, 1, 2.5],
  gelu: [-0.00404969409489031, -0.15865525393145707, -0.15426876936299344, 0, 0.34573123063700656, 0.8413447460685429, 2.4844758366855597],
  gelu_new: [-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0, 0.34571400982514394, 0.8411919906082768, 2.484915733910001],
  silu: [-0.14227761953270035, -0.2689414213699951, -0.1887703343990727, 0, 0.3112296656009273, 0.7310585786300049, 2.3103545499468914],
  swish: [-0.14227761953270035, -0.2689414213699951, -0.1887703343990727, 0, 0.3112296656009273, 0.7310585786300049, 2.3103545499468914],
  tanh: [-0.9950547536867305, -0.7615941559557649, -0.46211715726000974, 0, 0.46211715726000974, 0.7615941559557649, 0.9866142981514303],
};

describe('activations', () => {
  it.each(SUPPORTED_ACTIVATIONS)('%s matches values computed from its PyTorch definition', (name) => {
    const got = tf.tidy(() => activate(name, tf.tensor1d(xs)).dataSync());
    // tfjs's erf is a polynomial approximation with absolute error about 1e-7.
    got.forEach((v, i) => expect(Math.abs(v - expected[name][i]), `${name}(${xs[i]}) = ${v}`).toBeLessThan(5e-7));
  });

  it.each(SUPPORTED_ACTIVATIONS)("%s's hand-written derivative equals tfjs autodiff", (name) => {
    tf.tidy(() => {
      const x = tf.linspace(-4, 4, 41); // includes 0, where relu's derivative is 0 as in torch
      const auto = tf.grad((v: tf.Tensor) => tf.sum(activate(name, v)))(x);
      expectRelativeClose(activationDerivative(name, x), auto, 2e-6, name);
    });
  });

  it("relu's derivative is 0 at 0, like torch", () => {
    tf.tidy(() => {
      expect(Array.from(activationDerivative('relu', tf.tensor1d([-1, 0, 1])).dataSync())).toEqual([0, 0, 1]);
    });
  });

  it('does not leak', async () => {
    await expectNoLeaks(() => {
      for (const name of SUPPORTED_ACTIVATIONS) {
        const x = tf.tensor1d(xs);
        activate(name, x).dispose();
        activationDerivative(name, x).dispose();
        x.dispose();
      }
    });
  });

  it('rejects an unknown activation, listing the supported ones', () => {
    const x = tf.tensor1d([1]);
    expect(() => activate('gelu_fast' as ActivationName, x)).toThrow(
      'activation: expected one of relu, gelu, gelu_new, silu, swish, tanh, got "gelu_fast"',
    );
    x.dispose();
  });
});
