export {SafetensorsError} from './errors.js';
export {DTYPES, DTYPE_SIZES, isDtype, isFloatDtype, type Dtype} from './dtypes.js';
export {
  parseSafetensors,
  DEFAULT_MAX_HEADER_BYTES,
  type ParseOptions,
  type SafetensorsFile,
  type SafetensorsTensor,
  type NativeArray,
} from './reader.js';
export {serializeSafetensors, type TensorToWrite} from './writer.js';
export {
  floatToFloat16Bits,
  floatToBfloat16Bits,
  float16BitsToFloat,
  bfloat16BitsToFloat,
  float16ToFloat32Array,
  bfloat16ToFloat32Array,
} from './float16.js';
