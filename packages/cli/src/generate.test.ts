import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {ReformerConfig, ReformerForMaskedLM, ReformerModelWithLMHead, saveCheckpoint} from '@reformerjs/reformer-model';
import * as tf from '@tensorflow/tfjs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {main} from './main.js';
import {decodeIds, encodeText, formatVocabulary, parseVocabulary, writeVocabulary} from './vocab.js';
import {bufferIO} from './testing/io.js';

const TOKENS = [null, '\n', ' ', ...'abcdefghijklmnopqr'];

let work: string;
let lmDir: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'reformer-generate-'));
  const base = {
    vocab_size: 21,
    hidden_size: 8,
    num_attention_heads: 2,
    attention_head_size: 4,
    feed_forward_size: 12,
    attn_layers: ['local', 'lsh'] as ('local' | 'lsh')[],
    lsh_attn_chunk_length: 4,
    local_attn_chunk_length: 4,
    num_hashes: 2,
    num_buckets: 4,
    max_position_embeddings: 32,
    axial_pos_embds: false,
    initializer_range: 0.5,
  };
  const write = async (dir: string, model: ReformerModelWithLMHead | ReformerForMaskedLM, vocab = true) => {
    mkdirSync(dir);
    const {configJson, weights} = await saveCheckpoint(model.config, model.parameters);
    writeFileSync(join(dir, 'config.json'), configJson);
    writeFileSync(join(dir, 'model.safetensors'), weights);
    if (vocab) await writeVocabulary(dir, TOKENS);
    model.dispose();
  };
  lmDir = join(work, 'lm');
  await write(lmDir, new ReformerModelWithLMHead(new ReformerConfig({...base, is_decoder: true}), {seed: 3}));
  await write(join(work, 'masked'), new ReformerForMaskedLM(new ReformerConfig({...base, is_decoder: false}), {seed: 3}));
  await write(join(work, 'no-vocab'), new ReformerModelWithLMHead(new ReformerConfig({...base, is_decoder: true}), {seed: 3}), false);
});
afterAll(() => rmSync(work, {recursive: true, force: true}));


const run = async (...args: string[]) => {
  const io = bufferIO();
  const code = await main(['node', 'reformer', 'generate', ...args, '--backend', tf.getBackend()], io);
  return {...io, code};
};

describe('reformer generate', () => {
  it('prints the prompt and its continuation, the same with and without the cache', async () => {
    const a = await run('--checkpoint', lmDir, '--prompt', 'abc d', '--max-tokens', '20', '--temperature', '0.9', '--top-k', '8', '--seed', '4');
    expect(a.code).toBe(0);
    expect(a.out.startsWith('abc d')).toBe(true);
    expect(a.out.endsWith('\n')).toBe(true);
    expect(a.err).toMatch(/^\(20 tokens in [\d.]+ s, [\d.]+ tokens\/s, cached\)\n$/);
    const b = await run('--checkpoint', lmDir, '--prompt', 'abc d', '--max-tokens', '20', '--temperature', '0.9', '--top-k', '8', '--seed', '4', '--no-cache');
    expect(b.code).toBe(0);
    expect(b.out).toBe(a.out);
    expect(b.err).toMatch(/uncached\)\n$/);
  });

  it('exits 2 with one line for a prompt character outside the vocabulary', async () => {
    const r = await run('--checkpoint', lmDir, '--prompt', 'abZ');
    expect(r.code).toBe(2);
    expect(r.err).toBe(`reformer: --prompt: character "Z" (U+005A) at index 2 is not in the checkpoint's vocabulary (${join(lmDir, 'vocab.json')})\n`);
  });

  it('exits 2 for bad flags, a missing vocabulary, a model that is not a causal LM, too many tokens', async () => {
    const cases: Array<[string[], string]> = [
      [['--checkpoint', join(work, 'no-vocab'), '--prompt', 'a'], `reformer: checkpoint: missing file ${join(work, 'no-vocab', 'vocab.json')}\n`],
      [
        ['--checkpoint', join(work, 'masked'), '--prompt', 'a'],
        `reformer: --checkpoint: expected a causal LM checkpoint (ReformerModelWithLMHead, is_decoder true), got a ReformerForMaskedLM in ${join(work, 'masked')}\n`,
      ],
      [['--checkpoint', lmDir, '--prompt', 'abcd', '--max-tokens', '29'], "reformer: --max-tokens: expected at most 28 (max_position_embeddings 32 minus the prompt's 4 characters), got 29\n"],
      [['--checkpoint', lmDir, '--prompt', 'a', '--max-tokens', 'x'], "reformer: --max-tokens: expected a non-negative integer, got 'x'\n"],
      [['--checkpoint', lmDir, '--prompt', 'a', '--top-k', '0'], "reformer: --top-k: expected a positive integer, got '0'\n"],
      [['--checkpoint', lmDir, '--prompt', 'a', '--temperature', '-1'], "reformer: --temperature: expected a number >= 0, got '-1'\n"],
      [['--checkpoint', lmDir, '--prompt', ''], 'reformer: --prompt: expected at least one character, got an empty prompt\n'],
    ];
    for (const [args, message] of cases) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toBe(message);
    }
    const missing = await run('--prompt', 'a');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/required option '--checkpoint <dir>' not specified/);
  });
});

describe('vocab.json', () => {
  it('round-trips, encodes and decodes by code point, and rejects what it cannot read', () => {
    const vocab = parseVocabulary(formatVocabulary([null, 'a', '😀', '\n']), 'v.json', 4);
    expect(encodeText(vocab, 'a😀\na', '--prompt', 'v.json')).toEqual([1, 2, 3, 1]);
    expect(decodeIds(vocab, [1, 0, 2, 9])).toBe('a😀');
    expect(() => parseVocabulary('{"kind": "characters", "tokens": ["a", "a"]}', 'v.json')).toThrow('v.json: tokens[1]: "a" (U+0061) is already tokens[0]');
    expect(() => parseVocabulary('{"kind": "characters", "tokens": ["ab"]}', 'v.json')).toThrow('v.json: tokens[0]: expected one character or null, got "ab"');
    expect(() => parseVocabulary(formatVocabulary(['a', 'b', 'c']), 'v.json', 2)).toThrow('v.json: expected at most vocab_size (2) tokens, got 3');
    expect(() => parseVocabulary('[1]', 'v.json')).toThrow(/^v\.json: expected \{"kind": "characters", "tokens": \[\.\.\.\]\}/);
  });
});
