import * as tf from '@tensorflow/tfjs-core';

/** An int32 scalar: ops given a plain number infer float32 and would turn int32 bookkeeping into floats. */
export function int(n: number): tf.Scalar {
  return tf.scalar(n, 'int32');
}

/**
 * Row-wise gather for bookkeeping tensors (positions, buckets, masks), which need no gradient:
 * `out[r, j, ...] = table[r, indices[r, j], ...]`, through one plain gather with flat indices (valid on every
 * backend, unlike a gather with batch dimensions).
 *
 * table [rows, m, ...rest], indices int32 [rows, n] -> [rows, n, ...rest]
 */
export function gatherRows(table: tf.Tensor, indices: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const [rows, m, ...rest] = table.shape;
    const n = indices.shape[1];
    const flatTable = tf.reshape(table, [rows! * m!, ...rest]); // [rows*m, ...rest]
    const rowStarts = tf.reshape(tf.mul(tf.range(0, rows!, 1, 'int32'), int(m!)), [rows!, 1]); // [rows, 1]
    const flatIndices = tf.reshape(tf.add(indices, rowStarts), [rows! * n]); // [rows*n]
    return tf.reshape(tf.gather(flatTable, flatIndices, 0), [rows!, n, ...rest]); // [rows, n, ...rest]
  });
}
