/** The element types this package reads and writes (names as they appear in a safetensors header). */
export type Dtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** Bytes per element of each dtype. */
export const DTYPE_SIZES: Readonly<Record<Dtype, number>> = Object.freeze({
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
});

export const DTYPES: readonly Dtype[] = Object.freeze(Object.keys(DTYPE_SIZES) as Dtype[]);

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, value);
}

export function isFloatDtype(dtype: Dtype): boolean {
  return dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

/**
 * The order the reference (Rust) writer lays tensors out in: by this rank, highest first, then by name.
 * Larger elements come first, so with a header padded to 8 bytes every tensor is aligned to its element size.
 * The rank is the position in the reference implementation's dtype enum.
 */
export const WRITER_DTYPE_RANK: Readonly<Record<Dtype, number>> = Object.freeze({
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 5,
  U16: 6,
  F16: 7,
  BF16: 8,
  I32: 9,
  U32: 10,
  F32: 11,
  F64: 12,
  I64: 13,
  U64: 14,
});
