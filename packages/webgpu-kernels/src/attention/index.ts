export {chunkedAttentionKernels, MAX_BINDING_FLAG, STORED_SCORES_FLAG} from './chunked-attention-kernel.js';
