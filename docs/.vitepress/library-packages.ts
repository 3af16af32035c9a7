// The library packages the site documents. One list, read by the API generator (scripts/api.ts) and by the
// sidebar (config.ts), so that a package gets both a guide page and an API reference or neither.

export interface LibraryPackage {
  /** Folder under packages/. */
  dir: string;
  /** npm name. */
  name: string;
  /** One line for the sidebar and the API index. */
  summary: string;
  /** Whether it has a guide page under packages/ (every package has an API reference). */
  guide: boolean;
}

export const LIBRARY_PACKAGES: readonly LibraryPackage[] = [
  {dir: 'lsh-hash', name: '@reformerjs/lsh-hash', summary: 'angular LSH: rotations, buckets, exact sort and unsort by bucket', guide: true},
  {dir: 'lsh-attention', name: '@reformerjs/lsh-attention', summary: 'LSH, local and full self-attention, cached decoding', guide: true},
  {dir: 'reversible', name: '@reformerjs/reversible', summary: 'reversible residual stacks that recompute in the backward', guide: true},
  {dir: 'chunked-ffn', name: '@reformerjs/chunked-ffn', summary: 'feed-forward, LM head and loss chunk by chunk', guide: true},
  {dir: 'safetensors', name: '@reformerjs/safetensors', summary: 'a strict safetensors reader and writer', guide: true},
  {dir: 'reformer-model', name: '@reformerjs/reformer-model', summary: "the model, Hugging Face's config and checkpoints, training, generation", guide: true},
  {dir: 'webgpu-kernels', name: '@reformerjs/webgpu-kernels', summary: 'fused WebGPU kernels: hashing, bucket sort, chunked attention', guide: true},
];
