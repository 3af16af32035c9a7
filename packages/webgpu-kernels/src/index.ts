export {registerWebGPUKernels} from './register.js';
