import {expectNoLeaks, expectRelativeClose, expectTensorEqual} from '@reformerjs/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import {describe, expect, it} from 'vitest';

import {Adafactor, type AdafactorOptions} from './adafactor.js';
import {constantSchedule} from './schedules.js';

// ---------------------------------------------------------------------------------------------------------
// Reference: Adafactor written out from the paper (Algorithms 4 and 5) in float64 loops, with the paper's row
// and column *sums* (the implementation uses means; R C / 1ᵀR is the same either way).
// ---------------------------------------------------------------------------------------------------------

interface RefConfig {
  learningRate?: number | ((t: number) => number);
  multiplyByParameterScale: boolean;
  factored: boolean;
  beta1: number;
  decayExponent: number;
  epsilon1: number;
  epsilon2: number;
  clippingThreshold: number | null;
  weightDecayRate: number;
}

const REF_DEFAULTS: RefConfig = {
  multiplyByParameterScale: true,
  factored: true,
  beta1: 0,
  decayExponent: 0.8,
  epsilon1: 1e-30,
  epsilon2: 1e-3,
  clippingThreshold: 1,
  weightDecayRate: 0,
};

class RefParam {
  x: number[];
  rowSums: number[] = []; // R, per leading block: [lead * rows]
  colSums: number[] = []; // C: [lead * cols]
  v: number[] = [];
  m: number[];
  /** Whether update clipping changed the update at each step. */
  clipped: boolean[] = [];

  constructor(
    readonly shape: number[],
    x0: number[],
    readonly cfg: RefConfig,
  ) {
    this.x = x0.map(Math.fround);
    this.m = x0.map(() => 0);
    if (this.factoredHere()) {
      const [lead, rows, cols] = this.dims();
      this.rowSums = new Array(lead * rows).fill(0);
      this.colSums = new Array(lead * cols).fill(0);
    } else {
      this.v = x0.map(() => 0);
    }
  }

  factoredHere(): boolean {
    return this.cfg.factored && this.shape.length >= 2;
  }

  dims(): [number, number, number] {
    const rows = this.shape[this.shape.length - 2]!;
    const cols = this.shape[this.shape.length - 1]!;
    return [this.x.length / (rows * cols), rows, cols];
  }

  step(t: number, gIn: number[]): void {
    const {cfg} = this;
    const g = gIn.map(Math.fround);
    const beta2 = 1 - Math.pow(t, -cfg.decayExponent);
    const gsq = g.map((gi) => gi * gi + cfg.epsilon1);
    const vhat = new Array<number>(g.length);
    if (this.factoredHere()) {
      const [lead, rows, cols] = this.dims();
      for (let l = 0; l < lead; l++) {
        for (let i = 0; i < rows; i++) {
          let s = 0;
          for (let j = 0; j < cols; j++) s += gsq[(l * rows + i) * cols + j]!;
          this.rowSums[l * rows + i] = beta2 * this.rowSums[l * rows + i]! + (1 - beta2) * s;
        }
        for (let j = 0; j < cols; j++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += gsq[(l * rows + i) * cols + j]!;
          this.colSums[l * cols + j] = beta2 * this.colSums[l * cols + j]! + (1 - beta2) * s;
        }
        let total = 0;
        for (let i = 0; i < rows; i++) total += this.rowSums[l * rows + i]!;
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            vhat[(l * rows + i) * cols + j] = (this.rowSums[l * rows + i]! * this.colSums[l * cols + j]!) / total;
          }
        }
      }
    } else {
      for (let i = 0; i < g.length; i++) {
        this.v[i] = beta2 * this.v[i]! + (1 - beta2) * gsq[i]!;
        vhat[i] = this.v[i]!;
      }
    }
    const u = g.map((gi, i) => gi / Math.sqrt(vhat[i]!));
    const rmsU = rms(u);
    let clipDenominator = 1;
    if (cfg.clippingThreshold !== null) clipDenominator = Math.max(1, rmsU / cfg.clippingThreshold);
    this.clipped.push(clipDenominator > 1);
    let rho: number;
    if (cfg.learningRate === undefined) rho = Math.min(1e-2, 1 / Math.sqrt(t)) * (cfg.multiplyByParameterScale ? 1 : 0.05);
    else rho = typeof cfg.learningRate === 'number' ? cfg.learningRate : cfg.learningRate(t);
    const alpha = cfg.multiplyByParameterScale ? Math.max(cfg.epsilon2, rms(this.x)) * rho : rho;
    let delta = u.map((ui) => (alpha * ui) / clipDenominator);
    if (cfg.beta1 > 0) {
      this.m = this.m.map((mi, i) => cfg.beta1 * mi + (1 - cfg.beta1) * delta[i]!);
      delta = this.m;
    }
    this.x = this.x.map((xi, i) => (1 - cfg.weightDecayRate) * xi - delta[i]!);
  }

  /** The implementation's slots, from the reference: row and column means rather than sums. */
  expectedSlots(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    if (this.factoredHere()) {
      const [, rows, cols] = this.dims();
      out['vr'] = this.rowSums.map((s) => s / cols);
      out['vc'] = this.colSums.map((s) => s / rows);
    } else {
      out['v'] = this.v;
    }
    if (this.cfg.beta1 > 0) out['m'] = this.m;
    return out;
  }
}

