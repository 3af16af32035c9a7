import * as tf from '@tensorflow/tfjs-core';
import {sortByBuckets} from '@reformerjs/lsh-hash';
import {expectRelativeClose} from '@reformerjs/test-utils';
import {describe, it} from 'vitest';
import {duplicateLogitOffset} from './duplicates.js';
import {int} from './gather-rows.js';

describe('duplicateLogitOffset', () => {
  it('counts the rounds in which a key shares the query window, as trax does', () => {
    // Four tokens in one bucket, two rounds, chunks of two: both rounds sort to the same order, so the sorted
    // slots are r0:[t0 t1 | t2 t3] r1:[t0 t1 | t2 t3] (chunks 0..3), each chunk also seeing the previous one.
    const buckets = tf.tensor4d([0, 0, 0, 0, 2, 2, 2, 2], [1, 1, 2, 4], 'int32');
    const sort = sortByBuckets(buckets);
    const positions = tf.mod(sort.sortedIndices, int(4)) as tf.Tensor3D;
    const offset = duplicateLogitOffset({
      slotPositions: positions,
      undoSortedIndices: sort.undoSortedIndices,
      rounds: 2,
      length: 4,
      chunkLength: 2,
      numChunksBefore: 1,
      numChunksAfter: 0,
    });
    const l2 = Math.log(2);
    // [chunks 4, chunkLength 2, window 4]: window = previous chunk, own chunk.
    const expected = [
      // chunk 0 (r0 t0 t1) sees chunk 3 (r1 t2 t3: only through the wrap, count 0 -> floor 1) and itself (2 rounds).
      [0, 0, l2, l2],
      [0, 0, l2, l2],
      // chunk 1 (r0 t2 t3) sees chunk 0 (t0 t1) and itself: together in both rounds.
      [l2, l2, l2, l2],
      [l2, l2, l2, l2],
      // chunk 2 (r1 t0 t1) sees chunk 1 (r0 t2 t3, which t0 never sees in its own rounds) and itself.
      [0, 0, l2, l2],
      [0, 0, l2, l2],
      // chunk 3 (r1 t2 t3) sees chunk 2 and itself.
      [l2, l2, l2, l2],
      [l2, l2, l2, l2],
    ].flat();
    expectRelativeClose(offset, expected, 1e-7, 'log counts');
    tf.dispose([buckets, sort.sortedIndices, sort.undoSortedIndices, positions, offset]);
  });
});
