import {describe, expect, it} from 'vitest';
import {parseArgs} from '../args.js';
import {kernelTable, kernelTotals, programTotals, runProfile} from './profile.js';

describe('kernelTotals and kernelTable', () => {
  it('sums the kernels by name, most time first, with up to three distinct input shapes', () => {
    const kernels = [
      {name: 'Add', inputShapes: [[2], [2]], kernelTimeMs: 0.5},
      {name: 'MatMul', inputShapes: [[2, 3], [3, 4]], kernelTimeMs: 2},
      {name: 'Add', inputShapes: [[2], [2]], kernelTimeMs: 0.25},
      {name: 'Add', inputShapes: [[4], []], kernelTimeMs: {error: 'no timer'}},
    ];
    const totals = kernelTotals(kernels);
    expect(totals).toEqual([
      {name: 'MatMul', ms: 2, calls: 1, shapes: ['[[2,3],[3,4]]']},
      {name: 'Add', ms: 0.75, calls: 3, shapes: ['[[2],[2]]', '[[4],[]]']},
    ]);
    expect(kernelTable(totals, 1).split('\n')).toEqual(['kernel    ms  calls  input shapes', '------  ----  -----', 'MatMul  2.00      1  [[2,3],[3,4]]']);
  });
});

describe('programTotals', () => {
  it("sums the programs of kernels that ran several by kernel and program, and skips other kernels' info", () => {
    const kernels = [
      {name: 'Grad', inputShapes: [], kernelTimeMs: 3, extraInfo: 'QueryGrad: 2, RoundSum: 1'},
      {name: 'Grad', inputShapes: [], kernelTimeMs: 1.5, extraInfo: 'QueryGrad: 1, RoundSum: 0.5'},
      {name: 'BatchMatMul', inputShapes: [], kernelTimeMs: 4, extraInfo: 'MatMulProgram: 4'},
      {name: 'Add', inputShapes: [], kernelTimeMs: 0.1, extraInfo: ''},
    ];
    expect(programTotals(kernels)).toEqual([
      {name: 'Grad > QueryGrad', ms: 3, calls: 2, shapes: []},
      {name: 'Grad > RoundSum', ms: 1.5, calls: 2, shapes: []},
    ]);
  });
});

describe('runProfile', () => {
  const small = ['profile', '--backend', 'cpu', '--lengths', '64', '--hashes', '2', '--heads', '2', '--head-size', '8', '--chunk', '16'];
  for (const workload of ['layer', 'model']) {
    it(`profiles the ${workload} workload and prints its kernels`, async () => {
      const lines: string[] = [];
      await runProfile({name: 'cpu', software: false, asynchronous: false}, parseArgs([...small, '--workload', workload]), (line) => lines.push(line));
      const text = lines.join('\n');
      expect(text).toMatch(workload === 'model' ? /a training step of 2 reversible LSH-2 layers/ : /one LSH-2 layer, forward and backward/);
      expect(text).toMatch(/batch 1 x 64 tokens, 2 heads of 8, chunk 16/);
      expect(text).toMatch(/one run under tf\.profile: \d+ kernels, [\d.]+ ms in all/);
      expect(text).toMatch(/\nBatchMatMul +[\d.]+ +\d+ +\[\[/);
    });
  }
});