/** A variable holding `values` (the initial tensor is freed: tf.variable shares its data). */
function variableOf(values: number[], shape: number[], name?: string): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true, name));
}

function rms(values: number[]): number {
  return Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
}

// ---------------------------------------------------------------------------------------------------------
// Cases: a 2x3 matrix and a length-3 vector with three gradients each. The second gradient is much larger
// than the first, so the update's RMS exceeds 1 at step 2 and clipping is active.
// ---------------------------------------------------------------------------------------------------------

const MATRIX = {
  shape: [2, 3],
  x0: [0.5, -1.2, 0.3, 2.0, 0.7, -0.4],
  grads: [
    [0.1, -0.2, 0.05, 0.3, -0.1, 0.2],
    [2.0, 0.5, -1.5, -0.3, 1.2, 0.8],
    [-0.4, 0.9, 0.1, 0.6, -0.7, 0.25],
  ],
};

const VECTOR = {
  shape: [3],
  x0: [0.8, -0.05, 1.5],
  grads: [
    [0.02, -0.3, 0.1],
    [1.5, -4.0, 2.5],
    [-0.2, 0.6, 0.05],
  ],
};

/** Deterministic small numbers for the larger shapes. */
function numbers(count: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0;
  return Array.from({length: count}, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return scale * (s / 2 ** 32 - 0.5) * 2;
  });
}

const RANK3 = {
  shape: [2, 2, 3],
  x0: numbers(12, 1),
  grads: [numbers(12, 2, 0.1), numbers(12, 3, 3), numbers(12, 4, 0.5)],
};

// Gradients of one sign: with a sign change the first moment cancels and float32 loses digits.
const SCALAR = {shape: [] as number[], x0: [0.7], grads: [[0.05], [-2], [-0.3]]};

interface Case {
  name: string;
  options: AdafactorOptions;
  params: Array<{shape: number[]; x0: number[]; grads: number[][]}>;
  /** The reference must clip at some step (checks that the case exercises clipping). */
  expectClipping?: boolean;
}

const CASES: Case[] = [
  {name: 'matrix, factored, defaults (no beta1)', options: {}, params: [MATRIX], expectClipping: true},
  {name: 'matrix, factored, beta1 0.9', options: {beta1: 0.9}, params: [MATRIX], expectClipping: true},
  {name: 'vector, unfactored, defaults', options: {}, params: [VECTOR], expectClipping: true},
  {name: 'vector, unfactored, beta1 0.9', options: {beta1: 0.9}, params: [VECTOR], expectClipping: true},
  {name: 'matrix with factored: false', options: {factored: false}, params: [MATRIX], expectClipping: true},
  {name: 'rank 3 (factored over the last two axes) and a scalar together', options: {beta1: 0.5}, params: [RANK3, SCALAR]},
  {
    name: 'explicit schedule, no parameter scale, weight decay, exponent 0.5, threshold 0.5',
    options: {
      learningRate: (t: number) => 0.3 / t,
      multiplyByParameterScale: false,
      weightDecayRate: 0.01,
      decayExponent: 0.5,
      clippingThreshold: 0.5,
      beta1: 0.8,
    },
    params: [MATRIX, VECTOR],
    expectClipping: true,
  },
  {name: 'large constant learning rate with parameter scale, clipping off', options: {learningRate: 0.5, clippingThreshold: null}, params: [MATRIX, VECTOR]},
  {name: 'relative step without parameter scale (× 0.05)', options: {multiplyByParameterScale: false}, params: [VECTOR]},
];

