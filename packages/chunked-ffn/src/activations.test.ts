import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {activate, activationDerivative, checkActivation, SUPPORTED_ACTIVATIONS, type ActivationName} from './activations.js';
import {expectNoLeaks, expectRelativeClose} from '@reformerjs/test-utils';

const xs = [-3, -1, -0.5, 0, 0.5, 1, 2.5, 6, 7];
// Computed in float64 with Python's math module from PyTorch's definitions (math.erf for gelu; gelu_fast
// with HF's FastGELUActivation constant 0.7978845608).
const expected: Record<ActivationName, number[]> = {
  relu: [0, 0, 0, 0, 0.5, 1, 2.5, 6, 7],
  relu6: [0, 0, 0, 0, 0.5, 1, 2.5, 6, 6],
  gelu: [-0.00404969409489031, -0.15865525393145707, -0.15426876936299344, 0, 0.34573123063700656, 0.8413447460685429, 2.4844758366855597, 5.999999994080474, 6.999999999991041],
  gelu_new: [-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0, 0.34571400982514394, 0.8411919906082768, 2.484915733910001, 5.9999999999156035, 6.999999999999997],
  gelu_pytorch_tanh: [-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0, 0.34571400982514394, 0.8411919906082768, 2.484915733910001, 5.9999999999156035, 6.999999999999997],
  gelu_fast: [-0.003637392081860591, -0.1588080093925231, -0.15428599017516514, 0, 0.34571400982483486, 0.841191990607477, 2.4849157339097268, 5.9999999999156035, 6.999999999999997],
  quick_gelu: [-0.01807130970778597, -0.1542042340671787, -0.1496115633936199, 0, 0.35038843660638014, 0.8457957659328212, 2.46501383495143, 5.999779646450213, 6.999953128303318],
  silu: [-0.14227761953270035, -0.2689414213699951, -0.1887703343990727, 0, 0.3112296656009273, 0.7310585786300049, 2.3103545499468914, 5.985164261060192, 6.993622641639195],
  swish: [-0.14227761953270035, -0.2689414213699951, -0.1887703343990727, 0, 0.3112296656009273, 0.7310585786300049, 2.3103545499468914, 5.985164261060192, 6.993622641639195],
  mish: [-0.1456474612756246, -0.30340146137410895, -0.22074377465173, 0, 0.3752452113048951, 0.8650983882673103, 2.471392304557881, 5.999926634065252, 6.999988379809741],
  tanh: [-0.9950547536867305, -0.7615941559557649, -0.46211715726000974, 0, 0.46211715726000974, 0.7615941559557649, 0.9866142981514303, 0.9999877116507956, 0.9999983369439447],
  sigmoid: [0.04742587317756678, 0.2689414213699951, 0.3775406687981454, 0.5, 0.6224593312018546, 0.7310585786300049, 0.9241418199787566, 0.9975273768433653, 0.9990889488055994],
};
// Central differences (h = 1e-5) of the same float64 definitions, independent of both the hand-written
// derivatives and tfjs's autodiff; at the kinks torch's convention instead: relu'(0) = 0, and relu6'(0) =
// relu6'(6) = 0 (relu6 is hardtanh(x, 0, 6), whose backward passes the gradient only strictly inside).
const expectedDerivative: Record<ActivationName, number[]> = {
  relu: [0, 0, 0, 0, 1, 1, 1, 1, 1],
  relu6: [0, 0, 0, 0, 1, 1, 1, 0, 0],
  gelu: [-0.0119456472, -0.0833154706, 0.1325048754, 0.5, 0.8674951246, 1.0833154706, 1.0376110859, 1.0000000354, 1.0000000001],
  gelu_new: [-0.0115841666, -0.0829640838, 0.1326300965, 0.5, 0.8673699035, 1.0829640838, 1.0379515762, 1.0000000008, 1],
  gelu_pytorch_tanh: [-0.0115841666, -0.0829640838, 0.1326300965, 0.5, 0.8673699035, 1.0829640838, 1.0379515762, 1.0000000008, 1],
  gelu_fast: [-0.0115841666, -0.0829640838, 0.1326300965, 0.5, 0.8673699035, 1.0829640838, 1.0379515762, 1.0000000008, 1],
  quick_gelu: [-0.0245483239, -0.0677796065, 0.120778088, 0.5, 0.879221912, 1.0677796065, 1.0447186661, 1.0003383023, 1.0000730791],
  silu: [-0.088104106, 0.0723294881, 0.2600388127, 0.5, 0.7399611873, 0.9276705119, 1.0994011113, 1.0123264325, 1.005460497],
  swish: [-0.088104106, 0.0723294881, 0.2600388127, 0.5, 0.7399611873, 0.9276705119, 1.0994011113, 1.0123264325, 1.005460497],
  mish: [-0.0933931145, 0.0592167559, 0.2895106779, 0.6, 0.8864243753, 1.0490362201, 1.0411295302, 1.0001341405, 1.0000215592],
  tanh: [0.0098660372, 0.4199743416, 0.786447733, 1, 0.786447733, 0.4199743416, 0.0265922267, 2.45765e-5, 3.3261e-6],
  sigmoid: [0.0451766597, 0.1966119332, 0.2350037122, 0.25, 0.2350037122, 0.1966119332, 0.0701037165, 0.0024665093, 0.0009102212],
};

