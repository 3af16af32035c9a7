// Size budgets of the published packages, checked by `npm run check:packages` (scripts/check-packages.mjs).
//
// What is measured: each package's built ESM entry (what a bundler starts from: exports['.'].import, or the CLI's
// bin), alone (@size-limit/file: no bundling, so dependencies such as tfjs-core are not counted), compressed
// with brotli (quality 11, size-limit's default). "kB" is 1000 bytes.
//
// Each limit is the size measured when it was set plus about 25% headroom (in the comment): the check catches a
// package that suddenly grows (a dependency bundled in by mistake, a large table, a second copy of a module),
// not ordinary work. When a package grows on purpose, raise its limit here and say why in the commit.
//
// The format is size-limit's own; on Node >= 22.19 `npx size-limit` reads this file too (size-limit 14's CLI does
// not run on Node 20, so the check script measures through its API).
export default [
  // measured 4.17 kB
  {name: '@reformerjs/lsh-hash', path: 'packages/lsh-hash/dist/index.js', limit: '5.2 kB'},
  // measured 12.39 kB
  {name: '@reformerjs/lsh-attention', path: 'packages/lsh-attention/dist/index.js', limit: '15.5 kB'},
  // measured 3.53 kB
  {name: '@reformerjs/reversible', path: 'packages/reversible/dist/index.js', limit: '4.4 kB'},
  // measured 6.81 kB
  {name: '@reformerjs/chunked-ffn', path: 'packages/chunked-ffn/dist/index.js', limit: '8.5 kB'},
  // measured 5.75 kB
  {name: '@reformerjs/safetensors', path: 'packages/safetensors/dist/index.js', limit: '7.2 kB'},
  // measured 23.91 kB
  {name: '@reformerjs/reformer-model', path: 'packages/reformer-model/dist/index.js', limit: '30 kB'},
  // measured 22.14 kB (17.39 kB, plus the Transpose wrapper, shared-QK keys, float storage and the layer-norm kernels)
  {name: '@reformerjs/webgpu-kernels', path: 'packages/webgpu-kernels/dist/index.js', limit: '27.7 kB'},
  // measured 20.55 kB
  {name: '@reformerjs/cli', path: 'packages/cli/dist/bin.js', limit: '26 kB'},
];