function refConfig(options: AdafactorOptions): RefConfig {
  return {...REF_DEFAULTS, ...(options as Partial<RefConfig>)};
}

async function slotsByName(opt: Adafactor): Promise<Map<string, tf.Tensor>> {
  const weights = await opt.getWeights();
  return new Map(weights.map((w) => [w.name, w.tensor]));
}

describe('Adafactor against a float64 reference of the paper', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const cfg = refConfig(c.options);
      const opt = new Adafactor(c.options);
      const vars = c.params.map((p) => variableOf(p.x0, p.shape));
      const refs = c.params.map((p) => new RefParam(p.shape, p.x0, cfg));
      for (let step = 0; step < 3; step++) {
        const grads: Record<string, tf.Tensor> = {};
        c.params.forEach((p, i) => (grads[vars[i]!.name] = tf.tensor(p.grads[step]!, p.shape, 'float32')));
        opt.applyGradients(grads);
        tf.dispose(Object.values(grads));
        refs.forEach((r, i) => {
          r.step(step + 1, c.params[i]!.grads[step]!);
          expectRelativeClose(vars[i]!, r.x, 1e-6, `${c.name}: param ${i} after step ${step + 1}`);
        });
        const slots = await slotsByName(opt);
        expect(await slots.get('iter')!.data()).toEqual(new Int32Array([step + 1]));
        refs.forEach((r, i) => {
          const expected = r.expectedSlots();
          const names = [...slots.keys()].filter((n) => n.startsWith(`${vars[i]!.name}/`));
          expect(names.sort()).toEqual(Object.keys(expected).map((s) => `${vars[i]!.name}/${s}`).sort());
          for (const [slot, values] of Object.entries(expected)) {
            expectRelativeClose(slots.get(`${vars[i]!.name}/${slot}`)!, values, 1e-6, `${c.name}: slot ${slot} of param ${i}, step ${step + 1}`);
          }
        });
        tf.dispose([...slots.values()]);
      }
      if (c.expectClipping) expect(refs.some((r) => r.clipped.some(Boolean))).toBe(true);
      expect(opt.iterations).toBe(3);
      opt.dispose();
      tf.dispose(vars);
    });
  }

  it('has the slot shapes of the paper: [rows] and [cols] for a matrix, none for beta1 0', async () => {
    const w = tf.tidy(() => tf.variable(tf.ones([4, 5])));
    const b = tf.tidy(() => tf.variable(tf.ones([5])));
    const opt = new Adafactor();
    opt.applyGradients({[w.name]: tf.onesLike(w), [b.name]: tf.onesLike(b)});
    const weights = await opt.getWeights();
    expect(weights.map((e) => [e.name, e.tensor.shape])).toEqual([
      ['iter', []],
      [`${w.name}/vr`, [4]],
      [`${w.name}/vc`, [5]],
      [`${b.name}/v`, [5]],
    ]);
    tf.dispose(weights.map((e) => e.tensor));
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('minimize() follows the reference with gradients of the current parameters', async () => {
    const target = [1, -2, 0.5, 0.25, 3, -1];
    const w = variableOf(MATRIX.x0, [2, 3]);
    const t = tf.tensor(target, [2, 3]);
    const opt = new Adafactor({learningRate: 0.2, beta1: 0.9});
    const ref = new RefParam([2, 3], MATRIX.x0, refConfig({learningRate: 0.2, beta1: 0.9}));
    for (let step = 1; step <= 3; step++) {
      const g = ref.x.map((x, i) => 2 * (Math.fround(x) - target[i]!));
      opt.minimize(() => tf.sum(tf.square(tf.sub(w, t))) as tf.Scalar, false, [w]);
      ref.step(step, g);
      expectRelativeClose(w, ref.x, 1e-6, `minimize step ${step}`);
    }
    opt.dispose();
    tf.dispose([w, t]);
  });

  it('keys state by variable name: list or map, any order, any subset', () => {
    const run = (order: 'map' | 'list' | 'reversed-list') => {
      const w = variableOf(MATRIX.x0, [2, 3]);
      const b = variableOf(VECTOR.x0, [3]);
      const opt = new Adafactor({beta1: 0.9});
      for (let step = 0; step < 3; step++) {
        const gw = tf.tensor(MATRIX.grads[step]!, [2, 3]);
        const gb = tf.tensor(VECTOR.grads[step]!, [3]);
        // Step 2 updates only w, so positions would shift for an optimizer keyed by position.
        const entries = step === 1 ? [{name: w.name, tensor: gw}] : [{name: w.name, tensor: gw}, {name: b.name, tensor: gb}];
        if (order === 'map') opt.applyGradients(Object.fromEntries(entries.map((e) => [e.name, e.tensor])));
        else opt.applyGradients(order === 'list' ? entries : [...entries].reverse());
        tf.dispose([gw, gb]);
      }
      const out = [w.dataSync().slice(), b.dataSync().slice()];
      opt.dispose();
      tf.dispose([w, b]);
      return out;
    };
    const a = run('map');
    expect(run('list')).toEqual(a);
    expect(run('reversed-list')).toEqual(a);
  });
});