const NEW_ACTIVATIONS = ['relu6', 'quick_gelu', 'mish', 'sigmoid'] as const;

describe('activations', () => {
  it.each(SUPPORTED_ACTIVATIONS)('%s matches values computed from its PyTorch definition', (name) => {
    const got = tf.tidy(() => activate(name, tf.tensor1d(xs)).dataSync());
    // tfjs's erf is a polynomial approximation with absolute error about 1e-7; float32's spacing near 7 is 4.8e-7.
    got.forEach((v, i) => {
      const want = expected[name][i]!;
      expect(Math.abs(v - want), `${name}(${xs[i]}) = ${v}, expected ${want}`).toBeLessThan(5e-7 * Math.max(1, Math.abs(want)));
    });
  });

  it.each(SUPPORTED_ACTIVATIONS)("%s's hand-written derivative matches float64 finite differences", (name) => {
    const got = tf.tidy(() => activationDerivative(name, tf.tensor1d(xs)).dataSync());
    got.forEach((v, i) => {
      const want = expectedDerivative[name][i]!;
      expect(Math.abs(v - want), `${name}'(${xs[i]}) = ${v}, expected ${want}`).toBeLessThan(2e-6 * Math.max(1, Math.abs(want)));
    });
  });

  it.each(SUPPORTED_ACTIVATIONS)("%s's hand-written derivative equals tfjs autodiff", (name) => {
    tf.tidy(() => {
      // -8 .. 8 in steps of 0.25, exact in float32: includes 0 and 6, relu's and relu6's kinks.
      const x = tf.tensor1d(Array.from({length: 65}, (_, i) => -8 + i / 4));
      const auto = tf.grad((v: tf.Tensor) => tf.sum(activate(name, v)))(x);
      expectRelativeClose(activationDerivative(name, x), auto, 2e-6, name);
    });
  });

  it("relu's derivative is 0 at 0, like torch", () => {
    tf.tidy(() => {
      expect(Array.from(activationDerivative('relu', tf.tensor1d([-1, 0, 1])).dataSync())).toEqual([0, 0, 1]);
    });
  });

  it("relu6's derivative, hand-written and by autodiff, is 0 at 0 and at 6, like torch's hardtanh backward", () => {
    tf.tidy(() => {
      const x = tf.tensor1d([-1, 0, 1e-6, 3, 6 - 1e-3, 6, 7]);
      const want = [0, 0, 1, 1, 1, 0, 0];
      expect(Array.from(activationDerivative('relu6', x).dataSync())).toEqual(want);
      expect(Array.from(tf.grad((v: tf.Tensor) => tf.sum(activate('relu6', v)))(x).dataSync())).toEqual(want);
      // The values are exact (no 6 − (6 − x) rounding). `+ 0` makes −0 and 0 equal: webgl's relu6 gives −0 below 0.
      const values = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => v + 0);
      expect(values(activate('relu6', x))).toEqual(values(tf.relu6(x)));
    });
  });

  it.each(NEW_ACTIVATIONS)('%s saturates without NaN for large |x|', (name) => {
    tf.tidy(() => {
      const x = tf.tensor1d([-100, -30, 30, 100]);
      for (const t of [activate(name, x), activationDerivative(name, x)]) {
        expect(Array.from(t.dataSync()).every(Number.isFinite), `${name}: ${Array.from(t.dataSync()).join(', ')}`).toBe(true);
      }
    });
  });

  it('gelu_pytorch_tanh and gelu_fast are aliases of gelu_new', () => {
    tf.tidy(() => {
      const x = tf.linspace(-5, 5, 21);
      for (const alias of ['gelu_pytorch_tanh', 'gelu_fast'] as const) {
        expect(checkActivation(alias)).toBe(alias);
        expect(Array.from(activate(alias, x).dataSync())).toEqual(Array.from(activate('gelu_new', x).dataSync()));
        expect(Array.from(activationDerivative(alias, x).dataSync())).toEqual(Array.from(activationDerivative('gelu_new', x).dataSync()));
      }
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
    expect(() => activate('elu' as ActivationName, x)).toThrow(
      'activation: expected one of relu, relu6, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, quick_gelu, silu, swish, mish, tanh, sigmoid, got "elu"',
    );
    expect(() => activationDerivative('GELU' as ActivationName, x)).toThrow(/^activation: expected one of .*, got "GELU"$/);
    x.dispose();
  });
});
