export {chunkedAttentionKernels, MAX_BINDING_FLAG} from './chunked-attention-kernel.js';
