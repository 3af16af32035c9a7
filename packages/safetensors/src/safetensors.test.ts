/// <reference types="node" />
// Node is used only to read the golden fixtures; the package itself has no Node-only imports.
import {readFileSync, readdirSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {DTYPE_SIZES, parseSafetensors, serializeSafetensors, SafetensorsError, type Dtype, type TensorToWrite} from './index.js';

/** A file from a header (object or raw text) and a data buffer; `lengthField` overrides the header length. */
function makeFile(header: object | string, dataBytes: number | Uint8Array, lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const data = typeof dataBytes === 'number' ? new Uint8Array(dataBytes) : dataBytes;
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

const rejects = (bytes: Uint8Array, pattern: RegExp, opts?: {maxHeaderBytes?: number}): void => {
  expect(() => parseSafetensors(bytes, opts)).toThrow(SafetensorsError);
  expect(() => parseSafetensors(bytes, opts)).toThrow(pattern);
};

describe('round trip', () => {
  const cases: [Dtype, TensorToWrite['data'], (t: ReturnType<ReturnType<typeof parseSafetensors>['get']>) => unknown, unknown][] = [
    ['F64', [1.5, -2, 1e-300], (t) => Array.from(t.toTypedArray() as Float64Array), [1.5, -2, 1e-300]],
    ['F32', new Float32Array([1.5, -2, 3.25]), (t) => Array.from(t.toFloat32()), [1.5, -2, 3.25]],
    ['F16', [1, -2, 65504, 2 ** -24], (t) => Array.from(t.toFloat32()), [1, -2, 65504, 2 ** -24]],
    ['BF16', [1, -2, 2 ** 100, 0.5], (t) => Array.from(t.toFloat32()), [1, -2, 2 ** 100, 0.5]],
    ['I64', [0, -1, 2147483647, -2147483648], (t) => Array.from(t.toInt32()), [0, -1, 2147483647, -2147483648]],
    ['I32', new Int32Array([7, -7, 2147483647]), (t) => Array.from(t.toInt32()), [7, -7, 2147483647]],
    ['I16', [-32768, 32767, 0], (t) => Array.from(t.toInt32()), [-32768, 32767, 0]],
    ['I8', [-128, 127, 5], (t) => Array.from(t.toInt32()), [-128, 127, 5]],
    ['U64', [0n, 2n ** 64n - 1n], (t) => Array.from(t.toTypedArray() as BigUint64Array), [0n, 2n ** 64n - 1n]],
    ['U32', [0, 4294967295], (t) => Array.from(t.toTypedArray() as Uint32Array), [0, 4294967295]],
    ['U16', [0, 65535], (t) => Array.from(t.toInt32()), [0, 65535]],
    ['U8', [0, 255, 3], (t) => Array.from(t.toInt32()), [0, 255, 3]],
    ['BOOL', [true, false, true], (t) => Array.from(t.toInt32()), [1, 0, 1]],
  ];
  for (const [dtype, data, read, expected] of cases) {
    it(dtype, () => {
      const n = (data as ArrayLike<unknown>).length;
      const file = parseSafetensors(serializeSafetensors({x: {dtype, shape: [1, n], data}, s: {dtype, shape: [], data: [data![0]!] as never}}));
      const x = file.get('x');
      expect(x.dtype).toBe(dtype);
      expect(x.shape).toEqual([1, n]);
      expect(read(x)).toEqual(expected);
      expect(file.get('s').shape).toEqual([]);
      expect(file.get('s').size).toBe(1);
    });
  }

  it('keeps metadata, mixes dtypes aligned, and handles empty tensors', () => {
    const bytes = serializeSafetensors(
      {
        b: {dtype: 'I8', shape: [3], data: [1, 2, 3]},
        a: {dtype: 'F64', shape: [2], data: [1, 2]},
        empty: {dtype: 'F32', shape: [0, 4], data: []},
        h: {dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00])},
      },
      {format: 'pt', note: 'ü'},
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({format: 'pt', note: 'ü'});
    expect(file.names).toEqual(['a', 'empty', 'h', 'b']); // wider elements first, then by name
    expect(file.get('h').toFloat32()[0]).toBe(1);
    expect(file.get('empty').toFloat32().length).toBe(0);
    for (const t of file.tensors()) expect((8 + headerLength + t.dataOffsets[0]) % DTYPE_SIZES[t.dtype]).toBe(0);
  });

  it('accepts raw bytes and reads from a subarray view', () => {
    const inner = serializeSafetensors({x: {dtype: 'F32', shape: [2], bytes: new Uint8Array(new Float32Array([1, 2]).buffer)}});
    const padded = new Uint8Array(inner.byteLength + 3);
    padded.set(inner, 3);
    expect(Array.from(parseSafetensors(padded.subarray(3)).get('x').toFloat32())).toEqual([1, 2]);
  });

  it('converts F64 to float32 by rounding', () => {
    const file = parseSafetensors(serializeSafetensors({x: {dtype: 'F64', shape: [2], data: [0.1, 1e300]}}));
    expect(Array.from(file.get('x').toFloat32())).toEqual([Math.fround(0.1), Infinity]);
  });
});

describe('conversions refuse what they cannot represent', () => {
  it('I64 outside int32 names the tensor and element', () => {
    const file = parseSafetensors(serializeSafetensors({ids: {dtype: 'I64', shape: [2], data: [1n, 2n ** 31n]}}));
    expect(() => file.get('ids').toInt32()).toThrow(/tensor 'ids': element 1 \(2147483648\) of I64 is outside the int32 range/);
  });
  it('BOOL bytes other than 0 and 1', () => {
    const file = parseSafetensors(serializeSafetensors({m: {dtype: 'BOOL', shape: [2], bytes: new Uint8Array([1, 2])}}));
    expect(() => file.get('m').toInt32()).toThrow(/tensor 'm': element 1 of BOOL is 2, expected 0 or 1/);
    expect(Array.from(parseSafetensors(serializeSafetensors({m: {dtype: 'BOOL', shape: [2], data: [0, 1]}})).get('m').toInt32())).toEqual([0, 1]);
  });
  it('toFloat32 on an int tensor and toInt32 on a float tensor', () => {
    const file = parseSafetensors(serializeSafetensors({i: {dtype: 'I32', shape: [1], data: [1]}, f: {dtype: 'F16', shape: [1], data: [1]}}));
    expect(() => file.get('i').toFloat32()).toThrow(/tensor 'i': toFloat32 needs a float dtype/);
    expect(() => file.get('f').toInt32()).toThrow(/tensor 'f': toInt32 needs an integer/);
    expect(() => file.get('nope')).toThrow(/no tensor named 'nope'/);
  });
  it('the writer checks values, sizes and names', () => {
    expect(() => serializeSafetensors({x: {dtype: 'I8', shape: [1], data: [128]}})).toThrow(/tensor 'x': element 0 is 128, expected an integer in \[-128, 127\]/);
    expect(() => serializeSafetensors({x: {dtype: 'I32', shape: [1], data: [1.5]}})).toThrow(/element 0 is 1.5/);
    expect(() => serializeSafetensors({x: {dtype: 'F32', shape: [2, 2], data: [1, 2, 3]}})).toThrow(/data has 3 elements, but shape \[2,2\] needs 4/);
    expect(() => serializeSafetensors({x: {dtype: 'F17' as Dtype, shape: [1], data: [1]}})).toThrow(/unknown dtype "F17"/);
    expect(() => serializeSafetensors({__metadata__: {dtype: 'F32', shape: [1], data: [1]}})).toThrow(/reserved/);
    expect(() => serializeSafetensors({}, {a: 1 as unknown as string})).toThrow(/metadata\['a'\]: expected a string/);
  });
});

describe('rejects malformed files', () => {
  const ok = {x: {dtype: 'F32', shape: [2], data_offsets: [0, 8]}};

  it('accepts the well-formed base case', () => expect(parseSafetensors(makeFile(ok, 8)).names).toEqual(['x']));
  it('truncated file (shorter than 8 bytes)', () => rejects(new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte header length/));
  it('lying header length (past the end of the file)', () => rejects(makeFile(ok, 8, 1000n), /header length 1000 runs past the end of the file/));
  it('malicious huge header length', () => rejects(makeFile(ok, 8, 2n ** 63n), /header length 9223372036854775808 exceeds the limit of 100000000 bytes/));
  it('header length above a custom bound', () => rejects(makeFile(ok, 8), /exceeds the limit of 10 bytes/, {maxHeaderBytes: 10}));
  it('truncated data (offset past the end)', () => rejects(makeFile(ok, 4), /tensor 'x': data_offsets \[0, 8\] run past the end of the data buffer \(4 bytes\)/));
  it('overlapping offsets', () =>
    rejects(
      makeFile({a: {dtype: 'F32', shape: [2], data_offsets: [0, 8]}, b: {dtype: 'F32', shape: [2], data_offsets: [4, 12]}}, 12),
      /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/,
    ));
  it('a gap between tensors', () =>
    rejects(
      makeFile({a: {dtype: 'F32', shape: [1], data_offsets: [0, 4]}, b: {dtype: 'F32', shape: [1], data_offsets: [8, 12]}}, 12),
      /tensor 'b': data_offsets \[8, 12\] leave bytes \[4, 8\) of the data buffer unused/,
    ));
  it('trailing bytes after the last tensor', () => rejects(makeFile(ok, 12), /the tensors cover 8 bytes but the data buffer after the header has 12/));
  it('shape / byte count mismatch', () =>
    rejects(makeFile({x: {dtype: 'F32', shape: [3], data_offsets: [0, 8]}}, 8), /tensor 'x': data_offsets \[0, 8\] hold 8 bytes, but shape \[3\] of F32 needs 12/));
  it('unknown dtype', () => rejects(makeFile({x: {dtype: 'F8_E4M3X', shape: [8], data_offsets: [0, 8]}}, 8), /tensor 'x': unknown dtype "F8_E4M3X"/));
  it('negative or fractional shape', () => {
    rejects(makeFile({x: {dtype: 'U8', shape: [-1], data_offsets: [0, 0]}}, 0), /tensor 'x': shape must be a list of non-negative integers, got \[-1\]/);
    rejects(makeFile({x: {dtype: 'U8', shape: [1.5], data_offsets: [0, 0]}}, 0), /shape must be a list of non-negative integers/);
    rejects(makeFile({x: {dtype: 'U8', shape: 4, data_offsets: [0, 4]}}, 4), /shape must be a list/);
  });
  it('malformed data_offsets', () => {
    rejects(makeFile({x: {dtype: 'U8', shape: [1], data_offsets: [0]}}, 1), /tensor 'x': data_offsets must be \[begin, end\]/);
    rejects(makeFile({x: {dtype: 'U8', shape: [0], data_offsets: [1, 0]}}, 1), /data_offsets \[1, 0\] end before they begin/);
  });
  it('missing or extra tensor fields', () => {
    rejects(makeFile({x: {dtype: 'U8', shape: [1]}}, 1), /tensor 'x': data_offsets must be/);
    rejects(makeFile({x: {dtype: 'U8', shape: [1], data_offsets: [0, 1], extra: 1}}, 1), /tensor 'x': unexpected field 'extra'/);
    rejects(makeFile({x: 3}, 0), /tensor 'x': expected \{dtype, shape, data_offsets\}, got 3/);
  });
  it('header that is not JSON', () => rejects(makeFile('{"x": ', 0), /header: unexpected end/));
  it('header that is not an object', () => rejects(makeFile('[1, 2]', 0), /header: expected a JSON object/));
  it('header that is not UTF-8', () => {
    const bytes = makeFile('{"ab":1}', 0);
    bytes[10] = 0xff; // inside the key
    rejects(bytes, /header: not valid UTF-8/);
  });
  it('duplicate tensor names', () => rejects(makeFile('{"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}', 0), /header: duplicate key 'x'/));
  it('metadata values that are not strings', () => {
    rejects(makeFile({__metadata__: {format: 1}}, 0), /__metadata__\['format'\]: expected a string value, got 1/);
    rejects(makeFile({__metadata__: ['pt']}, 0), /__metadata__: expected an object of strings/);
  });
  it('deeply nested junk does not overflow the stack', () => rejects(makeFile('{"x":' + '['.repeat(100000), 0), /nesting deeper than 64/));
});

describe('Hugging Face golden files', () => {
  const root = fileURLToPath(new URL('../../test-utils/fixtures/hf-reformer/', import.meta.url));
  for (const name of readdirSync(root).sort()) {
    it(`${name}: model.safetensors and io.safetensors parse and re-serialize byte for byte`, () => {
      for (const fileName of ['model.safetensors', 'io.safetensors']) {
        const bytes = new Uint8Array(readFileSync(`${root}${name}/${fileName}`));
        const file = parseSafetensors(bytes);
        expect(file.names.length).toBeGreaterThan(0);
        const tensors: Record<string, TensorToWrite> = {};
        for (const t of file.tensors()) tensors[t.name] = {dtype: t.dtype, shape: t.shape, bytes: t.bytes()};
        const metadata = Object.keys(file.metadata).length > 0 ? file.metadata : undefined;
        const again = serializeSafetensors(tensors, metadata);
        expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
      }
      const model = parseSafetensors(new Uint8Array(readFileSync(`${root}${name}/model.safetensors`)));
      expect(model.metadata).toEqual({format: 'pt'});
      const word = model.get('reformer.embeddings.word_embeddings.weight');
      expect(word.dtype).toBe('F32');
      expect(word.shape).toEqual([64, 32]);
      expect(word.toFloat32().every(Number.isFinite)).toBe(true);
      const io = parseSafetensors(new Uint8Array(readFileSync(`${root}${name}/io.safetensors`)));
      expect(io.get('input_ids').dtype).toBe('I32');
      expect(io.get('input_ids').toInt32().every((v) => v >= 0 && v < 64)).toBe(true);
    });
  }
});
