import * as tf from '@tensorflow/tfjs-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {reconstructInputs, reversibleStack, type ReversibleFunction, type ReversibleLayer} from './index.js';

const half: ReversibleFunction = (x) => tf.mul(x, 0.5);
const ok: ReversibleLayer = {f: half, g: half};

describe('bad input', () => {
  let x1: tf.Tensor;
  let x2: tf.Tensor;
  let w: tf.Tensor;
  beforeAll(() => {
    x1 = tf.ones([2, 3]);
    x2 = tf.ones([2, 3]);
    w = tf.ones([3]);
  });
  afterAll(() => tf.dispose([x1, x2, w]));

  it('x1 and x2: tensors, float32, one shape', () => {
    expect(() => reversibleStack([1, 2] as unknown as tf.Tensor, x2, [ok])).toThrow(
      'x1: expected a float32 tf.Tensor, got an array of length 2',
    );
    const ints = tf.ones([2, 3], 'int32');
    expect(() => reversibleStack(x1, ints, [ok])).toThrow('x2: expected a float32 tensor, got int32');
    ints.dispose();
    const wide = tf.ones([2, 4]);
    expect(() => reversibleStack(x1, wide, [ok])).toThrow('x2: expected the shape of x1 [2,3], got [2,4]');
    wide.dispose();
    const gone = tf.ones([2, 3]);
    gone.dispose();
    expect(() => reversibleStack(gone, x2, [ok])).toThrow('x1: expected a live tensor, got a disposed one');
  });

  it('layers: a non-empty array of {f, g, fWeights?, gWeights?}', () => {
    expect(() => reversibleStack(x1, x2, [])).toThrow(
      'layers: expected a non-empty array of ReversibleLayer, got an array of length 0',
    );
    expect(() => reversibleStack(x1, x2, undefined as unknown as ReversibleLayer[])).toThrow(
      'layers: expected a non-empty array of ReversibleLayer, got undefined',
    );
    expect(() => reversibleStack(x1, x2, [ok, null as unknown as ReversibleLayer])).toThrow(
      'layers[1]: expected an object {f, g, fWeights?, gWeights?}, got null',
    );
    expect(() => reversibleStack(x1, x2, [{f: half} as ReversibleLayer])).toThrow(
      'layers[0].g: expected a function (x, weights, ctx) => tf.Tensor, got undefined',
    );
    expect(() => reversibleStack(x1, x2, [{...ok, fWeights: w as unknown as tf.Tensor[]}])).toThrow(
      'layers[0].fWeights: expected an array of tf.Tensor (or undefined), got a float32 tensor of shape [3]',
    );
    expect(() => reversibleStack(x1, x2, [ok, {...ok, gWeights: [w, 'w' as unknown as tf.Tensor]}])).toThrow(
      "layers[1].gWeights[1]: expected a live tf.Tensor, got 'w'",
    );
    expect(() => reversibleStack(x1, x2, [{...ok, fWeights: [w, w]}])).toThrow(
      'layers[0].fWeights[1]: expected each tensor once per list, got the tensor of layers[0].fWeights[0] again',
    );
  });

  for (const mode of ['reversible', 'residual'] as const) {
    it(`f and g must return a float32 tensor of their input's shape (${mode})`, () => {
      const before = tf.memory().numTensors;
      const narrow: ReversibleFunction = (x) => tf.slice(x, [0, 0], [2, 2]);
      expect(() => reversibleStack(x1, x2, [ok, ok, {f: half, g: narrow}], {mode})).toThrow(
        "layers[2].g: expected an output of its input's shape [2,3], got [2,2]",
      );
      expect(() => reversibleStack(x1, x2, [{f: narrow, g: half}], {mode})).toThrow(
        "layers[0].f: expected an output of its input's shape [2,3], got [2,2]",
      );
      const ints: ReversibleFunction = (x) => tf.cast(x, 'int32');
      expect(() => reversibleStack(x1, x2, [{f: ints, g: half}], {mode})).toThrow(
        'layers[0].f: expected a float32 output, got int32',
      );
      const nothing = (() => undefined) as unknown as ReversibleFunction;
      expect(() => reversibleStack(x1, x2, [{f: half, g: nothing}], {mode})).toThrow(
        'layers[0].g: expected a tf.Tensor of shape [2,3], got undefined',
      );
      // A failed call leaves nothing behind.
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('options: mode, seed, onReconstruct, nothing else', () => {
    expect(() => reversibleStack(x1, x2, [ok], {mode: 'revnet' as 'residual'})).toThrow(
      "options.mode: expected 'reversible' or 'residual', got 'revnet'",
    );
    expect(() => reversibleStack(x1, x2, [ok], {seed: 1.5})).toThrow('options.seed: expected a safe integer, got 1.5');
    expect(() => reversibleStack(x1, x2, [ok], {seed: '3' as unknown as number})).toThrow(
      "options.seed: expected a safe integer, got '3'",
    );
    expect(() => reversibleStack(x1, x2, [ok], {onReconstruct: 1 as unknown as () => void})).toThrow(
      'options.onReconstruct: expected a function (layer, x1, x2) => void, got 1',
    );
    expect(() => reversibleStack(x1, x2, [ok], {rate: 0.1} as object)).toThrow(
      'options.rate: expected one of mode, seed, onReconstruct, got an unknown option',
    );
    expect(() => reversibleStack(x1, x2, [ok], 'residual' as unknown as object)).toThrow(
      "options: expected an object or undefined, got 'residual'",
    );
  });

  it('reconstructInputs: y1 and y2 of one shape, and the seed', () => {
    const wide = tf.ones([3, 3]);
    expect(() => reconstructInputs(x1, wide, [ok], {seed: 1})).toThrow('y2: expected the shape of y1 [2,3], got [3,3]');
    wide.dispose();
    expect(() => reconstructInputs(x1, x2, [ok], {} as {seed: number})).toThrow(
      'options.seed: expected a safe integer, got undefined',
    );
    expect(() => reconstructInputs(x1, x2, [ok], undefined as unknown as {seed: number})).toThrow(
      'options: expected an object {seed}, got undefined',
    );
  });
});
