import {describe, expect, it} from 'vitest';
import {
  bfloat16BitsToFloat,
  bfloat16ToFloat32Array,
  float16BitsToFloat,
  float16ToFloat32Array,
  floatToBfloat16Bits,
  floatToFloat16Bits,
} from './float16.js';

const fromF32Bits = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

describe('float32 -> float16 (round to nearest, ties to even)', () => {
  const cases: [string, number, number][] = [
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['1', 1, 0x3c00],
    ['-2', -2, 0xc000],
    ['0.1', 0.1, 0x2e66],
    ['largest half 65504', 65504, 0x7bff],
    ['65519 rounds down to 65504', 65519, 0x7bff],
    ['65520 is a tie, rounds to even = infinity', 65520, 0x7c00],
    ['1e6 overflows to infinity', 1e6, 0x7c00],
    ['-infinity', -Infinity, 0xfc00],
    ['smallest subnormal 2^-24', 2 ** -24, 0x0001],
    ['2^-25 is a tie, rounds to even = 0', 2 ** -25, 0x0000],
    ['just above 2^-25 rounds up', fromF32Bits(0x33000001), 0x0001],
    ['3 * 2^-25 is a tie, rounds to even = 2 * 2^-24', 3 * 2 ** -25, 0x0002],
    ['tiny underflows to -0', -1e-10, 0x8000],
    ['largest subnormal', 1023 * 2 ** -24, 0x03ff],
    ['tie between largest subnormal and smallest normal carries', 1023.5 * 2 ** -24, 0x0400],
    ['smallest normal 2^-14', 2 ** -14, 0x0400],
    ['1 + 2^-11 is a tie, rounds to even = 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11 is a tie, rounds to even = 1 + 2^-9', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2^-11 + 2^-20 rounds up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
  ];
  for (const [label, value, bits] of cases) {
    it(label, () => expect(floatToFloat16Bits(value).toString(16)).toBe(bits.toString(16)));
  }
  it('NaN stays a quiet NaN', () => {
    const bits = floatToFloat16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x0200).toBe(0x0200);
  });
});

describe('float16 -> float', () => {
  const cases: [number, number][] = [
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x7bff, 65504],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [bits, value] of cases) {
    it(`0x${bits.toString(16)} = ${value}`, () => {
      expect(float16BitsToFloat(bits)).toBe(value);
      expect(float16ToFloat32Array(new Uint16Array([bits]))[0]).toBe(value);
    });
  }
  it('keeps -0 and NaN', () => {
    expect(Object.is(float16BitsToFloat(0x8000), -0)).toBe(true);
    expect(Object.is(float16ToFloat32Array(new Uint16Array([0x8000]))[0], -0)).toBe(true);
    expect(float16ToFloat32Array(new Uint16Array([0x7e00, 0xfc01]))).toEqual(new Float32Array([NaN, NaN]));
  });
  it('round-trips every non-NaN half exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const floats = float16ToFloat32Array(all);
    for (let i = 0; i < 65536; i++) {
      if (Number.isNaN(floats[i])) continue;
      if (floatToFloat16Bits(floats[i]!) !== i) throw new Error(`half 0x${i.toString(16)} did not round-trip`);
    }
  });
});

describe('float32 -> bfloat16 (round to nearest, ties to even)', () => {
  const cases: [string, number, number][] = [
    ['+0', 0, 0x0000],
    ['-0', -0, 0x8000],
    ['1', 1, 0x3f80],
    ['-2', -2, 0xc000],
    ['1 + 2^-8 is a tie, rounds to even = 1', 1 + 2 ** -8, 0x3f80],
    ['1 + 3 * 2^-8 is a tie, rounds to even = 1 + 2^-6', 1 + 3 * 2 ** -8, 0x3f82],
    ['1 + 2^-8 + 2^-20 rounds up', 1 + 2 ** -8 + 2 ** -20, 0x3f81],
    ['largest float32 rounds to infinity', fromF32Bits(0x7f7fffff), 0x7f80],
    ['infinity', Infinity, 0x7f80],
    ['-infinity', -Infinity, 0xff80],
    ['smallest float32 subnormal rounds to 0', fromF32Bits(0x00000001), 0x0000],
    ['subnormal tie rounds to even', fromF32Bits(0x00018000), 0x0002],
    ['subnormal tie stays even', fromF32Bits(0x00028000), 0x0002],
    ['0.1', 0.1, 0x3dcd],
  ];
  for (const [label, value, bits] of cases) {
    it(label, () => expect(floatToBfloat16Bits(value).toString(16)).toBe(bits.toString(16)));
  }
  it('NaN stays a quiet NaN', () => {
    expect(floatToBfloat16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
    expect(floatToBfloat16Bits(fromF32Bits(0x7f800001)) & 0x7fc0).toBe(0x7fc0); // signalling NaN, low bits only
  });
});

describe('bfloat16 -> float', () => {
  it('decodes normal, subnormal, infinite, NaN and signed zero values', () => {
    expect(bfloat16BitsToFloat(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat(0x0001)).toBe(2 ** -133);
    expect(bfloat16BitsToFloat(0xff80)).toBe(-Infinity);
    expect(Number.isNaN(bfloat16BitsToFloat(0x7fc0))).toBe(true);
    const arr = bfloat16ToFloat32Array(new Uint16Array([0x3f80, 0x8000, 0x0001, 0x7f80, 0xc000]));
    expect(Array.from(arr)).toEqual([1, -0, 2 ** -133, Infinity, -2]);
    expect(Object.is(arr[1], -0)).toBe(true);
  });
});
