export {registerWebGPUKernels} from './register.js';
export {MAX_BINDING_FLAG, STORED_SCORES_FLAG} from './attention/index.js';
export {registerWebGPUBackend, SUBGROUPS_FLAG, webgpuSubgroupsEnabled} from './device/subgroups.js';
