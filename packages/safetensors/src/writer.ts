import {DTYPE_SIZES, isDtype, WRITER_DTYPE_RANK, type Dtype} from './dtypes.js';
import {SafetensorsError} from './errors.js';
import {floatToBfloat16Bits, floatToFloat16Bits} from './float16.js';

/**
 * A tensor to write: its dtype, shape and either `data` (values, converted to the dtype) or `bytes`
 * (its little-endian bytes as they go into the file).
 *
 * `data` per dtype: F64/F32 take numbers (F32 rounds to nearest). F16/BF16 take numbers, which are
 * rounded to float32 and then to 16 bits, to nearest with ties to even, or a `Uint16Array` of bit
 * patterns, written as they are. Integer dtypes take integers (numbers or bigints) within the dtype's
 * range. BOOL takes booleans or 0/1.
 */
export interface TensorToWrite {
  dtype: Dtype;
  shape: readonly number[];
  data?: ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean>;
  bytes?: Uint8Array;
}

const INT_RANGES: Partial<Record<Dtype, [bigint, bigint]>> = {
  I64: [-(2n ** 63n), 2n ** 63n - 1n],
  U64: [0n, 2n ** 64n - 1n],
  I32: [-(2n ** 31n), 2n ** 31n - 1n],
  U32: [0n, 2n ** 32n - 1n],
  I16: [-(2n ** 15n), 2n ** 15n - 1n],
  U16: [0n, 2n ** 16n - 1n],
  I8: [-128n, 127n],
  U8: [0n, 255n],
};

// Code point order, which is the byte order of UTF-8 names (the reference writer's order).
function compareNames(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  while (true) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return (ca.done ? 0 : 1) - (cb.done ? 0 : 1);
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * Writes tensors (and optional string metadata) as a safetensors file, laid out as the reference writer
 * does: tensors ordered by dtype (wider elements first, so each is aligned to its element size) then by
 * name, the header JSON padded with spaces to a multiple of 8 bytes.
 */
export function serializeSafetensors(
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  if (tensors === null || typeof tensors !== 'object') {
    throw new SafetensorsError(`tensors: expected an object of named tensors, got ${String(tensors)}`);
  }
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new SafetensorsError(`metadata: expected an object of strings, got ${String(metadata)}`);
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        throw new SafetensorsError(`metadata['${key}']: expected a string, got ${typeof value}`);
      }
    }
  }

  const encoded = Object.keys(tensors).map((name) => encodeTensor(name, tensors[name]!));
  encoded.sort((a, b) => WRITER_DTYPE_RANK[b.dtype] - WRITER_DTYPE_RANK[a.dtype] || compareNames(a.name, b.name));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header['__metadata__'] = {...metadata};
  let offset = 0;
  for (const t of encoded) {
    header[t.name] = {dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength]};
    offset += t.bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.byteLength / 8) * 8;

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  let position = 8 + headerLength;
  for (const t of encoded) {
    out.set(t.bytes, position);
    position += t.bytes.byteLength;
  }
  return out;
}

interface EncodedTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

function encodeTensor(name: string, tensor: TensorToWrite): EncodedTensor {
  const where = `tensor '${name}'`;
  if (name === '__metadata__') throw new SafetensorsError(`${where}: the name is reserved for the metadata`);
  if (tensor === null || typeof tensor !== 'object') {
    throw new SafetensorsError(`${where}: expected {dtype, shape, data | bytes}, got ${String(tensor)}`);
  }
  const {dtype, shape, data, bytes} = tensor;
  if (!isDtype(dtype)) {
    throw new SafetensorsError(
      `${where}: unknown dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(DTYPE_SIZES).join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  const byteLength = size * DTYPE_SIZES[dtype];
  if ((data === undefined) === (bytes === undefined)) {
    throw new SafetensorsError(`${where}: give exactly one of data and bytes`);
  }
  if (bytes !== undefined) {
    if (!(bytes instanceof Uint8Array) || bytes.byteLength !== byteLength) {
      throw new SafetensorsError(
        `${where}: bytes must be a Uint8Array of ${byteLength} bytes for shape ${JSON.stringify(shape)} of ${dtype}, ` +
          `got ${bytes instanceof Uint8Array ? `${bytes.byteLength} bytes` : typeof bytes}`,
      );
    }
    return {name, dtype, shape: [...shape], bytes: bytes.slice()};
  }
  if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
    throw new SafetensorsError(`${where}: data must be an array or typed array, got ${String(data)}`);
  }
  if (data.length !== size) {
    throw new SafetensorsError(
      `${where}: data has ${data.length} elements, but shape ${JSON.stringify(shape)} needs ${size}`,
    );
  }
  return {name, dtype, shape: [...shape], bytes: encodeData(where, dtype, data, size)};
}

function encodeData(
  where: string,
  dtype: Dtype,
  data: ArrayLike<number> | ArrayLike<bigint> | ArrayLike<boolean>,
  size: number,
): Uint8Array {
  const out = new Uint8Array(size * DTYPE_SIZES[dtype]);
  const view = new DataView(out.buffer);
  const values = data as ArrayLike<unknown>;
  const bad = (i: number, expected: string): never => {
    throw new SafetensorsError(`${where}: element ${i} is ${String(values[i])}, expected ${expected}`);
  };
  const number = (i: number): number => {
    const v = values[i];
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return bad(i, 'a number');
  };

  switch (dtype) {
    case 'F64':
      for (let i = 0; i < size; i++) view.setFloat64(8 * i, number(i), true);
      return out;
    case 'F32':
      for (let i = 0; i < size; i++) view.setFloat32(4 * i, number(i), true);
      return out;
    case 'F16':
    case 'BF16': {
      if (data instanceof Uint16Array) {
        for (let i = 0; i < size; i++) view.setUint16(2 * i, data[i]!, true);
        return out;
      }
      const convert = dtype === 'F16' ? floatToFloat16Bits : floatToBfloat16Bits;
      for (let i = 0; i < size; i++) view.setUint16(2 * i, convert(number(i)), true);
      return out;
    }
    case 'BOOL':
      for (let i = 0; i < size; i++) {
        const v = values[i];
        if (v === true || v === 1) out[i] = 1;
        else if (v === false || v === 0) out[i] = 0;
        else bad(i, 'a boolean or 0/1');
      }
      return out;
    default: {
      const [min, max] = INT_RANGES[dtype]!;
      const [minNumber, maxNumber] = [Number(min), Number(max)];
      const width = DTYPE_SIZES[dtype];
      for (let i = 0; i < size; i++) {
        const v = values[i];
        let n: number | bigint;
        if (typeof v === 'number' && Number.isSafeInteger(v)) {
          if (v < minNumber || v > maxNumber) bad(i, `an integer in [${min}, ${max}] for ${dtype}`);
          n = v;
        } else if (typeof v === 'bigint') {
          if (v < min || v > max) bad(i, `an integer in [${min}, ${max}] for ${dtype}`);
          n = v;
        } else {
          return bad(i, `an integer for ${dtype}`);
        }
        // Two's complement: the unsigned setters write negative values' bit patterns.
        if (width === 8) view.setBigUint64(8 * i, BigInt.asUintN(64, BigInt(n)), true);
        else if (width === 4) view.setUint32(4 * i, Number(n) >>> 0, true);
        else if (width === 2) view.setUint16(2 * i, Number(n) & 0xffff, true);
        else out[i] = Number(n) & 0xff;
      }
      return out;
    }
  }
}
