import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {dropoutMask, dropoutUniform, type DropoutMaskSpec} from './dropout.js';
import {expectNoLeaks} from '@reformerjs/test-utils';

const spec: DropoutMaskSpec = {seed: 42, stream: 1, rate: 0.25, batch: 2, length: 10, start: 0, end: 10, width: 16};

describe('dropoutMask', () => {
  it('holds only 0 and 1 / (1 - rate), dropping about rate of the elements', () => {
    const big = {...spec, batch: 4, length: 128, end: 128, width: 64};
    const values = tf.tidy(() => dropoutMask(big).dataSync());
    const scale = Math.fround(1 / 0.75);
    let dropped = 0;
    let other = 0;
    for (const v of values) {
      if (v === 0) dropped++;
      else if (v !== scale) other++;
    }
    expect(other).toBe(0);
    // 32768 Bernoulli(0.25) draws: standard deviation 0.0024, so 0.02 is over 8 sigma.
    expect(Math.abs(dropped / values.length - 0.25)).toBeLessThan(0.02);
  });

  it('is a function of the seed: same seed same mask, another seed or stream another mask', () => {
    const [a, b, c, d] = tf.tidy(() => [
      Array.from(dropoutMask(spec).dataSync()),
      Array.from(dropoutMask(spec).dataSync()),
      Array.from(dropoutMask({...spec, seed: 43}).dataSync()),
      Array.from(dropoutMask({...spec, stream: 2}).dataSync()),
    ]);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(d).not.toEqual(a);
  });

  it('does not depend on how the sequence is chunked: chunk rows equal the full mask rows', () => {
    tf.tidy(() => {
      const full = tf.reshape(dropoutMask(spec), [2, 10, 16]); // [batch, length, width]
      for (const [start, end] of [[0, 3], [3, 7], [7, 10], [9, 10]]) {
        const chunk = tf.reshape(dropoutMask({...spec, start, end}), [2, end - start, 16]); // [batch, chunkLen, width]
        expect(Array.from(chunk.dataSync())).toEqual(Array.from(tf.slice(full, [0, start, 0], [2, end - start, 16]).dataSync()));
      }
    });
  });

  it('drops element (b, t, f) exactly when dropoutUniform(seed, stream, b·length + t, f) < rate', () => {
    const values = tf.tidy(() => dropoutMask(spec).dataSync());
    let i = 0;
    for (let b = 0; b < 2; b++)
      for (let t = 0; t < 10; t++)
        for (let f = 0; f < 16; f++, i++) {
          expect(values[i] === 0).toBe(dropoutUniform(42, 1, b * 10 + t, f) < 0.25);
        }
  });

  it('rate 0 keeps everything at scale 1', () => {
    const values = tf.tidy(() => dropoutMask({...spec, rate: 0}).dataSync());
    expect(values.every((v) => v === 1)).toBe(true);
  });

  it('does not leak', async () => {
    await expectNoLeaks(() => dropoutMask(spec).dispose());
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => dropoutMask({...spec, rate: 1})).toThrow('rate: expected a probability in [0, 1), got 1');
    expect(() => dropoutMask({...spec, seed: -1})).toThrow('seed: expected a non-negative safe integer for a dropout mask, got -1');
    expect(() => dropoutMask({...spec, seed: 1.5})).toThrow('seed: expected a non-negative safe integer for a dropout mask, got 1.5');
    expect(() => dropoutMask({...spec, start: 4, end: 11})).toThrow(
      'start, end: expected 0 <= start <= end <= length = 10, got start 4, end 11',
    );
    expect(() => dropoutMask({...spec, width: 2.5})).toThrow('width: expected a non-negative integer, got 2.5');
  });
});
