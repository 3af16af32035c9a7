/**
 * WGSL: `coords4(index, dims)`, the coordinates of a flat index in a row-major array of `dims` (four axes, innermost
 * last), as a vec4<i32>, and `offset4(coords, strides)`: what the programs that copy vec4s between layouts
 * (transposes, tiles) compute their source from.
 */
export const COORDS4_WGSL = `
fn coords4(index : i32, d : vec4<i32>) -> vec4<i32> {
  return vec4<i32>(index / (d.w * d.z * d.y), (index / (d.w * d.z)) % d.y, (index / d.w) % d.z, index % d.w);
}

// The offset of coordinates c in an array of strides s.
fn offset4(c : vec4<i32>, s : vec4<i32>) -> i32 {
  return c.x * s.x + c.y * s.y + c.z * s.z + c.w * s.w;
}
`;
