import {ChunkProgram, queryTileSnippet} from './chunk-program.js';
import {chunkPrelude, type ChunkLayout} from './layout.js';

/**
 * Gradients of the keys and values, key-major: one workgroup per chunk of sorted keys, `lanes` threads per key. The
 * query chunks whose window holds this key chunk are chunk + BEFORE − w for w in [0, WINDOW) (the forward's
 * relation inverted, with the same wrap-around); their queries, output gradients, normalisers and deltas are
 * staged by position a tile at a time. Each thread accumulates its key's dk_j = Σ_i dS_ij q_i and
 * dv_j = Σ_i P_ij dO_i in registers: no two threads write the same slot, so no atomics.
 *
 * Output: float32 [rows, rounds, P, 2 * headSize] in sequence order: dk then dv per (round, position);
 * RoundSumProgram adds the rounds.
 */
export class ChunkAttentionKeyGradProgram extends ChunkProgram {
  constructor(layout: ChunkLayout, groupRows: number) {
    super(layout, groupRows, {name: 'reformerChunkKeyGrad', inputs: ['query', 'key', 'value', 'dOutput', 'rowStats'], recordFloats: 2 * layout.headSize});
  }

  getUserCode(): string {
    return `
${chunkPrelude(this.layout)}
${queryTileSnippet(this.layout)}

fn main(_globalIndex : i32) {
  let group = uniformGroupIndex();
  if (group >= uniforms.numGroups) { return; }
  let p = uniforms.paddedLength;
  let row = uniforms.rowOffset + group / uniforms.chunksPerRow;
  let chunk = group % uniforms.chunksPerRow;
  let t = i32(localId.x);
  let slot = chunk * CHUNK + t / LANES;
  let lane = (t % LANES) * DL; // this thread's first vec4 of the row
  let keyPosition = slotPosition(row, slot);
  let keyValid = isValidKey(row, keyPosition);

  var k : array<vec4<f32>, DL>;
  var v : array<vec4<f32>, DL>;
  var dk : array<vec4<f32>, DL>;
  var dv : array<vec4<f32>, DL>;
  let keyBase = (row * p + keyPosition) * D4 + lane;
  for (var d = 0; d < DL; d++) {
    k[d] = key[keyBase + d];
    v[d] = value[keyBase + d];
    dk[d] = vec4<f32>(0.0);
    dv[d] = vec4<f32>(0.0);
  }

  for (var w = 0; w < WINDOW; w++) {
    let queryChunk = wrapChunk(chunk + BEFORE - w);
    if (skipQueryChunk(chunk, queryChunk)) { continue; }
    for (var tile = 0; tile < CHUNK; tile += TILE) {
      stageQueries(row, queryChunk, tile, t);
      for (var i = 0; i < TILE; i++) {
        let queryPosition = tilePosition[i];
        var partial = vec2<f32>(0.0);
        for (var d = 0; d < DL; d++) {
          partial += vec2<f32>(dot(tileQuery[i * D4 + lane + d], k[d]), dot(tileDOut[i * D4 + lane + d], v[d]));
        }
        let dots = laneSum2(partial); // (q·k, dO·v)
        let stats = tileStats[i];
        let probability = exp(maskedLogit(dots.x, queryPosition, keyPosition, keyValid) - stats.x) * stats.y;
        let dLogit = select(probability * (dots.y - stats.z), 0.0, isMasked(queryPosition, keyPosition, keyValid));
        for (var d = 0; d < DL; d++) {
          dv[d] += probability * tileDOut[i * D4 + lane + d];
          dk[d] += dLogit * tileQuery[i * D4 + lane + d];
        }
      }
    }
  }

  let round = slot / p;
  let outBase = (((row - uniforms.rowOffset) * ROUNDS + round) * p + keyPosition) * 2 * D4;
  for (var d = 0; d < DL; d++) {
    result[outBase + lane + d] = dk[d];
    result[outBase + D4 + lane + d] = dv[d];
  }
}
`;
  }
}
