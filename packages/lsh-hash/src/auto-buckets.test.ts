import {describe, expect, it} from 'vitest';

import {autoNumBuckets} from './auto-buckets.js';

// Expected values worked out by hand from Hugging Face's _set_num_buckets:
//   p = bit_length(2 * (L // c)) - 1; n = 2**p
//   limit = 2 * max(int((max_pos // c) ** 0.5), c); n > limit ? [2**(p//2), 2**(p - p//2)] : n
describe('autoNumBuckets', () => {
  it.each([
    // L, c, max_pos, expected                 2*(L//c) -> p -> 2^p ; limit
    [64, 8, 64, 16], //                         16 -> 4 -> 16 ; 2*max(2, 8) = 16, not above
    [64, 16, 64, 8], //                          8 -> 3 -> 8 ; 2*max(2, 16) = 32
    [100, 8, 4096, 16], //                      24 -> 4 -> 16 ; 2*max(22, 8) = 44
    [4096, 64, 4096, 128], //                  128 -> 7 -> 128 ; 2*max(8, 64) = 128, not above
    [8192, 64, 8192, [16, 16]], //             256 -> 8 -> 256 ; 2*max(11, 64) = 128 -> [2^4, 2^4]
  ] as const)('L=%i chunk=%i maxPos=%i gives %j', (sequenceLength, chunkLength, maxPositionEmbeddings, expected) => {
    expect(autoNumBuckets({sequenceLength, chunkLength, maxPositionEmbeddings})).toEqual(expected);
  });

  it('factorises when 2^p exceeds the limit, the larger factor last', () => {
    // 2*(65536//64) = 2048 -> p = 11; limit = 2*max(int(sqrt(1024)) = 32, 64) = 128 -> [2^5, 2^6]
    expect(autoNumBuckets({sequenceLength: 65536, chunkLength: 64, maxPositionEmbeddings: 65536})).toEqual([32, 64]);
    // 2*(524288//64) = 16384 -> p = 14; limit = 2*max(int(sqrt(8192)) = 90, 64) = 180 -> [2^7, 2^7]
    expect(autoNumBuckets({sequenceLength: 524288, chunkLength: 64, maxPositionEmbeddings: 524288})).toEqual([128, 128]);
    // 2*(1000//1) = 2000 -> p = 10; limit = 2*max(int(sqrt(3)) = 1, 1) = 2 -> [2^5, 2^5]
    expect(autoNumBuckets({sequenceLength: 1000, chunkLength: 1, maxPositionEmbeddings: 3})).toEqual([32, 32]);
  });

  it('uses HF default max_position_embeddings 4096 when omitted', () => {
    // 2*(2048//8) = 512 -> p = 9; limit = 2*max(int(sqrt(512)) = 22, 8) = 44 -> [2^4, 2^5]
    expect(autoNumBuckets({sequenceLength: 2048, chunkLength: 8})).toEqual([16, 32]);
    expect(autoNumBuckets({sequenceLength: 2048, chunkLength: 8, maxPositionEmbeddings: 4096})).toEqual([16, 32]);
  });

  it('rounds 2L/c down to a power of two', () => {
    // 2*(120//8) = 30 -> p = 4 -> 16; 2*(127//8) = 30 too; 2*(128//8) = 32 -> 32
    expect(autoNumBuckets({sequenceLength: 120, chunkLength: 8, maxPositionEmbeddings: 1 << 20})).toBe(16);
    expect(autoNumBuckets({sequenceLength: 127, chunkLength: 8, maxPositionEmbeddings: 1 << 20})).toBe(16);
    expect(autoNumBuckets({sequenceLength: 128, chunkLength: 8, maxPositionEmbeddings: 1 << 20})).toBe(32);
  });

  it('gives 2 for one chunk, and 2 (not HF’s 0.5) below one chunk', () => {
    expect(autoNumBuckets({sequenceLength: 64, chunkLength: 64})).toBe(2);
    expect(autoNumBuckets({sequenceLength: 10, chunkLength: 64})).toBe(2);
  });

  it.each([
    [{sequenceLength: 0, chunkLength: 8}, /sequenceLength: expected a positive integer, got 0/],
    [{sequenceLength: 64.5, chunkLength: 8}, /sequenceLength: expected a positive integer, got 64\.5/],
    [{sequenceLength: 64, chunkLength: -1}, /chunkLength: expected a positive integer, got -1/],
    [{sequenceLength: 64, chunkLength: 8, maxPositionEmbeddings: 0}, /maxPositionEmbeddings: expected a positive integer, got 0/],
    [null, /opts: expected \{sequenceLength, chunkLength, maxPositionEmbeddings\?\}, got null/],
  ])('rejects bad input %j', (opts, message) => {
    expect(() => autoNumBuckets(opts as never)).toThrow(message);
  });
});
