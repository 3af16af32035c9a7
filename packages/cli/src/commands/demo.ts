import * as tf from '@tensorflow/tfjs';
import {FullSelfAttention, LSHSelfAttention} from '@reformerjs/lsh-attention';
import {Command, Option} from 'commander';
import {useBackend} from '../backends.js';
import {UsageError} from '../errors.js';

interface DemoOptions {
  backend?: string;
  length: number;
  hashes: number[];
  chunk: number;
  heads: number;
  headSize: number;
  clusters: number;
}

function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got '${value}'`);
    return n;
  };
}

function integerList(flag: string) {
  const parse = positiveInteger(flag);
  return (value: string): number[] => value.split(',').map((part) => parse(part.trim()));
}

/** Milliseconds of `run`, waiting for the backend through a one-number readback. */
async function timed(run: () => tf.Tensor): Promise<{ms: number; out: tf.Tensor}> {
  const start = performance.now();
  const out = run();
  await tf.sum(out).data();
  return {ms: performance.now() - start, out};
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * A sequence whose tokens are noisy copies of a few random prototypes, so that each token has a handful of
 * near-duplicates to attend to: the situation LSH is built for (on pure noise, attention is spread over
 * everything and no hashing can find "the" neighbours).
 */
function clusteredSequence(length: number, hiddenSize: number, clusters: number): tf.Tensor3D {
  return tf.tidy(() => {
    const prototypes = tf.randomNormal([clusters, hiddenSize], 0, 3, 'float32', 11); // [clusters, hidden]
    const which = tf.randomUniform([length], 0, clusters, 'int32', 12); // [length]
    const noise = tf.randomNormal([length, hiddenSize], 0, 0.3, 'float32', 13); // [length, hidden]
    return tf.reshape(tf.add(tf.gather(prototypes, which), noise), [1, length, hiddenSize]) as tf.Tensor3D; // [batch, length, hidden]
  });
}

async function demo(options: DemoOptions): Promise<void> {
  const backend = await useBackend(options.backend);
  const {length, chunk, heads, headSize, clusters} = options;
  const hiddenSize = heads * headSize;
  const shared = {hiddenSize, numHeads: heads, headSize, causal: true};
  // Weights of unit-variance projections, so queries see the clusters clearly.
  const init = {initializerRange: 1 / Math.sqrt(hiddenSize), seed: 1};
  const hidden = clusteredSequence(length, hiddenSize, clusters);

  console.log(`Reformer.js demo: one causal self-attention layer (backend: ${backend})`);
  console.log(
    `  input: ${length} tokens, noisy copies of ${clusters} random vectors; ${heads} heads of ${headSize}; chunks of ${chunk}\n`,
  );

  // Full attention with LSH's weights and shared query/key: the exact computation LSH approximates.
  const reference = new LSHSelfAttention({...shared, chunkLength: chunk, ...init});
  const full = new FullSelfAttention({...shared, sharedQK: true}, reference.weights);
  tf.dispose(full.apply(hidden).output); // warm-up: kernels compile, memory pool grows
  const fullRun = await timed(() => full.apply(hidden).output);
  const fullScores = heads * length * length * 4;
  console.log(`  full attention      ${fullRun.ms.toFixed(0).padStart(6)} ms   scores held ${mib(fullScores).padStart(10)}`);

  for (const numHashes of options.hashes) {
    const lsh = new LSHSelfAttention({...shared, chunkLength: chunk, numHashes, ...init}, reference.weights);
    tf.dispose(lsh.apply(hidden).output);
    let buckets: tf.Tensor4D | undefined;
    const run = await timed(() => {
      const result = lsh.apply(hidden, {returnBuckets: true});
      buckets = result.buckets;
      return result.output;
    });
    const ids = await buckets!.data(); // int32 [batch, heads, numHashes, length], round offsets included
    const bucketsPerRound = Math.round((Math.max(...ids) + 1) / numHashes);
    const difference = tf.tidy(() => tf.div(tf.norm(tf.sub(run.out, fullRun.out)), tf.norm(fullRun.out)).dataSync()[0]!);
    const scores = heads * numHashes * length * 2 * chunk * 4; // each chunk attends to itself and the one before
    console.log(
      `  LSH, ${numHashes} round(s)     ${run.ms.toFixed(0).padStart(6)} ms   scores held ${mib(scores).padStart(10)}` +
        `   ${bucketsPerRound} buckets/round   relative difference from full: ${difference.toFixed(3)}`,
    );
    tf.dispose([run.out, buckets!]);
    lsh.dispose();
  }
  console.log('\n  More hash rounds: closer to full attention, for more work; memory grows like length, not length².');
  console.log('  Timings are one call after a warm-up; see benchmarks/ for measured medians.');
  tf.dispose([hidden, fullRun.out]);
  full.dispose();
  reference.dispose();
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('compare LSH attention with 1, 2 and 4 hash rounds against full attention on a clustered sequence')
    .addOption(new Option('--backend <name>', 'tfjs backend: cpu, wasm, webgpu or tensorflow (default: the fastest available)'))
    .option('--length <n>', 'sequence length', positiveInteger('--length'), 2048)
    .option('--hashes <list>', 'hash rounds to try, comma-separated', integerList('--hashes'), [1, 2, 4])
    .option('--chunk <n>', 'chunk length', positiveInteger('--chunk'), 64)
    .option('--heads <n>', 'attention heads', positiveInteger('--heads'), 2)
    .option('--head-size <n>', 'size of each head', positiveInteger('--head-size'), 32)
    .option('--clusters <n>', 'distinct vectors the sequence is made of', positiveInteger('--clusters'), 64)
    .action((options: DemoOptions) => demo(options));
}
