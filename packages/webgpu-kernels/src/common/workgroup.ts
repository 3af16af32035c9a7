/**
 * Helpers shared by programs that give each workgroup one unit of work (a row, a tile) rather than one thread per
 * output element.
 */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * WGSL: `flatWorkgroupIndex()`, the workgroup's index in a 1-D dispatch. tfjs reshapes a dispatch above the
 * per-dimension limit (65535) into two or three dimensions, so the index is rebuilt from all three.
 * `uniformWorkgroupIndex()` returns the same value through workgroupUniformLoad: tfjs passes the builtins through
 * private variables, which the uniformity analysis treats as non-uniform, and workgroups branch on their index
 * before barriers.
 */
export const WORKGROUP_INDEX_WGSL = `
var<workgroup> sharedWorkgroupIndex : u32;

fn flatWorkgroupIndex() -> u32 {
  return workgroupId.x + numWorkgroups.x * (workgroupId.y + numWorkgroups.y * workgroupId.z);
}

fn uniformWorkgroupIndex() -> u32 {
  if (localIndex == 0u) { sharedWorkgroupIndex = flatWorkgroupIndex(); }
  return workgroupUniformLoad(&sharedWorkgroupIndex);
}
`;

/** The dispatch of `workgroups` workgroups along x (tfjs reshapes it when it is above the limit). */
export function linearDispatch(workgroups: number): [number, number, number] {
  return [Math.max(1, workgroups), 1, 1];
}

/** Reinterprets a tensor's data under another shape of the same size, without a copy. */
export function withShape(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return {dataId: t.dataId, shape, dtype: t.dtype};
}

/** int32 uniforms, in the order of the program's `uniforms` declaration. */
export function intUniforms(...values: number[]): Array<{type: 'int32'; data: number[]}> {
  return values.map((v) => ({type: 'int32' as const, data: [v]}));
}
