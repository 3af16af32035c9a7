/**
 * The `ReformerHashBuckets` kernel for the `webgpu` backend (contract: HASH_BUCKETS_KERNEL in @reformerjs/lsh-hash's
 * kernels.ts): hashVectors' product, argmax, padding bucket and round offsets in one program.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {HASH_BUCKETS_KERNEL, type HashBucketsAttrs} from '@reformerjs/lsh-hash';

import {withFloatStorage} from '../common/float-storage.js';
import {intUniforms} from '../common/workgroup.js';
import {HASH_TILE_POSITIONS, HashBucketsProgram} from './hash-buckets-program.js';

type TensorInfo = tf.TensorInfo;

const fail = (message: string): never => {
  throw new Error(`${HASH_BUCKETS_KERNEL}: ${message}`);
};
const shapeText = (t: TensorInfo) => `[${t.shape.join(', ')}]`;

function checkFactors(factors: unknown): number[] {
  const ok =
    Array.isArray(factors) &&
    factors.length > 0 &&
    factors.every((f) => typeof f === 'number' && Number.isSafeInteger(f) && f >= 2 && f % 2 === 0);
  if (!ok) fail(`factors: expected a non-empty list of even integers >= 2, got ${JSON.stringify(factors)}`);
  return factors as number[];
}

function hashBuckets({inputs, backend, attrs}: {inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap}): TensorInfo {
  const webgpu = backend as unknown as WebGPUBackend;
  const {vectors, rotations, attentionMask} = inputs as {vectors?: TensorInfo; rotations?: TensorInfo; attentionMask?: TensorInfo};
  const {factors: rawFactors, padded} = (attrs ?? {}) as Partial<HashBucketsAttrs>;
  const factors = checkFactors(rawFactors);
  if (typeof padded !== 'boolean') fail(`padded: expected a boolean, got ${JSON.stringify(padded)}`);
  if (vectors === undefined || vectors.shape.length !== 4 || vectors.dtype !== 'float32') {
    fail(`vectors: expected a float32 tensor [batch, heads, length, dim], got ${vectors ? `${vectors.dtype} ${shapeText(vectors)}` : 'none'}`);
  }
  const [batch, heads, length, dim] = vectors!.shape as [number, number, number, number];
  const halfRotation = factors.reduce((sum, f) => sum + f / 2, 0);
  if (rotations === undefined || rotations.shape.length !== 4 || rotations.dtype !== 'float32') {
    fail(`rotations: expected a float32 tensor [heads, dim, numHashes, ${halfRotation}], got ${rotations ? `${rotations.dtype} ${shapeText(rotations)}` : 'none'}`);
  }
  const [rHeads, rDim, numHashes, rHalf] = rotations!.shape as [number, number, number, number];
  if (rHeads !== heads || rDim !== dim || rHalf !== halfRotation) {
    fail(`rotations: expected shape [${heads}, ${dim}, numHashes, ${halfRotation}] (heads and dim of vectors, Σ factors / 2 columns), got ${shapeText(rotations!)}`);
  }
  if (padded) {
    if (attentionMask === undefined || attentionMask.shape.length !== 2 || attentionMask.shape[0] !== batch || attentionMask.shape[1] !== length) {
      fail(`attentionMask: expected a [${batch}, ${length}] tensor when padded, got ${attentionMask ? shapeText(attentionMask) : 'none'}`);
    }
    if (!['float32', 'int32', 'bool'].includes(attentionMask!.dtype)) {
      fail(`attentionMask: expected dtype float32, int32 or bool, got ${attentionMask!.dtype}`);
    }
  }
  const count = factors.reduce((product, f) => product * f, 1);
  const bucketsPerRound = count + (padded ? 1 : 0);
  if (numHashes * bucketsPerRound > 2 ** 31 - 1) {
    fail(`factors: expected numHashes * bucketsPerRound < 2^31, got ${numHashes} * ${bucketsPerRound}`);
  }
  const program = new HashBucketsProgram({batch, heads, length, dim, numHashes, factors, padded: padded!});
  const tiles = Math.ceil(length / HASH_TILE_POSITIONS);
  const floats = withFloatStorage(webgpu, [vectors!, rotations!]);
  const buckets = webgpu.runWebGPUProgram(
    program,
    padded ? [...floats.inputs, attentionMask!] : floats.inputs,
    'int32',
    intUniforms(batch, heads, length, dim, numHashes, halfRotation, count, bucketsPerRound, tiles),
  ); // [batch, heads, numHashes, length]
  floats.release();
  return buckets;
}

export const hashBucketsKernelConfig: tf.KernelConfig = {
  kernelName: HASH_BUCKETS_KERNEL,
  backendName: 'webgpu',
  kernelFunc: hashBuckets as unknown as tf.KernelFunc,
};

/**
 * Zero gradients, as the reference path gets from tfjs's ArgMax gradient: buckets are integers and nothing flows
 * back through them, but a tape that reaches the kernel (buckets used on the way to a loss) must not fail.
 */
export const hashBucketsGradConfig: tf.GradConfig = {
  kernelName: HASH_BUCKETS_KERNEL,
  inputsToSave: ['vectors', 'rotations'],
  gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [vectors, rotations] = saved as [tf.Tensor, tf.Tensor];
    const [batch, , length] = vectors.shape as [number, number, number, number];
    return {
      vectors: () => tf.zeros(vectors.shape, 'float32'),
      rotations: () => tf.zeros(rotations.shape, 'float32'),
      attentionMask: () => tf.zeros([batch, length], 'float32'),
    };
  },
};
