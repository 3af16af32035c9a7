import * as tf from '@tensorflow/tfjs';
import {describe, expect, it} from 'vitest';
import {AttentionWorkload} from './attention.js';

describe('AttentionWorkload', () => {
  it('full attention by groups of heads gives the output of all heads at once', async () => {
    const spec = {attention: 'full' as const, batch: 1, length: 24, heads: 4, headSize: 8, chunk: 8, hashes: 1, causal: true};
    const whole = new AttentionWorkload(spec);
    const sliced = new AttentionWorkload({...spec, sliceHeads: 1});
    const [a] = whole.forward()();
    const [b] = sliced.forward()();
    const [x, y] = [await a!.data(), await b!.data()];
    const scale = Math.max(...Array.from(x, Math.abs));
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-5 * scale);
    tf.dispose([a, b]);
    whole.dispose();
    sliced.dispose();
  });
});
