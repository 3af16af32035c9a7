export {chunkedAttentionKernels} from './chunked-attention-kernel.js';
