// Runs every example the documentation includes (`<<< @/examples/<name>.ts`) and checks what it prints, so a
// page never shows code that throws, leaks tensors or no longer computes what its text says. The examples run
// on the wasm backend (the `docs` vitest project's setup), against the packages' sources.
import {readFile} from 'node:fs/promises';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import * as tf from '@tensorflow/tfjs';
import {describe, expect, it, vi} from 'vitest';

/** Imports an example (running its top-level code) and returns its console.log lines. */
async function run(load: () => Promise<unknown>): Promise<string[]> {
  const printed: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map(String).join(' '));
  });
  const tensorsBefore = tf.memory().numTensors;
  try {
    await load();
  } finally {
    spy.mockRestore();
  }
  // DOCS_EXAMPLES_DEBUG=1 shows what each example printed (vitest keeps console.log of passing tests quiet).
  if (process.env.DOCS_EXAMPLES_DEBUG) process.stderr.write(printed.join('\n') + '\n');
  expect(tf.memory().numTensors, 'tensors the example left undisposed').toBe(tensorsBefore);
  return printed;
}

/** The number after `label` in one of the lines. */
function numberAfter(lines: string[], label: string): number {
  const line = lines.find((l) => l.startsWith(label));
  expect(line, `a line starting with "${label}"`).toBeDefined();
  const value = Number(line!.slice(label.length).trim().split(/\s+/)[0]);
  expect(Number.isFinite(value), `a number after "${label}" in "${line}"`).toBe(true);
  return value;
}

describe('getting started', () => {
  it('first-attention: one LSH layer keeps the shape and hashes into 2 rounds of 8 buckets', async () => {
    const lines = await run(() => import('./first-attention.js'));
    expect(lines).toEqual(['output shape: 2 x 256 x 64', 'buckets shape: 2 x 4 x 2 x 256', 'bucket ids: 0 to 15']);
  });

  it('first-model: the loss falls in 20 steps and generation returns 10 ids', async () => {
    const lines = await run(() => import('./first-model.js'));
    expect(numberAfter(lines, 'loss at step 20:')).toBeLessThan(numberAfter(lines, 'loss at step 1:'));
    const ids = lines.find((l) => l.startsWith('generated ids:'))!.slice('generated ids:'.length).trim().split(' ').map(Number);
    expect(ids).toHaveLength(10);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 16)).toBe(true);
  });
});

describe('packages', () => {
  it('lsh-hash: sorting by bucket is undone exactly and orders the buckets', async () => {
    const lines = await run(() => import('./lsh-hash.js'));
    expect(lines).toEqual([
      'numBuckets: 16',
      'buckets: 1 x 2 x 2 x 256 with 16 buckets per round',
      'max |unsort(sort(x)) - x|: 0',
      'sorted buckets never decrease: true',
    ]);
  });

  it('lsh-attention: more hash rounds come closer to full attention', async () => {
    const lines = await run(() => import('./lsh-attention.js'));
    const distance = (rounds: number) => numberAfter(lines, `LSH-${rounds}: relative distance from full attention`);
    expect(lines).toHaveLength(3);
    expect(distance(2)).toBeLessThan(distance(1));
    expect(distance(4)).toBeLessThan(distance(2));
  });

  it('reversible: inputs are rebuilt from outputs and a training step needs less memory', async () => {
    const lines = await run(() => import('./reversible.js'));
    expect(lines[0]).toBe('inputs rebuilt from outputs, max error below 1e-4: true');
    expect(lines[1]).toMatch(/^peak of a training step: reversible \d+ KiB, residual \d+ KiB$/);
    expect(lines[2]).toBe('reversible uses less: true');
  });

  it('chunked-ffn: chunked and whole give the same loss, chunked with less memory', async () => {
    const lines = await run(() => import('./chunked-ffn.js'));
    expect(lines[0]).toBe('same loss: true');
    expect(lines[1]).toMatch(/^peak of a training step: chunked [\d.]+ MiB, whole [\d.]+ MiB$/);
    expect(lines[2]).toBe('chunked uses less: true');
  });

  it('safetensors: a file written and read back, and a truncated one rejected', async () => {
    const lines = await run(() => import('./safetensors.js'));
    expect(lines.slice(1)).toEqual([
      'metadata: {"format":"pt"}',
      'names: input_ids, embeddings.weight, half.weight',
      'embeddings.weight: F32 [2,3] 1 2 3 4 5 6',
      'half.weight: 0.0999755859375 -2',
      'input_ids: 5 7',
      "SafetensorsError: safetensors: tensor 'half.weight': data_offsets [40, 44] run past the end of the data buffer (40 bytes)",
    ]);
    expect(lines[0]).toBe('file size: 284 bytes');
  });

  it('reformer-model: forward, gradients, and a checkpoint that loads back to the same logits', async () => {
    const lines = await run(() => import('./reformer-model.js'));
    expect(lines[0]).toBe('logits: 2 x 50 x 64');
    expect(lines[1]).toMatch(/^loss: \d+\.\d{3} with \d+ gradients$/);
    expect(lines[2]).toBe('a gradient: true');
    const [float32, float16] = lines[3]!.match(/\d+/g)!.map(Number).slice(1);
    expect(float16).toBeLessThan(float32!);
    expect(lines[4]).toBe('reloaded model gives the same logits: true');
  });
});

