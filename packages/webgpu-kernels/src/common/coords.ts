/**
 * WGSL: `coords4(index, dims)`, the coordinates of a flat index in a row-major array of `dims` (four axes, innermost
 * last), as a vec4<i32>: what the programs that copy vec4s between layouts (transposes, tiles) start from.
 */
export const COORDS4_WGSL = `
fn coords4(index : i32, d : vec4<i32>) -> vec4<i32> {
  return vec4<i32>(index / (d.w * d.z * d.y), (index / (d.w * d.z)) % d.y, (index / d.w) % d.z, index % d.w);
}
`;
