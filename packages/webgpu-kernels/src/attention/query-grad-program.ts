import {ChunkProgram, keyTileSnippet} from './chunk-program.js';
import {chunkPrelude, storedScoresFloats, type ChunkLayout} from './layout.js';

/**
 * Gradient of the queries, query-major: the forward's workgroup layout (one workgroup per chunk of sorted queries,
 * `lanes` threads per query, neighbouring keys and values staged by position a tile at a time). Probabilities are
 * recomputed from the saved normaliser over all rounds: P_ij = exp(s_ij − max_i) / sum_i, dS_ij = P_ij (dO_i·v_j − delta_i),
 * dq_i = Σ_j dS_ij k_j. A masked logit is a constant, so its dS is zero.
 *
 * Output: float32 [rows, rounds, P, record] in sequence order: each round's share of dq (RoundSumProgram adds them),
 * then, with `storeScores`, the pairs (P_ij, dS_ij) of the query's window keys, two keys per vec4 in window order
 * (storedScoresRecord), which ChunkAttentionKeyGradFromScoresProgram reads instead of recomputing them.
 */
export class ChunkAttentionQueryGradProgram extends ChunkProgram {
  constructor(
    layout: ChunkLayout,
    groupRows: number,
    private readonly storeScores: boolean,
  ) {
    super(layout, groupRows, {
      name: storeScores ? 'reformerChunkQueryGradScores' : 'reformerChunkQueryGrad',
      inputs: ['query', 'key', 'value', 'dOutput', 'rowStats'],
      recordFloats: layout.headSize + (storeScores ? storedScoresFloats(layout) : 0),
    });
  }

  getUserCode(): string {
    const record = this.layout.headSize / 4 + (this.storeScores ? storedScoresFloats(this.layout) / 4 : 0);
    return `
${chunkPrelude(this.layout)}
${keyTileSnippet(this.layout, 'flat')}

fn main(_globalIndex : i32) {
  let group = uniformGroupIndex();
  if (group >= uniforms.numGroups) { return; }
  let p = uniforms.paddedLength;
  let row = uniforms.rowOffset + group / uniforms.chunksPerRow;
  let chunk = group % uniforms.chunksPerRow;
  let t = i32(localId.x);
  let slot = chunk * CHUNK + t / LANES;
  let lane = (t % LANES) * DL; // this thread's first vec4 of the row
  let queryPosition = slotPosition(row, slot);

  var q : array<vec4<f32>, DL>;
  var dOut : array<vec4<f32>, DL>;
  var dq : array<vec4<f32>, DL>;
  let queryBase = (row * p + queryPosition) * D4 + lane;
  for (var d = 0; d < DL; d++) {
    q[d] = query[queryBase + d];
    dOut[d] = dOutput[queryBase + d];
    dq[d] = vec4<f32>(0.0);
  }
  let stats = rowStats[row * p + queryPosition];
  let rowMax = stats.x;
  let rowInvSum = stats.y;
  let rowDelta = stats.z;
  let recordBase = (((row - uniforms.rowOffset) * ROUNDS + slot / p) * p + queryPosition) * ${record};
  var pendingScores = vec2<f32>(0.0); // (P, dS) of the last even window key, written with the next one

  for (var w = 0; w < WINDOW; w++) {
    let keyChunk = wrapChunk(chunk + w - BEFORE);
    if (skipKeyChunk(chunk, keyChunk)) { continue; }
    stageKeyChunk(row, keyChunk, t);
    for (var tile = 0; tile < CHUNK; tile += TILE) {
      stageKeys(row, tile, t);
      for (var j0 = 0; j0 < TILE; j0 += GRAD_BLOCK) {
        var dLogits : array<f32, GRAD_BLOCK>;
        for (var b = 0; b < GRAD_BLOCK; b++) {
          let j = j0 + b;
          let keyPosition = chunkPosition[tile + j];
          let keyValid = chunkValid[tile + j] != 0u;
          var partial = vec2<f32>(0.0);
          for (var d = 0; d < DL; d++) {
            partial += vec2<f32>(dot(q[d], tileKey[j * D4 + lane + d]), dot(dOut[d], tileValue[j * D4 + lane + d]));
          }
          let dots = laneSum2(partial); // (q·k, dO·v)
          let probability = exp(maskedLogit(dots.x, queryPosition, keyPosition, keyValid) - rowMax) * rowInvSum;
          dLogits[b] = select(probability * (dots.y - rowDelta), 0.0, isMasked(queryPosition, keyPosition, keyValid));${
            this.storeScores
              ? `
          let windowKey = w * CHUNK + tile + j;
          if (windowKey % 2 == 0) {
            pendingScores = vec2<f32>(probability, dLogits[b]);
          } else {
            result[recordBase + D4 + windowKey / 2] = vec4<f32>(pendingScores, probability, dLogits[b]);
          }`
              : ''
          }
        }
        for (var b = 0; b < GRAD_BLOCK; b++) {
          let j = j0 + b;
          for (var d = 0; d < DL; d++) { dq[d] += dLogits[b] * tileKey[j * D4 + lane + d]; }
        }
      }
    }
  }

  for (var d = 0; d < DL; d++) { result[recordBase + lane + d] = dq[d]; }
}
`;
  }
}