describe('guides', () => {
  it('paper-to-code: each equation equals its function', async () => {
    const lines = await run(() => import('./paper-to-code.js'));
    expect(lines).toEqual([
      'hashVectors is argmax([xR; -xR]): true',
      'sharedQKKeys is the normalised query: true',
      'reversibleStack is y1 = x1 + F(x2), y2 = x2 + G(y1): true',
    ]);
  });

  it("huggingface: a transformers checkpoint reproduces Hugging Face's logits", async () => {
    const lines = await run(() => import('./huggingface.js'));
    expect(lines).toEqual([
      'head: lm | layers: lsh, lsh | warnings: 0',
      'logits: 2 x 64 x 64',
      'relative error against Hugging Face below 1e-4: true',
    ]);
  });

  it('training-text: bits per character fall and the model writes text from its vocabulary', async () => {
    const lines = await run(() => import('./training-text.js'));
    expect(numberAfter(lines, 'bits per character, last step:')).toBeLessThan(numberAfter(lines, 'bits per character, first step:'));
    const generated = JSON.parse(lines.find((l) => l.startsWith('generated:'))!.slice('generated:'.length)) as string;
    expect(generated.startsWith('The re')).toBe(true);
    expect(generated.length).toBeGreaterThan('The re'.length);
  });

  it('generate-shipped: the model the demo ships loads and continues a prompt', async () => {
    const lines = await run(() => import('./generate-shipped.js'));
    // Greedy decoding is deterministic; the training guide shows this output.
    expect(lines).toEqual([
      'model: 2 layers (local, lsh), d_model 128, vocab 128',
      'generated: "The state of the Union is and the propose of the proper the proper the propose of the "',
    ]);
  });

  it('load-from-url: loads the shipped model over HTTP, and says which URL failed', async () => {
    // A static server over docs/public, as the built site serves it.
    const root = new URL('../public/', import.meta.url);
    const server = createServer((request, response) => {
      readFile(new URL(`.${request.url}`, root)).then(
        (body) => response.end(body),
        () => response.writeHead(404, 'Not Found').end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const lines = await run(async () => {
        const {loadLanguageModel} = await import('./load-from-url.js');
        const loaded = await loadLanguageModel(`${origin}/models/sotu-small/`);
        console.log('layers:', loaded.model.config.attnLayers.join(', '));
        loaded.dispose();
        await expect(loadLanguageModel(`${origin}/models/missing/`)).rejects.toThrow(/\/models\/missing\/(config\.json|model\.safetensors): HTTP 404 Not Found$/);
      });
      expect(lines).toEqual(['layers: local, lsh']);
    } finally {
      server.close();
    }
  });

  it('backends: picks the first backend that initialises and says why the others did not', async () => {
    const lines = await run(() => import('./backends.js'));
    // Under vitest in Node neither webgpu nor webgl is registered; wasm is.
    expect(lines[0]).toBe('backend: wasm');
    expect(lines.slice(1, 3)).toEqual([
      "skipped webgpu: Backend name 'webgpu' not found in registry",
      "skipped webgl: Backend name 'webgl' not found in registry",
    ]);
    expect(lines[3]).toBe('1 + 2 + 3 = 6 on wasm');
  });
});

describe('webgpu-kernels', () => {
  it('registers the kernels and leaves other backends on the reference path', async () => {
    const lines = await run(() => import('./webgpu-kernels.js'));
    expect(lines).toEqual(['backend: wasm, fused kernels enabled: true', 'output shape: 1 x 256 x 64']);
  });
});
