export {reversibleStack, reconstructInputs} from './stack.js';
export type {ReversibleStackOptions, ReconstructOptions} from './stack.js';
export type {ReversibleLayer, ReversibleFunction, ReversibleBranchVjp} from './layer.js';
export type {ReversibleContext} from './context.js';
export type {StackMode} from './validate.js';
export {deriveSeed} from './seed.js';
export {vjp} from './vjp.js';
export type {VjpResult} from './vjp.js';
