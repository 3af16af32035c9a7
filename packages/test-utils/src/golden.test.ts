import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';
import {goldenCaseNames, goldenFixturesDir, loadGoldenCase} from './index.js';

describe('golden cases', () => {
  it('lists the case folders, sorted', () => {
    expect(goldenFixturesDir).toMatch(/packages\/test-utils\/fixtures\/hf-reformer$/);
    expect(goldenCaseNames()).toEqual(['local-lsh-axial', 'lsh-bidir-4h-pad', 'lsh-causal-2h']);
  });

  it('loads a case with int32 inputs, float32 tensors and disposes them all', () => {
    const before = tf.memory().numTensors;
    const c = loadGoldenCase('lsh-causal-2h');
    expect(c.config['hidden_size']).toBe(32);
    expect(c.info['batch']).toBe(2);
    expect(c.io['input_ids']!.dtype).toBe('int32');
    expect(c.io['input_ids']!.shape).toEqual([2, 64]);
    expect(c.io['buckets.0']!.dtype).toBe('int32');
    expect(c.io['logits']!.dtype).toBe('float32');
    expect(c.io['logits']!.shape).toEqual([2, 64, 64]);
    expect(c.io['rotations.0']!.shape).toEqual([2, 16, 2, 4]);
    expect(c.weights['reformer.embeddings.word_embeddings.weight']!.shape).toEqual([64, 32]);
    expect(c.io['loss']!.dataSync()[0]).toBeCloseTo(c.info['loss'] as number, 5);
    c.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the known cases for an unknown one', () => {
    expect(() => loadGoldenCase('nope')).toThrow(/no case 'nope' \(expected one of local-lsh-axial, lsh-bidir-4h-pad, lsh-causal-2h\)/);
  });
});
