import {ChunkProgram, keyTileSnippet} from './chunk-program.js';
import {chunkPrelude, type ChunkLayout} from './layout.js';

/**
 * Chunked attention forward, one workgroup per chunk of sorted queries, `lanes` threads per query. The keys and values
 * of each neighbouring chunk are read by position into workgroup memory a tile at a time (never gathered into
 * sorted copies in global memory), and the softmax runs online (flash-attention style): a running maximum and
 * sum per query, rescaled once per register block of logits.
 *
 * Output: float32 [rows, rounds, P, headSize + 4] in sequence order (each (round, position) is one slot, so the
 * writes never collide): the round's attention output, then its softmax normaliser as (max logit, sum of
 * exp(logit − max)) in two of four extra floats, which keep rows vec4-aligned. The pair, unlike its logsumexp,
 * is exact when the max is a mask value (−1e5 + log 2 is not a float32). RoundSumProgram and
 * RoundNormaliserProgram combine the rounds.
 */
export class ChunkAttentionForwardProgram extends ChunkProgram {
  constructor(layout: ChunkLayout, groupRows: number) {
    super(layout, groupRows, {name: 'reformerChunkForward', inputs: ['query', 'key', 'value'], recordFloats: layout.headSize + 4});
  }

  getUserCode(): string {
    return `
${chunkPrelude(this.layout)}
${keyTileSnippet(this.layout, 'rows')}

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
  var acc : array<vec4<f32>, DL>;
  let queryBase = (row * p + queryPosition) * D4 + lane;
  for (var d = 0; d < DL; d++) {
    q[d] = query[queryBase + d];
    acc[d] = vec4<f32>(0.0);
  }
  var runMax = -3.0e38;
  var runSum = 0.0;

  for (var w = 0; w < WINDOW; w++) {
    let keyChunk = wrapChunk(chunk + w - BEFORE);
    if (skipKeyChunk(chunk, keyChunk)) { continue; }
    stageKeyChunk(row, keyChunk, t);
    for (var tile = 0; tile < CHUNK; tile += TILE) {
      stageKeys(row, tile, t);
      for (var j0 = 0; j0 < TILE; j0 += BLOCK) {
        var logits : array<f32, BLOCK>;
        var blockMax = -3.0e38;
        for (var b = 0; b < BLOCK; b++) {
          let j = j0 + b;
          var dotQK = 0.0;
          for (var d = 0; d < DL; d++) { dotQK += dot(q[d], tileKey[j][lane + d]); }
          logits[b] = maskedLogit(laneSum(dotQK), queryPosition, chunkPosition[tile + j], chunkValid[tile + j] != 0u);
          blockMax = max(blockMax, logits[b]);
        }
        let newMax = max(runMax, blockMax);
        let rescale = exp(runMax - newMax);
        runSum *= rescale;
        for (var d = 0; d < DL; d++) { acc[d] *= rescale; }
        for (var b = 0; b < BLOCK; b++) {
          let weight = exp(logits[b] - newMax);
          runSum += weight;
          let j = j0 + b;
          for (var d = 0; d < DL; d++) { acc[d] += weight * tileValue[j][lane + d]; }
        }
        runMax = newMax;
      }
    }
  }

  let round = slot / p;
  let outBase = (((row - uniforms.rowOffset) * ROUNDS + round) * p + queryPosition) * (D4 + 1);
  for (var d = 0; d < DL; d++) { result[outBase + lane + d] = acc[d] / runSum; }
  if (lane == 0) { result[outBase + D4] = vec4<f32>(runMax, runSum, 0.0, 0.0); }
}
`;
  }
}
