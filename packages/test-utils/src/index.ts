export {relativeError, expectRelativeClose, expectTensorEqual} from './compare.js';
export {checkGradients, type CheckGradientsOptions} from './gradients.js';
export {expectNoLeaks} from './leaks.js';
export {
  goldenFixturesDir,
  goldenCaseNames,
  loadGoldenCase,
  readSafetensorsFile,
  toTfTensor,
  type GoldenCase,
} from './golden.js';
