import {ChunkProgram, queryTileSnippet} from './chunk-program.js';
import {chunkPrelude, storedScoresFloats, type ChunkLayout} from './layout.js';

/**
 * Gradients of the keys and values from stored scores: ChunkAttentionKeyGradProgram's workgroup layout (one
 * workgroup per chunk of sorted keys, one thread per key, the query chunks whose window holds it visited in turn,
 * their queries and output gradients staged by position a tile at a time), but P_ij and dS_ij are read from the
 * query-major program's records (`scores`: [rows, rounds, P, headSize + storedScoresFloats] float32 in sequence
 * order) instead of recomputed: dk_j = Σ_i dS_ij q_i and dv_j = Σ_i P_ij dO_i, two products per pair, and a thread
 * holds its two accumulators only. The masks were applied where the scores were made (dS is zero for masked pairs).
 *
 * Output: float32 [rows, rounds, P, 2 * headSize] in sequence order: dk then dv per (round, position);
 * RoundSumProgram adds the rounds.
 */
export class ChunkAttentionKeyGradFromScoresProgram extends ChunkProgram {
  constructor(layout: ChunkLayout, groupRows: number) {
    super(layout, groupRows, {name: 'reformerChunkKeyGradFromScores', inputs: ['query', 'dOutput', 'scores'], recordFloats: 2 * layout.headSize});
  }

  getUserCode(): string {
    const scoresRecord = this.layout.headSize / 4 + storedScoresFloats(this.layout) / 4;
    return `
${chunkPrelude(this.layout)}
${queryTileSnippet(this.layout, false)}

fn main(_globalIndex : i32) {
  let group = uniformGroupIndex();
  if (group >= uniforms.numGroups) { return; }
  let p = uniforms.paddedLength;
  let row = uniforms.rowOffset + group / uniforms.chunksPerRow;
  let chunk = group % uniforms.chunksPerRow;
  let t = i32(localId.x);
  let slot = chunk * CHUNK + t;
  let keyPosition = slotPosition(row, slot);

  var dk : array<vec4<f32>, D4>;
  var dv : array<vec4<f32>, D4>;
  for (var d = 0; d < D4; d++) {
    dk[d] = vec4<f32>(0.0);
    dv[d] = vec4<f32>(0.0);
  }

  for (var w = 0; w < WINDOW; w++) {
    let queryChunk = wrapChunk(chunk + BEFORE - w);
    if (skipQueryChunk(chunk, queryChunk)) { continue; }
    let queryRound = queryChunk * CHUNK / p;
    let windowKey = w * CHUNK + t; // this key's place in the query chunk's window
    for (var tile = 0; tile < CHUNK; tile += TILE) {
      stageQueries(row, queryChunk, tile, t);
      for (var i = 0; i < TILE; i++) {
        let record = (((row - uniforms.rowOffset) * ROUNDS + queryRound) * p + tilePosition[i]) * ${scoresRecord};
        let pair = scores[record + D4 + windowKey / 2];
        let stored = select(pair.xy, pair.zw, windowKey % 2 == 1); // (P_ij, dS_ij)
        for (var d = 0; d < D4; d++) {
          dv[d] += stored.x * tileDOut[i * D4 + d];
          dk[d] += stored.y * tileQuery[i * D4 + d];
        }
      }
    }
  }

  let round = slot / p;
  let outBase = (((row - uniforms.rowOffset) * ROUNDS + round) * p + keyPosition) * 2 * D4;
  for (var d = 0; d < D4; d++) {
    result[outBase + d] = dk[d];
    result[outBase + D4 + d] = dv[d];
  }
}
`;
  }
}
