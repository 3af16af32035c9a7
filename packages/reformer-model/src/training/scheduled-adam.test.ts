import {expectNoLeaks, expectTensorEqual} from '@reformerjs/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {ScheduledAdam} from './scheduled-adam.js';
import {warmupRsqrtDecay, type LearningRateSchedule} from './schedules.js';

const W0 = [0.5, -1.2, 0.3, 2.0, 0.7, -0.4];
const B0 = [0.8, -0.05, 1.5];

function variableOf(values: number[], shape: number[], name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true, name));
}

/** Gradient of step s (0-based) for a tensor of `count` entries: fixed numbers of both signs. */
function gradValues(count: number, s: number): number[] {
  return Array.from({length: count}, (_, i) => Math.sin(1.7 * i + 2.3 * s + 0.4) * (1 + s));
}

/** Sets the learning rate of a tf.train.adam optimizer (a protected field in tfjs's typings). */
function setAdamLearningRate(adam: tf.AdamOptimizer, lr: number): void {
  (adam as unknown as {learningRate: number}).learningRate = lr;
}

describe('ScheduledAdam', () => {
  it('equals tf.train.adam run step by step with the scheduled learning rate', () => {
    const schedule = warmupRsqrtDecay({constant: 0.5, warmupSteps: 3});
    const ours = new ScheduledAdam({learningRate: schedule, beta1: 0.9, beta2: 0.98, epsilon: 1e-7});
    const theirs = tf.train.adam(0, 0.9, 0.98, 1e-7);
    const [wA, bA, wB, bB] = [variableOf(W0, [2, 3]), variableOf(B0, [3]), variableOf(W0, [2, 3]), variableOf(B0, [3])];
    for (let s = 0; s < 6; s++) {
      const gw = tf.tensor(gradValues(6, s), [2, 3]);
      const gb = tf.tensor(gradValues(3, s + 10), [3]);
      ours.applyGradients({[wA.name]: gw, [bA.name]: gb});
      setAdamLearningRate(theirs, schedule(s + 1));
      theirs.applyGradients({[wB.name]: gw, [bB.name]: gb} as never); // typed for variables, takes any tensor
      expect(ours.lastLearningRate).toBe(schedule(s + 1));
      expectTensorEqual(wA, wB.dataSync(), `w after step ${s + 1}`);
      expectTensorEqual(bA, bB.dataSync(), `b after step ${s + 1}`);
      tf.dispose([gw, gb]);
    }
    expect(ours.iterations).toBe(6);
    ours.dispose();
    theirs.dispose();
    tf.dispose([wA, bA, wB, bB]);
  });

  it('with a constant learning rate equals tf.train.adam with its default betas through minimize()', () => {
    const ours = new ScheduledAdam({learningRate: 0.01});
    // tfjs's default epsilon is the backend's (1e-4 on webgl); ours is 1e-7 everywhere.
    const theirs = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
    const [a, b] = [variableOf(W0, [2, 3]), variableOf(W0, [2, 3])];
    const target = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    for (let s = 0; s < 4; s++) {
      ours.minimize(() => tf.sum(tf.square(tf.sub(a, target))) as tf.Scalar, false, [a]);
      theirs.minimize(() => tf.sum(tf.square(tf.sub(b, target))) as tf.Scalar, false, [b]);
      expectTensorEqual(a, b.dataSync(), `step ${s + 1}`);
    }
    ours.dispose();
    theirs.dispose();
    tf.dispose([a, b, target]);
  });

  function steps(opt: ScheduledAdam, w: tf.Variable, b: tf.Variable, from: number, to: number): void {
    for (let s = from; s < to; s++) {
      const gw = tf.tensor(gradValues(6, s), [2, 3]);
      const gb = tf.tensor(gradValues(3, s + 10), [3]);
      opt.applyGradients([
        {name: w.name, tensor: gw},
        {name: b.name, tensor: gb},
      ]);
      tf.dispose([gw, gb]);
    }
  }

  it('getWeights/setWeights resumes exactly (m, v, iteration count and bias correction)', async () => {
    const schedule: LearningRateSchedule = warmupRsqrtDecay({constant: 0.3, warmupSteps: 4});
    const name = `adam-resume-${Math.random().toString(36).slice(2)}`;
    let w = variableOf(W0, [2, 3], `${name}/w`);
    let b = variableOf(B0, [3], `${name}/b`);
    const first = new ScheduledAdam({learningRate: schedule});
    steps(first, w, b, 0, 5);
    const saved = await first.getWeights();
    expect(saved.map((e) => e.name)).toEqual(['iter', `${name}/w/m`, `${name}/b/m`, `${name}/w/v`, `${name}/b/v`]);
    const [savedW, savedB] = [tf.clone(w), tf.clone(b)];
    steps(first, w, b, 5, 9);
    const [expectedW, expectedB] = [tf.clone(w), tf.clone(b)];
    first.dispose();
    tf.dispose([w, b]);

    w = tf.variable(savedW, true, `${name}/w`);
    b = tf.variable(savedB, true, `${name}/b`);
    const resumed = new ScheduledAdam({learningRate: schedule});
    await resumed.setWeights(saved);
    tf.dispose(saved.map((e) => e.tensor));
    expect(resumed.iterations).toBe(5);
    steps(resumed, w, b, 5, 9);
    expectTensorEqual(w, expectedW.dataSync(), 'w after resume');
    expectTensorEqual(b, expectedB.dataSync(), 'b after resume');
    resumed.dispose();
    tf.dispose([w, b, savedW, savedB, expectedW, expectedB]);
  });

  it("loads the state of tf.train.adam (tfjs's layout) and continues as it does", async () => {
    const theirs = tf.train.adam(0.02, 0.9, 0.999, 1e-7);
    const [wA, bA] = [variableOf(W0, [2, 3]), variableOf(B0, [3])];
    const [wB, bB] = [variableOf(W0, [2, 3]), variableOf(B0, [3])];
    const apply = (opt: tf.Optimizer, w: tf.Variable, b: tf.Variable, s: number) => {
      const gw = tf.tensor(gradValues(6, s), [2, 3]);
      const gb = tf.tensor(gradValues(3, s + 10), [3]);
      opt.applyGradients({[w.name]: gw, [b.name]: gb});
      tf.dispose([gw, gb]);
    };
    for (let s = 0; s < 3; s++) apply(theirs, wA, bA, s);
    // tfjs's Adam returns its live variables (and a fresh "iter"): rename them for our variables.
    const state = await theirs.getWeights();
    const rename = (n: string) => n.replace(`${wA.name}/`, `${wB.name}/`).replace(`${bA.name}/`, `${bB.name}/`);
    const ours = new ScheduledAdam({learningRate: 0.02});
    await ours.setWeights(state.map((e) => ({name: rename(e.name), tensor: e.tensor})));
    state[0]!.tensor.dispose();
    wB.assign(wA);
    bB.assign(bA);
    for (let s = 3; s < 5; s++) {
      apply(theirs, wA, bA, s);
      apply(ours, wB, bB, s);
    }
    expectTensorEqual(wB, wA.dataSync(), 'w');
    expectTensorEqual(bB, bA.dataSync(), 'b');
    ours.dispose();
    theirs.dispose();
    tf.dispose([wA, bA, wB, bB]);
  });

  it('leaks nothing', async () => {
    await expectNoLeaks(async () => {
      const w = variableOf(W0, [2, 3]);
      const opt = new ScheduledAdam({learningRate: warmupRsqrtDecay({constant: 0.1, warmupSteps: 2})});
      const loss = () => tf.sum(tf.square(w)) as tf.Scalar;
      opt.minimize(loss);
      const afterFirst = tf.memory().numTensors;
      opt.minimize(loss);
      expect(tf.memory().numTensors).toBe(afterFirst);
      const weights = await opt.getWeights();
      await opt.setWeights(weights);
      await opt.setWeights(weights);
      tf.dispose(weights.map((e) => e.tensor));
      opt.minimize(loss);
      opt.dispose();
      w.dispose();
    });
  });

  it('rejects bad options', () => {
    expect(() => new ScheduledAdam({} as never)).toThrow(/options\.learningRate: expected a finite number >= 0 or a schedule \(step\) => number, got undefined/);
    expect(() => new ScheduledAdam({learningRate: 0.1, beta2: 1})).toThrow(/options\.beta2: expected a number in \[0, 1\), got 1/);
    expect(() => new ScheduledAdam({learningRate: 0.1, eps: 1} as never)).toThrow(/options\.eps: expected one of the options learningRate, beta1, beta2, epsilon/);
    const w = tf.tidy(() => tf.variable(tf.ones([2])));
    const g = tf.ones([2]);
    const opt = new ScheduledAdam({learningRate: (t) => (t > 1 ? -1 : 0.1)});
    opt.applyGradients({[w.name]: g});
    expect(() => opt.applyGradients({[w.name]: g})).toThrow(/options\.learningRate\(2\): expected the schedule to return a finite number >= 0, got -1/);
    expect(opt.iterations).toBe(1);
    opt.dispose();
    tf.dispose([w, g]);
  });
});
