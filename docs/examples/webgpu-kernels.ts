import * as tf from '@tensorflow/tfjs';
import {LSHSelfAttention} from '@reformerjs/lsh-attention';
import {FUSED_KERNELS_FLAG} from '@reformerjs/lsh-hash';
import {registerWebGPUKernels} from '@reformerjs/webgpu-kernels';

// In a browser with WebGPU (or Node with the `webgpu` package), first:
//   import '@tensorflow/tfjs-backend-webgpu'; await tf.setBackend('webgpu');
// Elsewhere the kernels stay registered but unused: every other backend runs the reference path.
registerWebGPUKernels();

const layer = new LSHSelfAttention({hiddenSize: 64, numHeads: 2, headSize: 32, chunkLength: 32, numHashes: 2, numBuckets: 8, causal: true, seed: 1});
const x = tf.randomNormal([1, 256, 64], 0, 1, 'float32', 2) as tf.Tensor3D;
const {output} = layer.apply(x, {seed: 3});
console.log(`backend: ${tf.getBackend()}, fused kernels enabled: ${tf.env().getBool(FUSED_KERNELS_FLAG)}`);
console.log(`output shape: ${output.shape.join(' x ')}`);
tf.dispose([x, output]);
layer.dispose();
