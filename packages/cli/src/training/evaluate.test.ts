import {describe, expect, it} from 'vitest';
import {evalColumns, formatTable2} from './evaluate.js';

describe("the paper's Table 2 layout", () => {
  it('orders the columns as the paper: full attention, then hash rounds from most to fewest', () => {
    expect(evalColumns(undefined, undefined).map((c) => c.label)).toEqual(['full', 'LSH-8', 'LSH-4', 'LSH-2', 'LSH-1']);
    expect(evalColumns([1, 2, 4, 8], true).map((c) => c.label)).toEqual(['full', 'LSH-8', 'LSH-4', 'LSH-2', 'LSH-1']);
    expect(evalColumns([2, 1, 2], undefined).map((c) => c.label)).toEqual(['LSH-2', 'LSH-1']);
    expect(evalColumns(undefined, true)).toEqual([{label: 'full', override: {full: true}}]);
    expect(evalColumns([4], undefined)).toEqual([{label: 'LSH-4', override: {numHashes: 4}}]);
  });

  it('prints accuracy (duplication) or bits per character (text) for the checkpoint\'s row', () => {
    const e = (accuracy: number) => ({loss: 0.1, accuracy, samples: 128, tokens: 8064});
    expect(
      formatTable2({
        task: 'duplication',
        trainedWith: 'LSH-2',
        columns: ['full', 'LSH-8', 'LSH-4', 'LSH-2', 'LSH-1'],
        values: [e(1), e(0.9996), e(0.9961), e(0.981), e(0.8775)],
        heading: 'reformer eval runs/x: duplication',
      }),
    ).toBe(
      [
        'reformer eval runs/x: duplication',
        "accuracy on the copied half; rows: attention in training, columns: attention in evaluation (the paper's Table 2)",
        '',
        'trained \\ eval     full    LSH-8    LSH-4    LSH-2    LSH-1',
        'LSH-2            100.0%   100.0%    99.6%    98.1%    87.8%',
        '',
      ].join('\n'),
    );
    const b = (bitsPerCharacter: number) => ({loss: bitsPerCharacter * Math.LN2, bitsPerCharacter, samples: 64, tokens: 16320});
    expect(
      formatTable2({task: 'text', trainedWith: 'full', columns: ['full', 'LSH-1'], values: [b(2.3456), b(2.5)], heading: 'h'}).split('\n').slice(1),
    ).toEqual([
      "bits per character on the held-out speeches (lower is better); rows: attention in training, columns: attention in evaluation (the paper's Table 2)",
      '',
      'trained \\ eval     full    LSH-1',
      'full              2.346    2.500',
      '',
    ]);
  });
});