describe('Adafactor state', () => {
  /** Runs steps [from, to) of a two-parameter problem on variables named `prefix/w` and `prefix/b`. */
  function steps(opt: Adafactor, w: tf.Variable, b: tf.Variable, from: number, to: number): void {
    for (let s = from; s < to; s++) {
      const gw = tf.tensor(numbers(6, 10 + s, s === 1 ? 3 : 0.3), [2, 3]);
      const gb = tf.tensor(numbers(3, 20 + s, 0.2), [3]);
      opt.applyGradients([
        {name: w.name, tensor: gw},
        {name: b.name, tensor: gb},
      ]);
      tf.dispose([gw, gb]);
    }
  }

  for (const options of [{beta1: 0.9}, {factored: false, learningRate: constantSchedule(0.05)}] as AdafactorOptions[]) {
    it(`getWeights/setWeights resumes exactly (${JSON.stringify(options)})`, async () => {
      const name = `adafactor-resume-${Math.random().toString(36).slice(2)}`;
      let w = variableOf(MATRIX.x0, [2, 3], `${name}/w`);
      let b = variableOf(VECTOR.x0, [3], `${name}/b`);
      const first = new Adafactor(options);
      steps(first, w, b, 0, 2);
      const saved = await first.getWeights();
      const savedW = tf.clone(w);
      const savedB = tf.clone(b);
      steps(first, w, b, 2, 4);
      const expectedW = tf.clone(w);
      const expectedB = tf.clone(b);
      const expectedState = await first.getWeights();
      first.dispose();
      tf.dispose([w, b]);

      // A new run: same variable names, restored values and optimizer state.
      w = tf.variable(savedW, true, `${name}/w`);
      b = tf.variable(savedB, true, `${name}/b`);
      const resumed = new Adafactor(options);
      await resumed.setWeights(saved);
      tf.dispose(saved.map((e) => e.tensor)); // the optimizer keeps its own references
      expect(resumed.iterations).toBe(2);
      steps(resumed, w, b, 2, 4);
      expectTensorEqual(w, expectedW.dataSync(), 'w after resume');
      expectTensorEqual(b, expectedB.dataSync(), 'b after resume');
      const state = await resumed.getWeights();
      expect(state.map((e) => e.name)).toEqual(expectedState.map((e) => e.name));
      state.forEach((e, i) => expectTensorEqual(e.tensor, expectedState[i]!.tensor.dataSync(), e.name));
      resumed.dispose();
      tf.dispose([w, b, savedW, savedB, expectedW, expectedB, ...state.map((e) => e.tensor), ...expectedState.map((e) => e.tensor)]);
    });
  }

  it('leaks nothing: steps, getWeights, setWeights, dispose', async () => {
    await expectNoLeaks(async () => {
      const w = variableOf(MATRIX.x0, [2, 3]);
      const b = variableOf(VECTOR.x0, [3]);
      const opt = new Adafactor({beta1: 0.9, weightDecayRate: 0.01});
      const loss = () => tf.add(tf.sum(tf.square(w)), tf.sum(tf.mul(b, 3))) as tf.Scalar;
      opt.minimize(loss);
      const afterFirst = tf.memory().numTensors;
      opt.minimize(loss);
      opt.minimize(loss);
      expect(tf.memory().numTensors).toBe(afterFirst);
      const weights = await opt.getWeights();
      await opt.setWeights(weights);
      await opt.setWeights(weights); // replacing restored state frees it
      tf.dispose(weights.map((e) => e.tensor));
      opt.minimize(loss);
      opt.dispose();
      tf.dispose([w, b]);
    });
  });

  it('getConfig round-trips through the constructor', () => {
    const opt = new Adafactor({beta1: 0.9, clippingThreshold: null, learningRate: 0.01});
    const copy = new Adafactor(opt.getConfig() as AdafactorOptions);
    expect(copy.getConfig()).toEqual(opt.getConfig());
    expect(Adafactor.className).toBe('Adafactor');
    expect(() => new Adafactor(new Adafactor({learningRate: (t) => 1 / t}).getConfig() as AdafactorOptions)).toThrow(
      /learningRate: a schedule cannot be restored/,
    );
  });
});

