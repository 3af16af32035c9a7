import {DTYPE_SIZES, isDtype, isFloatDtype, type Dtype} from './dtypes.js';
import {SafetensorsError} from './errors.js';
import {bfloat16ToFloat32Array, float16ToFloat32Array} from './float16.js';
import {parseStrictJson, type JsonObject, type JsonValue} from './strict-json.js';

/** The default bound on the JSON header's size (the reference implementation's bound too). */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

export interface ParseOptions {
  /** Reject headers longer than this many bytes (default 100 MB), before reading them. */
  maxHeaderBytes?: number;
}

/** The typed array that holds a dtype's elements natively (F16/BF16 as their raw 16-bit patterns). */
export type NativeArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** One tensor of a parsed file. Its bytes are a view into the file; every conversion returns a fresh array. */
export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Number of elements (product of the shape; 1 for a scalar). */
  readonly size: number;
  /** [begin, end) within the data buffer, as written in the header. */
  readonly dataOffsets: readonly [number, number];
  /** The raw little-endian bytes (a view into the parsed file, not a copy). */
  bytes(): Uint8Array;
  /** Float dtypes (F64, F32, F16, BF16) as float32; F64 rounds to nearest. Other dtypes throw. */
  toFloat32(): Float32Array;
  /** Integer dtypes and BOOL as int32; a value outside the int32 range throws, naming the tensor and index. */
  toInt32(): Int32Array;
  /** A copy in the dtype's own typed array (F16 and BF16 as Uint16Array bit patterns, BOOL as Uint8Array). */
  toTypedArray(): NativeArray;
}

