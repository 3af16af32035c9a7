// @reformerjs/safetensors: write tensors in Hugging Face's format and read them back, with no tfjs needed.
import {parseSafetensors, serializeSafetensors} from '@reformerjs/safetensors';

const bytes = serializeSafetensors(
  {
    'embeddings.weight': {dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6])},
    'half.weight': {dtype: 'F16', shape: [2], data: [0.1, -2]}, // rounded to nearest float16, ties to even
    input_ids: {dtype: 'I64', shape: [2], data: [5, 7]},
  },
  {format: 'pt'},
);
console.log('file size:', bytes.length, 'bytes');

const file = parseSafetensors(bytes); // validates the whole header and layout first
console.log('metadata:', JSON.stringify(file.metadata));
console.log('names:', file.names.join(', ')); // in the file's order: wider dtypes first, then by name
const weight = file.get('embeddings.weight');
console.log('embeddings.weight:', weight.dtype, JSON.stringify(weight.shape), Array.from(weight.toFloat32()).join(' '));
console.log('half.weight:', Array.from(file.get('half.weight').toFloat32()).join(' '));
console.log('input_ids:', Array.from(file.get('input_ids').toInt32()).join(' '));

// A file cut short (4 bytes missing) is rejected with a message that says what is wrong.
try {
  parseSafetensors(bytes.subarray(0, bytes.length - 4));
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