describe('Adafactor errors', () => {
  it.each([
    [{beta1: 1}, /options\.beta1: expected a number in \[0, 1\), got 1/],
    [{decayExponent: 0}, /options\.decayExponent: expected a number in \(0, 1\], got 0/],
    [{clippingThreshold: -1}, /options\.clippingThreshold: expected a finite number > 0 or null \(no clipping\), got -1/],
    [{learningRate: -0.1}, /options\.learningRate: expected a finite number >= 0 or a schedule/],
    [{epsilon2: Number.NaN}, /options\.epsilon2: expected a finite number >= 0, got NaN/],
    [{factored: 'yes'}, /options\.factored: expected true or false, got "yes"/],
    [{momentum: 0.9}, /options\.momentum: expected one of the options .* got unknown option "momentum"/],
  ])('rejects options %j', (options, message) => {
    expect(() => new Adafactor(options as AdafactorOptions)).toThrow(message);
  });

  it('rejects gradients of unknown variables or of the wrong shape, before changing anything', async () => {
    const w = tf.tidy(() => tf.variable(tf.ones([2, 3])));
    const opt = new Adafactor();
    const good = tf.ones([2, 3]);
    const bad = tf.ones([3, 2]);
    expect(() => opt.applyGradients({[w.name]: good, 'no-such-variable': good})).toThrow(
      /Adafactor\.applyGradients: variable "no-such-variable": expected the name of a registered tf\.Variable/,
    );
    expect(() => opt.applyGradients({[w.name]: bad})).toThrow(
      new RegExp(`gradient of "${w.name}": expected a float32 tensor of shape \\[2, 3\\] \\(the variable's shape\\), got a float32 tensor of shape \\[3, 2\\]`),
    );
    expect(opt.iterations).toBe(0);
    expectTensorEqual(w, [1, 1, 1, 1, 1, 1]);
    opt.dispose();
    tf.dispose([w, good, bad]);
  });

  it('rejects a schedule that returns a bad value, naming the step', () => {
    const w = tf.tidy(() => tf.variable(tf.ones([3])));
    const g = tf.ones([3]);
    const opt = new Adafactor({learningRate: () => Number.NaN});
    expect(() => opt.applyGradients({[w.name]: g})).toThrow(/options\.learningRate\(1\): expected the schedule to return a finite number >= 0, got NaN/);
    opt.dispose();
    tf.dispose([w, g]);
  });

  it('rejects restored state that does not fit', async () => {
    const w = tf.tidy(() => tf.variable(tf.ones([2, 3])));
    const g = tf.ones([2, 3]);
    const opt = new Adafactor();
    await expect(opt.setWeights([])).rejects.toThrow(/Adafactor\.setWeights: weightValues: expected a non-empty list/);
    const vr = tf.zeros([3]);
    await expect(opt.setWeights([{name: `${w.name}/vr`, tensor: vr}])).rejects.toThrow(
      /Adafactor\.setWeights: weightValues\[0\]: expected the iteration count named "iter"/,
    );
    const iter = tf.scalar(4, 'int32');
    await expect(opt.setWeights([{name: 'iter', tensor: iter}, {name: `${w.name}/moment`, tensor: vr}])).rejects.toThrow(
      /weights\[1\]\.name: expected "<variable name>\/<slot>" with slot one of vr, vc, v, m/,
    );
    await opt.setWeights([{name: 'iter', tensor: iter}, {name: `${w.name}/vr`, tensor: vr}]);
    expect(() => opt.applyGradients({[w.name]: g})).toThrow(
      new RegExp(`slot "${w.name}/vr": expected shape \\[2\\] for variable "${w.name}" of shape \\[2, 3\\], got \\[3\\]`),
    );
    opt.dispose();
    tf.dispose([w, g, vr, iter]);
  });
});