export interface SafetensorsFile {
  /** The `__metadata__` map, or an empty object when the file has none. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor names in header order. */
  readonly names: readonly string[];
  /** Size of the data buffer after the header, in bytes. */
  readonly dataByteLength: number;
  has(name: string): boolean;
  /** The named tensor; throws naming the missing tensor. */
  get(name: string): SafetensorsTensor;
  tensors(): SafetensorsTensor[];
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isSafeNonNegativeInteger(v: JsonValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses and validates a safetensors file. Throws a {@link SafetensorsError} naming the tensor and the
 * problem for anything the format forbids: a file shorter than 8 bytes, a header length beyond the file
 * or above `maxHeaderBytes`, a header that is not a JSON object (or repeats a key), an unknown dtype, a
 * shape that is not a list of non-negative integers, data offsets outside the data buffer, overlapping,
 * leaving gaps or not ending at its end, a byte count that does not match the shape, or metadata that is
 * not a string-to-string map.
 */
export function parseSafetensors(bytes: Uint8Array, opts: ParseOptions = {}): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new SafetensorsError(`bytes: expected a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  }
  const maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (bytes.byteLength < 8) {
    throw new SafetensorsError(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength64 = view.getBigUint64(0, true);
  if (headerLength64 > BigInt(maxHeaderBytes)) {
    throw new SafetensorsError(`header length ${headerLength64} exceeds the limit of ${maxHeaderBytes} bytes`);
  }
  const headerLength = Number(headerLength64);
  if (8 + headerLength > bytes.byteLength) {
    throw new SafetensorsError(
      `header length ${headerLength} runs past the end of the file (${bytes.byteLength} bytes, ` +
        `${bytes.byteLength - 8} after the length field)`,
    );
  }
  if (headerLength === 0 || bytes[8] !== 0x7b) {
    throw new SafetensorsError(`header: expected a JSON object starting with '{'`);
  }
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', {fatal: true}).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError('header: not valid UTF-8');
  }
  const header = parseStrictJson(headerText, 'header');
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new SafetensorsError(`header: expected a JSON object, got ${describe(header)}`);
  }

  const dataStart = 8 + headerLength;
  const dataByteLength = bytes.byteLength - dataStart;
  const metadata = readMetadata(header['__metadata__']);
  const entries = new Map<string, TensorEntry>();

  for (const name of Object.keys(header)) {
    if (name === '__metadata__') continue;
    entries.set(name, readEntry(name, header[name]!, dataByteLength));
  }
  checkCoverage([...entries.values()], dataByteLength);

  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries.values()) tensors.set(entry.name, makeTensor(entry, bytes, dataStart));
  const names = Object.freeze([...tensors.keys()]);

  return {
    metadata,
    names,
    dataByteLength,
    has: (name) => tensors.has(name),
    get: (name) => {
      const t = tensors.get(name);
      if (t === undefined) throw new SafetensorsError(`no tensor named '${name}' (the file has ${names.length})`);
      return t;
    },
    tensors: () => [...tensors.values()],
  };
}

interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  size: number;
  begin: number;
  end: number;
}

function readMetadata(raw: JsonValue | undefined): Readonly<Record<string, string>> {
  const metadata: Record<string, string> = {};
  if (raw === undefined) return Object.freeze(metadata);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SafetensorsError(`__metadata__: expected an object of strings, got ${describe(raw)}`);
  }
  for (const key of Object.keys(raw)) {
    const value = raw[key]!;
    if (typeof value !== 'string') {
      throw new SafetensorsError(`__metadata__['${key}']: expected a string value, got ${describe(value)}`);
    }
    Object.defineProperty(metadata, key, {value, enumerable: true, writable: false, configurable: false});
  }
  return Object.freeze(metadata);
}

function readEntry(name: string, raw: JsonValue, dataByteLength: number): TensorEntry {
  const where = `tensor '${name}'`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SafetensorsError(`${where}: expected {dtype, shape, data_offsets}, got ${describe(raw)}`);
  }
  const info = raw as JsonObject;
  for (const key of Object.keys(info)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') {
      throw new SafetensorsError(`${where}: unexpected field '${key}' (expected only dtype, shape, data_offsets)`);
    }
  }
  const dtype = info['dtype'];
  if (!isDtype(dtype)) {
    throw new SafetensorsError(
      `${where}: unknown dtype ${describe(dtype)} (expected one of ${Object.keys(DTYPE_SIZES).join(', ')})`,
    );
  }
  const shape = info['shape'];
  if (!Array.isArray(shape) || !shape.every(isSafeNonNegativeInteger)) {
    throw new SafetensorsError(`${where}: shape must be a list of non-negative integers, got ${describe(shape)}`);
  }
  let size = 1;
  for (const d of shape as number[]) {
    size *= d;
    if (!Number.isSafeInteger(size)) {
      throw new SafetensorsError(`${where}: shape ${describe(shape)} has too many elements`);
    }
  }
  const offsets = info['data_offsets'];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSafeNonNegativeInteger)) {
    throw new SafetensorsError(
      `${where}: data_offsets must be [begin, end] with non-negative integers, got ${describe(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) {
    throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  }
  if (end > dataByteLength) {
    throw new SafetensorsError(
      `${where}: data_offsets [${begin}, ${end}] run past the end of the data buffer (${dataByteLength} bytes)`,
    );
  }
  const expectedBytes = size * DTYPE_SIZES[dtype];
  if (end - begin !== expectedBytes) {
    throw new SafetensorsError(
      `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape ${describe(shape)} of ` +
        `${dtype} needs ${expectedBytes}`,
    );
  }
  return {name, dtype, shape: [...(shape as number[])], size, begin, end};
}

// The format requires the tensors to tile the data buffer exactly: no overlap (two names for the same
// bytes), no gaps (bytes nothing accounts for, a place to hide data) and nothing after the last tensor.
function checkCoverage(entries: TensorEntry[], dataByteLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorEntry | undefined;
  for (const e of sorted) {
    if (e.begin < covered) {
      throw new SafetensorsError(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap tensor '${previous!.name}' ` +
          `[${previous!.begin}, ${previous!.end}]`,
      );
    }
    if (e.begin > covered) {
      throw new SafetensorsError(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave bytes [${covered}, ${e.begin}) ` +
          'of the data buffer unused (tensors must be contiguous)',
      );
    }
    covered = e.end;
    if (e.end > e.begin || previous === undefined) previous = e;
  }
  if (covered !== dataByteLength) {
    throw new SafetensorsError(
      `the tensors cover ${covered} bytes but the data buffer after the header has ${dataByteLength}` +
        (previous ? ` (the last tensor, '${previous.name}', ends at ${covered})` : ''),
    );
  }
}

function makeTensor(entry: TensorEntry, file: Uint8Array, dataStart: number): SafetensorsTensor {
  const {name, dtype, shape, size, begin, end} = entry;
  const raw = file.subarray(dataStart + begin, dataStart + end);
  // A fresh, aligned copy of the bytes: typed arrays need their element alignment.
  const alignedCopy = (): ArrayBuffer => raw.slice().buffer;

  const toTypedArray = (): NativeArray => {
    if (!littleEndianHost) return readBigEndianHost(dtype, raw, size);
    const buffer = alignedCopy();
    switch (dtype) {
      case 'F64': return new Float64Array(buffer);
      case 'F32': return new Float32Array(buffer);
      case 'F16':
      case 'BF16':
      case 'U16': return new Uint16Array(buffer);
      case 'I64': return new BigInt64Array(buffer);
      case 'U64': return new BigUint64Array(buffer);
      case 'I32': return new Int32Array(buffer);
      case 'U32': return new Uint32Array(buffer);
      case 'I16': return new Int16Array(buffer);
      case 'I8': return new Int8Array(buffer);
      case 'U8':
      case 'BOOL': return new Uint8Array(buffer);
    }
  };

  const toFloat32 = (): Float32Array => {
    if (!isFloatDtype(dtype)) {
      throw new SafetensorsError(`tensor '${name}': toFloat32 needs a float dtype (F64, F32, F16, BF16), got ${dtype}`);
    }
    const native = toTypedArray();
    if (dtype === 'F32') return native as Float32Array;
    if (dtype === 'F16') return float16ToFloat32Array(native as Uint16Array);
    if (dtype === 'BF16') return bfloat16ToFloat32Array(native as Uint16Array);
    return Float32Array.from(native as Float64Array);
  };

  const toInt32 = (): Int32Array => {
    if (isFloatDtype(dtype)) {
      throw new SafetensorsError(`tensor '${name}': toInt32 needs an integer or BOOL dtype, got ${dtype}`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Int32Array(size);
    const outOfRange = (i: number, value: bigint | number): never => {
      throw new SafetensorsError(
        `tensor '${name}': element ${i} (${value}) of ${dtype} is outside the int32 range [-2147483648, 2147483647]`,
      );
    };
    switch (dtype) {
      case 'I64':
      case 'U64':
        for (let i = 0; i < size; i++) {
          const lo = view.getInt32(8 * i, true);
          const hi = view.getInt32(8 * i + 4, true);
          // In range exactly when the high word is the sign extension of the low word (and, unsigned, zero).
          const fits = dtype === 'I64' ? hi === lo >> 31 : hi === 0 && lo >= 0;
          if (!fits) outOfRange(i, dtype === 'I64' ? view.getBigInt64(8 * i, true) : view.getBigUint64(8 * i, true));
          out[i] = lo;
        }
        return out;
      case 'U32':
        for (let i = 0; i < size; i++) {
          const v = view.getUint32(4 * i, true);
          if (v > 0x7fffffff) outOfRange(i, v);
          out[i] = v;
        }
        return out;
      case 'BOOL':
        for (let i = 0; i < size; i++) {
          const v = raw[i]!;
          if (v > 1) throw new SafetensorsError(`tensor '${name}': element ${i} of BOOL is ${v}, expected 0 or 1`);
          out[i] = v;
        }
        return out;
      default:
        out.set(toTypedArray() as Int32Array | Int16Array | Uint16Array | Int8Array | Uint8Array);
        return out;
    }
  };

  return Object.freeze({
    name,
    dtype,
    shape: Object.freeze(shape),
    size,
    dataOffsets: Object.freeze([begin, end]) as readonly [number, number],
    bytes: () => raw,
    toFloat32,
    toInt32,
    toTypedArray,
  });
}

function readBigEndianHost(dtype: Dtype, raw: Uint8Array, size: number): NativeArray {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const numbers = <A extends {[i: number]: number}>(out: A, read: (i: number) => number): A => {
    for (let i = 0; i < size; i++) out[i] = read(i);
    return out;
  };
  const bigints = <A extends {[i: number]: bigint}>(out: A, read: (i: number) => bigint): A => {
    for (let i = 0; i < size; i++) out[i] = read(i);
    return out;
  };
  switch (dtype) {
    case 'F64': return numbers(new Float64Array(size), (i) => view.getFloat64(8 * i, true));
    case 'F32': return numbers(new Float32Array(size), (i) => view.getFloat32(4 * i, true));
    case 'F16':
    case 'BF16':
    case 'U16': return numbers(new Uint16Array(size), (i) => view.getUint16(2 * i, true));
    case 'I64': return bigints(new BigInt64Array(size), (i) => view.getBigInt64(8 * i, true));
    case 'U64': return bigints(new BigUint64Array(size), (i) => view.getBigUint64(8 * i, true));
    case 'I32': return numbers(new Int32Array(size), (i) => view.getInt32(4 * i, true));
    case 'U32': return numbers(new Uint32Array(size), (i) => view.getUint32(4 * i, true));
    case 'I16': return numbers(new Int16Array(size), (i) => view.getInt16(2 * i, true));
    case 'I8': return new Int8Array(raw.slice().buffer);
    case 'U8':
    case 'BOOL': return raw.slice();
  }
}
