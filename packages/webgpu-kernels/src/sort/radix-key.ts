/**
 * WGSL shared by the radix programs: the digits of a bucket and the per-row header.
 *
 * Pass p sorts by digit p of u = u32(key - rowMin) (wrapping u32 arithmetic: exact for any int32 keys, since
 * max - min < 2^32), so an LSD sequence of passes orders a row by key. The first pass runs before the row minimum
 * is known and counts the raw low digit, key & MASK; digit 0 of u is (key & MASK) - (rowMin & MASK) mod BINS, so
 * the first scatter lays the bins out starting at bin rowMin & MASK, which gives the order of digit 0 of u.
 *
 * The header (the first scan's output from `headerOffset` on) holds [min, max] per row. Pass p > 0 is needed for a
 * row only when its range max - min has a bit at or above p * digitBits; otherwise every key of the row has digit
 * p = 0 and the pass would leave the order as it is.
 *
 * `headerName`: the input that holds the header, or null where there is none yet (the first histogram).
 * The including shader defines MASK and the uniforms shift and headerOffset.
 */
export function radixKeyWGSL(headerName: string | null): string {
  const common = `
const I32_MAX = 2147483647;
const I32_MIN = -2147483647 - 1;

fn firstDigit(key : i32) -> u32 {
  return bitcast<u32>(key) & MASK;
}
`;
  if (headerName === null) return common;
  return `${common}
fn rowMinimum(row : u32) -> i32 {
  return ${headerName}[u32(uniforms.headerOffset) + 2u * row];
}

fn rowRange(row : u32) -> u32 {
  let at = u32(uniforms.headerOffset) + 2u * row;
  return bitcast<u32>(${headerName}[at + 1u]) - bitcast<u32>(${headerName}[at]);
}

fn passNeeded(row : u32) -> bool {
  return (rowRange(row) >> u32(uniforms.shift)) != 0u;
}

fn digitOf(key : i32, rowMin : i32) -> u32 {
  return ((bitcast<u32>(key) - bitcast<u32>(rowMin)) >> u32(uniforms.shift)) & MASK;
}
`;
}
