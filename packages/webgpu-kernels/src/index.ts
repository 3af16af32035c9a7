export {registerWebGPUKernels} from './register.js';
export {MAX_BINDING_FLAG} from './attention/index.js';
